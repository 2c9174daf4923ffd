"""Celery entry points of the core: pass ids, call one service."""

from celery import shared_task

from portal import services


@shared_task(acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def roster_import_apply(import_id: int) -> str:
    # acks_late is safe: the service claims the import with a conditional UPDATE, so a redelivery applies nothing.
    return services.roster_import_apply(import_id=import_id).status
