"""After hours: a tier 2-3 concern that arrives outside the school's hours goes at once to whoever is on call.

School hours come from the school's calendar (counseling.schooldays: school days, first period to last). Outside
them, the district's duty roster (DutyShift, 值班表) names who of its crisis team or expert pool is on call: they
are paged by SMS first (and inbox and e-mail), with the school leaders' phone numbers, and given access to the case
for CRISIS_ON_CALL_HOURS. Their "I have taken this on" on the case page stops the first-contact timer
(crisis.timers), and the case shows who took it on and when. With nobody on the roster, the district's officials
are told that nobody is. The school's counselors and leaders are told as in school hours (crisis.alerts).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from counseling.schooldays import calendar
from crisis.models import Case, CaseUserObjectPermission, DutyShift, Responder
from portal import audit, notifications
from portal.models import School, User


class AlreadyTakenOn(Exception):
    """Someone on call took this case on already."""


def on_call(district_id: int, at: dt.datetime) -> list[Responder]:
    """Who is on call in the district at this moment: their shift covers it and they are still in the pool."""
    shifts = DutyShift.objects.filter(
        district_id=district_id, starts_at__lte=at, ends_at__gt=at, responder__membership__active=True,
        responder__membership__user__is_active=True,
    ).select_related("responder__membership__user")  # fmt: skip
    return list({s.responder_id: s.responder for s in shifts}.values())


def roster(district_ids: frozenset[int]) -> QuerySet[DutyShift]:
    """The shifts still to come or running, soonest first."""
    return (
        DutyShift.objects.filter(district_id__in=district_ids, ends_at__gt=timezone.now())
        .select_related("responder__membership__user", "district")
        .order_by("starts_at", "pk")
    )


def school_hours(school_ids: set[int]) -> dict[int, bool]:
    """Whether each school is in its hours now (three queries a school: its calendar)."""
    now = timezone.now()
    return {school.pk: calendar(school).in_school_hours(now) for school in School.objects.filter(pk__in=school_ids)}


def page(*, case: Case, tier: int, cause: str, leaders: list[User]) -> int:
    """A tier 2-3 raise outside the school's hours: page whoever is on call (see the module). Returns how many
    were paged. Call inside the raise's transaction."""
    now = timezone.now()
    school = case.student.school
    people = on_call(school.district_id, now)
    phones = "; ".join(f"{u.get_full_name() or u.get_username()} {u.phone}" for u in leaders if u.phone)
    context = {"school": school.name, "tier": tier, "leaders": phones,
               "case_path": reverse("crisis:case", args=[case.pk])}  # fmt: skip
    if not people:
        from crisis.alerts import officials

        for user in officials(school.district_id):
            notifications.notification_send(
                kind="after_hours_nobody_on_call", user=user, via=["sms", "inbox", "email"], context=context,
                dedupe_key=f"after_hours:{case.pk}:{cause}:{user.pk}",
            )  # fmt: skip
        return 0
    view_case = Permission.objects.get(content_type__app_label="crisis", codename="view_case")
    until = now + dt.timedelta(hours=settings.CRISIS_ON_CALL_HOURS)
    grants = []
    for responder in people:
        user = responder.membership.user
        grant, _ = CaseUserObjectPermission.objects.get_or_create(
            user=user, permission=view_case, content_object=case,
            defaults={"granted_at": now, "expires_at": until},
        )  # fmt: skip
        if grant.expires_at < until:
            grant.expires_at = until
            grant.save(update_fields=["expires_at"])
        grants.append(grant.pk)
        notifications.notification_send(
            kind="after_hours_case_alert", user=user, via=["sms", "inbox", "email"], context=context,
            dedupe_key=f"after_hours:{case.pk}:{cause}:{user.pk}",
        )  # fmt: skip
    audit.append(audit.entries_for(CaseUserObjectPermission, grants, verb="grant", detail={"on_call": True}))
    return len(people)


def take_on(*, case: Case, by: User) -> Case:
    """The person on call took the case on: the first-contact timer stops; the counselor still assesses it."""
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, on_call_ack_at__isnull=True).update(
            on_call_ack_at=timezone.now(), on_call_ack_by=by
        ):
            raise AlreadyTakenOn
        audit.append(audit.entries_for(Case, [case.pk], verb="on_call_take_on"))
        return Case.objects.get(pk=case.pk)
