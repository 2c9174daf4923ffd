"""Screening's part of the home pages (portal.home): for a class teacher, how far each of their classes has got in
the screening rounds open now (counts only, never a name, as in the teacher's reminders: services.remind_lagging);
for a parent, the consent and the questionnaire about their child that wait for them."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from crisis.alerts import family_contact_refusal
from portal import access
from portal.access import AnyUser
from portal.home import Section
from portal.models import Classroom, StudentGuardian
from screening import services
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


def parent_requests(user: AnyUser) -> Section | None:
    """What a screening round asks of a parent: a consent not yet given (to the primary guardian, who is asked),
    and the parent's own questionnaire once consent stands. Hidden, as the messages are withheld, while the
    family may not be contacted (crisis.alerts decides, asked as the page is drawn)."""
    if not access.roles_of(user).is_parent:
        return None
    today = timezone.localdate()
    primary = StudentGuardian.objects.filter(guardian__user_id=user.pk or 0, is_primary=True).values("student_id")
    open_now = (
        Participation.objects.filter(student__in=primary, campaign__status=CampaignStatus.OPEN)
        .filter(campaign__opens_on__lte=today, campaign__closes_on__gte=today)
        .select_related("campaign", "student__classroom", "student__school")
        .order_by("campaign__closes_on", "pk")
    )
    rows = []
    for participation in open_now:
        if family_contact_refusal(participation.student_id):
            continue
        if participation.consent == Consent.PENDING:
            rows.append(
                (participation, "consent", reverse("screening:consent", args=[services.consent_token(participation)]))
            )
        elif participation.consent != Consent.REFUSED and services.next_step(participation, "parent") is not None:
            path = reverse("screening:parent_form", args=[services.parent_form_token(participation)])
            rows.append((participation, "form", path))
    if not rows:
        return None
    return Section("screening/_home_parent.html", order=6, context={"rows": rows})
