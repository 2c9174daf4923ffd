"""A copy of a child's record (PIPL art. 45): asked for, prepared, approved or refused, downloaded. Each step is
one service writing its audit event in the same transaction; a step taken on a request that has moved on (a second
tab, a colleague first) is refused, never done twice: the request's row is locked while it changes.

The path: a guardian asks on the child's page, or a counselor records a request the student (14 or older, PIPL
art. 31) made in person -> a counselor of the child's school prepares the copy (selectors.copy_contents, stored with
the request) -> a leader of the school approves it, or refuses it with a reason the family reads -> the family (or,
for a student's own request, the school, to hand over) downloads the PDF. A guardian's request made while the
child's open case says the family is not to be contacted (crisis.alerts.family_contact_refusal) is held for the
leader, who lets it go ahead or refuses it; the copy then never holds the crisis cases (selectors.cases_withheld).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import audit
from portal.models import Student, User
from privacy import selectors
from privacy.models import COPY_DAYS, COPY_OPEN, CopyRequest, CopyStatus, Requester

# PIPL art. 31: below 14, a child's personal information is handled with their guardian; from 14 they act themselves.
STUDENT_MIN_AGE = 14
REASON_MIN_LENGTH = 10


class CopyRefused(Exception):
    """The step cannot be taken; `code` names why (MESSAGES)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


MESSAGES = {
    "already_asked": _("A copy of this record has already been asked for. Its status is shown below."),
    "under_14": _("This student is under 14: their guardian asks for the copy on the portal."),
    "moved_on": _("This request has moved on in the meantime. Here is where it stands now."),
    "reason": _("Give the family a reason of at least ten characters."),
}


def age_on(student: Student, day: dt.date) -> int:
    born = student.birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _create(*, student: Student, requester: str, by: User, status: str) -> CopyRequest:
    now = timezone.now()
    try:
        with transaction.atomic():  # a savepoint: the unique index refuses a second open request
            copy = CopyRequest.objects.create(
                student=student, requester=requester, asked_by=by, asked_at=now, status=status,
                due_on=timezone.localdate(now) + dt.timedelta(days=COPY_DAYS),
            )  # fmt: skip
    except IntegrityError as exc:
        raise CopyRefused("already_asked") from exc
    audit.append(audit.entries_for(CopyRequest, [copy.pk], verb="ask",
                                   detail={"requester": requester, "held": status == CopyStatus.HELD}))  # fmt: skip
    return copy


def copy_ask(*, student: Student, parent: User) -> CopyRequest:
    """A guardian asks for a copy of their child's record (the caller checked the child is theirs). Held for the
    school's leader while the child's open case bars contact with the family."""
    with audit.atomic():
        probe = CopyRequest(student=student, requester=Requester.GUARDIAN)
        status = CopyStatus.HELD if selectors.cases_withheld(probe) else CopyStatus.REQUESTED
        return _create(student=student, requester=Requester.GUARDIAN, by=parent, status=status)


def copy_record_for_student(*, student: Student, by: User) -> CopyRequest:
    """A student of 14 or older asked in person; a leader or counselor of their school records it."""
    if age_on(student, timezone.localdate()) < STUDENT_MIN_AGE:
        raise CopyRefused("under_14")
    with audit.atomic():
        return _create(student=student, requester=Requester.STUDENT, by=by, status=CopyStatus.REQUESTED)


def _step(copy: CopyRequest, *, from_: tuple[str, ...], verb: str, detail: dict[str, Any] | None = None,
          **changes: Any) -> CopyRequest:  # fmt: skip
    """Move the request on, under its row lock, if it still stands where the step starts."""
    locked = CopyRequest.objects.select_for_update().get(pk=copy.pk)
    if locked.status not in from_:
        raise CopyRefused("moved_on")
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changes))
    audit.append(audit.entries_for(CopyRequest, [locked.pk], verb=verb, detail=detail))
    return locked


def copy_prepare(*, copy: CopyRequest, by: User) -> CopyRequest:
    """The counselor prepares the copy: what it holds is read now and kept, so that the leader approves what the
    family will get. Preparing again (before the leader decides) reads it afresh."""
    with audit.atomic():
        contents = selectors.copy_contents(copy)
        return _step(copy, from_=(CopyStatus.REQUESTED, CopyStatus.PREPARED), verb="prepare",
                     detail={"cases_withheld": bool(selectors.cases_withheld(copy))}, status=CopyStatus.PREPARED,
                     contents=contents, prepared_by=by, prepared_at=timezone.now())  # fmt: skip


def copy_release(*, copy: CopyRequest, by: User) -> CopyRequest:
    """The leader lets a request held for safeguarding go ahead: the counselor prepares it, without the cases."""
    with audit.atomic():
        return _step(copy, from_=(CopyStatus.HELD,), verb="release", status=CopyStatus.REQUESTED)


def copy_approve(*, copy: CopyRequest, by: User) -> CopyRequest:
    with audit.atomic():
        return _step(copy, from_=(CopyStatus.PREPARED,), verb="approve", status=CopyStatus.APPROVED, decided_by=by,
                     decided_at=timezone.now())  # fmt: skip


def copy_refuse(*, copy: CopyRequest, by: User, reason: str) -> CopyRequest:
    """The leader refuses, at any step before the copy is approved, with a reason the family reads."""
    reason = reason.strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise CopyRefused("reason")
    with audit.atomic():
        return _step(copy, from_=COPY_OPEN, verb="refuse", status=CopyStatus.REFUSED, refusal=reason,
                     decided_by=by, decided_at=timezone.now())  # fmt: skip


def copy_downloaded(*, copy: CopyRequest) -> None:
    """Who took the copy away, and when."""
    audit.append(audit.entries_for(CopyRequest, [copy.pk], verb="download", detail={"requester": copy.requester}))
