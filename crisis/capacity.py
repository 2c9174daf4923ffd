"""Capacity: more new tier 2-3 cases in a day than a school's counselors on duty can assess, and the district hears.

A counselor can assess CRISIS_ASSESSMENTS_PER_COUNSELOR_DAY new cases of tier 2-3 a day (default 8). The
counselors on duty are those with an opening in the school's weekly template on today's weekday, or, where the
school has no template, its active counselors. Only on school days (the school's calendar): on evenings,
weekends and holidays the district's on-call roster takes new cases (crisis.oncall). When a raise takes the
day's count past what they can assess (or nobody is on duty), the district's officials are told, once per school
and day, with the figures and no student's name, so that they can send responders from the expert pool.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from counseling.models import Opening
from counseling.schooldays import calendar
from crisis import alerts
from crisis.models import Case, QueueAssignment, Responder
from portal import audit, notifications
from portal.models import Role, School, User
from portal.selectors import school_staff


def on_duty(school_id: int, day: dt.date) -> int:
    """How many counselors are on duty at the school on this day."""
    template = Opening.objects.filter(school_id=school_id, room__active=True, counselor__is_active=True)
    if template.exists():
        return template.filter(weekday=day.weekday()).values("counselor_id").distinct().count()
    return school_staff(school_id, Role.COUNSELOR).count()


def check(school_ids: set[int]) -> list[int]:
    """After a raise: the schools whose new tier 2-3 cases today exceed what their counselors on duty can assess,
    their district's officials told (once per school and day). Call inside the raise's transaction."""
    today = timezone.localdate()
    since = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    over = []
    for school in School.objects.filter(pk__in=school_ids).order_by("pk"):
        if not calendar(school, start=today).is_school_day(today):
            continue
        new = Case.objects.filter(student__school=school, opened_at__gte=since, suggested_tier__gte=2).count()
        counselors = on_duty(school.pk, today)
        can = counselors * settings.CRISIS_ASSESSMENTS_PER_COUNSELOR_DAY
        if new <= can:
            continue
        over.append(school.pk)
        context = {"school": school.name, "new": new, "counselors": counselors, "capacity": can,
                   "path": f"{reverse('crisis:queues')}?school={school.pk}"}  # fmt: skip
        for user in alerts.officials(school.district_id):
            notifications.notification_send(
                kind="capacity_exceeded", user=user, via=["inbox", "email", "sms"], context=context,
                dedupe_key=f"capacity:{school.pk}:{today:%Y%m%d}:{user.pk}",
            )  # fmt: skip
    return over


def queue_assign(*, school: School, responders: list[Responder], days: int, by: User) -> int:
    """Send responders of the school's district pool to its queue for `days` days: they may read and assess the
    school's cases awaiting assessment (portal.access.scope_assessable) until then. Each is told through the
    outbox, with no student's name. How many were sent."""
    if not 1 <= days <= settings.CRISIS_GRANT_MAX_DAYS:
        raise ValueError(days)
    now = timezone.now()
    until = now + dt.timedelta(days=days)
    with audit.atomic():
        sent = []
        for responder in responders:
            membership = responder.membership
            if membership.district_id != school.district_id or not membership.active:
                raise ValueError(responder.pk)  # the form offers only the district's active pool
            sent.append(QueueAssignment.objects.create(
                school=school, responder=responder, assigned_by=by, assigned_at=now, expires_at=until
            ))  # fmt: skip
            notifications.notification_send(
                kind="queue_assigned", user=membership.user, via=["inbox", "email", "sms"],
                context={"school": school.name, "path": reverse("crisis:assignments"),
                         "until": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")},
                dedupe_key=f"queue_assigned:{sent[-1].pk}",
            )  # fmt: skip
        audit.append(audit.entries_for(QueueAssignment, [a.pk for a in sent], verb="create", detail={"days": days}))
    return len(sent)


def queue_end(*, assignment: QueueAssignment) -> None:
    with audit.atomic():
        audit.append(audit.entries_for(QueueAssignment, [assignment.pk], verb="delete"))
        assignment.delete()


def queues(district_ids: frozenset[int]) -> QuerySet[QueueAssignment]:
    """The districts' queue assignments still running, soonest to end first."""
    return (
        QueueAssignment.objects.filter(school__district_id__in=district_ids, expires_at__gt=timezone.now())
        .select_related("school", "responder__membership__user")
        .order_by("expires_at", "pk")
    )
