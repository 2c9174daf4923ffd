"""/metrics for operators, in Prometheus' text format: is the alert chain moving?

Every figure is read from the database (or the broker) at each scrape by a collector, so each web process answers
the same and nothing is counted in memory. Apps add their own collectors in their AppConfig.ready (crisis adds
its cases and notices). The alert rules a district's IT would set are in the README ("Operators").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from portal.models import Delivery, TaskRun
from portal.models.notify import DeliveryStatus

COLLECTORS: list[Callable[[], Iterable[GaugeMetricFamily]]] = []
UNDELIVERED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
# Kombu's Redis transport keeps a queue's priorities 3, 6 and 9 in their own lists beside the queue's name.
_PRIORITY_LISTS = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def outbox() -> Iterator[GaugeMetricFamily]:
    backlog = GaugeMetricFamily("portal_outbox_undelivered", "Deliveries not yet sent, by channel.", labels=["channel"])
    oldest = GaugeMetricFamily(
        "portal_outbox_oldest_undelivered_seconds",
        "Age of the oldest delivery not yet sent, by channel (0 when none waits).",
        labels=["channel"],
    )
    rows = {
        row["channel"]: row
        for row in Delivery.objects.filter(status__in=UNDELIVERED)
        .values("channel")
        .annotate(n=Count("id"), since=Min("notification__created_at"))
    }
    now = timezone.now()
    for channel in ("email", "sms", "inbox"):
        row = rows.get(channel)
        backlog.add_metric([channel], row["n"] if row else 0)
        oldest.add_metric([channel], (now - row["since"]).total_seconds() if row else 0)
    yield backlog
    yield oldest


def queues() -> Iterator[GaugeMetricFamily]:
    """Tasks waiting in each Celery queue on the broker; nothing when tasks run inline (no broker)."""
    depth = GaugeMetricFamily("portal_queue_depth", "Tasks waiting in each Celery queue.", labels=["queue"])
    if settings.REDIS_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        names = sorted({route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
                       | {settings.CELERY_TASK_DEFAULT_QUEUE})  # fmt: skip
        pipe = client.pipeline()
        for name in names:
            for suffix in _PRIORITY_LISTS:
                pipe.llen(name + suffix)
        lengths = pipe.execute()
        for i, name in enumerate(names):
            depth.add_metric([name], sum(lengths[i * len(_PRIORITY_LISTS) : (i + 1) * len(_PRIORITY_LISTS)]))
    yield depth


def scheduled_tasks() -> Iterator[GaugeMetricFamily]:
    last = GaugeMetricFamily(
        "portal_task_last_run_timestamp_seconds",
        "When each scheduled task (the sweepers among them) last finished, as a Unix time; 0: never.",
        labels=["task"],
    )
    runs = dict(TaskRun.objects.values_list("task", "last_run_at"))
    for task in sorted(_scheduled()):
        last.add_metric([task], runs[task].timestamp() if task in runs else 0)
    yield last


def _scheduled() -> set[str]:
    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def task_ran(sender: Any = None, **kwargs: Any) -> None:
    """celery's task_success: a scheduled task finished; one upsert."""
    name = getattr(sender, "name", "")
    if name in _scheduled():
        TaskRun.objects.bulk_create(
            [TaskRun(task=name, last_run_at=timezone.now())],
            update_conflicts=True, unique_fields=["task"], update_fields=["last_run_at"],
        )  # fmt: skip


class _Collectors(Collector):
    def collect(self) -> Iterable[GaugeMetricFamily]:
        for collect in [outbox, queues, scheduled_tasks, *COLLECTORS]:
            yield from collect()


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(_Collectors())
