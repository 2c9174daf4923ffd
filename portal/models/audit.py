"""The append-only audit log (who opened or changed which sensitive record, never the content)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    # Plain ids, not foreign keys: deleting a user or a student must never cascade into the log,
    # and PostgreSQL refuses UPDATE and DELETE on this table (a trigger, migration 0002).
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(_("who"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=50)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64)
    student_id = models.BigIntegerField(null=True)
    school_id = models.BigIntegerField(null=True)
    request_id = models.CharField(max_length=64, blank=True)
    # Field names, counts, import ids: never the sensitive values themselves.
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    # Unique through Meta.constraints: a unique=True CharField also gets a LIKE index no query uses, one more
    # index to write for every event.
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [models.UniqueConstraint(fields=["hash"], name="audit_hash_unique")]
        indexes = [
            # "Who opened this student's records, and when" (the school leader's access log).
            models.Index(fields=["student_id", "-created_at"], name="audit_student_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id} by {self.actor_username}"


class AuditedQuerySet(models.QuerySet[Any]):
    """QuerySet.update() and delete() on audited tables write one event per row they touch."""

    def update(self, **kwargs: Any) -> int:
        from portal import audit

        with transaction.atomic():  # the change and its events commit together or not at all
            entries = audit.entries_for(self.model, self.values_list("pk", flat=True), verb="bulk_update",
                                        detail={"fields": sorted(kwargs)})  # fmt: skip
            count = super().update(**kwargs)
            audit.append(entries)
        return count

    def bulk_update(self, objs: Iterable[Any], fields: Iterable[str], batch_size: int | None = None) -> int:
        """One UPDATE ... FROM (VALUES ...) per batch (portal.sql.bulk_update); each row changed writes its audit
        event, as update() does."""
        from portal import audit, sql

        objs, fields = list(objs), list(fields)
        if not objs:
            return 0
        with transaction.atomic():
            count = sql.bulk_update(self.model, objs, fields, batch_size)
            audit.append(audit.entries_for(self.model, [obj.pk for obj in objs], verb="bulk_update",
                                           detail={"fields": sorted(self.model._meta.get_field(f).attname
                                                                    for f in fields)}))  # type: ignore[union-attr]  # fmt: skip
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        from portal import audit

        with transaction.atomic():
            entries = audit.entries_for(self.model, self.values_list("pk", flat=True), verb="delete")
            result = super().delete()
            audit.append(entries)
        return result
