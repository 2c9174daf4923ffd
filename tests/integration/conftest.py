"""Real Celery workers (and beat) on Redis against the PostgreSQL test database, and a real SMTP server.

Outside CI a missing Redis skips these tests; under CI=true it fails them.
"""

from __future__ import annotations

import os
import shutil
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
from celery import Celery
from django.conf import settings

from portal.postgres import database_url


def _require_services() -> None:
    problems = []
    if not os.environ.get("REDIS_URL"):
        problems.append("REDIS_URL is not set")
    if problems:
        message = "integration tests need Redis: " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Processes:
    log_dir: Path
    started: list[subprocess.Popen] = field(default_factory=list)

    def _spawn(
        self, name: str, args: list[str], env: dict[str, str], *, python: list[str] | None = None
    ) -> subprocess.Popen:
        full_env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL, **env}
        log = (self.log_dir / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, *(python or ["-m", "celery", "-A", "portal"]), *args],
            env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
        )  # fmt: skip
        process.log_path = self.log_dir / f"{name}.log"  # type: ignore[attr-defined]
        self.started.append(process)
        return process

    def worker(self, name: str = "worker", *, wait: bool = True, **env: str) -> subprocess.Popen:
        """A solo worker on both queues; with wait=False, call ready() before relying on it."""
        process = self._spawn(
            name,
            ["worker", "-Q", "alerts,bulk", "--pool", "solo", "-n", f"{name}-{os.getpid()}@%h", "--without-gossip",
             "--without-mingle", "--loglevel", "INFO"],
            env,
        )  # fmt: skip
        process.node = f"{name}-{os.getpid()}@{os.uname().nodename}"  # type: ignore[attr-defined]
        process.broker = env.get("REDIS_URL")  # type: ignore[attr-defined]
        if wait:
            self.ready(process)
        return process

    def ready(self, process: subprocess.Popen) -> None:
        """Wait until a worker answers a ping."""
        from portal.celery import app

        deadline = time.monotonic() + 30
        # A worker on another broker (REDIS_URL=private_redis.url) answers the ping there. (A ping given
        # only `connection=` would still publish through the app's own producer pool, to the usual broker.)
        broker = process.broker  # type: ignore[attr-defined]
        pinger = Celery("ping", broker=broker, set_as_current=False) if broker else app
        try:
            while not pinger.control.ping(destination=[process.node], timeout=0.5):  # type: ignore[attr-defined]
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Celery worker did not start:\n{process.log_path.read_text()[-3000:]}")  # type: ignore[attr-defined]
        finally:
            if pinger is not app:
                pinger.close()

    def python(self, name: str, source: str, *args: str, **env: str) -> subprocess.Popen:
        """`python -c source args` with Django's settings and the test database: a web process, say."""
        env = {"DJANGO_SETTINGS_MODULE": "portal.settings", **env}
        return self._spawn(name, list(args), env, python=["-c", source])

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


def purge_queues() -> None:
    """Empty every queue the workers read: app.control.purge() empties only the default one ("bulk")."""
    from portal.celery import app

    with app.connection_for_write() as conn:
        for queue in settings.CELERY_REQUIRED_QUEUES:
            conn.default_channel.queue_purge(queue)


@pytest.fixture
def processes(transactional_db, tmp_path):
    _require_services()
    purge_queues()
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()
    purge_queues()


@pytest.fixture
def celery_worker(processes):
    processes.worker()
    from portal.celery import app

    return app


def kill(process: subprocess.Popen) -> None:
    """SIGKILL: no cleanup, no acknowledgement, exactly like a machine losing power."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PrivateRedis:
    """A throwaway redis-server of this test's own, with no persistence: killing it loses every queued task."""

    log_dir: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None
    kills: int = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        log = (self.log_dir / f"redis-{self.port}.log").open("a")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start on port {self.port}")
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        """SIGKILL: the queue and everything in it is gone."""
        assert self.process is not None
        kill(self.process)
        self.process = None
        self.kills += 1


@pytest.fixture
def private_redis(tmp_path):
    """Request it before `processes`, so the workers stop before their broker does."""
    if not shutil.which("redis-server"):
        message = "redis-server is not installed"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        kill(server.process)


class RecordingHandler:
    """An SMTP server's end: records every message it accepts; can hold the first (or the n-th) before answering."""

    def __init__(self) -> None:
        self.messages: list = []
        self.hold_first = False
        self.hold_at = 0  # or hold the n-th message (counting from 1) instead
        self.first_arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content))
        if (self.hold_first and len(self.messages) == 1) or len(self.messages) == self.hold_at:
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


def wait_for_sweeps(count: int = 2, *, task: str = "portal.tasks.outbox_sweep", timeout: float = 30.0) -> None:
    """Wait until the sweeper has run `count` whole times since this call (portal.models.TaskRun, written as each
    run finishes): "nothing more arrives" then rests on sweeps that ran, not on a sleep."""
    from django.utils import timezone

    from portal.models import TaskRun

    for _ in range(count + 1):  # the first finish may belong to a run already under way
        ran = TaskRun.objects.filter(task=task, last_run_at__gt=timezone.now())
        wait_for(ran.exists, timeout=timeout)  # a fresh query each call


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
