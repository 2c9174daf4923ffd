"""Writes of the crisis ledger. `case_raise` is the one way other apps open or raise a case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from crisis import alerts, capacity, oncall, timers
from crisis.models import (
    BlockReason,
    Case,
    CaseUserObjectPermission,
    CloseReason,
    Drill,
    EmergencyPlan,
    FollowUp,
    GuardianNotice,
    Incident,
    IncidentKind,
    NoticeVia,
    OutsideReferral,
    Referral,
    ReferralOutcome,
    Responder,
    Source,
    Status,
    Tier,
)
from portal import audit, notifications
from portal.models import District, Membership, Role, School, Student, User
from portal.selectors import school_staff


class CaseStateError(Exception):
    """The case is not in a state that allows this (e.g. closing a closed case)."""


class AlreadyRecorded(CaseStateError):
    """This was recorded already; a correction is a new follow-up entry."""


class CaseNotAssessed(CaseStateError):
    """A pending case must be assessed (its tier confirmed) first."""


@dataclass(frozen=True)
class Raise:
    """One concern about one student, for the ledger. `cause` names what raised it, so that its alert goes out
    once however often it is raised ("response:42", "session_record:7"; empty: the tier itself). `tell_guardian`:
    the district's screening policy tells guardians of a critical answer at once (crisis.alerts decides whether
    the family may be contacted)."""

    student: Student
    tier: int
    evidence: dict[str, Any] | None = None
    cause: str = ""
    tell_guardian: bool = False


def case_raise(
    *, student: Student, suggested_tier: int, source: str, evidence: dict[str, Any] | None = None, cause: str = "",
    tell_guardian: bool = False,
) -> Case:  # fmt: skip
    """Open a pending case for the student, or raise the open one's suggested tier (never lower it); the new
    evidence goes on the case's timeline, and crisis.alerts tells whoever the policy names for tier 2-3."""
    raised = Raise(student, suggested_tier, evidence, cause, tell_guardian)
    return case_raise_many(raises=[raised], source=source)[student.pk]


def case_raise_many(*, raises: list[Raise], source: str) -> dict[int, Case]:
    """Raise concerns about many students at once (a scoring batch): the students' rows are locked in id order,
    their open cases read in one query, new cases inserted and raised ones updated in one statement each, and
    the audit events appended together. One open case per student, never a lower tier; each piece of evidence is
    stamped with its time. Returns student id -> case.

    Two concurrent raises for one student end in one case: the student's row is locked first, so the second
    waits and then finds the first one's case (the partial unique index backs this up, and a race it catches is
    retried once)."""
    if source not in Source.values:
        raise ValueError(f"source {source}")
    now = timezone.now()
    wanted: dict[int, Raise] = {}
    found: dict[int, list[dict[str, Any]]] = {}
    for r in raises:
        if r.tier not in Tier.values:
            raise ValueError(f"tier {r.tier}")
        before = wanted.get(r.student.pk, r)
        wanted[r.student.pk] = Raise(r.student, max(before.tier, r.tier), None, before.cause or r.cause,
                                     before.tell_guardian or r.tell_guardian)  # fmt: skip
        if r.evidence:
            found.setdefault(r.student.pk, []).append({"at": now.isoformat(), **r.evidence})
    if not wanted:
        return {}
    for attempt in range(2):
        try:
            return _raise_many(wanted, found, source)
        except IntegrityError:
            if attempt:  # the unique index caught a race the lock did not (e.g. a raw insert): retry once
                raise
    raise AssertionError("unreachable")


