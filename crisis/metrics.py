"""The crisis register's figures for /metrics (portal.metrics): cases waiting for their first assessment and
past its deadline, and guardian notices not yet acknowledged. Counts only: nothing that names a student."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from crisis.models import Case, GuardianNotice, Status, Tier


def collect() -> Iterator[GaugeMetricFamily]:
    now = timezone.now()
    waiting = GaugeMetricFamily(
        "crisis_cases_awaiting_assessment", "Cases awaiting their first assessment, by suggested tier.", labels=["tier"]
    )
    late = GaugeMetricFamily(
        "crisis_cases_past_first_contact_deadline",
        "Cases awaiting assessment past their first-contact deadline and not taken on by the person on call.",
        labels=["tier"],
    )
    oldest = GaugeMetricFamily(
        "crisis_oldest_awaiting_assessment_seconds",
        "How long the oldest case of each tier has waited.",
        labels=["tier"],
    )
    rows = {
        row["suggested_tier"]: row
        for row in Case.objects.filter(status=Status.PENDING)
        .values("suggested_tier")
        .annotate(
            n=Count("id"),
            late=Count("id", filter=Q(assess_by__lte=now, on_call_ack_at__isnull=True)),
            since=Min("opened_at"),
        )
    }
    for tier in Tier.values:
        row = rows.get(tier)
        waiting.add_metric([str(tier)], row["n"] if row else 0)
        late.add_metric([str(tier)], row["late"] if row else 0)
        oldest.add_metric([str(tier)], (now - row["since"]).total_seconds() if row else 0)
    notices = GuardianNotice.objects.filter(acknowledged_at__isnull=True, guardian__isnull=False, expires_at__gt=now)
    figures = notices.aggregate(n=Count("id"), since=Min("sent_at"))
    unacknowledged = GaugeMetricFamily(
        "crisis_guardian_notices_unacknowledged", "Guardian notices sent and not yet acknowledged (still valid)."
    )
    unacknowledged.add_metric([], figures["n"])
    age = GaugeMetricFamily(
        "crisis_oldest_unacknowledged_notice_seconds", "Age of the oldest guardian notice not yet acknowledged."
    )
    age.add_metric([], (now - figures["since"]).total_seconds() if figures["since"] else 0)
    yield from (waiting, late, oldest, unacknowledged, age)
