"""Reads of training and staffing: the figures the bureau publishes, computed from the records."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from portal.models import Classroom, District, Membership, Role, School, Term
from portal.models.staff import Employment
from training.models import Enrolment, EnrolmentStatus, LessonKind, LessonLog


@dataclass
class SchoolStaffing:
    school: School
    full_time: int
    part_time: int

    @property
    def lacks_full_time(self) -> bool:
        return self.full_time == 0


@dataclass
class Staffing:
    rows: list[SchoolStaffing]

    @property
    def full_time(self) -> int:
        return sum(r.full_time for r in self.rows)

    @property
    def total(self) -> int:
        return sum(r.full_time + r.part_time for r in self.rows)

    @property
    def full_time_percent(self) -> int:
        return round(100 * self.full_time / self.total) if self.total else 0

    @property
    def schools_without_full_time(self) -> list[School]:
        return [r.school for r in self.rows if r.lacks_full_time]


def counselor_counts(schools: QuerySet[School] | Iterable[int]) -> dict[int, dict[str, int]]:
    """Active mental-health teachers (counselors) per school id, {"full": n, "part": n}: one query."""
    return {
        row["school_id"]: row
        for row in Membership.objects.active()
        .filter(role=Role.COUNSELOR, school__in=schools, user__is_active=True)
        .values("school_id")
        .annotate(
            full=Count("id", filter=Q(employment=Employment.FULL_TIME)),
            part=Count("id", filter=Q(employment=Employment.PART_TIME)),
        )  # fmt: skip
    }


def staffing(schools: QuerySet[School]) -> Staffing:
    """Mental-health teachers (counselors) per school, full-time vs part-time: two queries."""
    counts = counselor_counts(schools)
    return Staffing([
        SchoolStaffing(s, counts.get(s.pk, {}).get("full", 0), counts.get(s.pk, {}).get("part", 0))
        for s in schools.order_by("name")
    ])  # fmt: skip


@dataclass
class YearFigures:
    year: int
    person_times: int  # attendances at training sessions (人次)
    counselors: int
    counselors_trained: int

    @property
    def trained_percent(self) -> int:
        return round(100 * self.counselors_trained / self.counselors) if self.counselors else 0


def year_figures(district: District, year: int) -> YearFigures:
    attended = Enrolment.objects.filter(
        status=EnrolmentStatus.ATTENDED, session__programme__district=district, session__starts_at__year=year
    )
    counselors = Membership.objects.active().filter(
        role=Role.COUNSELOR, school__district=district, user__is_active=True
    )
    trained = counselors.filter(user_id__in=attended.values("user_id")).values("user_id").distinct().count()
    return YearFigures(year, attended.count(), counselors.values("user_id").distinct().count(), trained)


def hours_of(user_id: int) -> list[dict[str, object]]:
    """A teacher's credited hours by year and kind of training (with the kind's translated label)."""
    from training.models import ProgrammeKind

    rows = list(
        Enrolment.objects.filter(user_id=user_id, status=EnrolmentStatus.ATTENDED)
        .values("session__starts_at__year", "session__programme__kind")
        .annotate(hours=Sum("hours_credited"), sessions=Count("id"))
        .order_by("-session__starts_at__year", "session__programme__kind")
    )
    for row in rows:
        row["kind_label"] = ProgrammeKind(row["session__programme__kind"]).label
    return rows


@dataclass
class ClassCurriculum:
    classroom: Classroom
    lessons: int
    lessons_due: int
    meetings: int
    meeting_due: bool = False  # the class meeting is due by the end of the term

    @property
    def lesson_gap(self) -> int:
        return max(self.lessons_due - self.lessons, 0)

    @property
    def meets(self) -> bool:
        return self.lesson_gap == 0 and (self.meetings >= 1 or not self.meeting_due)


def current_term(district_id: int, today: dt.date | None = None) -> Term | None:
    today = today or timezone.localdate()
    return Term.objects.filter(school_year__district_id=district_id, start__lte=today, end__gte=today).first()


def curriculum(classes: QuerySet[Classroom], term: Term, today: dt.date | None = None) -> list[ClassCurriculum]:
    """Each class against the standard this term so far: a lesson every two weeks (counting the weeks begun),
    and a themed class meeting by the end of the term. Two queries."""
    today = min(today or timezone.localdate(), term.end)
    # Weeks begun, capped by the term's teaching weeks (holidays such as National Day week do not count).
    weeks = min(max(math.ceil(((today - term.start).days + 1) / 7), 0), term.teaching_weeks)
    due = math.ceil(weeks / 2)
    meeting_due = today >= term.end
    logged = {
        row["classroom_id"]: row
        for row in LessonLog.objects.filter(classroom__in=classes, held_on__gte=term.start, held_on__lte=today)
        .values("classroom_id")
        .annotate(
            lessons=Count("id", filter=Q(kind=LessonKind.LESSON)),
            meetings=Count("id", filter=Q(kind=LessonKind.CLASS_MEETING)),
        )  # fmt: skip
    }
    return [
        ClassCurriculum(
            c, logged.get(c.pk, {}).get("lessons", 0), due, logged.get(c.pk, {}).get("meetings", 0), meeting_due
        )  # fmt: skip
        for c in classes.select_related("school").order_by("school__name", "grade", "name")
    ]


def total_hours(user_id: int) -> Decimal:
    return Enrolment.objects.filter(user_id=user_id, status=EnrolmentStatus.ATTENDED).aggregate(
        h=Sum("hours_credited")
    )["h"] or Decimal(0)


@dataclass
class TeacherHours:
    name: str
    school: str
    by_kind: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.by_kind.values(), Decimal(0))


def hours_report(district: District, year: int) -> list[TeacherHours]:
    """Each attendee's credited hours in the district's training of the year, by kind. Two queries."""
    from portal.models import User

    rows = (
        Enrolment.objects.filter(
            status=EnrolmentStatus.ATTENDED, session__programme__district=district, session__starts_at__year=year
        )  # fmt: skip
        .values("user_id", "session__programme__kind")
        .annotate(hours=Sum("hours_credited"))
    )
    by_user: dict[int, dict[str, Decimal]] = {}
    for row in rows:
        by_user.setdefault(row["user_id"], {})[row["session__programme__kind"]] = row["hours"] or Decimal(0)
    users = User.objects.filter(pk__in=by_user).prefetch_related("memberships__school")
    report = []
    for user in users:
        schools = ", ".join(sorted({m.school.name for m in user.memberships.all() if m.school and m.active}))
        report.append(TeacherHours(user.get_full_name() or user.get_username(), schools, by_user[user.pk]))
    return sorted(report, key=lambda r: (r.school, r.name))