def _raise_many(wanted: dict[int, Raise], found: dict[int, list[dict[str, Any]]], source: str) -> dict[int, Case]:
    with transaction.atomic():
        ids = sorted(wanted)
        list(Student.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        cases = {
            c.student_id: c
            for c in Case.objects.select_for_update().filter(student_id__in=ids).exclude(status=Status.CLOSED)
        }
        new, raised = [], []
        for student_id, r in wanted.items():
            case = cases.get(student_id)
            evidence = found.get(student_id, [])
            if case is None:
                case = Case(student=r.student, source=source, suggested_tier=r.tier, evidence=evidence)
                cases[student_id] = case
                new.append(case)
            elif r.tier > case.suggested_tier or evidence:
                case.suggested_tier = max(case.suggested_tier, r.tier)
                case.evidence = [*case.evidence, *evidence]
                raised.append(case)
            case.student = r.student
        timers.stamp([*new, *raised], since=timezone.now())
        Case.objects.bulk_create(new)
        if new:
            audit.append(audit.entries_for(Case, [c.pk for c in new], verb="create", detail={"source": source}))
        if raised:  # the audited update writes one event per raised case
            Case.objects.bulk_update(raised, ["suggested_tier", "evidence", *timers.FIELDS])
        alerted = {cases[sid].student.school_id for sid, r in wanted.items() if r.tier >= Tier.SEVERE}
        capacity.check(alerted)
        in_hours = oncall.school_hours(alerted)
        for student_id, r in wanted.items():
            case = cases[student_id]
            hours = in_hours.get(case.student.school_id, True)
            alerts.case_raised(case=case, tier=r.tier, source=source, cause=r.cause or f"tier:{r.tier}",
                               tell_guardian=r.tell_guardian, in_hours=hours)  # fmt: skip
        return cases


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
    """A counselor's assessment: the tier that counts from now on. A pending case becomes open.

    Confirming tier 2 or 3 tells the primary guardian to contact the school (监护人知情机制), in the same
    transaction, once per case and tier; a later raise to tier 3 tells them again.
    """
    if tier not in Tier.values:
        raise ValueError(f"tier {tier}")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("student__school").get(pk=case.pk)
        if case.status == Status.CLOSED:
            raise CaseStateError
        case.confirmed_tier, case.confirmed_by, case.confirmed_at = tier, by, timezone.now()
        case.owner = case.owner or by
        if case.status == Status.PENDING:
            case.status = Status.OPEN
        case.save(update_fields=["confirmed_tier", "confirmed_by", "confirmed_at", "owner", "status"])
        audit.append(audit.entries_for(Case, [case.pk], verb="confirm_tier", detail={"tier": tier}))
        if tier >= Tier.SEVERE and not case.notices.filter(tier__gte=tier).exists():
            alerts.guardian_notify(case=case, counselor=by)
        if tier == Tier.MAJOR and not case.incidents.filter(kind=IncidentKind.MAJOR_CASE).exists():
            incident = Incident.objects.create(case=case, kind=IncidentKind.MAJOR_CASE, reported_by=by)
            audit.append(audit.entries_for(Incident, [incident.pk], verb="create", detail={"kind": "major_case"}))
        return case


def incident_report(*, case: Case, by: User, what_happened: str, actions_taken: str, outside_help: str) -> Incident:
    """A school reports an incident to the district (which then sees the student's name)."""
    with transaction.atomic():
        incident = Incident.objects.create(
            case=case, kind=IncidentKind.INCIDENT, reported_by=by, what_happened=what_happened,
            actions_taken=actions_taken, outside_help=outside_help,
        )  # fmt: skip
        audit.append(audit.entries_for(Incident, [incident.pk], verb="create", detail={"kind": "incident"}))
        return incident


_ACK_SALT = "crisis.notice-ack"


def ack_token(notice: GuardianNotice) -> str:
    return signing.TimestampSigner(salt=_ACK_SALT).sign_object({"n": notice.pk})


class AckRefused(Exception):
    """The link is forged ("unknown"), expired, or was used already; for a genuine link, its notice, so that the
    page can say when it was confirmed and whom to call."""

    def __init__(self, reason: str, notice: GuardianNotice | None = None) -> None:
        super().__init__(reason)
        self.reason, self.notice = reason, notice


def notice_for_token(token: str) -> GuardianNotice:
    signer = signing.TimestampSigner(salt=_ACK_SALT)
    try:
        payload, expired = signer.unsign_object(token), False
        try:
            signer.unsign_object(token, max_age=timedelta(hours=settings.CRISIS_ACK_HOURS))
        except signing.SignatureExpired:
            expired = True
        notice = GuardianNotice.objects.select_related("case__student__school", "case__owner").get(pk=payload["n"])
    except (signing.BadSignature, GuardianNotice.DoesNotExist, KeyError, TypeError) as exc:
        raise AckRefused("unknown") from exc
    if notice.acknowledged_at is not None:
        raise AckRefused("used", notice)
    if expired or notice.expires_at <= timezone.now():
        raise AckRefused("expired", notice)
    return notice


def notice_acknowledge(*, token: str) -> GuardianNotice:
    """The guardian followed the link: recorded once; the link is refused afterwards."""
    notice = notice_for_token(token)
    with transaction.atomic():
        updated = GuardianNotice.objects.filter(pk=notice.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_via=NoticeVia.LINK
        )
        if not updated:  # confirmed a moment ago, by another tap
            notice.refresh_from_db()
            raise AckRefused("used", notice)
        audit.append(audit.entries_for(GuardianNotice, [notice.pk], verb="acknowledge", detail={"via": "link"}))
    notice.refresh_from_db()
    return notice


def case_block_guardian_contact(*, case: Case, reason: str, by: User) -> Case:
    """Safeguarding: from now on alerts about this case go to the school leader, not to guardians."""
    if reason not in BlockReason.values and reason != "":
        raise ValueError(reason)
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(guardian_contact_blocked=reason)
        # The reason category is recorded (it is a choice, not free text), with who set it and when.
        audit.append(audit.entries_for(Case, [case.pk], verb="guardian_contact_block", detail={"reason": reason}))
        return Case.objects.get(pk=case.pk)


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


def notice_record_contact(*, notice: GuardianNotice, via: str, outcome: str, by: User) -> GuardianNotice:
    """A counselor records a phone call or meeting with the family: that acknowledges the notice."""
    if via not in (NoticeVia.PHONE, NoticeVia.MEETING):
        raise ValueError(via)
    with transaction.atomic():
        updated = GuardianNotice.objects.filter(pk=notice.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_via=via, outcome=outcome
        )
        if not updated:
            raise CaseStateError
        audit.append(audit.entries_for(GuardianNotice, [notice.pk], verb="acknowledge", detail={"via": via}))
        return GuardianNotice.objects.get(pk=notice.pk)


PLAN_EXTENSIONS = (".pdf", ".doc", ".docx", ".odt")
PLAN_MAX_BYTES = 10 * 1024 * 1024


def plan_upload(
    *, school: School, version: str, adopted_on: dt.date, document: UploadedFile, by: User
) -> EmergencyPlan:
    with transaction.atomic():
        plan = EmergencyPlan.objects.create(
            school=school, version=version, adopted_on=adopted_on, document=document, uploaded_by=by
        )
        audit.append([audit.Entry("emergencyplan.create", "crisis.emergencyplan", plan.pk, school_id=school.pk)])
        return plan


def drill_record(
    *, school: School, held_on: dt.date, scenario: str, participants: int, lessons: str, by: User
) -> Drill:
    return Drill.objects.create(
        school=school, held_on=held_on, scenario=scenario, participants=participants, lessons=lessons, recorded_by=by
    )


def overdue_follow_ups_flag() -> int:
    """Tell each overdue case's owner (or, with no owner, the school's leaders) once per missed due date."""
    from crisis.selectors import follow_up_rows

    flagged = 0
    for row in follow_up_rows(Case.objects.all()):
        if not row.overdue_days:
            continue
        case = row.case
        recipients = [case.owner] if case.owner and case.owner.is_active else alerts.leaders(case.student.school_id)
        with transaction.atomic():
            for user in recipients:
                sent = notifications.notification_send(
                    kind="follow_up_overdue",
                    user=user,
                    via=["inbox", "email"],
                    context={"school": case.student.school.name, "student": case.student.name,
                             "due": row.next_due.isoformat(), "case_path": reverse("crisis:case", args=[case.pk])},
                    dedupe_key=f"follow_up_overdue:{case.pk}:{row.next_due.isoformat()}:{user.pk}",
                )  # fmt: skip
                flagged += sent is not None
    return flagged


def responder_add(
    *, district: District, user: User, kind: str, organisation: str = "", speciality: str = ""
) -> Responder:
    """Put a person in the district's crisis team or expert pool (re-activating an old membership)."""
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            user=user, role=Role.RESPONDER, district=district, defaults={"active": True}
        )
        responder, _ = Responder.objects.update_or_create(
            membership=membership, defaults={"kind": kind, "organisation": organisation, "speciality": speciality}
        )
        return responder


