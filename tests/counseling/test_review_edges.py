"""Edges found in review: confidentiality of a student's own booking, waiting lists, closures, on-duty alerts,
input that must not crash."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from counseling import services
from counseling.models import Booking, Closure, MailboxMessage, Opening, Period, Slot, SlotKind
from portal.models import InboxMessage, Membership, Notification, StudentGuardian
from tests import factories


def _group(world, capacity=1, hours=30):
    starts = world.slot_a.starts_at + dt.timedelta(hours=hours)
    return Slot.objects.create(school=world.school_a, room=world.slot_a.room, counselor=world.users["counselor_a"],
                               kind=SlotKind.GROUP, topic="情绪管理", capacity=capacity, starts_at=starts,
                               ends_at=starts + dt.timedelta(minutes=45))  # fmt: skip


def _code_login(client, world, student):
    services.booking_codes_issue(students=[student])
    student.refresh_from_db()
    client.post(reverse("counseling:student_start"), {"code": student.booking_code.code})


def test_the_code_session_ends_after_a_while_and_when_someone_signs_in(world, client, login):
    _code_login(client, world, world.student_x)
    assert client.get(reverse("counseling:student_book")).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=25)):
        assert client.get(reverse("counseling:student_book")).status_code == 302
    _code_login(client, world, world.student_x)
    login(world.users["parent_x"])  # the parent signs in on the same browser
    client.logout()
    assert client.get(reverse("counseling:student_book")).status_code == 302


def test_a_childs_own_booking_stays_hidden_from_the_parent(world, client, login):
    _code_login(client, world, world.student_x)
    client.post(reverse("counseling:student_book"), {"slot": world.slot_a.pk})
    group = _group(world, capacity=5)
    services.booking_create(slot=group, student=world.student_x, channel="student")
    parent = login(world.users["parent_x"])
    day = timezone.localdate(group.starts_at).isoformat()
    page = parent.get(reverse("counseling:parent_book", args=[world.student_x.pk]), {"day": day}).content.decode()
    assert f'value="{group.pk}"' in page  # the slot does not vanish for the parent
    page = parent.post(
        reverse("counseling:parent_book_confirm", args=[world.student_x.pk]), {"slot": group.pk}, follow=True
    ).content.decode()
    assert "刚刚被别人约走了" in page and "已有预约" not in page  # "taken", never "your child already booked"
    assert parent.get(reverse("counseling:parent_home")).content.decode().count("情绪管理") == 0


def test_a_code_session_cannot_cancel_a_booking_made_by_the_parent(world, client):
    booking = world.booking_x
    _code_login(client, world, world.student_x)
    client.post(reverse("counseling:student_book"), {"cancel": booking.pk})
    client.post(reverse("counseling:student_book"), {"cancel": "abc"})  # and no 500
    assert Booking.objects.get(pk=booking.pk).status == "booked"


def test_an_operator_who_also_counsels_reads_private_notes_only_by_break_glass(world, login):
    record = world.record_x
    counselor_b_admin = world.users["leader_a"]
    counselor_b_admin.is_superuser = True
    counselor_b_admin.save()
    page = login(counselor_b_admin).get(reverse("counseling:record", args=[record.pk])).content.decode()
    assert "家中有变故" not in page


def test_a_former_guardian_is_no_longer_told(world, django_capture_on_commit_callbacks):
    booking = world.booking_x
    StudentGuardian.objects.filter(student=world.student_x).delete()
    with time_machine.travel(world.slot_a.starts_at - dt.timedelta(minutes=30), tick=False):
        services.reminders_send()
    assert not Notification.objects.filter(kind="booking_reminder").exists()
    assert booking.pk


def test_a_waiting_place_gets_no_confirmation_and_a_move_never_swaps_a_seat_for_one(world):
    group = _group(world, capacity=1)
    services.booking_create(slot=group, student=world.student_w, channel="phone")
    waiting = services.booking_create(slot=group, student=world.student_x, channel="parent",
                                      contact=world.guardian_x)  # fmt: skip
    assert waiting.status == "waiting"
    assert not Notification.objects.filter(kind="booking_confirmed", guardian=world.guardian_x).exists()
    booking = world.booking_x  # X's seat in slot A
    full = _group(world, capacity=1, hours=60)
    services.booking_create(slot=full, student=world.student_w, channel="phone")
    with pytest.raises(services.Refused) as refused:
        services.booking_move(booking=booking, to_slot=full, by=None)
    assert refused.value.code == "taken" and Booking.objects.get(pk=booking.pk).status == "booked"
    assert Booking.objects.filter(student=world.student_x, status="booked").exists()


def test_a_closure_cancels_its_slots_and_tells_the_families(world, login, django_capture_on_commit_callbacks):
    booking = world.booking_x
    date = timezone.localtime(world.slot_a.starts_at).date()
    with django_capture_on_commit_callbacks(execute=True):
        login(world.users["counselor_a"]).post(reverse("counseling:setup"), {
            "form": "closure", "closure-date": date.isoformat(), "closure-reason": "运动会",
        })  # fmt: skip
    assert Closure.objects.filter(date=date).exists()
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert Slot.objects.get(pk=world.slot_a.pk).cancelled
    assert Notification.objects.filter(kind="booking_cancelled_by_school", guardian=world.guardian_x).count() == 1
    with time_machine.travel(world.slot_a.starts_at - dt.timedelta(minutes=30), tick=False):
        assert services.reminders_send() == {"day": 0, "hour": 0}


def test_a_risk_alert_reaches_current_counselors_when_the_timetabled_one_has_left(
    world, client, django_capture_on_commit_callbacks
):
    former = factories.UserFactory(username="former")
    membership = factories.MembershipFactory(user=former, role="counselor", school=world.school_a)
    now = timezone.localtime()
    period = Period.objects.create(school=world.school_a, number=9, starts=dt.time(0, 0), ends=dt.time(23, 59))
    Opening.objects.create(school=world.school_a, weekday=now.weekday(), period=period, room=world.slot_a.room,
                           counselor=former)  # fmt: skip
    Membership.objects.filter(pk=membership.pk).update(active=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(world.mailbox_a_path, {"body": "我想自杀"})
    assert MailboxMessage.objects.get().risk
    alerted = set(InboxMessage.objects.filter(delivery__notification__kind="mailbox_risk_alert").values_list(
        "user__username", flat=True))  # fmt: skip
    assert alerted == {"counselor_a"}


def test_a_cancelled_place_does_not_hide_the_slot_and_the_window_holds(world, login):
    group = _group(world, capacity=5)
    parent_x = world.users["parent_x"]
    mine = services.booking_create(slot=group, student=world.student_x, channel="parent", made_by=parent_x,
                                   contact=world.guardian_x)  # fmt: skip
    services.booking_cancel(booking=mine, by=None)
    services.booking_create(slot=group, student=world.student_w, channel="phone")
    parent = login(world.users["parent_x"])
    day = timezone.localdate(group.starts_at).isoformat()
    assert (
        f'value="{group.pk}"'
        in parent.get(reverse("counseling:parent_book", args=[world.student_x.pk]), {"day": day}).content.decode()
    )
    far = _group(world, capacity=5, hours=24 * 40)  # beyond the 14 days a school lets families book ahead
    parent.post(reverse("counseling:parent_book_confirm", args=[world.student_x.pk]), {"slot": far.pk})
    assert not Booking.objects.filter(slot=far).exists()


def test_bad_input_never_crashes(world, login):
    counselor = login(world.users["counselor_a"])
    for week in ("9999-12-31", "0001-01-01", "x"):
        assert counselor.get(reverse("counseling:schedule"), {"week": week}).status_code == 200
    assert (
        counselor.post(reverse("counseling:record_share", args=[world.record_x.pk]), {"user": "x"}).status_code == 302
    )
    booking = world.booking_x
    with time_machine.travel(world.slot_a.ends_at, tick=False):
        form = {"held_on": world.slot_a.starts_at.date().isoformat(), "attendance": "attended",
                "session_type": "individual"}  # fmt: skip
        counselor = login(world.users["counselor_a"])
        assert counselor.post(reverse("counseling:record_new", args=[booking.pk]), form).status_code == 302
        assert counselor.post(reverse("counseling:record_new", args=[booking.pk]), form).status_code == 302
    assert booking.record is not None
