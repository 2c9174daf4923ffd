from celery import shared_task

from screening import services


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def score_pending() -> int:
    """Drain the submitted responses in batches (bulk queue). Safe to run many at once: SKIP LOCKED."""
    scored = 0
    while batch := services.score_batch():
        scored += batch
    return scored


@shared_task(time_limit=60, soft_time_limit=50, acks_late=True)
def triage_urgent(response_id: int) -> None:
    """A critical answer, on the alerts queue: never behind a campaign's backlog."""
    services.triage_urgent(response_id)


@shared_task(time_limit=60, soft_time_limit=50)
def urgent_sweep() -> int:
    """Every half minute, on the alerts queue: critical answers whose triage task was lost are queued again."""
    return services.urgent_sweep()


@shared_task(time_limit=30 * 60, soft_time_limit=29 * 60)
def campaign_open(campaign_id: int, user_id: int) -> int:
    from portal.models import User
    from screening.models import Campaign

    return services.campaign_open(campaign=Campaign.objects.get(pk=campaign_id), by=User.objects.get(pk=user_id))


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def remind_lagging() -> int:
    """Daily: class teachers of classes that lag behind in an open campaign get a reminder."""
    return services.remind_lagging_all()


@shared_task(time_limit=60 * 60, soft_time_limit=59 * 60)
def rescore(job_id: int) -> int:
    return services.rescore_run(job_id).done


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def close_due() -> int:
    """Hourly: close campaigns past their window and score what was left unfinished."""
    return services.campaigns_close_due()
