from celery import shared_task

from crisis import services


@shared_task(time_limit=5 * 60, soft_time_limit=4 * 60)
def escalate() -> dict[str, int]:
    # Safe to run twice: each escalation step is claimed with a conditional UPDATE.
    return services.escalate_due()