def incident_assign(*, incident: Incident, responders: list[Responder], days: int, by: User) -> int:
    """Give responders access to the incident's case for `days` days (a later assignment extends it).

    Each is told, without clinical detail, through the outbox. Returns how many were assigned.
    """
    if not 1 <= days <= settings.CRISIS_GRANT_MAX_DAYS:
        raise ValueError(days)
    case = incident.case
    district_id = case.student.school.district_id
    view_case = Permission.objects.get(content_type__app_label="crisis", codename="view_case")
    now = timezone.now()
    until = now + timedelta(days=days)
    with transaction.atomic():
        grants = []
        for responder in responders:
            membership = responder.membership
            if membership.district_id != district_id or not membership.active:
                raise ValueError(responder.pk)  # the form only offers the district's active pool
            grant, _ = CaseUserObjectPermission.objects.update_or_create(
                user=membership.user, permission=view_case, content_object=case,
                defaults={"incident": incident, "granted_by": by, "granted_at": now, "expires_at": until},
            )  # fmt: skip
            grants.append(grant)
            notifications.notification_send(
                kind="responder_assigned",
                user=membership.user,
                via=["inbox", "email"],
                context={"school": case.student.school.name, "case_path": reverse("crisis:case", args=[case.pk]),
                         "until": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")},
                dedupe_key=f"responder_assigned:{grant.pk}:{until.isoformat()}",
            )  # fmt: skip
        audit.append(audit.entries_for(CaseUserObjectPermission, [g.pk for g in grants], verb="grant",
                                       detail={"days": days, "incident": incident.pk}))  # fmt: skip
        return len(grants)


def grant_revoke(*, grant: CaseUserObjectPermission, by: User) -> None:
    with transaction.atomic():
        audit.append(audit.entries_for(CaseUserObjectPermission, [grant.pk], verb="revoke"))
        grant.delete()


def grants_expire() -> int:
    """Delete expired grants (access already ended at expires_at: scope_cases checks it); each is audited."""
    with transaction.atomic():
        expired = list(
            CaseUserObjectPermission.objects.select_for_update(skip_locked=True)
            .filter(expires_at__lte=timezone.now())
            .values_list("pk", flat=True)
        )
        if expired:
            audit.append(audit.entries_for(CaseUserObjectPermission, expired, verb="expire"))
            CaseUserObjectPermission.objects.filter(pk__in=expired).delete()
        return len(expired)


def outside_referral_create(
    *, case: Case, by: User, place_kind: str, organisation: str, referred_on: dt.date, reason: str = ""
) -> OutsideReferral:
    """Refer the case to a hospital or centre: the case's status becomes "referred" until the outcome."""
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, status__in=[Status.OPEN, Status.MONITORING, Status.REFERRED]).update(
            status=Status.REFERRED
        )
        if not updated:
            status = Case.objects.filter(pk=case.pk).values_list("status", flat=True).first()
            raise CaseNotAssessed if status == Status.PENDING else CaseStateError
        referral = OutsideReferral.objects.create(
            case=case, referred_by=by, place_kind=place_kind, organisation=organisation, referred_on=referred_on,
            reason=reason,
        )  # fmt: skip
        audit.append(audit.entries_for(OutsideReferral, [referral.pk], verb="create", detail={"to": place_kind}))
        return referral


