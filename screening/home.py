"""Screening's part of a class teacher's home page (portal.home): how far each of their classes has got in the
screening rounds open now. Counts only, never a name, as in the teacher's reminders (services.remind_lagging)."""

from __future__ import annotations

from django.db.models import Count, Q

from portal import access
from portal.access import AnyUser
from portal.home import Section
from portal.models import Classroom
from screening.models import CampaignStatus, Consent, Participation


def class_progress(user: AnyUser) -> Section | None:
    if not user.is_authenticated:
        return None
    classes = Classroom.objects.filter(class_teacher_id=user.pk).values("pk")
    rows = list(
        Participation.objects.filter(
            campaign__status=CampaignStatus.OPEN,
            student__classroom__in=access.scope_classrooms(Classroom.objects.filter(pk__in=classes), user),
            consent__in=[Consent.GRANTED, Consent.NOT_NEEDED],
        )
        .values("campaign__name", "campaign__closes_on", "student__classroom__grade", "student__classroom__name")
        .annotate(may=Count("id"), done=Count("id", filter=Q(completed_at__isnull=False)))
        .order_by("campaign__closes_on", "student__classroom__grade", "student__classroom__name")
    )
    if not rows:
        return None
    return Section("screening/_home_progress.html", order=30, context={"rows": rows})
