"""Writes of the crisis ledger. `case_raise` is the one way other apps open or raise a case."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis.models import Case, CloseReason, FollowUp, Referral, Source, Status, Tier
from portal import audit
from portal.models import Student, User


class CaseStateError(Exception):
    """The case is not in a state that allows this (e.g. closing a closed case)."""


def case_raise(*, student: Student, suggested_tier: int, source: str, evidence: dict[str, Any] | None = None) -> Case:
    """Open a pending case for the student, or raise the open one's suggested tier (never lower it).

    Two concurrent raises for one student end in one case: the student's row is locked first, so the
    second waits and then finds the first one's case (the partial unique index backs this up).
    """
    if suggested_tier not in Tier.values:
        raise ValueError(f"tier {suggested_tier}")
    if source not in Source.values:
        raise ValueError(f"source {source}")
    for attempt in range(2):
        try:
            with transaction.atomic():
                Student.objects.select_for_update().filter(pk=student.pk).values_list("pk").get()
                case = Case.objects.select_for_update().filter(student=student).exclude(status=Status.CLOSED).first()
                if case is None:
                    case = Case.objects.create(
                        student=student, source=source, suggested_tier=suggested_tier,
                        evidence=[evidence] if evidence else [],
                    )  # fmt: skip
                    audit.append(audit.entries_for(Case, [case.pk], verb="create", detail={"source": source}))
                    return case
                changed = []
                if suggested_tier > case.suggested_tier:
                    case.suggested_tier = suggested_tier
                    changed.append("suggested_tier")
                if evidence:
                    case.evidence = [*case.evidence, evidence]
                    changed.append("evidence")
                if changed:
                    case.save(update_fields=changed)
                    audit.append(audit.entries_for(Case, [case.pk], verb="raise", detail={"source": source}))
                return case
        except IntegrityError:
            if attempt:  # the unique index caught a race the lock did not (e.g. a raw insert): retry once
                raise
    raise AssertionError("unreachable")


def referral_create(*, student: Student, referred_by: User, concern: str, via_peer_supporter: bool = False) -> Referral:
    """A class teacher's concern opens (or joins) the student's pending case for the school's counselors."""
    with transaction.atomic():
        source = Source.PEER if via_peer_supporter else Source.TEACHER
        case = case_raise(student=student, suggested_tier=Tier.GENERAL, source=source)
        referral = Referral.objects.create(
            case=case, referred_by=referred_by, concern=concern, via_peer_supporter=via_peer_supporter
        )
        audit.append(audit.entries_for(Referral, [referral.pk], verb="create"))
        return referral


def case_confirm_tier(*, case: Case, tier: int, by: User) -> Case:
    """A counselor's assessment: the tier that counts from now on. A pending case becomes open."""
    if tier not in Tier.values:
        raise ValueError(f"tier {tier}")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status == Status.CLOSED:
            raise CaseStateError
        case.confirmed_tier, case.confirmed_by, case.confirmed_at = tier, by, timezone.now()
        case.owner = case.owner or by
        if case.status == Status.PENDING:
            case.status = Status.OPEN
        case.save(update_fields=["confirmed_tier", "confirmed_by", "confirmed_at", "owner", "status"])
        audit.append(audit.entries_for(Case, [case.pk], verb="confirm_tier", detail={"tier": tier}))
        return case


def case_set_status(*, case: Case, status: str, by: User) -> Case:
    """Move an assessed case between open, monitoring and referred."""
    if status not in (Status.OPEN, Status.MONITORING, Status.REFERRED):
        raise ValueError(status)
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, status__in=[Status.OPEN, Status.MONITORING, Status.REFERRED]).update(
            status=status
        )
        if not updated:
            raise CaseStateError
        return Case.objects.get(pk=case.pk)


def case_close(*, case: Case, reason: str, by: User) -> Case:
    if reason not in CloseReason.values:
        raise ValueError(reason)
    with transaction.atomic():
        updated = (
            Case.objects.filter(pk=case.pk)
            .exclude(status=Status.CLOSED)
            .update(status=Status.CLOSED, closed_at=timezone.now(), close_reason=reason)
        )
        if not updated:
            raise CaseStateError
        return Case.objects.get(pk=case.pk)


def follow_up_log(
    *, case: Case, by: User, date: dt.date, contact_type: str, summary: str, next_step: str = ""
) -> FollowUp:
    with transaction.atomic():
        if Case.objects.filter(pk=case.pk, status=Status.CLOSED).exists():
            raise CaseStateError
        follow_up = FollowUp.objects.create(
            case=case, author=by, date=date, contact_type=contact_type, summary=summary, next_step=next_step
        )
        audit.append(audit.entries_for(FollowUp, [follow_up.pk], verb="create"))
        return follow_up
