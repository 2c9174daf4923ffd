from typing import Any

from celery import shared_task

from dashboards import services
from portal.models import District


@shared_task(time_limit=30 * 60, soft_time_limit=29 * 60)
def refresh() -> int:
    """Every few minutes: the districts' rollups, so that no dashboard aggregates at request time."""
    return services.refresh_all()


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def refresh_district(district_id: int) -> int:
    """One district's rollups, right after its data was loaded in bulk. Running twice upserts the same rows."""
    district = District.objects.filter(pk=district_id).first()
    return services.refresh(district) if district else 0


def district_loaded(sender: Any, *, district_id: int, **kwargs: Any) -> None:
    """A district was loaded (the demo seeded, a roster import applied): its figures now, not at the next
    ten-minute refresh, so that a first look at the dashboard does not find schools without any."""
    refresh_district.delay(district_id)
