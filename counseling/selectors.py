"""Reads of counseling. Every one starts from portal.access."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from counseling.models import (
    ACTIVE,
    OPEN_PERIODS_PER_WEEK,
    ROOM_MIN_M2,
    Booking,
    MailboxMessage,
    Opening,
    Room,
    SchoolCounselingSettings,
    Slot,
)
from portal import access
from portal.access import AnyUser
from portal.models import Guardian, School, Student
from portal.prepared import Prepared, columns, instance, split


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


def bookings_for(user: AnyUser) -> QuerySet[Booking]:
    return access.scope_bookings(Booking.objects.all(), user).select_related(
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


# A parent's booking in one statement (B3: 300 parents at once, 264 of them refused, who need nothing more):
# - the child, as parent_children finds it: active, and linked to a guardian record of this user (the link that
#   puts the student in the parent's access scope);
# - that guardian record, as parent_contact finds it (the booking's contact);
# - the slot wanted, if it is bookable (services.bookable: the school's, not cancelled, inside its window).
# tests/counseling/test_parent_reads.py holds all three to the ORM's answers.
_PARENT_BOOKING = Prepared(
    "parent_booking",
    f"SELECT {columns(Student, 's')}, {columns(School, 'sc')}, {columns(Guardian, 'g')}, "  # noqa: S608 - the models' column names
    f"{columns(Slot, 'sl')}, {columns(Room, 'r')} FROM portal_student s "
    "JOIN portal_school sc ON sc.id = s.school_id "
    "JOIN LATERAL (SELECT g.* FROM portal_guardian g JOIN portal_studentguardian sg ON sg.guardian_id = g.id "
    "  WHERE sg.student_id = s.id AND g.user_id = %s::bigint ORDER BY g.id LIMIT 1) g ON true "
    "LEFT JOIN counseling_schoolcounselingsettings st ON st.school_id = s.school_id "
    "LEFT JOIN counseling_slot sl ON sl.id = %s::bigint AND sl.school_id = s.school_id AND NOT sl.cancelled "
    "  AND sl.starts_at > %s::timestamptz "
    "  AND sl.starts_at <= %s::timestamptz + make_interval(days => coalesce(st.book_ahead_days, %s::int)) "
    "LEFT JOIN counseling_room r ON r.id = sl.room_id "
    "WHERE s.id = %s::bigint AND s.status = 'active'",
)


@dataclass
class ParentBooking:
    child: Student
    contact: Guardian  # the parent's own guardian record for the child
    slot: Slot | None  # None: not bookable (gone, cancelled, started, beyond the window, another school's)


def parent_booking(user: AnyUser, student_pk: int, slot_pk: int) -> ParentBooking | None:
    """What a parent's booking needs, or None when the child is not theirs (as parent_children)."""
    if connection.vendor != "postgresql" or not user.is_authenticated or not user.is_active:
        from counseling.services import bookable

        child = parent_children(user).filter(pk=student_pk).first()
        contact = parent_contact(user, child) if child is not None else None
        if child is None or contact is None:
            return None
        return ParentBooking(
            child, contact, bookable(child.school_id).select_related("school").filter(pk=slot_pk).first()
        )
    if not 0 < student_pk < 2**63:  # no such child (and out of bigint's range)
        return None
    slot_pk = slot_pk if 0 < slot_pk < 2**63 else 0  # no such slot: the child is still found, the slot gone
    now = timezone.now()
    default_days = SchoolCounselingSettings._meta.get_field("book_ahead_days").default
    with connection.cursor() as cursor:
        _PARENT_BOOKING.execute(cursor, [user.pk, slot_pk, now, now, default_days, student_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    child_values, school_values, contact_values, slot_values, room_values, _ = split(
        row, Student, School, Guardian, Slot, Room
    )
    child = instance(Student, child_values)
    child.school = instance(School, school_values)
    contact = instance(Guardian, contact_values)
    contact.user = user  # type: ignore[assignment]  # found by this user's id
    if slot_values[0] is None:  # the LEFT JOIN found no bookable slot
        return ParentBooking(child, contact, None)
    slot = instance(Slot, slot_values)
    slot.room = instance(Room, room_values)
    slot.school = child.school
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
