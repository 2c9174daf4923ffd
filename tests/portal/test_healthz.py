"""/healthz: JSON for the load balancer; 503 when a dependency is down."""

import os

import pytest
from django.db.utils import OperationalError
from django.urls import reverse

from portal import health


def test_healthy_in_inline_mode(client, db, settings):
    settings.REDIS_URL = ""
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "workers"}


def test_database_down_answers_503(client, db, monkeypatch, settings):
    settings.REDIS_URL = ""

    class DownDatabase:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", DownDatabase())
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "detail": "OperationalError"}


def test_unreachable_redis_answers_503(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["workers"]["ok"] is False


def test_real_redis_without_workers_is_reported(client, db, settings):
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL must be set in CI")
        pytest.skip("needs Redis (REDIS_URL)")
    settings.REDIS_URL = url
    from portal.celery import app

    app.conf.task_always_eager = False
    body = client.get(reverse("healthz")).json()
    assert body["checks"]["redis"] == {"ok": True, "detail": "ping"}
    # No worker consumes here (unit tests): the alerts queue is reported missing, and that is a 503.
    assert body["checks"]["workers"]["ok"] is False
    assert "alerts" in body["checks"]["workers"]["detail"]["missing"]
