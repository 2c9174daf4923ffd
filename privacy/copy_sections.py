"""Requests for a copy of a child's record where people look for them (portal.home): on a counselor's or leader's
home, the open requests whose next step is theirs (and for a leader, any overdue), the soonest deadline first; on a
child's page, that child's requests, with the way to ask (a parent) or to record a student's own request (the
school's staff)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from portal import access
from portal.access import AnyUser
from portal.home import Section
from portal.models import Role
from privacy import copies, selectors
from privacy.models import CopyStatus

SHOWN = 10  # the rest are on the list of requests


def worklist(user: AnyUser) -> Section | None:
    roles = access.roles_of(user)
    if not roles.staff_school_ids:
        return None
    counselor_at, leader_at = roles.schools_with(Role.COUNSELOR), roles.schools_with(Role.LEADER)
    today = timezone.localdate()
    # The counselor's step (prepare) for counselors, the leader's (decide) for leaders; and for leaders, who answer
    # for the deadline, any request past it.
    mine = [
        (copy, due) for copy in selectors.open_copy_requests(user)
        if (due := selectors.deadline(copy, today)) is not None and (
            (copy.status == CopyStatus.REQUESTED and copy.student.school_id in counselor_at)
            or (copy.student.school_id in leader_at and (copy.status != CopyStatus.REQUESTED or due.overdue))
        )
    ]  # fmt: skip
    if not mine:
        return None
    rows = mine[:SHOWN]
    return Section("privacy/_copy_worklist.html", order=30, context={"rows": rows, "count": len(mine)})


def student_page(user: AnyUser, student: Any) -> Section | None:
    staff = access.may_record_student_copy(user, student)
    parent = not staff and access.roles_of(user).is_parent and selectors.is_own_child(user, student)
    if not staff and not parent:
        return None
    today = timezone.localdate()
    requests = selectors.copies_of(user, student)
    rows = [
        {"copy": copy, "deadline": selectors.deadline(copy, today),
         "status": selectors.family_status(copy) if parent else copy.get_status_display()}
        for copy in requests
    ]  # fmt: skip
    return Section("privacy/_copy_student.html", order=10, context={
        "student": student, "rows": rows, "staff": staff,
        "may_ask": parent and not any(copy.is_open for copy in requests),
        "old_enough": copies.age_on(student, today) >= copies.STUDENT_MIN_AGE,
    })  # fmt: skip
