"""A person's rights over their personal information (PIPL ch. IV): a copy of a child's record (art. 45), and how
long a district keeps each kind of record (arts. 19, 47), with when a student was first seen gone. The retention
bounds and defaults, in months, and why each was chosen, are in README.md ("Retention")."""

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


# --- Retention (PIPL arts. 19, 47) ------------------------------------------------------------------------------

# Field -> (least, default, most) months. The least keeps what the law or a claim may still need (civil code
# art. 188: three years to bring a claim; PIPL art. 56: records of processing at least three years); the most
# keeps "the shortest time the purpose needs" (PIPL art. 19) from stretching without end.
BOUNDS: dict[str, tuple[int, int, int]] = {
    "screening_months": (6, 12, 36),
    "case_months": (36, 36, 120),
    "session_months": (36, 36, 120),
    "mailbox_months": (3, 12, 24),
    "audit_months": (36, 60, 180),
}
RECORD_FIELDS = ("screening_months", "case_months", "session_months", "mailbox_months")


class RetentionPolicy(models.Model):
    """A district's retention periods. Without a row the defaults apply (privacy.retention.policy_for)."""

    district = models.OneToOneField("portal.District", on_delete=models.CASCADE, related_name="retention_policy")
    screening_months = models.PositiveSmallIntegerField(
        _("screening answers"), default=BOUNDS["screening_months"][1],
        help_text=_("Months kept after the student leaves or graduates."),
    )  # fmt: skip
    case_months = models.PositiveSmallIntegerField(
        _("crisis cases"), default=BOUNDS["case_months"][1],
        help_text=_("Months kept after the student leaves or graduates, with follow-ups, notices and incidents."),
    )  # fmt: skip
    session_months = models.PositiveSmallIntegerField(
        _("counseling session records"), default=BOUNDS["session_months"][1],
        help_text=_("Months kept after the student leaves or graduates, with bookings."),
    )  # fmt: skip
    mailbox_months = models.PositiveSmallIntegerField(
        _("mailbox messages"), default=BOUNDS["mailbox_months"][1],
        help_text=_("Months kept after the message arrives."),
    )  # fmt: skip
    audit_months = models.PositiveSmallIntegerField(
        _("audit log"), default=BOUNDS["audit_months"][1],
        help_text=_("Months each event is kept; longer than any record it describes."),
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(*[Q(**{f"{f}__gte": lo, f"{f}__lte": hi}) for f, (lo, _d, hi) in BOUNDS.items()]),
                name="retention_periods_within_bounds",
            ),
            # The log outlives what it describes: who opened a record after the student left is still known
            # when the record is gone.
            models.CheckConstraint(
                condition=Q(*[Q(audit_months__gt=models.F(f)) for f in RECORD_FIELDS]),
                name="retention_audit_outlives_records",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district} retention policy"

    def periods(self) -> dict[str, int]:
        return {field: getattr(self, field) for field in BOUNDS}


class Departure(models.Model):
    """The day the erasure task first saw a student no longer active (transferred out or graduated).

    Student has no leaving date, and its updated_at is no substitute: a status set by QuerySet.update() leaves it
    as it was, and a period counted from an older date would erase early. Counted from the first sight instead, a
    period can only end late, never early. A student who comes back loses the row, and the clock with it."""

    student = models.OneToOneField("portal.Student", on_delete=models.CASCADE, primary_key=True,
                                   related_name="departure")  # fmt: skip
    noticed_on = models.DateField(_("first seen gone on"))

    class Meta:
        verbose_name = _("departure")
        verbose_name_plural = _("departures")

    def __str__(self) -> str:
        return f"departure of {self.student_id} on {self.noticed_on}"
