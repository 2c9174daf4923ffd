"""Who is told about a student at risk, and who may not be: the alert policy, in one place.

The safeguarding rule (a case's "do not contact guardians" flag) is asked when a guardian notice is created,
when it escalates, and again by the outbox as each queued message to the student's family is sent
(portal.signals.family_message_check): a flag set after a message was queued still stops it, and the school's
leaders are told instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from crisis import oncall
from crisis.models import Case, GuardianNotice, Status
from portal import audit, notifications
from portal.models import Membership, Notification, Role, StudentGuardian, User
from portal.selectors import school_staff


def family_contact_refusal(student_id: int) -> str:
    """Why the student's family may not be contacted now: the safeguarding reason on their open case ("" when
    they may)."""
    reason = (
        Case.objects.filter(student_id=student_id)
        .exclude(status=Status.CLOSED)
        .values_list("guardian_contact_blocked", flat=True)
        .first()
    )
    return reason or ""


def case_raised(
    *, case: Case, tier: int, source: str, cause: str, tell_guardian: bool = False, in_hours: bool = True
) -> None:
    """A case opened or raised at tier 2-3, whatever raised it (screening, a session record, a referral, the
    mailbox, a transfer, a paper form): the school's counselors and leaders hear at once, by inbox, e-mail and
    SMS, once per case and cause (a new critical answer on an open case is a new cause: they hear again). The
    guardian too where `tell_guardian` (the district's screening policy) says so, once per case and tier, and
    only if the family may be contacted (guardian_notify applies the safeguarding rule). Outside the school's
    hours (`in_hours` False: crisis.oncall.school_hours) whoever is on call is paged too. Call inside the raise's
    transaction."""
    if tier < 2:
        return
    student = case.student
    staff = list(school_staff(student.school_id, Role.COUNSELOR, Role.LEADER).order_by("pk"))
    kind = "screening_risk_alert" if source == "screening" else "case_risk_alert"
    context = {"school": student.school.name, "student": student.name, "tier": tier, "source": source,
               "case_path": reverse("crisis:case", args=[case.pk])}  # fmt: skip
    for user in staff:
        notifications.notification_send(
            kind=kind, user=user, via=["inbox", "email", "sms"], context=context,
            dedupe_key=f"case_alert:{case.pk}:{cause}:{user.pk}",
        )  # fmt: skip
    if not in_hours:
        oncall.page(case=case, tier=tier, cause=cause, leaders=leaders(student.school_id))
    if tell_guardian and not case.notices.filter(tier__gte=tier).exists():
        counselors = school_staff(student.school_id, Role.COUNSELOR).order_by("pk")
        guardian_notify(case=case, counselor=counselors.first() or (staff[0] if staff else None))


def guardian_notify(*, case: Case, counselor: User | None) -> list[GuardianNotice]:
    """Ask the primary guardian to contact the counselor, with a signed, expiring, single-use link.

    When guardian contact is blocked for safeguarding, or no primary guardian is on record, the school's
    leaders are alerted instead. Messages carry no clinical detail. Call inside the case's transaction.
    """
    from crisis.services import ack_token

    student = case.student
    tier = case.confirmed_tier or case.suggested_tier
    expires = timezone.now() + timedelta(hours=settings.CRISIS_ACK_HOURS)
    link = StudentGuardian.objects.filter(student=student, is_primary=True).select_related("guardian").first()
    context = _contact_context(case, counselor)
    refusal = case.guardian_contact_blocked or family_contact_refusal(student.pk)
    if link is not None and not refusal:
        notice = GuardianNotice.objects.create(case=case, guardian=link.guardian, tier=tier, expires_at=expires)
        notifications.notification_send(
            kind="guardian_contact_request",
            guardian=link.guardian,
            student=student,
            context={**context, "ack_path": reverse("crisis:acknowledge", args=[ack_token(notice)])},
            dedupe_key=f"guardian_notice:{notice.pk}",
        )
        audit.append(audit.entries_for(GuardianNotice, [notice.pk], verb="send", detail={"to": "guardian"}))
        return [notice]
    reason = refusal or "no_primary_guardian"
    notices = []
    for leader in leaders(student.school_id):
        notice = GuardianNotice.objects.create(case=case, leader=leader, tier=tier, expires_at=expires)
        notifications.notification_send(
            kind="leader_case_alert",
            user=leader,
            via=["inbox", "email"],
            context={**context, "case_path": reverse("crisis:case", args=[case.pk])},
            dedupe_key=f"guardian_notice:{notice.pk}",
        )
        notices.append(notice)
    audit.append(audit.entries_for(GuardianNotice, [n.pk for n in notices], verb="send",
                                   detail={"to": "leader", "reason": reason}))  # fmt: skip
    return notices


_OTHER_CHANNELS = {"sms": ["email", "inbox"], "email": ["sms", "inbox"], "inbox": ["sms", "email"]}


def escalate_due() -> dict[str, int]:
    """Unacknowledged notices past CRISIS_ESCALATE_HOURS: first try the guardian's next channel, then alert
    the school's leaders. Each step happens once (a conditional UPDATE claims it), whatever runs twice. A notice
    whose family may no longer be contacted (the safeguarding flag set since it was sent) skips the guardian's
    second channel and goes to the leaders at once."""
    now = timezone.now()
    due = now - timedelta(hours=settings.CRISIS_ESCALATE_HOURS)
    done = {"second_channel": 0, "leader": 0, "withheld": 0}
    first = GuardianNotice.objects.filter(
        acknowledged_at__isnull=True, guardian__isnull=False, escalation=0, sent_at__lte=due
    ).select_related("guardian", "case__student__school", "case__owner")
    for notice in first:
        with audit.atomic():
            refusal = family_contact_refusal(notice.case.student_id)
            step = 2 if refusal else 1
            if not GuardianNotice.objects.filter(pk=notice.pk, escalation=0).update(escalation=step, escalated_at=now):
                continue
            if refusal:
                _leaders_tell(notice, kind="leader_case_alert")
                audit.append(audit.entries_for(GuardianNotice, [notice.pk], verb="escalate",
                                               detail={"step": 2, "withheld": refusal}))  # fmt: skip
                done["withheld"] += 1
                continue
            guardian = notice.guardian
            assert guardian is not None  # noqa: S101 - the filter above
            notifications.notification_send(
                kind="guardian_contact_request",
                guardian=guardian,
                student=notice.case.student,
                via=_OTHER_CHANNELS[guardian.channel],
                context=_notice_context(notice),
                dedupe_key=f"guardian_notice:{notice.pk}:second",
            )
            audit.append(audit.entries_for(GuardianNotice, [notice.pk], verb="escalate", detail={"step": 1}))
            done["second_channel"] += 1
    second = GuardianNotice.objects.filter(
        acknowledged_at__isnull=True, guardian__isnull=False, escalation=1, escalated_at__lte=due
    ).select_related("case__student__school", "case__owner")
    for notice in second:
        with audit.atomic():
            if not GuardianNotice.objects.filter(pk=notice.pk, escalation=1).update(escalation=2, escalated_at=now):
                continue
            _leaders_tell(notice, kind="leader_unacknowledged_alert")
            audit.append(audit.entries_for(GuardianNotice, [notice.pk], verb="escalate", detail={"step": 2}))
            done["leader"] += 1
    return done


def _leaders_tell(notice: GuardianNotice, *, kind: str) -> None:
    for leader in leaders(notice.case.student.school_id):
        notifications.notification_send(
            kind=kind,
            user=leader,
            via=["inbox", "email"],
            context={**_notice_context(notice), "case_path": reverse("crisis:case", args=[notice.case_id])},
            dedupe_key=f"guardian_notice:{notice.pk}:leader:{leader.pk}",
        )


def family_message_check(sender: Any, *, notification: Notification, **_: Any) -> str:
    """portal.signals.family_message_check: the outbox asks as it sends a message to a student's family."""
    assert notification.student_id is not None  # noqa: S101 - asked only about a student
    return family_contact_refusal(notification.student_id)


def family_message_withheld(sender: Any, *, notification: Notification, reason: str, **_: Any) -> None:
    """A message to a family was withheld: the school's leaders hear that it was, once per message, so that
    someone decides how (and whether) the family is reached."""
    student_id = notification.student_id
    case = Case.objects.filter(student_id=student_id).exclude(status=Status.CLOSED).first() if student_id else None
    if case is None:
        return
    student = case.student
    with transaction.atomic():
        for leader in leaders(student.school_id):
            notifications.notification_send(
                kind="family_message_withheld",
                user=leader,
                via=["inbox", "email"],
                context={"school": student.school.name, "student": student.name,
                         "case_path": reverse("crisis:case", args=[case.pk])},
                dedupe_key=f"family_message_withheld:{notification.pk}:{leader.pk}",
            )  # fmt: skip


def leaders(school_id: int) -> list[User]:
    """The school's leaders: whoever is told when the family cannot be, or has not answered."""
    return list(school_staff(school_id, Role.LEADER))


def officials(district_id: int) -> list[User]:
    """The district's officials: told of a school that cannot keep up, and of a case left unassessed too long."""
    members = Membership.objects.active().filter(district_id=district_id, role=Role.OFFICIAL).values("user_id")
    return list(User.objects.filter(is_active=True, pk__in=members).order_by("pk"))


def _contact_context(case: Case, counselor: User | None) -> dict[str, Any]:
    """What a message about a case may say: school, student, counselor and work phone. Nothing clinical."""
    return {
        "school": case.student.school.name,
        "student": case.student.name,
        "counselor": (counselor.get_full_name() or counselor.get_username()) if counselor else "",
        "phone": counselor.phone if counselor else "",
    }


def _notice_context(notice: GuardianNotice) -> dict[str, Any]:
    from crisis.services import ack_token

    return {
        **_contact_context(notice.case, notice.case.owner),
        "ack_path": reverse("crisis:acknowledge", args=[ack_token(notice)]),
    }
