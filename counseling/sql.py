"""counseling's hand-written SQL: a parent's booking, read in one statement and written in another.

Hundreds of parents reach for the same few times the moment a counselor's week opens; most are refused and
need nothing more, and the winners should commit while their slot's row is still theirs. Through the ORM the
read was five queries and the write three, each costing more to build and plan than to run (docs/benchmarks.md).
tests/counseling/test_parent_reads.py holds the read to the ORM's answers and tests/counseling/test_take_seat.py
the write to its slot's seats; tests/portal/test_sql_columns.py prepares both statements on the database and holds
their columns to the models.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from counseling.models import Booking, Room, SchoolCounselingSettings, Slot
from portal.models import Guardian, School, Student
from portal.prepared import Prepared, columns, instance, split

# - the child, as selectors.parent_children finds it: active, and linked to a guardian record of this user (the
#   link that puts the student in the parent's access scope);
# - that guardian record, as selectors.parent_contact finds it (the booking's contact);
# - the slot wanted, if it is bookable (services.bookable: the school's, not cancelled, inside its window).
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


def parent_booking(
    user_id: int, student_pk: int, slot_pk: int, now: dt.datetime
) -> tuple[Student, Guardian, Slot | None] | None:
    """The parent's child (with its school), the parent's guardian record for it, and the slot if it is bookable
    at `now` (with its room and school); None when the child is not the parent's. Ids beyond bigint find nothing."""
    if not 0 < student_pk < 2**63:
        return None
    slot_pk = slot_pk if 0 < slot_pk < 2**63 else 0  # no such slot: the child is still found, the slot gone
    default_days = SchoolCounselingSettings._meta.get_field("book_ahead_days").default
    with connection.cursor() as cursor:
        _PARENT_BOOKING.execute(cursor, [user_id, slot_pk, now, now, default_days, student_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    child_values, school_values, contact_values, slot_values, room_values, _ = split(
        row, Student, School, Guardian, Slot, Room
    )
    child = instance(Student, child_values)
    child.school = instance(School, school_values)
    contact = instance(Guardian, contact_values)
    if slot_values[0] is None:  # the LEFT JOIN found no bookable slot
        return child, contact, None
    slot = instance(Slot, slot_values)
    slot.room = instance(Room, room_values)
    slot.school = child.school
    return child, contact, slot


# A free seat taken and the booking written in one statement: the winners of a race commit sooner. No seat (full,
# cancelled, started): nothing is written, and services.booking_create looks closer.
_TAKE_SEAT = Prepared(
    "booking_take_seat",
    "WITH seat AS (UPDATE counseling_slot SET booked = booked + 1 WHERE id = %s::bigint AND NOT cancelled "
    "AND starts_at > %s::timestamptz AND booked < capacity RETURNING id) "
    "INSERT INTO counseling_booking (slot_id, student_id, made_by_id, channel, contact_id, reason, status, "
    "created_at, changed_at, moved_to_id, reminded_day, reminded_hour) "
    "SELECT seat.id, %s::bigint, %s::bigint, %s::varchar, %s::bigint, %s::varchar, %s::varchar, %s::timestamptz, "
    "NULL, NULL, NULL, NULL FROM seat RETURNING id",
)


def take_seat(booking: Booking, now: dt.datetime) -> bool:
    """Take a free seat of the booking's slot and write the booking (its pk set); False when there is none."""
    b = booking
    with connection.cursor() as cursor:
        _TAKE_SEAT.execute(cursor, [b.slot_id, now, b.student_id, b.made_by_id, b.channel, b.contact_id, b.reason,
                                    b.status, b.created_at])  # fmt: skip
        row = cursor.fetchone()
    if row is None:
        return False
    b.pk = row[0]
    b._state.adding = False
    return True
