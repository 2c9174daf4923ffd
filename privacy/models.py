"""How long a district keeps each kind of record (PIPL arts. 19, 47), and when a student was first seen gone.

The bounds and defaults, in months, and why each was chosen, are in README.md ("Retention").
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
