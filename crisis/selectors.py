"""Reads of the crisis ledger. Every one starts from portal.access.scope_clinical."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis import timers
from crisis.models import (
    DEFAULT_FOLLOW_UP_DAYS,
    Case,
    CaseUserObjectPermission,
    Drill,
    EmergencyPlan,
    FollowUpPolicy,
    Incident,
    QueueAssignment,
    Responder,
    Status,
)
from portal import access
from portal.access import AnyUser
from portal.models import School, Term, User


def cases_for(user: AnyUser) -> QuerySet[Case]:
    return access.scope_clinical(Case.objects.all(), user, student_path="student").select_related(
        "student__school", "student__classroom", "owner"
    )


def cases_readable(user: AnyUser) -> QuerySet[Case]:
    """Cases a user may read and add follow-ups to: the school's staff, and assigned district responders."""
    return access.scope_cases(Case.objects.all(), user).select_related(
        "student__school", "student__classroom", "owner", "confirmed_by"
    )


def awaiting_by_school(school_ids: set[int]) -> dict[int, int]:
    """How many cases await their first assessment at each of these schools (district figures, no names)."""
    rows = Case.objects.filter(student__school_id__in=school_ids, status=Status.PENDING).values("student__school_id")
    return {row["student__school_id"]: row["n"] for row in rows.annotate(n=Count("id"))}


def queues_for(user: User) -> list[tuple[QueueAssignment, list[timers.Waiting]]]:
    """A responder's running queue assignments, each with the school's cases they may assess, soonest due first."""
    assessable = access.scope_assessable(Case.objects.select_related("student__classroom"), user)
    return [
        (assignment, timers.awaiting(assessable.filter(student__school_id=assignment.school_id)))
        for assignment in QueueAssignment.objects.filter(responder__membership__user=user,
                                                         responder__membership__active=True,
                                                         expires_at__gt=timezone.now())
        .select_related("school").order_by("expires_at")
    ]  # fmt: skip


def cases_assessable(user: AnyUser) -> QuerySet[Case]:
    """Cases a user may assess: the school's staff, and responders sent to the school's queue (pending only)."""
    return access.scope_assessable(Case.objects.all(), user).select_related("student__school", "owner")


@dataclass
class Event:
    when: dt.datetime
    what: str
    text: str
    who: str


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def case_timeline(case: Case) -> list[Event]:
    """Everything that happened to a case, newest first: opening, referrals, assessment, follow-ups,
    outside referrals and their outcomes, reports to the district, closing. Five queries."""

    def day(date: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(date, dt.time(12)))  # shown as a date only

    events = [Event(case.opened_at, _("Case opened"), str(case.get_source_display()), "")]
    for referral in case.referrals.select_related("referred_by"):
        what = _("Referral (peer supporter)") if referral.via_peer_supporter else _("Referral")
        events.append(Event(referral.created_at, what, referral.concern, _name(referral.referred_by)))
    if case.confirmed_at:
        events.append(Event(case.confirmed_at, _("Tier confirmed"), str(case.get_confirmed_tier_display()),
                            _name(case.confirmed_by)))  # fmt: skip
    for follow_up in case.follow_ups.select_related("author"):
        text = follow_up.summary + (f"\n{_('Next step')}: {follow_up.next_step}" if follow_up.next_step else "")
        events.append(Event(day(follow_up.date), str(follow_up.get_contact_type_display()), text,
                            _name(follow_up.author)))  # fmt: skip
    for out in case.outside_referrals.select_related("referred_by"):
        events.append(Event(day(out.referred_on), _("Referred to %(place)s") % {"place": out.organisation},
                            out.reason, _name(out.referred_by)))  # fmt: skip
        if out.outcome_on:
            events.append(Event(day(out.outcome_on), _("Outcome from %(place)s") % {"place": out.organisation},
                                f"{out.get_outcome_display()}. {out.outcome_note}".strip(), ""))  # fmt: skip
    for incident in case.incidents.select_related("reported_by"):
        events.append(Event(incident.reported_at, str(incident.get_kind_display()), incident.what_happened,
                            _name(incident.reported_by)))  # fmt: skip
    if case.closed_at:
        events.append(Event(case.closed_at, _("Case closed"), str(case.get_close_reason_display()), ""))
    # Newest day first; within a day, in the order things happen to a case (the list above): follow-ups
    # and referrals carry a date, not a time.
    order = {id(e): n for n, e in enumerate(events)}
    events.sort(key=lambda e: (timezone.localtime(e.when).date(), order[id(e)]), reverse=True)
    return events


def assignments_for(user: User) -> QuerySet[CaseUserObjectPermission]:
    """A responder's unexpired grants, soonest to end first."""
    readable = access.scope_cases(Case.objects.all(), user).values("pk")
    return (
        CaseUserObjectPermission.objects.filter(user=user, content_object__in=readable)
        .select_related("content_object__student__school", "incident")
        .order_by("expires_at")
    )


def responder_pool(district_ids: frozenset[int]) -> QuerySet[Responder]:
    return (
        Responder.objects.filter(membership__district_id__in=district_ids, membership__active=True)
        .select_related("membership__user")
        .order_by("kind", "membership__user__last_name", "membership__user__username")
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


def pending_list(user: AnyUser) -> list[timers.Waiting]:
    """Cases waiting for a counselor's assessment, the soonest first-contact deadline first."""
    return timers.awaiting(cases_for(user))


def incidents_for(user: AnyUser) -> QuerySet[Incident]:
    """The district's view: reported incidents and tier-3 cases, newest first, with names and the
    responders assigned (two queries whatever the number)."""
    return (
        access.scope_reported(Incident.objects.all(), user, student_path="case__student")
        .select_related("case__student__school", "case__student__classroom", "reported_by", "case")
        .prefetch_related(
            Prefetch("grants", queryset=CaseUserObjectPermission.objects.filter(expires_at__gt=timezone.now())
                     .select_related("user").order_by("expires_at"), to_attr="live_grants")
        )
    )  # fmt: skip


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
