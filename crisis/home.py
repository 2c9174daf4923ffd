"""The crisis register's part of a counselor's or leader's home page (portal.home): the cases waiting for a
first assessment, the soonest deadline first, and the follow-ups due today or overdue, most overdue first."""

from __future__ import annotations

from django.utils import timezone

from crisis import selectors
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
