"""The notifications outbox: a message to a person, written in the same transaction as its cause."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import links
from portal.encryption import EncryptedTextField
from portal.models.people import Channel, Guardian, Student


class Notification(models.Model):
    kind = models.CharField(_("kind"), max_length=50)  # names the templates in templates/notifications/
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    guardian = models.ForeignKey(
        Guardian, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    # The student the message is about, when it goes to their family (or concerns them): whether the family may
    # be contacted is asked again as each delivery is sent (portal.signals.family_message_check).
    student = models.ForeignKey(Student, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Parameters for the templates: ids, counts, names of schools. Free text goes in encrypted fields only.
    context = models.JSONField(default=dict, blank=True)
    # The cause, when one cause must notify once (e.g. "roster_import_applied:42").
    dedupe_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(guardian__isnull=False), name="notification_has_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    WITHHELD = "withheld", _("Withheld (safeguarding)")


class Delivery(models.Model):
    """One notification through one channel. The unique pair makes delivery idempotent."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Address and language as they were when the cause happened.
    address = models.CharField(_("address"), max_length=254, blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When a task was last handed this delivery: the sweeper re-sends what no task picked up.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Who holds the claim: a worker whose claim went stale cannot finish or reset the next one's.
    claim = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)  # error class and status code, never content

    AUDIT_STUDENT = "notification__student"  # portal.audit: a withheld message names the student it was about

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="delivery_sent_has_time"
            ),
        ]
        indexes = [
            # The sweeper: pending deliveries due, and sending ones whose worker went silent.
            models.Index(fields=["status", "next_attempt_at"], name="delivery_sweep"),
        ]

    def __str__(self) -> str:
        return f"{self.notification} via {self.channel}: {self.status}"

    @property
    def message_id(self) -> str:
        """Stable across retries, so a receiver can drop a copy re-sent after a crash."""
        return f"<notification-{self.notification_id}.{self.channel}@{settings.MESSAGE_ID_DOMAIN}>"


class InboxMessage(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox")
    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="inbox_message")
    subject = models.CharField(_("subject"), max_length=200)
    body = EncryptedTextField(_("message"))
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The page the message is about (the first of this site's links in its body), opened from the inbox in one
    # click: portal.links.
    link = models.CharField(_("link"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="inbox_user_time"),  # the inbox page
            # The unread count every page shows (portal.sql.USER_COLUMNS).
            models.Index(fields=["user"], condition=models.Q(read_at__isnull=True), name="inbox_unread"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def link_label(self) -> str:
        """What its button says: the page it opens ("Open the case")."""
        return str(links.label(self.link))
