"""The crisis register's part of the home pages (portal.home): for a counselor or leader, the cases waiting for a
first assessment, the soonest deadline first, and the follow-ups due today or overdue, most overdue first; for a
class teacher, the referrals they made lately, that each arrived (never the case)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crisis import selectors
from crisis.models import Referral
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
