from celery import shared_task
from django.utils import timezone

from counseling import services


@shared_task(time_limit=5 * 60, soft_time_limit=4 * 60)
def reminders() -> dict[str, int]:
    """Every few minutes: the day-before and hour-before reminders that are due (each sent once)."""
    return services.reminders_send()


@shared_task(time_limit=15 * 60, soft_time_limit=14 * 60)
def slots_generate() -> int:
    """Daily: every school's slots for the next four weeks from its weekly template."""
    from portal.models import School

    start = timezone.localdate()
    schools = School.objects.filter(openings__isnull=False).distinct()
    return sum(services.slots_generate(school=school, start=start) for school in schools)
