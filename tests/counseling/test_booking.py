"""Booking from the parent's phone, the student's code and the counselor's desk; slots from opening hours."""

import datetime as dt

import time_machine
from django.urls import reverse
from django.utils import timezone

from counseling import services
from counseling.models import Booking, Closure, Opening, Period, Room, Slot
from portal.models import Notification, SchoolYear, Term
from tests import factories
from tests.conftest import USER_READS


def test_a_parent_books_sees_moves_and_cancels(world, login, django_capture_on_commit_callbacks):
    slot = world.slot_a
    later = Slot.objects.create(school=world.school_a, room=slot.room, counselor=slot.counselor,
                                starts_at=slot.starts_at + dt.timedelta(hours=2),
                                ends_at=slot.ends_at + dt.timedelta(hours=2))  # fmt: skip
    client = login(world.users["parent_x"])
    book = reverse("counseling:parent_book", args=[world.student_x.pk])
    day = timezone.localdate(slot.starts_at).isoformat()
    assert f'value="{day}"' in client.get(book).content.decode()  # step one: the days
    assert slot.room.name in client.get(book, {"day": day}).content.decode()  # step two: the day's times
    confirm = reverse("counseling:parent_book_confirm", args=[world.student_x.pk])
    step_three = client.get(confirm, {"slot": slot.pk}).content.decode()  # what, when, where, with whom
    assert f'name="slot" value="{slot.pk}"' in step_three and "1号咨询室" in step_three
    assert not Booking.objects.filter(student=world.student_x).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm, {"slot": slot.pk, "reason": "study"})
    booking = Booking.objects.get(student=world.student_x)
    assert response["Location"] == reverse("counseling:parent_booking", args=[booking.pk])  # done
    assert (booking.channel, booking.made_by, booking.contact, booking.reason) == (
        "parent", world.users["parent_x"], world.guardian_x, "study"
    )  # fmt: skip
    assert Notification.objects.filter(kind="booking_confirmed", guardian=world.guardian_x).count() == 1
    home = client.get(reverse("counseling:parent_home")).content.decode()
    assert timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M") in home
    # Move to the later time as when booking: a day, a time, a confirm step that moves nothing; then cancel it.
    move = reverse("counseling:booking_move", args=[booking.pk])
    assert f'name="day" value="{day}"' in client.get(move).content.decode()
    times = client.get(move, {"day": day}).content.decode()
    assert f'name="slot" value="{later.pk}"' in times and f'value="{slot.pk}"' not in times  # not the time it holds
    confirm_move = client.get(move, {"slot": later.pk}).content.decode()
    assert 'method="post"' in confirm_move and f'value="{later.pk}"' in confirm_move
    assert Booking.objects.get(pk=booking.pk).slot == slot  # looking is not moving
    client.post(move, {"slot": later.pk})
    booking.refresh_from_db()
    moved = Booking.objects.get(student=world.student_x, status="booked")
    assert (booking.status, moved.slot, booking.moved_to) == ("moved", later, moved)
    assert Slot.objects.get(pk=slot.pk).booked == 0 and Slot.objects.get(pk=later.pk).booked == 1
    client.post(reverse("counseling:booking_cancel", args=[moved.pk]))
    assert Booking.objects.get(pk=moved.pk).status == "cancelled" and Slot.objects.get(pk=later.pk).booked == 0


def test_a_taken_slot_offers_the_next_free_times(world, login):
    services.booking_create(
        slot=world.slot_a, student=world.student_w, channel="phone", made_by=world.users["counselor_a"]
    )
    other = Slot.objects.create(school=world.school_a, room=world.slot_a.room, counselor=world.users["counselor_a"],
                                starts_at=world.slot_a.starts_at + dt.timedelta(hours=1),
                                ends_at=world.slot_a.ends_at + dt.timedelta(hours=1))  # fmt: skip
    client = login(world.users["parent_x"])
    url = reverse("counseling:parent_book", args=[world.student_x.pk])
    refused = client.post(
        reverse("counseling:parent_book_confirm", args=[world.student_x.pk]), {"slot": world.slot_a.pk}
    )
    # Post/redirect/get: back to the booking page, which offers the next free times; a reload books nothing.
    assert refused.status_code == 302 and refused["Location"] == f"{url}?instead_of={world.slot_a.pk}"
    html = client.get(refused["Location"]).content.decode()
    assert "刚刚被别人约走了" in html and "接下来的空闲时段" in html and f'value="{other.pk}"' in html
    assert not Booking.objects.filter(student=world.student_x).exists()


