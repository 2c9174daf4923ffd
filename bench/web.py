"""The web tier as production runs it (gunicorn, production settings behind a TLS proxy), and two load tools.

- wrk (Debian's package, C, one thread, epoll) for sustained throughput: it costs the server a few percent of
  one core at these rates, where a Python load generator would take a core of the two the server has.
  A Lua script gives every request its own body and prints the figures as JSON.
- A small asyncio client (one connection per request, no dependencies) for the booking race: every one of
  the 300 parents sends exactly one request at the same moment, which wrk's duration-based loop cannot do.

Both sides of every ratio go through the same server, settings, tool and concurrency.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from portal.postgres import database_url

WORKERS = 3  # as docker-compose.yml and the Dockerfile run it
HELLO = "/bench/hello/"
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}  # the TLS proxy in front, as in production


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    host: str
    port: int
    pid: int = 0  # gunicorn's master: its workers are its children

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def gunicorn(workers: int = WORKERS) -> Iterator[Server]:
    """gunicorn with the production settings (PRODUCTION=true: HTTPS behind the proxy, secure cookies, CSP),
    the bench's secrets and database, and one extra route: the hello-world baseline."""
    port = _free_port()
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PRODUCTION": "true",
        "SECRET_KEY": settings.SECRET_KEY, "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "ALLOWED_HOSTS": "127.0.0.1", "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
    }  # fmt: skip
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--timeout", "60", "--backlog", "2048"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(f"GET {HELLO} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
                    if s.recv(64).startswith(b"HTTP/1"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + Path(log.name).read_text()[-3000:])
            time.sleep(0.3)
        yield Server("127.0.0.1", port, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        Path(log.name).unlink(missing_ok=True)


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (gunicorn's or Celery's workers), in MiB."""
    children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(int(p.name)) == pid]
    return sum(_rss_kib(p) for p in [pid, *children]) / 1024


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)


# --- wrk ---------------------------------------------------------------------------------------------------

_WRK_LUA = """
local bodies = {}
local next_body = 1
local path = "%(path)s"
local method = "%(method)s"
local headers = %(headers)s
function init(args)
  if args[1] then
    for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  end
end
function request()
  local body = nil
  if #bodies > 0 then
    body = bodies[next_body]
    next_body = next_body %% #bodies + 1
  end
  return wrk.format(method, path, headers, body)
end
function done(summary, latency, requests)
  io.write(string.format('{"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "errors": %%d, "p95_us": %%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(95)))
end
"""


def lua_table(headers: dict[str, str]) -> str:
    """Request headers as a Lua table literal, for the wrk scripts."""
    return "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"


def wrk_available() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("make bench needs wrk (Debian: apt-get install -y wrk); the Makefile installs it")
    return found


@dataclass
class Load:
    requests: int
    seconds: float
    non_2xx: int
    errors: int
    p95: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk(server: Server, path: str, *, connections: int, seconds: int, method: str = "GET",
        headers: dict[str, str] | None = None, bodies: list[str] | None = None) -> Load:  # fmt: skip
    """Sustained load from one wrk thread; with `bodies`, request i sends bodies[i] (each used once)."""
    all_headers = {**PROXY_HEADERS, **(headers or {})}
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        script = Path(folder, "load.lua")
        script.write_text(_WRK_LUA % {"path": path, "method": method, "headers": lua_table(all_headers)})
        args = [wrk_available(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
                server.base]  # fmt: skip
        if bodies:
            body_file = Path(folder, "bodies.txt")
            body_file.write_text("\n".join(bodies) + "\n")
            args += ["--", str(body_file)]
        out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout  # noqa: S603
    figures = json.loads(next(line for line in out.splitlines() if line.startswith('{"requests"')))
    return Load(figures["requests"], figures["duration_us"] / 1e6, figures["non_2xx"], figures["errors"],
                figures["p95_us"] / 1e6)  # fmt: skip


# --- one request each, all at once -------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    seconds: float
    location: str


async def _one(server: Server, raw: bytes, start: asyncio.Event) -> Reply:
    await start.wait()
    began = time.perf_counter()
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(raw)
    await writer.drain()
    data = await reader.read()  # Connection: close: the server ends the reply
    writer.close()
    seconds = time.perf_counter() - began
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    location = next((h.split(":", 1)[1].strip() for h in head[1:] if h.lower().startswith("location:")), "")
    return Reply(int(head[0].split()[1]), seconds, location)


def request_bytes(server: Server, method: str, path: str, headers: dict[str, str] | None = None,
                  body: bytes = b"") -> bytes:  # fmt: skip
    lines = [f"{method} {path} HTTP/1.1", f"Host: {server.host}:{server.port}", "Connection: close",
             *(f"{k}: {v}" for k, v in {**PROXY_HEADERS, **(headers or {})}.items())]  # fmt: skip
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def burst(server: Server, requests: list[bytes]) -> list[Reply]:
    """Open every connection at the same moment and send each request once."""

    async def run() -> list[Reply]:
        start = asyncio.Event()
        tasks = [asyncio.create_task(_one(server, raw, start)) for raw in requests]
        await asyncio.sleep(0.05)
        start.set()
        return list(await asyncio.gather(*tasks))

    return asyncio.run(run())


def p95_of(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]
