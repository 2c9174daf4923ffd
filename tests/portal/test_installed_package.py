"""The wheel as the image installs it, run outside the source tree with the image's own commands.

No Docker engine runs here (DESIGN.md §4), so this stands in for `docker build` and `docker compose up`: it builds
the wheel from the build context .dockerignore leaves, installs it with its dependencies into a new virtual
environment, and from a folder outside the checkout, with production settings against a new database, runs what
the Dockerfile and docker-compose.yml run (collectstatic, migrate, gunicorn, a Celery worker) plus check --deploy
and `instruments list`, then asks /healthz and the front page.

Outside CI a missing Redis (REDIS_URL unset) skips the run; under CI=true it fails it.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml
from cryptography.fernet import Fernet
from django.conf import settings
from psycopg2 import sql

from portal.postgres import database_url
from screening.definitions import previous, shipped

ROOT = Path(settings.BASE_DIR)
APPS = [app for app in settings.INSTALLED_APPS if (ROOT / app / "__init__.py").exists()]
HOST = "portal.test"  # ALLOWED_HOSTS of the installed site
SITE_TITLE_ZH = "学校心理健康服务平台"  # "School Psychological Services" in the shipped zh_Hans catalogue


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _ignored(relative: str, patterns: list[str]) -> bool:
    """.dockerignore's matching, for the patterns that file uses: a path from the root, or **/NAME at any depth."""
    name = relative.rsplit("/", 1)[-1]
    return any(
        fnmatch.fnmatchcase(relative, pattern) or (pattern.startswith("**/") and fnmatch.fnmatchcase(name, pattern[3:]))
        for pattern in patterns
    )


def _build_context(destination: Path) -> Path:
    """The project as `docker build` receives it. A copy, too, so the build's own build/ and egg-info never land
    in the checkout, and a stale build/lib there never slips old files into the wheel."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not [p for p in patterns if p.startswith("!")], "_ignored() does not know exceptions"

    def ignore(folder: str, names: list[str]) -> set[str]:
        relative = Path(folder).relative_to(ROOT)
        return {name for name in names if _ignored((relative / name).as_posix(), patterns)}

    shutil.copytree(ROOT, destination, ignore=ignore)
    return destination


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built as the Dockerfile's first stage builds it: `pip wheel --no-deps`, with build isolation."""
    work = tmp_path_factory.mktemp("wheel")
    assert not work.is_relative_to(ROOT)
    context = _build_context(work / "context")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(work / "dist"), str(context)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (built,) = (work / "dist").glob("psy_portal-*.whl")
    return built


def _shipped_sources() -> set[str]:
    """What the running app reads from the checkout: every file of every app except the catalogues' sources (.po,
    compiled into the .mo beside them), and every template."""
    files = set()
    for folder in [*APPS, "templates"]:
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".po"):
                files.add(path.relative_to(ROOT).as_posix())
    return files


def test_the_wheel_holds_every_app_and_the_files_they_read(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_files = {name for name in names if ".dist-info/" not in name}
    expected = _shipped_sources()
    assert sorted(expected - shipped_files) == [], "in the checkout but not in the wheel"
    assert sorted(shipped_files - expected) == [], "in the wheel but not in the checkout's apps and templates"
    # The kinds of data the issue found missing, named, so an empty glob cannot pass unnoticed.
    assert len([n for n in names if re.fullmatch(r"screening/instruments/\w+\.toml", n)]) == len(shipped())
    kept = [n for n in names if re.fullmatch(r"screening/instruments/previous/[\w.-]+\.toml", n)]
    assert len(kept) == len(previous()) >= 6  # earlier versions stay loadable
    assert {"portal/locale/zh_Hans/LC_MESSAGES/django.mo", "portal/locale/en/LC_MESSAGES/django.mo"} <= names
    assert {"portal/static/portal/site.css", "templates/base.html", "dashboards/__init__.py"} <= names
    assert not [n for n in names if n.split("/")[0] in ("tests", "bench", "docs", "localdb.py", "manage.py")]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "portal = portal.__main__:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        message = "the installed package's run needs Redis: REDIS_URL is not set"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="module")
def venv(redis_url, wheel, tmp_path_factory) -> Path:
    """A new environment (never --system-site-packages) with the wheel and its pinned dependencies, as the image's
    second stage installs them. pip runs from this interpreter into it (--python), so the new environment needs
    no pip of its own; pip's cache keeps a second run fast."""
    target = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True, timeout=60)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"installing the wheel and its dependencies took {time.monotonic() - started:.1f} s")
    return target


@pytest.fixture
def fresh_database(redis_url) -> Iterator[str]:
    """A database of this test's own on the server the suite uses, dropped afterwards whatever happened."""
    name = f"portal_installed_{secrets.token_hex(4)}"
    admin = psycopg2.connect(database_url("postgres"))
    admin.autocommit = True  # CREATE and DROP DATABASE refuse a transaction block
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield database_url(name)
    finally:
        with admin.cursor() as cursor:
            # FORCE: a connection a killed process left behind must not keep the database alive.
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


