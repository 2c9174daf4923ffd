"""Screening: instrument definitions as loaded from the repository (each version kept for its responses)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from screening.definitions import Definition, parse


class Instrument(models.Model):
    """One version of one instrument's definition. Responses point at the version they were given with."""

    code = models.CharField(_("code"), max_length=20)
    version = models.CharField(_("version"), max_length=20)
    definition = models.JSONField(_("definition"))
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="instrument_version_unique")]
        ordering = ["code", "-loaded_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.version}"

    @property
    def parsed(self) -> Definition:
        return parse(self.definition)
