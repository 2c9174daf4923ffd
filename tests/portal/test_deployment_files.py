"""No Docker engine runs here: parse docker-compose.yml and the Dockerfile and check each command names real code.

tests/portal/test_installed_package.py then builds and installs the wheel and runs those commands.
"""

import importlib
import tomllib
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import get_commands

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
        if not command or command[0] not in ("gunicorn", "celery", "portal"):
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
            assert callable(_import_target(_console_scripts()["portal"])), name
            assert command[1] in get_commands(), name
        checked += 1
    assert checked >= 5


def _console_scripts() -> dict[str, str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]


def test_no_command_needs_the_source_tree():
    """The image holds the installed wheel only: no manage.py, no checkout to import from."""
    commands = [" ".join(s.get("command", [])) for s in _compose()["services"].values()]
    assert not [c for c in commands if "manage.py" in c]
    assert "manage.py" not in (ROOT / "Dockerfile").read_text()


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


def test_the_image_installs_the_wheel_built_in_a_stage_of_its_own():
    text = (ROOT / "Dockerfile").read_text()
    assert "pip wheel --no-deps --wheel-dir /wheels ." in text
    assert "COPY --from=wheel /wheels /wheels" in text
    assert "pip install /wheels/*.whl" in text
    # Collected where the unprivileged user's process reads them, not into site-packages.
    assert "STATIC_ROOT=/app/staticfiles" in text
    assert "RUN portal collectstatic --noinput" in text


def test_the_build_context_leaves_out_secrets_and_the_local_database():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".env", ".pgdata", ".venv", ".git", "build"} <= set(ignored)


def test_what_the_containers_write_goes_where_the_unprivileged_user_may_write():
    """/app belongs to root in the image: uploads go to the media volume, beat's schedule elsewhere (/tmp)."""
    compose = _compose()
    assert "media:/app/media" in compose["x-app"]["volumes"]
    assert "MEDIA_ROOT=/app/media" in (ROOT / "Dockerfile").read_text()
    beat = compose["services"]["beat"]["command"]
    assert not beat[beat.index("--schedule") + 1].startswith("/app/")


def test_static_files_collected_as_the_image_does_serve_the_pages(tmp_path, client, db, settings):
    """The image runs collectstatic with the manifest storage the containers use, then serves pages with it."""
    import re

    from django.core.management import call_command

    dockerfile = (ROOT / "Dockerfile").read_text()
    backend = re.search(r"STATICFILES_BACKEND=(\S+)", dockerfile).group(1)
    assert _compose()["x-app"]["environment"]["STATICFILES_BACKEND"] == backend
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": backend}}
    call_command("collectstatic", "--noinput", verbosity=0)
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert re.search(r"/static/portal/site\.[0-9a-f]{12}\.css", response.content.decode())


def test_the_web_health_check_is_exempt_from_the_https_redirect():
    web = _compose()["services"]["web"]
    assert "healthz" in " ".join(web["healthcheck"]["test"])
    source = (ROOT / "portal" / "settings.py").read_text()
    assert 'SECURE_REDIRECT_EXEMPT = [r"^healthz$"]' in source
