"""The first-contact timer: a new case is assessed in time, or someone above hears that it was not.

The district's policy (FirstContactPolicy; DEFAULT_FIRST_CONTACT otherwise) sets, by suggested tier, within how
long a counselor must assess a new case (confirm or change its tier: crisis.services.case_confirm_tier). The
deadline is stamped on the case when it is raised (and brought forward if the suggestion rises while it waits):
in clock hours, day and night, or in school days from the school's calendar (counseling.schooldays). Unassessed at
the deadline, the school's leaders are told; at twice the time, the district's officials and its crisis team.
Each step once per deadline, claimed by a conditional UPDATE, whatever runs twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from counseling.schooldays import Calendar, calendar
from crisis import alerts
from crisis.models import DEFAULT_FIRST_CONTACT, Case, FirstContactPolicy, Responder, ResponderKind, Status, TimeUnit
from portal import audit, notifications
from portal.models import School, User


def policy(district_id: int) -> dict[int, tuple[int, str]]:
    """The district's first-contact times by tier: (within, unit)."""
    own = FirstContactPolicy.objects.filter(district_id=district_id).values_list("tier", "within", "unit")
    return {**DEFAULT_FIRST_CONTACT, **{tier: (within, unit) for tier, within, unit in own}}


def deadlines(
    *, school: School, tier: int, since: dt.datetime, rules: dict[int, tuple[int, str]] | None = None,
    days: Calendar | None = None,
) -> tuple[dt.datetime, dt.datetime]:  # fmt: skip
    """When a case of this tier raised at `since` must be assessed, and when the district hears it was not."""
    within, unit = (rules or policy(school.district_id))[tier]
    if unit == TimeUnit.HOURS:
        return since + dt.timedelta(hours=within), since + dt.timedelta(hours=2 * within)
    days = days or calendar(school, start=timezone.localtime(since).date())
    return days.school_days_after(since, within), days.school_days_after(since, 2 * within)


FIELDS = ["assess_by", "escalate_at", "assess_escalation"]  # what stamp() sets


def stamp(cases: list[Case], *, since: dt.datetime) -> None:
    """Set the deadlines of pending cases raised now: new ones, and waiting ones whose suggestion rose to a tier
    whose clock would reach the district sooner than the one running (the new deadlines replace the old, and the
    escalation restarts: the leaders hear again if the new deadline passes). Queries: the schools, and per
    district and school its policy and calendar (only where a deadline counts school days)."""
    rules: dict[int, dict[int, tuple[int, str]]] = {}
    days: dict[int, Calendar] = {}
    pending = [case for case in cases if case.status == Status.PENDING]
    schools = School.objects.in_bulk({case.student.school_id for case in pending})
    for case in pending:
        school = schools[case.student.school_id]
        if school.district_id not in rules:
            rules[school.district_id] = policy(school.district_id)
        within, unit = rules[school.district_id][case.suggested_tier]
        if unit == TimeUnit.SCHOOL_DAYS and school.pk not in days:
            days[school.pk] = calendar(school, start=timezone.localtime(since).date())
        due, late = deadlines(school=school, tier=case.suggested_tier, since=since, rules=rules[school.district_id],
                              days=days.get(school.pk))  # fmt: skip
        if case.escalate_at is None or late < case.escalate_at:  # a rise to a tier with a shorter time
            case.assess_by, case.escalate_at, case.assess_escalation = due, late, 0


@dataclass
class Waiting:
    case: Case
    overdue: bool


def awaiting(cases: QuerySet[Case]) -> list[Waiting]:
    """Pending cases of a queryset, the soonest deadline first (overdue ones at the top)."""
    now = timezone.now()
    pending = cases.filter(status=Status.PENDING).order_by("assess_by", "-suggested_tier", "opened_at")
    return [Waiting(case, case.assess_by is not None and case.assess_by <= now) for case in pending]


@dataclass
class Tally:
    tier: int
    count: int
    overdue: int
    oldest: dt.datetime


def tally(waiting: list[Waiting]) -> list[Tally]:
    """The waiting cases counted by suggested tier, the highest first, with how many are overdue and the oldest."""
    by_tier: dict[int, Tally] = {}
    for w in waiting:
        t = by_tier.setdefault(w.case.suggested_tier, Tally(w.case.suggested_tier, 0, 0, w.case.opened_at))
        t.count, t.overdue, t.oldest = t.count + 1, t.overdue + w.overdue, min(t.oldest, w.case.opened_at)
    return sorted(by_tier.values(), key=lambda t: -t.tier)


def first_contact_due() -> dict[str, int]:
    """Tell whoever the timer names about pending cases past their deadlines. Safe to run twice."""
    now = timezone.now()
    done = {"leaders": 0, "district": 0}
    # Taken on by the person on call after hours: the timer stops (the counselor assesses on the next school day).
    pending = Case.objects.filter(status=Status.PENDING, on_call_ack_at__isnull=True).select_related(
        "student__school__district"
    )
    for case in pending.filter(assess_escalation=0, assess_by__lte=now):
        with transaction.atomic():
            if not Case.objects.filter(pk=case.pk, status=Status.PENDING, assess_escalation=0, on_call_ack_at=None,
                                       assess_by=case.assess_by).update(assess_escalation=1):  # fmt: skip
                continue
            _tell(case, kind="first_contact_overdue", users=alerts.leaders(case.student.school_id), name=True)
            audit.append(audit.entries_for(Case, [case.pk], verb="first_contact_overdue", detail={"step": 1}))
            done["leaders"] += 1
    for case in pending.filter(assess_escalation=1, escalate_at__lte=now):
        with transaction.atomic():
            if not Case.objects.filter(pk=case.pk, status=Status.PENDING, assess_escalation=1, on_call_ack_at=None,
                                       escalate_at=case.escalate_at).update(assess_escalation=2):  # fmt: skip
                continue
            # District officials see a student's name only through an incident: this names the school alone.
            _tell(case, kind="first_contact_overdue_district", users=_district(case), name=False)
            audit.append(audit.entries_for(Case, [case.pk], verb="first_contact_overdue", detail={"step": 2}))
            done["district"] += 1
    return done


def _district(case: Case) -> list[User]:
    """The district's officials and its crisis team (the expert pool is assigned by them, not paged)."""
    district_id = case.student.school.district_id
    team = Responder.objects.filter(
        kind=ResponderKind.TEAM, membership__active=True, membership__district_id=district_id
    ).values("membership__user")
    on_team = list(User.objects.filter(is_active=True, pk__in=team).order_by("pk"))
    return list({u.pk: u for u in [*alerts.officials(district_id), *on_team]}.values())


def _tell(case: Case, *, kind: str, users: list[User], name: bool) -> None:
    local = timezone.localtime(case.assess_by) if case.assess_by else None
    path = reverse("crisis:case", args=[case.pk]) if name else reverse("dashboards:dashboard")
    due = f"{local:%Y-%m-%d %H:%M}" if local else ""
    context = {"school": case.student.school.name, "tier": case.suggested_tier, "case_path": path, "due": due,
               "student": case.student.name if name else ""}  # fmt: skip
    for user in users:
        notifications.notification_send(
            kind=kind, user=user, via=["inbox", "email", "sms"], context=context,
            dedupe_key=f"first_contact:{case.pk}:{kind}:{case.assess_by:%Y%m%d%H%M}:{user.pk}",
        )  # fmt: skip