def test_a_parent_cannot_book_for_or_see_another_family(world, login):
    client = login(world.users["parent_y"])
    assert client.get(reverse("counseling:parent_book", args=[world.student_x.pk])).status_code == 404
    confirm = reverse("counseling:parent_book_confirm", args=[world.student_x.pk])
    assert client.get(confirm, {"slot": world.slot_a.pk}).status_code == 404
    assert client.get(confirm).status_code == 404
    assert client.post(confirm, {"slot": world.slot_a.pk}).status_code == 404
    booking = world.booking_x
    assert client.get(reverse("counseling:parent_booking", args=[booking.pk])).status_code == 404
    assert client.get(reverse("counseling:booking_cancel", args=[booking.pk])).status_code == 404
    assert client.post(reverse("counseling:booking_cancel", args=[booking.pk])).status_code == 404
    assert client.get(reverse("counseling:booking_ics", args=[booking.pk])).status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == "booked"


def test_changes_close_at_the_schools_cut_off_for_parents_but_not_for_staff(world, login):
    booking = world.booking_x
    with time_machine.travel(world.slot_a.starts_at - dt.timedelta(minutes=90), tick=False):
        page = login(world.users["parent_x"]).post(reverse("counseling:booking_cancel", args=[booking.pk]), follow=True)
        assert Booking.objects.get(pk=booking.pk).status == "booked"
        login(world.users["counselor_a"]).post(reverse("counseling:booking_cancel", args=[booking.pk]))
        assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert page.status_code == 200


def test_a_student_books_with_their_code_and_nobody_at_home_is_told(world, client, django_capture_on_commit_callbacks):
    services.booking_codes_issue(students=[world.student_x])
    code = world.student_x.booking_code.code
    response = client.post(reverse("counseling:student_start"), {"code": code.lower()})
    assert response["Location"] == reverse("counseling:student_book")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("counseling:student_book"), {"slot": world.slot_a.pk})
    booking = Booking.objects.get(student=world.student_x)
    assert (booking.channel, booking.made_by, booking.contact) == ("student", None, None)
    assert not Notification.objects.filter(kind="booking_confirmed").exists()
    assert client.get(reverse("counseling:booking_ics", args=[booking.pk]))["Content-Type"].startswith("text/calendar")
    # Parents do not see a booking their child made themselves.
    assert booking not in set(login_bookings(world))


def login_bookings(world):
    from counseling import selectors

    return selectors.bookings_for(world.users["parent_x"])


def test_staff_book_by_phone_and_mark_attendance_once_it_started(world, login):
    client = login(world.users["counselor_a"])
    client.post(reverse("counseling:slot", args=[world.slot_a.pk]),
                {"student": world.student_w.pk, "channel": "phone", "notify_guardian": "on"})  # fmt: skip
    booking = Booking.objects.get(student=world.student_w)
    assert booking.contact == world.student_w.guardians.get()
    client.post(reverse("counseling:booking_mark", args=[booking.pk]), {"status": "no_show"})
    assert Booking.objects.get(pk=booking.pk).status == "booked"  # not yet started
    with time_machine.travel(world.slot_a.starts_at + dt.timedelta(minutes=50), tick=False):
        login(world.users["counselor_a"]).post(
            reverse("counseling:booking_mark", args=[booking.pk]), {"status": "no_show"}
        )
    assert Booking.objects.get(pk=booking.pk).status == "no_show"


