"""Roster imports: an uploaded class list kept until it is previewed and applied."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models.org import School


class ImportStatus(models.TextChoices):
    REFUSED = "refused", _("Refused: the file has errors")
    PREVIEWED = "previewed", _("Ready to apply")
    APPLYING = "applying", _("Being applied")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")


class RosterImport(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="roster_imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file"), max_length=200)
    # The raw upload, kept only between preview and apply; cleared once applied (data minimisation).
    content = models.BinaryField(editable=False)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    # Row-level errors as codes and parameters, translated when shown so each reader gets their language.
    errors = models.JSONField(default=list, blank=True)
    # What applying does (or did): counts of classes, students and guardians created and updated.
    plan = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
