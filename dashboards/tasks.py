from celery import shared_task

from dashboards import services


@shared_task(time_limit=30 * 60, soft_time_limit=29 * 60)
def refresh() -> int:
    """Every few minutes: the districts' rollups, so that no dashboard aggregates at request time."""
    return services.refresh_all()
