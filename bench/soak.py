"""`python -m bench.soak [seconds]` (`make soak`): mixed traffic for 30 minutes at about the benchmark rate,
through gunicorn with production settings and real Celery workers (one per queue).

Pass: 0 server errors, p95 under 500 ms, and the memory of the web and worker processes flat (the last
fifth of the run within 15% and 30 MiB of the second fifth, after warm-up). Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

WRK_MIX = """
local bodies = {}
local next_body = 1
local threads = {}
local mix = %(mix)s
s2, s3, s4, s5 = 0, 0, 0, 0
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
end
function delay()
  return %(delay_ms)d
end
function request()
  local r = mix[math.random(#mix)]
  if r.body then
    local body = bodies[next_body]
    next_body = next_body %% #bodies + 1
    return wrk.format(r.method, r.path, r.headers, body)
  end
  return wrk.format(r.method, r.path, r.headers)
end
function response(status, headers, body)
  local class = math.floor(status / 100)
  if class == 2 then s2 = s2 + 1 elseif class == 3 then s3 = s3 + 1
  elseif class == 4 then s4 = s4 + 1 else s5 = s5 + 1 end
end
function done(summary, latency, requests)
  local c = {0, 0, 0, 0}
  for _, t in ipairs(threads) do
    c[1], c[2] = c[1] + t:get("s2"), c[2] + t:get("s3")
    c[3], c[4] = c[3] + t:get("s4"), c[4] + t:get("s5")
  end
  io.write(string.format('{"requests": %%d, "duration_us": %%d, "p95_us": %%d, "p50_us": %%d, "errors": %%d, ' ..
    '"s2xx": %%d, "s3xx": %%d, "s4xx": %%d, "s5xx": %%d}\\n', summary.requests, summary.duration,
    latency:percentile(95), latency:percentile(50),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    c[1], c[2], c[3], c[4]))
end
"""
# Status classes are counted in each thread's script and summed in done() (wrk runs done() apart).


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from bench import web, web_figures, workers
    from bench.figures import b5_setup, bench_district
    from portal.models import User

    seconds = int(argv[0]) if argv else 1800
    if not settings.REDIS_URL:
        print("make soak needs Redis (REDIS_URL), as in CI", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    district = bench_district()
    b5_setup()
    _, parents, _, _ = web_figures.race_school()
    counselor = User.objects.get(username="bench-b5-counselor")
    official = User.objects.get(username=f"{district.code}-official")
    staff_token = Token.objects.get_or_create(user=counselor)[0].key
    official_token = Token.objects.get_or_create(user=official)[0].key
    session, children = parents[0]
    rate = 100  # requests/s: about what B1 sustains for submissions alone on these machines
    connections = 18
    # Expected submissions: 10 % of the mix; enough codes that none is sent twice.
    bodies = web_figures.submission_bodies(int(rate * seconds * 0.12) + 500, random.Random(7))  # noqa: S311
    https = web.PROXY_HEADERS
    api = {**https, "Authorization": f"Token {staff_token}"}
    dashboard = {**https, "Authorization": f"Token {official_token}"}
    parent = {**https, "Cookie": f"sessionid={session}"}
    mix: list[dict[str, Any]] = [
        {"method": "POST", "path": "/api/v1/screening/submissions/", "headers": {**https, "Content-Type":
         "application/json"}, "body": True},
        {"method": "GET", "path": "/api/v1/cases/?page_size=50", "headers": api},
        {"method": "GET", "path": "/api/v1/cases/?page_size=50&open=true", "headers": api},
        {"method": "GET", "path": "/api/v1/students/?page_size=50", "headers": api},
        {"method": "GET", "path": "/api/v1/me/", "headers": api},
        {"method": "GET", "path": "/api/v1/dashboard/", "headers": dashboard},
        {"method": "GET", "path": f"/counseling/my/{children[0]}/book/", "headers": parent},
        {"method": "GET", "path": "/counseling/my/", "headers": parent},
        {"method": "GET", "path": "/screening/take/", "headers": https},
        {"method": "GET", "path": "/accounts/login/", "headers": https},
    ]  # fmt: skip
    lua_mix = "{" + ", ".join(
        "{" + f'method = "{m["method"]}", path = "{m["path"]}", headers = {web.lua_table(m["headers"])}'
        + (", body = true" if m.get("body") else "") + "}"
        for m in mix
    ) + "}"  # fmt: skip
    delay_ms = max(0, int(1000 * connections / rate) - 40)  # each waits, then sends: about `rate`/s in all
    memory: list[tuple[float, float, float]] = []
    with workers.workers() as running, web.gunicorn() as server:
        alerts = running.start("alerts")
        bulk = running.start("bulk")
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(min(15, max(1, seconds // 10))):  # ten samples at least
                memory.append((time.monotonic(), web.tree_rss_mib(server.pid),
                               web.tree_rss_mib(alerts.pid) + web.tree_rss_mib(bulk.pid)))  # fmt: skip

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        with tempfile.TemporaryDirectory(prefix="bench-soak-") as folder:
            script, body_file = Path(folder, "mix.lua"), Path(folder, "bodies.txt")
            script.write_text(WRK_MIX % {"mix": lua_mix, "delay_ms": delay_ms})
            body_file.write_text("\n".join(bodies) + "\n")
            out = subprocess.run(  # noqa: S603 - wrk, our script
                [web.wrk_available(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s",
                 str(script), server.base, "--", str(body_file)],
                capture_output=True, text=True, timeout=seconds + 120, check=True,
            ).stdout  # fmt: skip
        stop.set()
        running.check()
    load = json.loads(next(line for line in out.splitlines() if line.startswith('{"requests"')))
    fifth = max(1, len(memory) // 5)
    early, late = memory[fifth : 2 * fifth], memory[-fifth:]

    def flat(i: int) -> tuple[float, float, bool]:
        before, after = statistics.mean(m[i] for m in early), statistics.mean(m[i] for m in late)
        return round(before, 1), round(after, 1), after <= max(before * 1.15, before + 30)

    web_before, web_after, web_flat = flat(1)
    worker_before, worker_after, worker_flat = flat(2)
    p95 = load["p95_us"] / 1e6
    result = {
        "seconds": round(load["duration_us"] / 1e6), "requests": load["requests"],
        "rate": round(load["requests"] / (load["duration_us"] / 1e6), 1), "p50_ms": round(load["p50_us"] / 1000, 1),
        "p95_ms": round(p95 * 1000, 1), "2xx": load["s2xx"], "3xx": load["s3xx"], "4xx": load["s4xx"],
        "5xx": load["s5xx"], "socket_errors": load["errors"], "web_rss_mib": [web_before, web_after],
        "worker_rss_mib": [worker_before, worker_after], "samples": len(memory),
    }  # fmt: skip
    passed = load["s5xx"] == 0 and load["errors"] == 0 and p95 < 0.5 and web_flat and worker_flat
    result["passed"] = passed
    print(json.dumps(result), flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
