"""The crisis register's part of the home pages (portal.home): for a counselor or leader, the cases waiting for a
first assessment, the soonest deadline first, and the follow-ups due today or overdue, most overdue first; for a
class teacher, the referrals they made lately, that each arrived (never the case); for a parent, the school's
requests to get in touch that they have not confirmed yet."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from crisis import alerts, selectors, services
from crisis.models import GuardianNotice, Referral, Status
from portal import access
from portal.access import AnyUser
from portal.home import Section

SHOWN = 10  # the rest are one click away, on the register


def worklist(user: AnyUser) -> Section | None:
    if not access.roles_of(user).staff_school_ids:
        return None
    waiting = selectors.pending_list(user)
    today = timezone.localdate()
    due = [row for row in selectors.high_risk_list(user) if row.next_due <= today]
    return Section(
        "crisis/_home_worklist.html",
        order=10,
        context={"waiting": waiting[:SHOWN], "waiting_count": len(waiting), "due": due[:SHOWN], "due_count": len(due)},
    )


def my_referrals(user: AnyUser) -> Section | None:
    roles = access.roles_of(user)
    if roles.staff_school_ids or not roles.is_staff_member:
        return None  # counselors and leaders have the register itself
    since = timezone.now() - dt.timedelta(days=30)
    referrals = list(
        Referral.objects.filter(referred_by_id=user.pk, created_at__gte=since)
        .select_related("case__student__classroom")
        .order_by("-created_at")[:SHOWN]
    )
    return Section("crisis/_home_referrals.html", order=20, context={"referrals": referrals})


def parent_notices(user: AnyUser) -> Section | None:
    """A parent's "please contact the school" notices not yet confirmed, each with its confirm button. The
    safeguarding rule is asked again here, as the page is drawn: a notice whose family may no longer be contacted
    is not shown (crisis.alerts decides)."""
    if not access.roles_of(user).is_parent:
        return None
    notices = [
        notice
        for notice in GuardianNotice.objects.filter(
            guardian__user_id=user.pk or 0, acknowledged_at__isnull=True, expires_at__gt=timezone.now()
        )
        .filter(case__student__guardians=F("guardian_id"))  # still the child's guardian
        .exclude(case__status=Status.CLOSED)
        .select_related("case__student__school", "case__owner")
        .order_by("sent_at")
        if not (notice.case.guardian_contact_blocked or alerts.family_contact_refusal(notice.case.student_id))
    ]
    if not notices:
        return None
    rows = [(notice, reverse("crisis:acknowledge", args=[services.ack_token(notice)])) for notice in notices]
    return Section("crisis/_home_notices.html", order=5, context={"rows": rows})
