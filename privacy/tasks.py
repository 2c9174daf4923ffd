"""Celery entry points of the privacy app: call one service."""

from celery import shared_task

from privacy import retention


# Long: a graduating year's records go in one night; each district is one transaction of its own.
@shared_task(time_limit=60 * 60, soft_time_limit=55 * 60)
def erase_due() -> dict[str, int]:
    # Safe to run twice: a second run finds nothing due (each district's erasure holds its district row locked).
    return retention.erase_due()
