"""Real Celery workers (and beat) on Redis against the PostgreSQL test database, and a real SMTP server.

Outside CI a missing Redis or PostgreSQL skips these tests; under CI=true it fails them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection


def _require_services() -> None:
    problems = []
    if not os.environ.get("REDIS_URL"):
        problems.append("REDIS_URL is not set")
    if connection.vendor != "postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if problems:
        message = "integration tests need Redis and PostgreSQL: " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Processes:
    log_dir: Path
    started: list[subprocess.Popen] = field(default_factory=list)

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        full_env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL, **env}
        log = (self.log_dir / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", *args],
            env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
        )  # fmt: skip
        process.log_path = self.log_dir / f"{name}.log"  # type: ignore[attr-defined]
        self.started.append(process)
        return process

    def worker(self, name: str = "worker", **env: str) -> subprocess.Popen:
        from portal.celery import app

        process = self._spawn(
            name,
            ["worker", "-Q", "alerts,bulk", "--pool", "solo", "-n", f"{name}-{os.getpid()}@%h", "--without-gossip",
             "--without-mingle", "--loglevel", "INFO"],
            env,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[f"{name}-{os.getpid()}@{os.uname().nodename}"], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{process.log_path.read_text()[-3000:]}")
        return process

    def beat(self, **env: str) -> subprocess.Popen:
        schedule = self.log_dir / "beat-schedule"
        return self._spawn("beat", ["beat", "-s", str(schedule), "--loglevel", "INFO"], env)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def processes(transactional_db, tmp_path):
    _require_services()
    from portal.celery import app

    app.control.purge()
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()
    app.control.purge()


@pytest.fixture
def celery_worker(processes):
    processes.worker()
    from portal.celery import app

    return app


def kill(process: subprocess.Popen) -> None:
    """SIGKILL: no cleanup, no acknowledgement, exactly like a machine losing power."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


class RecordingHandler:
    """An SMTP server's end: records every message it accepts; can hold the first one before answering."""

    def __init__(self) -> None:
        self.messages: list = []
        self.hold_first = False
        self.first_arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content))
        if self.hold_first and len(self.messages) == 1:
            self.first_arrived.set()
            # The content is in; the "250 OK" is not sent yet. A kill now lands between the two.
            import asyncio

            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd's start-up self-check cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port  # type: ignore[attr-defined]
    yield handler
    handler.release.set()
    controller.stop()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
