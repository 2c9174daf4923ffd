"""A parent books as in the tools they know: a day, a time, a confirm step, a done page; cancelling asks once.
They see every booking of their child but the child's own, and are never offered a time the child holds."""

import datetime as dt

import time_machine
from django.urls import reverse
from django.utils import timezone

from counseling import offers, services
from counseling.models import Booking, SessionRecord, Slot, SlotKind
from crisis import services as crisis_services


def _later(world, hours: int, **fields) -> Slot:
    starts = world.slot_a.starts_at + dt.timedelta(hours=hours)
    return Slot.objects.create(school=world.school_a, room=world.slot_a.room, counselor=world.users["counselor_a"],
                               starts_at=starts, ends_at=starts + dt.timedelta(minutes=45), **fields)  # fmt: skip


def _offered(client, world, slot: Slot) -> bool:
    """Whether the picker offers the slot on its day (step two)."""
    day = timezone.localdate(slot.starts_at).isoformat()
    page = client.get(reverse("counseling:parent_book", args=[world.student_x.pk]), {"day": day})
    return f'name="slot" value="{slot.pk}"' in page.content.decode()


def test_a_slot_the_child_holds_is_never_offered(world, login):
    held = services.booking_create(slot=world.slot_a, student=world.student_x, channel="phone",
                                   made_by=world.users["counselor_a"])  # fmt: skip
    group = _later(world, 2, kind=SlotKind.GROUP, topic="情绪管理", capacity=6)
    services.booking_create(slot=group, student=world.student_x, channel="parent", made_by=world.users["parent_x"])
    free = _later(world, 4)
    client = login(world.users["parent_x"])
    assert (_offered(client, world, world.slot_a), _offered(client, world, group), _offered(client, world, free)) == (
        False, False, True
    )  # fmt: skip
    # A stale link to the held time: no confirm step, back to the picker; nothing written.
    confirm = reverse("counseling:parent_book_confirm", args=[world.student_x.pk])
    response = client.get(confirm, {"slot": world.slot_a.pk})
    assert response.status_code == 302 and "instead_of" in response["Location"]
    assert list(Booking.objects.filter(student=world.student_x).values_list("pk", flat=True)) == [
        held.pk, *Booking.objects.filter(slot=group).values_list("pk", flat=True)
    ]  # fmt: skip


def test_a_full_time_and_a_day_without_free_times_are_not_offered(world, login):
    services.booking_create(slot=world.slot_a, student=world.student_w, channel="phone")  # W's: the slot is full
    client = login(world.users["parent_x"])
    assert not _offered(client, world, world.slot_a)
    page = client.get(reverse("counseling:parent_book", args=[world.student_x.pk]))
    assert page.context["days"] == []  # tomorrow had one time, and it is taken
    free = _later(world, 24)
    assert [d.date for d in client.get(page.request["PATH_INFO"]).context["days"]] == [
        timezone.localdate(free.starts_at)
    ]  # fmt: skip


def test_the_confirm_step_books_nothing_until_confirmed(world, login):
    client = login(world.users["parent_x"])
    confirm = reverse("counseling:parent_book_confirm", args=[world.student_x.pk])
    page = client.get(confirm, {"slot": world.slot_a.pk})
    assert page.status_code == 200 and page.context["slot"].pk == world.slot_a.pk
    html = page.content.decode()
    assert all(fact in html for fact in ("1号咨询室", "School A", "Xiao X", "10:00–10:45")), html
    assert not Booking.objects.exists()
    done = client.post(confirm, {"slot": world.slot_a.pk, "reason": "family"})
    booking = Booking.objects.get()
    assert (booking.student, booking.reason, booking.status) == (world.student_x, "family", "booked")
    assert done["Location"] == reverse("counseling:parent_booking", args=[booking.pk])
    assert client.get(done["Location"]).status_code == 200


def test_cancel_asks_once_and_only_the_post_cancels(world, login):
    booking = world.booking_x
    client = login(world.users["parent_x"])
    url = reverse("counseling:booking_cancel", args=[booking.pk])
    page = client.get(url)
    assert page.status_code == 200 and '<form method="post"' in page.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == "booked"  # asking changed nothing
    assert client.post(url)["Location"] == reverse("counseling:parent_home")
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert services.bookable(world.school_a.pk).get(pk=world.slot_a.pk).booked == 0


def test_the_cancel_page_says_why_when_it_is_too_late(world, login):
    booking = world.booking_x
    with time_machine.travel(world.slot_a.starts_at - dt.timedelta(minutes=30), tick=False):
        page = login(world.users["parent_x"]).get(reverse("counseling:booking_cancel", args=[booking.pk]))
        assert '<form method="post"' not in page.content.decode() and page.context["refusal"] is not None


