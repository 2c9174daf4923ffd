"""Health checks for /healthz: each returns {"ok": bool, "detail": str}."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; the type is the detail.
        return {"ok": False, "detail": type(exc).__name__}
    return {"ok": True, "detail": "select 1"}


def check_redis() -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"ok": True, "detail": "not configured: tasks run inline"}
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "detail": type(exc).__name__}
    return {"ok": True, "detail": "ping"}


def check_workers() -> dict[str, Any]:
    """Which queues have a live worker: alerts must never be left without one."""
    from portal.celery import app

    if app.conf.task_always_eager:
        return {"ok": True, "detail": "eager: tasks run inline"}
    try:
        inspector = app.control.inspect(timeout=1.0)
        active = inspector.active_queues() or {}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "detail": type(exc).__name__}
    queues = sorted({q["name"] for worker in active.values() for q in worker})
    missing = [q for q in settings.CELERY_REQUIRED_QUEUES if q not in queues]
    return {"ok": not missing, "detail": {"workers": len(active), "queues": queues, "missing": missing}}


def check_all() -> dict[str, dict[str, Any]]:
    redis_state = check_redis()
    workers = check_workers() if redis_state["ok"] else {"ok": False, "detail": "redis down"}
    return {"database": check_database(), "redis": redis_state, "workers": workers}
