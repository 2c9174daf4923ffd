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
from portal.prepared import Prepared, columns, instance, width


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


# parent_children narrowed to one child, in one prepared statement: a parent's booking (B3) reads it first.
# Its rule is parent_children's: an active student linked to a guardian record of this user (that link is
# also what puts the student in the parent's access scope). tests/counseling hold the two to the same answers.
_PARENT_CHILD = Prepared(
    "parent_child",
    f"SELECT {columns(Student, 's')}, {columns(School, 'sc')} FROM portal_student s "  # noqa: S608 - the model's column names
    "JOIN portal_school sc ON sc.id = s.school_id "
    "WHERE s.id = %s::bigint AND s.status = 'active' AND EXISTS (SELECT 1 FROM portal_studentguardian sg "
    "JOIN portal_guardian g ON g.id = sg.guardian_id WHERE sg.student_id = s.id AND g.user_id = %s::bigint)",
)


# A parent's booking in one statement: the child as parent_child finds it, the parent's own guardian record for
# that child (the booking's contact: the same link that makes the child theirs), and the slot wanted if it is
# bookable (as services.bookable_slot). Refused parents (B3: 264 of 300) need nothing more.
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
    """What a parent's booking needs, or None when the child is not theirs (as parent_child)."""
    if connection.vendor != "postgresql" or not user.is_authenticated or not user.is_active:
        from counseling import services

        child = parent_child(user, student_pk)
        if child is None:
            return None
        contact = Guardian.objects.filter(user_id=user.pk or 0, student_links__student=child).order_by("pk").first()
        if contact is None:
            return None
        return ParentBooking(child, contact, services.bookable_slot(child.school_id, slot_pk))
    if not (0 < student_pk < 2**63 and 0 < slot_pk < 2**63):
        return None
    now = timezone.now()
    default_days = SchoolCounselingSettings._meta.get_field("book_ahead_days").default
    with connection.cursor() as cursor:
        _PARENT_BOOKING.execute(cursor, [user.pk, slot_pk, now, now, default_days, student_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    child = instance(Student, [next(values) for _ in range(width(Student))])
    child.school = instance(School, [next(values) for _ in range(width(School))])
    contact = instance(Guardian, [next(values) for _ in range(width(Guardian))])
    contact.user = user  # type: ignore[assignment]  # found by this user's id
    slot_values = [next(values) for _ in range(width(Slot))]
    room_values = list(values)
    if slot_values[0] is None:
        return ParentBooking(child, contact, None)
    slot = instance(Slot, slot_values)
    slot.room = instance(Room, room_values)
    slot.school = child.school
    return ParentBooking(child, contact, slot)


def parent_child(user: AnyUser, pk: int) -> Student | None:
    """One of the parent's children (with its school), or None: the same answer as parent_children."""
    if connection.vendor != "postgresql" or not user.is_authenticated or not user.is_active:
        return parent_children(user).filter(pk=pk).first()
    if not 0 < pk < 2**63:  # no such id (and out of bigint's range)
        return None
    with connection.cursor() as cursor:
        _PARENT_CHILD.execute(cursor, [pk, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    child = instance(Student, row[: width(Student)])
    child.school = instance(School, row[width(Student) :])
    return child


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