def outside_referral_outcome(
    *, referral: OutsideReferral, outcome: str, outcome_on: dt.date, note: str, by: User
) -> OutsideReferral:
    """Record what came of a referral, once (a correction is a follow-up entry, not an overwrite)."""
    if outcome not in ReferralOutcome.values or outcome == ReferralOutcome.PENDING:
        raise ValueError(outcome)
    if outcome_on < referral.referred_on:
        raise ValueError(outcome_on)
    with transaction.atomic():
        updated = OutsideReferral.objects.filter(pk=referral.pk, outcome=ReferralOutcome.PENDING).update(
            outcome=outcome, outcome_on=outcome_on, outcome_note=note
        )
        if not updated:  # (the audited update above wrote the event)
            raise AlreadyRecorded
        return OutsideReferral.objects.get(pk=referral.pk)


def case_follow_transfer(*, student: Student, from_school: School, by: User, **_: Any) -> None:
    """A student with an open case moved school: the case is the new school's now (portal.signals).

    The old owner no longer sees it; the new school's leaders and counselors are told at once, without
    clinical detail, so that nobody at risk falls between two schools.
    """
    case = Case.objects.filter(student=student).exclude(status=Status.CLOSED).first()
    if case is None:
        return
    if case.owner_id is not None:
        Case.objects.filter(pk=case.pk).update(owner=None)
    for user in school_staff(student.school_id, Role.LEADER, Role.COUNSELOR):
        notifications.notification_send(
            kind="case_transferred_in",
            user=user,
            via=["inbox", "email"],
            context={"school": student.school.name, "from_school": from_school.name, "student": student.name,
                     "case_path": reverse("crisis:case", args=[case.pk])},
            dedupe_key=f"case_transferred_in:{case.pk}:{student.school_id}:{user.pk}",
        )  # fmt: skip
