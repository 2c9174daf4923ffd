"""Reads of counseling. Every one starts from portal.access."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from counseling import sql
from counseling.models import (
    ACTIVE,
    OPEN_PERIODS_PER_WEEK,
    ROOM_MIN_M2,
    Booking,
    MailboxMessage,
    Opening,
    Room,
    Slot,
)
from portal import access
from portal.access import AnyUser
from portal.models import Guardian, School, Student


def staff_school(user: AnyUser) -> School | None:
    """The school whose counseling a leader or counselor runs (the first, for the rare person in two)."""
    ids = access.roles_of(user).staff_school_ids
    return School.objects.filter(pk__in=ids).order_by("name").first() if ids else None


def week_schedule(school: School, monday: dt.date) -> list[Slot]:
    """The week's slots with their active bookings and students: three queries whatever the size."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(monday, dt.time.min, tzinfo=tz)
    return list(
        Slot.objects.filter(school=school, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=7))
        .select_related("room", "counselor")
        .prefetch_related(
            Prefetch(
                "bookings",
                queryset=Booking.objects.filter(status__in=[*ACTIVE, "attended", "no_show"])
                .select_related("student__classroom")
                .order_by("created_at"),
                to_attr="shown",
            )
        )  # fmt: skip
        .order_by("starts_at", "room__name")
    )


def first_day_with_slots(school: School, today: dt.date) -> dt.date | None:
    """The first day from `today` with a bookable time at the school (the week view opens on its week)."""
    start = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    first = (
        Slot.objects.filter(school=school, cancelled=False, starts_at__gte=start)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return timezone.localdate(first) if first else None


def bookings_for(user: AnyUser, *, to_change: bool = False, as_parent: bool = False) -> QuerySet[Booking]:
    """The bookings a user sees, or (`to_change`) may cancel and move; `as_parent`: their children's only."""
    return access.scope_bookings(Booking.objects.all(), user, to_change=to_change, as_parent=as_parent).select_related(
        "slot__room", "slot__school", "slot__counselor", "student"
    )


def parent_children(user: AnyUser) -> QuerySet[Student]:
    """The children a parent may book for: their own (through access, like every student list)."""
    if not access.roles_of(user).is_parent:
        return Student.objects.none()
    return (
        access.scope_students(Student.objects.filter(status="active"), user)
        .filter(guardian_links__guardian__user_id=user.pk or 0)
        .select_related("school", "classroom")
        .distinct()
    )


def parent_contact(user: AnyUser, student: Student) -> Guardian | None:
    """The parent's own guardian record for this student: a booking they make names it as its contact."""
    return Guardian.objects.filter(user_id=user.pk or 0, student_links__student=student).order_by("pk").first()


@dataclass
class ParentBooking:
    child: Student
    contact: Guardian  # the parent's own guardian record for the child
    slot: Slot | None  # None: not bookable (gone, cancelled, started, beyond the window, another school's)


def parent_booking(user: AnyUser, student_pk: int, slot_pk: int) -> ParentBooking | None:
    """What a parent's booking needs, or None when the child is not theirs (as parent_children), in one
    statement (counseling.sql.parent_booking)."""
    if not user.is_authenticated or not user.is_active:
        return None
    found = sql.parent_booking(user.pk, student_pk, slot_pk, timezone.now())
    if found is None:
        return None
    child, contact, slot = found
    contact.user = user  # type: ignore[assignment]  # found by this user's id
    return ParentBooking(child, contact, slot)


@dataclass
class RoomStandard:
    room: Room
    meets_area: bool


@dataclass
class SchoolStandard:
    """What a school has against the standard: a room of at least 18 m² and 10 periods open a week."""

    rooms: list[RoomStandard]
    open_periods: int

    @property
    def meets(self) -> bool:
        return any(r.meets_area for r in self.rooms) and self.open_periods >= OPEN_PERIODS_PER_WEEK


def school_standard(school: School) -> SchoolStandard:
    rooms = [RoomStandard(r, r.area_m2 >= ROOM_MIN_M2) for r in Room.objects.filter(school=school, active=True)]
    # Periods open a week: distinct (weekday, period) with a counselor on duty in some room.
    open_periods = (
        Opening.objects.filter(school=school, room__active=True).values("weekday", "period").distinct().count()
    )
    return SchoolStandard(rooms, open_periods)


def mailbox_for(user: AnyUser) -> QuerySet[MailboxMessage]:
    """A school's mailbox: its counselors and leaders. Risky messages first, then the newest."""
    return MailboxMessage.objects.filter(school_id__in=access.roles_of(user).staff_school_ids).order_by(
        "status", "-risk", "-received_at"
    )


def mailbox_counts(user: AnyUser) -> dict[str, int]:
    return mailbox_for(user).aggregate(
        new=Count("id", filter=Q(status="new")), risk=Count("id", filter=Q(status="new", risk=True))
    )


def mailbox_path(school: School) -> str:
    """Where a school's confide mailbox is written to (posters, the demo, QR codes): by district and code."""
    return reverse("counseling:mailbox_write", args=[school.district.code, school.code])