def test_slots_come_from_the_weekly_template_in_term_time_minus_closures(world):
    today = timezone.localdate()
    year = SchoolYear.objects.create(
        district=world.district_a, name="y", start=today, end=today + dt.timedelta(days=200)
    )
    Term.objects.create(school_year=year, number=1, start=today, end=today + dt.timedelta(days=100), teaching_weeks=14)
    room = Room.objects.create(school=world.school_a, name="R", area_m2=25)
    first = Period.objects.create(school=world.school_a, number=1, starts=dt.time(8), ends=dt.time(8, 45))
    for weekday in range(5):
        Opening.objects.create(school=world.school_a, weekday=weekday, period=first, room=room,
                               counselor=world.users["counselor_a"])  # fmt: skip
    monday = today + dt.timedelta(days=7 - today.weekday())
    Closure.objects.create(school=world.school_a, date=monday, reason="运动会")
    made = services.slots_generate(school=world.school_a, start=monday, days=14)
    assert made == 9  # two weeks of weekdays, one Monday closed
    assert services.slots_generate(school=world.school_a, start=monday, days=14) == 0  # idempotent
    slot = Slot.objects.filter(school=world.school_a, room=room).earliest("starts_at")
    assert timezone.localtime(slot.starts_at).time() == dt.time(8)  # school time
    from counseling import selectors

    standard = selectors.school_standard(world.school_a)
    assert (standard.open_periods, standard.meets) == (5, False)  # 5 periods a week: short of 10


def test_a_student_cannot_hold_two_places_in_one_slot(world):
    import pytest

    from counseling.models import SlotKind

    group = Slot.objects.create(school=world.school_a, room=world.slot_a.room, counselor=world.users["counselor_a"],
                                kind=SlotKind.GROUP, topic="情绪管理", capacity=5,
                                starts_at=world.slot_a.starts_at + dt.timedelta(days=1),
                                ends_at=world.slot_a.ends_at + dt.timedelta(days=1))  # fmt: skip
    services.booking_create(slot=group, student=world.student_x, channel="student")
    with pytest.raises(services.Refused) as refused:
        services.booking_create(slot=group, student=world.student_x, channel="student")
    assert refused.value.code == "already" and Slot.objects.get(pk=group.pk).booked == 1


def test_the_week_page_runs_a_constant_number_of_queries(world, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(world.users["counselor_a"])
    week = world.slot_a.starts_at.date().isoformat()
    services.booking_create(slot=world.slot_a, student=world.student_w, channel="phone")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("counseling:schedule"), {"week": week}).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for i in range(12):
        student = factories.StudentFactory(classroom=world.class_a2)
        slot = Slot.objects.create(school=world.school_a, room=world.slot_a.room, counselor=world.users["counselor_a"],
                                   starts_at=world.slot_a.starts_at + dt.timedelta(hours=i + 1),
                                   ends_at=world.slot_a.ends_at + dt.timedelta(hours=i + 1))  # fmt: skip
        services.booking_create(slot=slot, student=student, channel="phone")
    # session, user with roles, device, school, slots, bookings, mailbox counts, the calendar link's dates, and the
    # audit events of the bookings shown (their students, the chain's last hash with, on PostgreSQL, its lock; the
    # insert)
    assert queries() == few == USER_READS + 10


def test_the_booking_page_ignores_a_forged_instead_of(world, login):
    client = login(world.users["parent_x"])
    url = reverse("counseling:parent_book", args=[world.student_x.pk])
    before = list(Booking.objects.values_list("pk", "status"))
    for forged in ("²", "abc", "9" * 30, "-1"):
        page = client.get(url, {"instead_of": forged})
        assert page.status_code == 200 and page.context["alternatives"] == []  # ignored: no "instead" offers
        assert page.context["days"] == client.get(url).context["days"]  # the same page as without it
    assert list(Booking.objects.values_list("pk", "status")) == before


def test_a_move_never_offers_a_full_time(world, login):
    booking = services.booking_create(slot=world.slot_a, student=world.student_x, channel="parent",
                                      made_by=world.users["parent_x"], contact=world.guardian_x)  # fmt: skip
    full = Slot.objects.create(school=world.school_a, room=world.slot_a.room, counselor=world.users["counselor_a"],
                               starts_at=world.slot_a.starts_at + dt.timedelta(hours=1),
                               ends_at=world.slot_a.ends_at + dt.timedelta(hours=1))  # fmt: skip
    services.booking_create(slot=full, student=world.student_w, channel="phone", made_by=world.users["counselor_a"])
    day = timezone.localdate(world.slot_a.starts_at).isoformat()
    move = reverse("counseling:booking_move", args=[booking.pk])
    for persona in ("parent_x", "counselor_a"):
        client = login(world.users[persona])
        assert f'value="{full.pk}"' not in client.get(move, {"day": day}).content.decode()
        assert client.get(move, {"slot": full.pk}).status_code == 404
