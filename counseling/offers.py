"""What a parent is offered on the way to a booking, as in the tools they know (cal.com, Calendly): the days with a
free time, then that day's times; never a time that cannot be taken."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from counseling import selectors, services
from counseling.models import ACTIVE, Booking, Slot, SlotKind
from portal import access
from portal.access import AnyUser
from portal.models import Student

ALTERNATIVES = 5  # after a refusal: the next few free times, not the whole fortnight again


@dataclass
class Day:
    date: dt.date
    times: int


def parent_offers(user: AnyUser, child: Student) -> QuerySet[Slot]:
    """The child's school's bookable times that are not full (a group session's waiting list stays open), less
    those the child holds as far as this parent may know. A student's own booking stays confidential: its
    individual slot is full like any other taken one, and its group session is still offered (booking it answers
    "taken", as to anyone), so the list never tells a parent what their child booked alone."""
    held = selectors.bookings_for(user, as_parent=True)
    return services.free_slots(child.school_id, exclude_student=child, hide=held).filter(
        Q(kind=SlotKind.GROUP) | Q(booked__lt=F("capacity"))
    )


def move_offers(user: AnyUser, booking: Booking) -> QuerySet[Slot]:
    """The times a booking may move to, never one that cannot be taken: for a parent, what they would be offered
    for the child (parent_offers); for the school's staff, every free time the student does not hold."""
    school_id = booking.slot.school_id
    if school_id not in access.roles_of(user).staff_school_ids:
        return parent_offers(user, booking.student).exclude(pk=booking.slot_id)
    free = services.free_slots(school_id, exclude_student=booking.student)
    return free.filter(Q(kind=SlotKind.GROUP) | Q(booked__lt=F("capacity"))).exclude(pk=booking.slot_id)


def days(offers: QuerySet[Slot]) -> list[Day]:
    """The school days with at least one free time, in order, with how many (school time)."""
    counts = Counter(timezone.localtime(starts).date() for starts in offers.values_list("starts_at", flat=True))
    return [Day(date, counts[date]) for date in sorted(counts)]


def times_on(offers: QuerySet[Slot], day: dt.date) -> list[Slot]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return list(offers.filter(starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1)))


def alternatives(offers: QuerySet[Slot], instead_of: str) -> list[Slot]:
    """The next free individual times instead of a refused one (`instead_of` from the URL: ignored unless an id)."""
    if not (instead_of.isascii() and instead_of.isdigit() and len(instead_of) < 19):
        return []
    return list(offers.filter(kind=SlotKind.INDIVIDUAL).exclude(pk=instead_of)[:ALTERNATIVES])


def offered_slot(user: AnyUser, child: Student, slot: Slot | None) -> Slot:
    """The slot, if the picker would offer it: gone, full, or already the child's (as far as the parent may know)
    is refused with the code the booking itself would give, before the confirm step shows it."""
    if slot is None:
        raise services.Refused("gone")
    if slot.kind == SlotKind.INDIVIDUAL and slot.booked >= slot.capacity:
        raise services.Refused("taken")
    if selectors.bookings_for(user, as_parent=True).filter(slot=slot, student=child, status__in=ACTIVE).exists():
        raise services.Refused("already")
    return slot


def change_refusal(booking: Booking, user: AnyUser) -> str | None:
    """Why this user may not cancel or move the booking online now (a Refused code), or None when they may."""
    if booking.status not in ACTIVE:
        return "not_active"
    if not selectors.bookings_for(user, to_change=True).filter(pk=booking.pk).exists():
        return "by_school"
    try:
        services.may_change(booking, user)  # type: ignore[arg-type]
    except services.Refused as refused:
        return refused.code
    return None


def parent_bookings(user: AnyUser) -> tuple[list[Booking], list[Booking]]:
    """Every booking of the parent's children (but the students' own): those coming up, soonest first, and the
    last twenty before them (held, missed, cancelled or moved), newest first."""
    mine = selectors.bookings_for(user, as_parent=True)
    now = timezone.now()
    coming = Q(status__in=ACTIVE, slot__starts_at__gt=now)
    upcoming = list(mine.filter(coming).order_by("slot__starts_at"))
    earlier = list(mine.exclude(coming).order_by("-slot__starts_at", "-created_at")[:20])
    return upcoming, earlier
