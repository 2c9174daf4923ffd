"""A person's rights over their personal information (PIPL ch. IV)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import AuditedQuerySet, Student

# --- A copy of a child's record (PIPL art. 45) -------------------------------------------------------------------

# The bureau answers a request for a copy within 15 calendar days of it.
COPY_DAYS = 15


class Requester(models.TextChoices):
    # PIPL art. 31: a child under 14 acts through their guardian; from 14 a student may ask for themself.
    GUARDIAN = "guardian", _("A guardian, on the portal")
    STUDENT = "student", _("The student, in person")


class CopyStatus(models.TextChoices):
    HELD = "held", _("Held for the leader: guardians are not to be contacted")
    REQUESTED = "requested", _("To be prepared by the counselor")
    PREPARED = "prepared", _("Prepared, awaiting the leader's approval")
    APPROVED = "approved", _("Approved: ready to download")
    REFUSED = "refused", _("Refused")


COPY_OPEN = ("held", "requested", "prepared")


class CopyRequest(models.Model):
    """Someone asked for a copy of a child's record: the counselor prepares it, the school's leader approves or
    refuses it, the family downloads it. `contents` is the copy as prepared (codes, numbers and dates, never free
    text): what the leader approves is what the family gets."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="copy_requests")
    requester = models.CharField(_("asked by"), max_length=10, choices=Requester.choices)
    # The parent who asked; for a student's own request, the member of staff who recorded it.
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    due_on = models.DateField(_("answer by"))
    status = models.CharField(_("status"), max_length=10, choices=CopyStatus.choices)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prepared_at = models.DateTimeField(_("prepared at"), null=True, blank=True)
    contents = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refusal = models.TextField(_("reason for refusing (the family reads it)"), blank=True)

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "student"  # portal.audit: whose record this is

    class Meta:
        verbose_name = _("request for a copy of the record")
        verbose_name_plural = _("requests for a copy of the record")
        constraints = [
            # A second tap or a second tab asks once: one open request per child and person asking.
            models.UniqueConstraint(
                fields=["student", "requester", "asked_by"],
                condition=Q(status__in=COPY_OPEN),
                name="copy_one_open_per_asker",
            ),  # fmt: skip
            # The student's own requests, whoever recorded them: one open at a time.
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(status__in=COPY_OPEN, requester="student"),
                name="copy_one_open_per_student",
            ),  # fmt: skip
            models.CheckConstraint(condition=~Q(status="refused") | ~Q(refusal=""), name="copy_refused_with_reason"),
            models.CheckConstraint(
                condition=Q(status__in=COPY_OPEN, decided_at__isnull=True)
                | Q(status__in=["approved", "refused"], decided_at__isnull=False, decided_by__isnull=False),
                name="copy_decided_with_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["prepared", "approved"]) | Q(prepared_at__isnull=False),
                name="copy_approved_once_prepared",
            ),
        ]
        indexes = [
            # The staff's list of open requests, soonest deadline first.
            models.Index(fields=["due_on"], condition=Q(status__in=COPY_OPEN), name="copy_open_due"),
        ]

    def __str__(self) -> str:
        return f"copy request #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in COPY_OPEN
