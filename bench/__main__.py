"""`python -m bench [B4 B5 ...]`: one JSON line per figure, and docs/benchmarks.md with the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path

# docs/benchmarks.md from this heading on is written by hand (what each figure changed in the code): kept as it is.
KEPT = "## What the figures changed in the code"


def machine() -> dict[str, str]:
    from django.db import connection

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "?")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        database = cursor.fetchone()[0].split(",")[0]
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": f"{int(memory) // 1024} MiB",
            "python": platform.python_version(), "database": database}  # fmt: skip


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if not settings.REDIS_URL:
        print("make bench needs Redis (REDIS_URL), as in CI", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    from bench import figures, web_figures, workers
    from bench.measure import Figure, analyze

    analyze()  # statistics as production's autovacuum keeps them, whatever ran before

    runners: dict[str, Callable[[], Figure]] = {
        "B1": web_figures.b1_submit, "B2": workers.b2_scoring, "B3": web_figures.b3_booking,
        "B4": figures.b4_dashboard, "B5": figures.b5_lists, "B6": workers.b6_alerts,
    }  # fmt: skip
    wanted = [a.upper() for a in argv] or list(runners)
    results = []
    for key in wanted:
        figure = runners[key]()
        results.append(figure)
        print(json.dumps(figure.as_dict(), ensure_ascii=False), flush=True)
    info = machine()
    lines = [
        "# Benchmarks", "",
        "Measured by `make bench`: every figure is a ratio against a baseline measured in the same run on the "
        "same machine; the median of the rounds, with min and max. Details of each figure (how it is measured, "
        "per-round values) are in its note; the method is in bench/.", "",
        "- The web tier runs as in production: gunicorn (3 sync workers, as docker-compose.yml), PRODUCTION=1 "
        "settings behind the TLS proxy header, PostgreSQL and Redis; Celery workers one per queue (prefork, "
        "concurrency 2). B1 and B3 divide by a plain Django hello-world view served by the same gunicorn.",
        "- Load tools: wrk (Debian's package: C, one thread, epoll) for sustained load, because at these rates "
        "it takes a few percent of one core, where a Python load generator would take one of the server's two; "
        "for B3's race a small asyncio client that opens all 300 connections at once and sends each request "
        "exactly once (wrk repeats requests for a duration).", "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), "",
        "| id | figure | median | min | max | project (median) | baseline (median) | target | floor | note |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for f in results:
        d = f.as_dict()
        lines.append(
            f"| {d['id']} | {d['figure']} | {d['ratio_median']} | {d['ratio_min']} | {d['ratio_max']} | "
            f"{d['project_median']} {d['unit']} | {d['baseline_median']} {d['unit']} | {d['target']} | {d['floor']} | "
            f"{d['note']} |"
        )
    document = Path(settings.BASE_DIR, "docs", "benchmarks.md")
    kept = document.read_text(encoding="utf-8").partition(KEPT)  # the hand-written section after the table
    document.write_text("\n".join(lines) + "\n" + (f"\n{KEPT}{kept[2]}" if kept[1] else ""), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
