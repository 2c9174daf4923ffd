"""No Docker engine runs here: parse docker-compose.yml and check each command names real code."""

import importlib
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker-alerts", "worker-bulk", "beat"} <= set(services)


def _import_target(target: str):
    module, _, attribute = target.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


def test_every_app_command_names_a_real_module():
    services = _compose()["services"]
    checked = 0
    for name, service in services.items():
        command = service.get("command")
        if not command or command[0] not in ("gunicorn", "celery", "python"):
            continue
        if command[0] == "gunicorn":
            assert callable(_import_target(command[1])), name
        elif command[0] == "celery":
            app = _import_target(command[command.index("-A") + 1]).celery_app
            assert app.main == "portal", name
            if "worker" in command:
                queue = command[command.index("-Q") + 1]
                assert queue in {"alerts", "bulk"}, name
        else:
            assert (ROOT / command[1]).exists(), name
        checked += 1
    assert checked >= 5


def test_each_queue_has_its_own_worker():
    services = _compose()["services"]
    queues = [s["command"][s["command"].index("-Q") + 1] for s in services.values() if "-Q" in s.get("command", [])]
    assert sorted(queues) == ["alerts", "bulk"]


def test_routed_tasks_go_to_a_queue_a_worker_consumes():
    from portal.celery import app

    app.loader.import_default_modules()
    for task, route in settings.CELERY_TASK_ROUTES.items():
        assert task in app.tasks, task
        assert route["queue"] in {"alerts", "bulk"}


def test_dockerfile_runs_the_wsgi_app_as_an_unprivileged_user():
    text = (ROOT / "Dockerfile").read_text()
    assert "portal.wsgi:application" in text
    assert "USER portal" in text
    assert "FROM python:3.11" in text
