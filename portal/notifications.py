"""The outbox: create notifications with their cause, deliver them once per channel, sweep up the lost.

notification_send() runs inside the transaction of the change that causes it; the delivery tasks are
queued only once that transaction commits. A delivery is claimed with a conditional UPDATE before it
is sent (so two workers never both send it) and the slow I/O happens outside any transaction. If the
process dies, or the queue loses the task, the sweeper finds the delivery and queues it again. A copy
sent twice after a crash carries the same Message-ID / idempotency key, so the receiver can drop it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal import audit, channels, links, signals, sql
from portal.models import Delivery, Guardian, InboxMessage, Notification, Student, StudentGuardian, User
from portal.models.notify import DeliveryStatus
from portal.models.people import Channel

logger = logging.getLogger(__name__)


def notification_send(
    *,
    kind: str,
    context: dict[str, Any],
    user: User | None = None,
    guardian: Guardian | None = None,
    via: list[str] | None = None,
    dedupe_key: str | None = None,
    student: Student | None = None,
) -> Notification | None:
    """Write a notification and its deliveries in the caller's transaction; queue them on commit.

    Channels default to the guardian's preferred one (plus the inbox if they have a login), or for a
    user to the inbox plus e-mail when they have an address. A repeated dedupe_key sends nothing. A message
    about a student to their family names the `student`: each delivery asks again, as it is sent, whether the
    family may be contacted (deliver_attempt).
    """
    language = guardian.language if guardian else (user.language if user else settings.LANGUAGE_CODE)
    addresses: dict[str, str] = {}
    if guardian is not None:
        addresses[Channel.SMS] = guardian.mobile
        addresses[Channel.EMAIL] = guardian.email
        user = user or guardian.user
    if user is not None:
        addresses[Channel.INBOX] = str(user.pk)
        addresses.setdefault(Channel.EMAIL, user.email)
        addresses.setdefault(Channel.SMS, user.phone)  # staff's work phone: an alert "by SMS" reaches it
    if via is None:
        via = [guardian.channel] if guardian else [Channel.EMAIL]
        if user is not None:
            via.append(Channel.INBOX)
    wanted = list(dict.fromkeys(via))
    chosen = [c for c in wanted if addresses.get(c)]
    if not chosen:  # none of the wanted channels has an address: any channel that does beats silence
        chosen = [str(c) for c in (Channel.SMS, Channel.EMAIL, Channel.INBOX) if addresses.get(c)][:1]
    now = timezone.now()
    notification = Notification(
        kind=kind, user=user, guardian=guardian, student=student, context=context, dedupe_key=dedupe_key
    )
    deliveries = [
        Delivery(channel=c, address=addresses[c], language=language, enqueued_at=now) for c in chosen
    ] + [
        # A wanted channel without an address stays on record as failed, so "nobody was told" is visible.
        Delivery(channel=c, language=language, status=DeliveryStatus.FAILED, last_error="no address on record")
        for c in wanted
        if c not in chosen
    ]  # fmt: skip
    with transaction.atomic(savepoint=False):  # one statement; the caller's transaction, if any
        ids = sql.notification_write(notification, deliveries)
        if ids is None:  # the same dedupe_key was sent before
            return None
        # robust: the rows are committed by then, so a broker that is down must not turn the caller's
        # committed change into an error (nor skip its other on-commit work); the sweeper queues them later.
        transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return notification


def _enqueue(delivery_ids: list[int], *, countdown: float | None = None) -> None:
    from portal.tasks import delivery_send

    for delivery_id in delivery_ids:
        delivery_send.apply_async((delivery_id,), countdown=countdown)


def render(notification: Notification, language: str) -> channels.Message:
    """The message in the recipient's language, from templates/notifications/<kind>_{subject,body,sms}.txt."""
    context = {**notification.context, "site_url": settings.SITE_URL}
    with translation.override(language):
        subject = render_to_string(f"notifications/{notification.kind}_subject.txt", context).strip()
        body = render_to_string(f"notifications/{notification.kind}_body.txt", context).strip()
        sms = render_to_string(f"notifications/{notification.kind}_sms.txt", context).strip()
    return channels.Message(subject=subject, body=body, sms=sms, message_id="", language=language)