class Site:
    """The installed package run from a folder outside the checkout, as a container runs it."""

    def __init__(self, venv: Path, folder: Path, environment: dict[str, str]) -> None:
        self.bin = venv / "bin"
        self.folder = folder
        # Nothing of this process's environment (PYTHONPATH, DJANGO_SETTINGS_MODULE, VIRTUAL_ENV) leaks in.
        self.env = {"PATH": f"{self.bin}:/usr/bin:/bin", "HOME": str(folder), "LANG": "C.UTF-8", **environment}
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def argv(self, command: list[str]) -> list[str]:
        """A command as the image names it (`portal`, `gunicorn`, `celery`): that program of the environment."""
        program = self.bin / command[0]
        assert program.exists(), f"the wheel installs no {command[0]!r}"
        return [str(program), *command[1:]]

    def run(self, command: list[str]) -> str:
        started = time.monotonic()
        result = subprocess.run(
            self.argv(command), cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=300
        )
        label = " ".join(command).splitlines()[0]
        print(f"{label}: {time.monotonic() - started:.1f} s")
        assert result.returncode == 0, f"{label}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = self.folder / f"{name}.log"
        with log.open("w") as out:
            # A session of its own: stop() ends the process and the workers it forked, and nothing else.
            process = subprocess.Popen(
                self.argv(command), cwd=self.folder, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.started.append((process, log))
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for _, log in self.started)

    def stop(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _ in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def site(venv, fresh_database, redis_url, tmp_path) -> Iterator[Site]:
    folder = tmp_path / "app"  # the image's WORKDIR: nothing of the checkout in it
    folder.mkdir()
    assert not folder.is_relative_to(ROOT)
    environment = {
        **{key: str(value) for key, value in _compose()["x-app"]["environment"].items()},
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": fresh_database,
        "REDIS_URL": redis_url,
        # Where the Dockerfile's ENV puts them, inside the image's working folder.
        "STATIC_ROOT": str(folder / "staticfiles"),
        "MEDIA_ROOT": str(folder / "media"),
    }
    running = Site(venv, folder, environment)
    yield running
    running.stop()


def _with_option(command: list[str], flag: str, value: str) -> list[str]:
    at = command.index(flag)
    return [*command[: at + 1], value, *command[at + 2 :]]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str) -> http.client.HTTPResponse:
    """Through the TLS-terminating proxy production sits behind: https, and a host the site allows."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": HOST, "X-Forwarded-Proto": "https"})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def _healthy(site: Site, port: int, *, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        for process, _ in site.started:
            assert process.poll() is None, f"a process ended early:\n{site.logs()}"
        try:
            response = _get(port, "/healthz")
            if response.status == 200:
                return json.loads(response.body)  # type: ignore[attr-defined]
        except OSError:  # gunicorn not listening yet
            pass
        assert time.monotonic() < deadline, f"/healthz never answered 200:\n{site.logs()}"
        time.sleep(0.5)


# What the installed interpreter imported (an app config's path is its package's folder) and where settings look.
_WHERE = """
import json
from django.apps import apps
from django.conf import settings
print(json.dumps({
    "apps": {c.name: c.path for c in apps.get_app_configs()},
    "templates": [str(d) for d in settings.TEMPLATES[0]["DIRS"]],
    "locale": [str(p) for p in settings.LOCALE_PATHS],
}))
"""


@pytest.mark.integration
def test_the_installed_package_runs_as_the_image_does(site, venv):
    compose = _compose()["services"]
    site_packages = next((venv / "lib").glob("python3.*/site-packages"))

    # The code and the files it reads come from the new environment's site-packages, not the checkout.
    where = json.loads(site.run(["portal", "shell", "-c", _WHERE]).strip().splitlines()[-1])
    assert set(APPS) <= set(where["apps"])
    for path in [*(where["apps"][app] for app in APPS), *where["templates"], *where["locale"]]:
        assert Path(path).is_relative_to(site_packages), path

    # Dockerfile: the build-time collectstatic, exactly as written there.
    collect = re.search(r"RUN portal (collectstatic[^&\\\n]*)", (ROOT / "Dockerfile").read_text())
    assert collect, "the Dockerfile no longer runs `portal collectstatic`"
    site.run(["portal", *collect.group(1).split()])
    site.run(["portal", "check", "--deploy", "--fail-level", "WARNING"])
    site.run(compose["migrate"]["command"])
    listed = site.run(["portal", "instruments", "list"])
    assert {line.split("\t")[0] for line in listed.splitlines()} == set(shipped()) and len(shipped()) == 6

    # docker-compose.yml's web and worker commands; here one worker takes both queues (two cores on this machine).
    port = _free_port()
    site.start("web", _with_option(compose["web"]["command"], "--bind", f"127.0.0.1:{port}"))
    worker = _with_option(compose["worker-alerts"]["command"], "-Q", "alerts,bulk")
    node = f"installed-{os.getpid()}"
    site.start("worker", _with_option(worker, "-n", f"{node}@%h"))

    started = time.monotonic()
    health = _healthy(site, port)
    print(f"gunicorn and the worker up, /healthz 200: {time.monotonic() - started:.1f} s")
    assert health["status"] == "ok", health
    assert health["checks"]["database"]["ok"] and health["checks"]["redis"]["ok"], health
    assert {"alerts", "bulk"} <= set(health["checks"]["workers"]["detail"]["queues"]), health
    assert health["checks"]["workers"]["detail"]["missing"] == [], health
    # ...and this test's worker is among those answering, not only some other on the same Redis.
    assert f"{node}@{os.uname().nodename} ready." in site.logs()

    # The front page sends a visitor to sign in; that page is in Chinese (the shipped catalogue) with the
    # hashed stylesheet collectstatic wrote, served by whitenoise.
    front = _get(port, "/")
    assert front.status == 302 and front.headers["Location"].startswith("/accounts/login/"), front.status
    page = _get(port, front.headers["Location"])
    assert page.status == 200, f"{page.status}\n{site.logs()}"
    html = page.body.decode()  # type: ignore[attr-defined]
    assert SITE_TITLE_ZH in html
    stylesheet = re.search(r"/static/portal/site\.[0-9a-f]{12}\.css", html)
    assert stylesheet, html[:2000]
    assert _get(port, stylesheet.group(0)).status == 200
