"""counseling.sql.take_seat: a free seat is taken and the booking written in one statement, or nothing is."""

import datetime as dt

import pytest
from django.utils import timezone

from counseling import sql
from counseling.models import Booking, Channel, Room, Slot


@pytest.fixture
def slot(world):
    room = Room.objects.create(school=world.school_a, name="1号咨询室", area_m2=20)
    starts = timezone.now() + dt.timedelta(days=1)
    return Slot.objects.create(
        school=world.school_a, room=room, counselor=world.users["counselor_a"], kind="group", capacity=2,
        starts_at=starts, ends_at=starts + dt.timedelta(minutes=45),
    )  # fmt: skip


def _booking(world, slot, student=None) -> Booking:
    return Booking(slot=slot, student=student or world.student_x, made_by=world.users["parent_x"],
                   channel=Channel.PARENT, contact=world.guardian_x, reason="mood")  # fmt: skip


def test_seats_are_taken_until_the_slot_is_full(world, slot):
    first, second, third = (_booking(world, slot, s) for s in (world.student_x, world.student_w, world.student_y))
    assert sql.take_seat(first, timezone.now()) and sql.take_seat(second, timezone.now())
    assert not sql.take_seat(third, timezone.now())
    assert third.pk is None
    slot.refresh_from_db()
    assert slot.booked == 2
    stored = Booking.objects.get(pk=first.pk)
    assert (stored.slot_id, stored.student_id, stored.contact_id, stored.channel, stored.reason, stored.status) == (
        slot.pk,
        world.student_x.pk,
        world.guardian_x.pk,
        "parent",
        "mood",
        "booked",
    )
    assert not first._state.adding and stored.changed_at is None and stored.moved_to_id is None


@pytest.mark.parametrize("why", ["cancelled", "started"])
def test_no_seat_in_a_cancelled_or_started_slot(world, slot, why):
    now = timezone.now()
    if why == "cancelled":
        Slot.objects.filter(pk=slot.pk).update(cancelled=True)
    else:
        now = slot.starts_at
    assert not sql.take_seat(_booking(world, slot), now)
    assert Slot.objects.get(pk=slot.pk).booked == 0 and not Booking.objects.filter(slot=slot).exists()