@dataclass(frozen=True)
class Outcome:
    sent: bool
    retry_in: float | None = None


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: about 30 s, 1 min, 2 min... capped at an hour, never in lockstep."""
    ceiling = min(settings.OUTBOX_BACKOFF_CAP, settings.OUTBOX_BACKOFF_BASE * 2 ** max(attempt - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security


def delivery_attempt(*, delivery_id: int) -> Outcome:
    """Claim one delivery, send it outside any transaction, record the result."""
    now = timezone.now()
    claim = uuid.uuid4().hex
    open_ = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=_stale(now)
    )
    claimed = Delivery.objects.filter(open_, pk=delivery_id, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS).update(
        status=DeliveryStatus.SENDING, claimed_at=now, claim=claim, attempts=F("attempts") + 1
    )
    if not claimed:
        # Sent already, failed for good, or another worker has it; one that used up its attempts is failed.
        Delivery.objects.filter(open_, pk=delivery_id, attempts__gte=settings.OUTBOX_MAX_ATTEMPTS).update(
            status=DeliveryStatus.FAILED, last_error=f"gave up after {settings.OUTBOX_MAX_ATTEMPTS} attempts"
        )
        return Outcome(sent=False)
    delivery = Delivery.objects.select_related("notification").get(pk=delivery_id)
    if _withhold(delivery, claim):
        return Outcome(sent=False)
    try:
        message = render(delivery.notification, delivery.language)
        message = channels.Message(**{**message.__dict__, "message_id": delivery.message_id})
        _send(delivery, message)
    except channels.PermanentError as exc:
        _finish(delivery_id, claim, DeliveryStatus.FAILED, str(exc))
        logger.warning("delivery %s failed for good: %s", delivery_id, exc)
        return Outcome(sent=False)
    except Exception as exc:  # noqa: BLE001 - transient, or a bug: retried, but never more than the cap
        if not isinstance(exc, channels.TransientError):
            logger.exception("delivery %s failed unexpectedly", delivery_id)
        if delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            _finish(
                delivery_id,
                claim,
                DeliveryStatus.FAILED,
                f"gave up after {delivery.attempts} attempts: {_describe(exc)}",
            )
            return Outcome(sent=False)
        delay = backoff(delivery.attempts)
        due = timezone.now() + timedelta(seconds=delay)
        Delivery.objects.filter(pk=delivery_id, claim=claim, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.PENDING, next_attempt_at=due, enqueued_at=due, last_error=_describe(exc)
        )
        return Outcome(sent=False, retry_in=delay)
    _finish(delivery_id, claim, DeliveryStatus.SENT, "")
    return Outcome(sent=True)


def _withhold(delivery: Delivery, claim: str) -> bool:
    """A message to a student's family that may not reach them now (a safeguarding flag set since it was queued)
    is withheld, not sent: recorded and audited, and whoever the rule's owner names is told instead."""
    notification = delivery.notification
    if notification.student_id is None or not _to_family(notification):
        return False
    answers = signals.family_message_check.send(sender=Notification, notification=notification)
    reason = next((str(answer) for _, answer in answers if answer), "")
    if not reason:
        return False
    with audit.atomic():
        if Delivery.objects.filter(pk=delivery.pk, claim=claim, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.WITHHELD, last_error=f"withheld: {reason}"[:200]
        ):
            audit.append(audit.entries_for(Delivery, [delivery.pk], verb="withhold", detail={"reason": reason}))
            signals.family_message_withheld.send(sender=Notification, notification=notification, reason=reason)
    logger.info("delivery %s withheld: %s", delivery.pk, reason)
    return True


def _to_family(notification: Notification) -> bool:
    """The recipient is one of the student's guardians (by their record, or by their login)."""
    if notification.guardian_id is not None:
        return True
    student, user = notification.student_id, notification.user_id
    return bool(
        student and user and StudentGuardian.objects.filter(student_id=student, guardian__user_id=user).exists()
    )


def _describe(exc: Exception) -> str:
    """What went wrong, for the record: the error class for anything unexpected, never message content."""
    text = str(exc) if isinstance(exc, channels.TransientError) else f"{type(exc).__name__}: {exc!s}"
    return text[:200]


def _stale(now: dt.datetime) -> dt.datetime:
    return now - timedelta(seconds=settings.OUTBOX_STALE_SENDING_SECONDS)


def _send(delivery: Delivery, message: channels.Message) -> None:
    if delivery.channel == Channel.EMAIL:
        channels.send_email(delivery.address, message)
    elif delivery.channel == Channel.SMS:
        channels.send_sms(delivery.address, message)
    else:
        # One inbox message per delivery, whatever happens: the OneToOne key makes a re-run a no-op.
        InboxMessage.objects.get_or_create(
            delivery=delivery, defaults={"user_id": int(delivery.address), "subject": message.subject[:200],
                                         "body": message.body, "link": links.first_page(message.body)}
        )  # fmt: skip


def _finish(delivery_id: int, claim: str, status: str, error: str) -> None:
    Delivery.objects.filter(pk=delivery_id, claim=claim, status=DeliveryStatus.SENDING).update(
        status=status, sent_at=timezone.now() if status == DeliveryStatus.SENT else None, last_error=error[:200]
    )


def sweep() -> int:
    """Queue again what a crashed worker or a lost queue message left behind. Returns how many."""
    now = timezone.now()
    grace = timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    # A worker that died mid-send left its claim: past the stale time the delivery is pending again,
    # unless it has used up its attempts.
    abandoned = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=_stale(now))
    abandoned.filter(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS).update(
        status=DeliveryStatus.FAILED, last_error=f"gave up after {settings.OUTBOX_MAX_ATTEMPTS} attempts"
    )
    abandoned.update(status=DeliveryStatus.PENDING, next_attempt_at=now, enqueued_at=None, claim="")
    # Pending past the grace: its task was lost (a crash right after commit, a broker restarted empty) or it
    # is still waiting behind a backlog. While tasks wait in the queue, queueing the backlog again would only
    # lengthen it (by a batch per sweep, and without end while no worker runs): the lost wait until it drains.
    lost = Q(enqueued_at__isnull=True)
    if not _tasks_waiting():
        lost |= Q(enqueued_at__lt=now - grace)
    due = Delivery.objects.filter(lost, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    ids = list(due.values_list("pk", flat=True)[: settings.OUTBOX_SWEEP_BATCH])
    if ids:
        Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
        _enqueue(ids)
    return len(ids)


def _tasks_waiting() -> int:
    """How many tasks wait in the delivery queue; 0 when it cannot tell (no broker, or one that lost the queue)."""
    from portal.celery import app

    if app.conf.task_always_eager:
        return 0
    queue = settings.CELERY_TASK_ROUTES["portal.tasks.delivery_send"]["queue"]
    try:
        with app.connection_or_acquire() as conn:
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception as exc:  # noqa: BLE001 - err towards queueing again: a spare task is harmless, a lost one not
        logger.warning("outbox sweep: cannot tell how many tasks wait in %r: %s", queue, _describe(exc))
        return 0