def test_a_parent_sees_the_bookings_staff_made_but_not_the_childs_own(world, login, client):
    by_school = services.booking_create(slot=world.slot_a, student=world.student_x, channel="in_person",
                                        made_by=world.users["counselor_a"])  # fmt: skip
    own = services.booking_create(slot=_later(world, 3), student=world.student_x, channel="student")
    parent = login(world.users["parent_x"])
    home = parent.get(reverse("counseling:parent_home"))
    assert [b.pk for b in home.context["bookings"]] == [by_school.pk]
    assert f'id="booking-{by_school.pk}"' in home.content.decode()
    assert f'id="booking-{own.pk}"' not in home.content.decode()
    assert parent.get(reverse("counseling:parent_booking", args=[by_school.pk])).status_code == 200
    assert parent.get(reverse("counseling:parent_booking", args=[own.pk])).status_code == 404
    assert parent.get(reverse("counseling:booking_ics", args=[own.pk])).status_code == 404
    # Seen, not changed: a booking the school made without naming the parent is changed by calling the school.
    page = parent.get(reverse("counseling:parent_booking", args=[by_school.pk]))
    assert page.context["may_change"] is False and page.context["refusal"] is not None
    assert parent.get(reverse("counseling:booking_cancel", args=[by_school.pk])).status_code == 404
    assert parent.post(reverse("counseling:booking_cancel", args=[by_school.pk])).status_code == 404
    assert Booking.objects.get(pk=by_school.pk).status == "booked"
    # Once it ended it stays listed, under "earlier".
    with time_machine.travel(world.slot_a.ends_at + dt.timedelta(hours=1), tick=False):
        assert [b.pk for b in offers.parent_bookings(world.users["parent_x"])[1]] == [by_school.pk]


def test_under_a_safeguarding_flag_the_family_sees_only_what_they_booked(world, login):
    """A child who disclosed risk at home: the counselor's sessions with them must not show on the parent's phone."""
    by_school = services.booking_create(slot=world.slot_a, student=world.student_x, channel="in_person",
                                        made_by=world.users["counselor_a"], contact=world.guardian_x)  # fmt: skip
    by_parent = services.booking_create(slot=_later(world, 3), student=world.student_x, channel="parent",
                                        made_by=world.users["parent_x"], contact=world.guardian_x)  # fmt: skip
    crisis_services.case_block_guardian_contact(case=world.case_x, reason="risk_at_home",
                                                by=world.users["counselor_a"])  # fmt: skip
    parent = login(world.users["parent_x"])
    assert [b.pk for b in parent.get(reverse("counseling:parent_home")).context["bookings"]] == [by_parent.pk]
    assert parent.get(reverse("counseling:parent_booking", args=[by_school.pk])).status_code == 404
    assert parent.get(reverse("counseling:booking_ics", args=[by_school.pk])).status_code == 404
    crisis_services.case_block_guardian_contact(case=world.case_x, reason="", by=world.users["counselor_a"])
    assert parent.get(reverse("counseling:parent_booking", args=[by_school.pk])).status_code == 200  # lifted


def test_a_staff_booking_naming_the_parent_is_theirs_to_change(world, login):
    booking = services.booking_create(slot=world.slot_a, student=world.student_x, channel="phone",
                                      made_by=world.users["counselor_a"], contact=world.guardian_x)  # fmt: skip
    parent = login(world.users["parent_x"])
    assert parent.get(reverse("counseling:parent_booking", args=[booking.pk])).context["may_change"] is True
    parent.post(reverse("counseling:booking_cancel", args=[booking.pk]))
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"


def test_a_saved_record_is_found_from_its_slot(world, login):
    booking = world.booking_x
    counselor = login(world.users["counselor_a"])
    slot_url = reverse("counseling:slot", args=[world.slot_a.pk])
    write = reverse("counseling:record_new", args=[booking.pk])
    with time_machine.travel(world.slot_a.ends_at, tick=False):
        counselor = login(world.users["counselor_a"])
        assert write in counselor.get(slot_url).content.decode()
        form = {"held_on": timezone.localdate().isoformat(), "attendance": "attended", "session_type": "individual"}
        counselor.post(write, form)
        record = SessionRecord.objects.get(booking=booking)
        page = counselor.get(slot_url).content.decode()
        assert reverse("counseling:record", args=[record.pk]) in page and write not in page
        assert counselor.get(write)["Location"] == reverse("counseling:record", args=[record.pk])  # no second form
