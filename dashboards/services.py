"""Refreshing the rollups: set-based queries over a whole district at once, run by the workers."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import defaultdict
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from counseling.models import OPEN_PERIODS_PER_WEEK, ROOM_MIN_M2, Booking, Opening, Room
from crisis.models import Case, Drill, GuardianNotice, Incident, Status
from crisis.selectors import follow_up_rows
from dashboards.models import GROUPS, SchoolRollup, ScreeningCell
from dashboards.selectors import current_of
from portal.models import Classroom, District, Membership, Role, School, SchoolYear, Student, Term
from screening.models import Campaign, Consent, Participation
from training.models import Enrolment, EnrolmentStatus
from training.selectors import counselor_counts, curriculum

FLAGS = GROUPS[1:]
AWAITING = ("awaiting_general", "awaiting_severe", "awaiting_major", "awaiting_overdue")


def current_year(district_id: int, today: dt.date | None = None) -> SchoolYear | None:
    today = today or timezone.localdate()
    return current_of(list(SchoolYear.objects.filter(district_id=district_id, start__lte=today)), today)


def refresh(district: District, year: SchoolYear | None = None) -> int:
    """Recompute every school's figures for the school year (the current one unless told). Returns the number
    of schools refreshed. Idempotent: rows are upserted."""
    year = year or current_year(district.pk)
    if year is None:
        return 0
    schools = list(School.objects.filter(district=district))
    ids = [s.pk for s in schools]
    figures: dict[int, dict[str, Any]] = {pk: {} for pk in ids}
    now = timezone.now()
    today = timezone.localdate()
    start = dt.datetime.combine(year.start, dt.time.min, tzinfo=timezone.get_current_timezone())
    end = dt.datetime.combine(year.end, dt.time.max, tzinfo=timezone.get_current_timezone())

    for row in Student.objects.filter(school_id__in=ids, status="active").values("school_id").annotate(n=Count("id")):
        figures[row["school_id"]]["students"] = row["n"]

    # Crisis: open assessed cases, overdue follow-ups, guardian notices, incidents, drills this term.
    for row in (
        Case.objects.filter(student__school_id__in=ids).exclude(status__in=[Status.CLOSED, Status.PENDING])
        .values("student__school_id")
        .annotate(severe=Count("id", filter=Q(confirmed_tier=2)), major=Count("id", filter=Q(confirmed_tier=3)))
    ):  # fmt: skip
        figures[row["student__school_id"]].update(open_severe=row["severe"], open_major=row["major"])
    for row in (
        Case.objects.filter(student__school_id__in=ids, status=Status.PENDING).values("student__school_id")
        .annotate(
            awaiting_general=Count("id", filter=Q(suggested_tier__lte=1)),
            awaiting_severe=Count("id", filter=Q(suggested_tier=2)),
            awaiting_major=Count("id", filter=Q(suggested_tier=3)),
            awaiting_overdue=Count("id", filter=Q(assess_by__lte=now, on_call_ack_at__isnull=True)),
            awaiting_since=Min("opened_at"),
        )
    ):  # fmt: skip
        figures[row.pop("student__school_id")].update(row)
    overdue: dict[int, int] = defaultdict(int)
    for follow_up in follow_up_rows(Case.objects.filter(student__school_id__in=ids)):
        if follow_up.overdue_days:
            overdue[follow_up.case.student.school_id] += 1
    ack_hours: dict[int, list[float]] = defaultdict(list)
    notices: dict[int, int] = defaultdict(int)
    for school_id, sent, acked in GuardianNotice.objects.filter(
        case__student__school_id__in=ids, guardian__isnull=False, sent_at__range=(start, end)
    ).values_list("case__student__school_id", "sent_at", "acknowledged_at"):
        notices[school_id] += 1
        if acked:
            ack_hours[school_id].append((acked - sent).total_seconds() / 3600)
    incidents = dict(
        Incident.objects.filter(case__student__school_id__in=ids, reported_at__range=(start, end))
        .values("case__student__school_id").annotate(n=Count("id")).values_list("case__student__school_id", "n")
    )  # fmt: skip
    term = Term.objects.filter(school_year=year, start__lte=today).order_by("-start").first()
    last_drill = dict(Drill.objects.filter(school_id__in=ids).values("school_id").annotate(d=Max("held_on"))
                      .values_list("school_id", "d"))  # fmt: skip

    # Counseling: the room standard, periods open a week, bookings and no-shows over the last four weeks.
    big_rooms = set(Room.objects.filter(school_id__in=ids, active=True, area_m2__gte=ROOM_MIN_M2).values_list(
        "school_id", flat=True))  # fmt: skip
    periods: dict[int, int] = defaultdict(int)
    for school_id, _weekday, _period in (
        Opening.objects.filter(school_id__in=ids, room__active=True).values_list("school_id", "weekday", "period")
        .distinct()
    ):  # fmt: skip
        periods[school_id] += 1
    booked = {
        row["slot__school_id"]: row
        for row in Booking.objects.filter(
            slot__school_id__in=ids, slot__starts_at__range=(now - dt.timedelta(days=28), now)
        )
        .values("slot__school_id")
        .annotate(
            n=Count("id", filter=Q(status__in=["booked", "attended", "no_show"])),
            no_show=Count("id", filter=Q(status="no_show")),
        )  # fmt: skip
    }

    waits: dict[int, list[float]] = defaultdict(list)
    for school_id, created, starts in (
        Booking.objects.filter(slot__school_id__in=ids, slot__starts_at__range=(now - dt.timedelta(days=28), now))
        .exclude(status__in=["cancelled", "moved"])
        .values_list("slot__school_id", "created_at", "slot__starts_at")
    ):
        waits[school_id].append(max((starts - created).total_seconds(), 0) / 86400)

    # Staffing, training, curriculum.
    staff = counselor_counts(ids)
    # Training person-times: each mental-health teacher counts at one school (their first), so the district's
    # sum is not doubled by someone who works at two.
    home: dict[int, int] = {}
    for user_id, school_id in (
        Membership.objects.active().filter(role=Role.COUNSELOR, school_id__in=ids).order_by("school_id")
        .values_list("user_id", "school_id")
    ):  # fmt: skip
        home.setdefault(user_id, school_id)
    person_times: dict[int, int] = defaultdict(int)
    for user_id in Enrolment.objects.filter(status=EnrolmentStatus.ATTENDED, session__starts_at__range=(start, end),
                                            user_id__in=list(home)).values_list("user_id", flat=True):  # fmt: skip
        person_times[home[user_id]] += 1
    class_rows = curriculum(Classroom.objects.filter(school_id__in=ids), term, today) if term else []
    classes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in class_rows:
        classes[row.classroom.school_id][0] += 1
        classes[row.classroom.school_id][1] += row.meets

    rollups = []
    for pk in ids:
        f = figures[pk]
        hours = ack_hours.get(pk, [])
        rollups.append(SchoolRollup(
            school_id=pk, school_year=year, refreshed_at=now, students=f.get("students", 0),
            open_severe=f.get("open_severe", 0), open_major=f.get("open_major", 0), overdue_follow_ups=overdue[pk],
            **{key: f.get(key, 0) for key in AWAITING}, awaiting_since=f.get("awaiting_since"),
            notices=notices[pk], notices_acknowledged=len(hours),
            ack_hours_median=round(statistics.median(hours), 1) if hours else None, incidents=incidents.get(pk, 0),
            drilled_this_term=bool(term and last_drill.get(pk) and last_drill[pk] >= term.start),
            rooms_meet_standard=pk in big_rooms and periods[pk] >= OPEN_PERIODS_PER_WEEK, open_periods=periods[pk],
            bookings=booked.get(pk, {}).get("n", 0), no_shows=booked.get(pk, {}).get("no_show", 0),
            wait_days_median=round(statistics.median(waits[pk]), 1) if waits.get(pk) else None,
            full_time=staff.get(pk, {}).get("full", 0), part_time=staff.get(pk, {}).get("part", 0),
            person_times=person_times.get(pk, 0), classes=classes[pk][0], classes_meeting_standard=classes[pk][1],
        ))  # fmt: skip
    cells = _screening_cells(district, year, ids)
    fields = [f.name for f in SchoolRollup._meta.fields if f.name not in ("id", "school", "school_year")]
    with transaction.atomic():
        SchoolRollup.objects.bulk_create(rollups, update_conflicts=True, unique_fields=["school", "school_year"],
                                         update_fields=fields)  # fmt: skip
        ScreeningCell.objects.filter(school_year=year, school_id__in=ids).delete()
        ScreeningCell.objects.bulk_create(cells, batch_size=1000)
    new_generation()
    return len(rollups)


GENERATION_KEY = "dashboards:generation"


def generation() -> int:
    """Which refresh the rollups come from: rendered dashboards are cached under it, so a refresh (every ten
    minutes) retires them all at once, and a flushed cache starts a new one."""
    return int(cache.get_or_set(GENERATION_KEY, time.time_ns(), timeout=None) or 0)


def new_generation() -> None:
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def _screening_cells(district: District, year: SchoolYear, ids: list[int]) -> list[ScreeningCell]:
    """The year's current campaign (the newest), per school, grade and focus group. One grouped query."""
    campaign = Campaign.objects.filter(district=district, school_year=year).exclude(status="draft").order_by(
        "-opens_on", "-id"
    ).first()  # fmt: skip
    if campaign is None:
        return []
    counts: dict[tuple[int, int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        Participation.objects.filter(campaign=campaign, student__school_id__in=ids)
        .values("student__school_id", "student__classroom__grade", *[f"student__{flag}" for flag in FLAGS])
        .annotate(
            invited=Count("id"),
            consented=Count("id", filter=Q(consent__in=[Consent.GRANTED, Consent.NOT_NEEDED])),
            completed=Count("id", filter=Q(completed_at__isnull=False)),
            **{f"tier{t}": Count("id", filter=Q(completed_at__isnull=False, suggested_tier=t)) for t in range(4)},
        )
    )
    for row in rows:
        groups = ["all"] + [flag for flag in FLAGS if row[f"student__{flag}"]]
        for group in groups:
            cell = counts[(row["student__school_id"], row["student__classroom__grade"], group)]
            for key in ("invited", "consented", "completed", "tier0", "tier1", "tier2", "tier3"):
                cell[key] += row[key]
    return [
        ScreeningCell(school_id=school_id, school_year=year, grade=grade, group=group, **values)
        for (school_id, grade, group), values in counts.items()
    ]


def refresh_all() -> int:
    return sum(refresh(district) for district in District.objects.all())
