"""Reads of the crisis ledger. Every one starts from portal.access.scope_clinical."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.utils import timezone

from crisis.models import DEFAULT_FOLLOW_UP_DAYS, Case, Drill, EmergencyPlan, FollowUpPolicy, Incident, Status
from portal import access
from portal.access import AnyUser
from portal.models import School, Term


def cases_for(user: AnyUser) -> QuerySet[Case]:
    return access.scope_clinical(Case.objects.all(), user, student_path="student").select_related(
        "student__school", "student__classroom", "owner"
    )


@dataclass
class Row:
    case: Case
    last_contact: dt.date
    next_due: dt.date
    overdue_days: int


def _follow_up_days(district_ids: set[int]) -> dict[tuple[int, int], int]:
    return {(p.district_id, p.tier): p.every_days for p in FollowUpPolicy.objects.filter(district_id__in=district_ids)}


def high_risk_list(user: AnyUser) -> list[Row]:
    """The school's high-risk list (高危学生名单): open tier 2-3 cases, most overdue first.

    Two queries whatever the length: the cases with their last contact, and the districts' policies.
    """
    return follow_up_rows(cases_for(user))


def follow_up_rows(cases_qs: QuerySet[Case]) -> list[Row]:
    """Open, assessed tier 2-3 cases of a queryset with their last contact and next follow-up due."""
    today = timezone.localdate()
    cases = list(
        cases_qs.filter(confirmed_tier__gte=2)
        .exclude(status__in=[Status.CLOSED, Status.PENDING])
        .select_related("student__school", "student__classroom", "owner")
        .annotate(last_contact=Max("follow_ups__date"))
    )
    policies = _follow_up_days({c.student.school.district_id for c in cases})
    rows = []
    for case in cases:
        if case.confirmed_at is None or case.confirmed_tier is None:  # excluded by the filter above
            continue
        last = max(filter(None, [case.last_contact, timezone.localtime(case.confirmed_at).date()]))
        every = (
            policies.get((case.student.school.district_id, case.confirmed_tier))
            or DEFAULT_FOLLOW_UP_DAYS[case.confirmed_tier]
        )
        due = last + dt.timedelta(days=every)
        rows.append(Row(case, last, due, max((today - due).days, 0)))
    rows.sort(key=lambda r: (-r.overdue_days, -r.case.tier, r.next_due))
    return rows


def pending_list(user: AnyUser) -> QuerySet[Case]:
    """Cases waiting for a counselor's assessment, the highest suggested tier first."""
    return cases_for(user).filter(status=Status.PENDING).order_by("-suggested_tier", "opened_at")


def incidents_for(user: AnyUser) -> QuerySet[Incident]:
    """The district's view: reported incidents and tier-3 cases, newest first, with names."""
    return access.scope_reported(Incident.objects.all(), user, student_path="case__student").select_related(
        "case__student__school", "case__student__classroom", "reported_by", "case"
    )


@dataclass
class Preparedness:
    school: School
    plan: EmergencyPlan | None
    last_drill: dt.date | None
    drilled_this_term: bool


def current_term(district_id: int) -> Term | None:
    today = timezone.localdate()
    return Term.objects.filter(school_year__district_id=district_id, start__lte=today).order_by("-start").first()


def preparedness(user: AnyUser) -> list[Preparedness]:
    """Each visible school's newest emergency plan and last drill, and whether it drilled this term.

    Four queries whatever the number of schools: schools, plans, drills, terms.
    """
    schools = list(access.scope_schools(School.objects.all(), user).order_by("name"))
    ids = [s.pk for s in schools]
    plans: dict[int, EmergencyPlan] = {}
    for plan in EmergencyPlan.objects.filter(school_id__in=ids).order_by("school_id", "-adopted_on", "-id"):
        plans.setdefault(plan.school_id, plan)
    last = dict(Drill.objects.filter(school_id__in=ids).values("school_id").annotate(d=Max("held_on")).values_list(
        "school_id", "d"))  # fmt: skip
    terms = {d: current_term(d) for d in {s.district_id for s in schools}}
    rows = []
    for school in schools:
        term = terms[school.district_id]
        drilled = bool(term and last.get(school.pk) and last[school.pk] >= term.start)
        rows.append(Preparedness(school, plans.get(school.pk), last.get(school.pk), drilled))
    return rows
