from celery import shared_task

from crisis import alerts, services, timers


@shared_task(time_limit=5 * 60, soft_time_limit=4 * 60)
def escalate() -> dict[str, int]:
    # Safe to run twice: each escalation step is claimed with a conditional UPDATE, and each overdue
    # follow-up is flagged once per due date (a notification dedupe key).
    return {**alerts.escalate_due(), "overdue_follow_ups": services.overdue_follow_ups_flag()}


@shared_task(time_limit=60, soft_time_limit=50)
def grants_expire() -> int:
    # Access already ends at expires_at (portal.access.scope_cases); this removes the rows themselves.
    return services.grants_expire()


@shared_task(time_limit=60, soft_time_limit=50)
def first_contact() -> dict[str, int]:
    # Safe to run twice: each step is claimed with a conditional UPDATE on the case.
    return timers.first_contact_due()
