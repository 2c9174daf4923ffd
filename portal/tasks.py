"""Celery entry points: pass ids, call one service.

acks_late only where running twice does nothing twice (the service claims its row first).
"""

from celery import shared_task

from portal import notifications, services
from portal.checks import DELIVERY_TIME_LIMIT


@shared_task(acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def roster_import_apply(import_id: int) -> str:
    # Safe to redeliver: the service locks the import row and applies only a queued import.
    return services.roster_import_apply(import_id=import_id).status


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None,
    time_limit=DELIVERY_TIME_LIMIT, soft_time_limit=DELIVERY_TIME_LIMIT - 10,
)  # fmt: skip
def delivery_send(self, delivery_id: int) -> bool:  # type: ignore[no-untyped-def]
    # Safe to redeliver: the delivery is claimed with a conditional UPDATE before anything is sent.
    outcome = notifications.delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.sent


@shared_task(time_limit=60, soft_time_limit=50)
def outbox_sweep() -> int:
    return notifications.sweep()
