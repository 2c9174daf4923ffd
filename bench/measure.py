"""Timing helpers: p95 of a batch of calls, ratios over rounds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def p95(fn: Callable[[], object], calls: int) -> float:
    """The 95th-percentile duration of `calls` calls (after one warm-up), in seconds."""
    fn()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    times.sort()
    return times[max(0, round(0.95 * len(times)) - 1)]


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile of measured samples (nearest rank, as p95() ranks its timings)."""
    ordered = sorted(samples)
    return ordered[max(0, round(q / 100 * len(ordered)) - 1)]


@dataclass
class Figure:
    id: str
    name: str
    target: str
    floor: str
    ratios: list[float] = field(default_factory=list)
    project: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    unit: str = "s"
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "figure": self.name, "ratio_median": round(self.median, 4),
            "ratio_min": round(min(self.ratios), 4), "ratio_max": round(max(self.ratios), 4),
            "project_median": round(statistics.median(self.project), 5),
            "baseline_median": round(statistics.median(self.baseline), 5), "unit": self.unit,
            "rounds": len(self.ratios), "target": self.target, "floor": self.floor, "note": self.note,
        }  # fmt: skip


def rounds(figure: Figure, project: Callable[[], float], baseline: Callable[[], float], n: int = 3) -> Figure:
    """Alternate the two sides n times, so that a noisy neighbour hits both alike."""
    for _ in range(n):
        b = baseline()
        p = project()
        figure.project.append(p)
        figure.baseline.append(b)
        figure.ratios.append(p / b)
    return figure


def analyze(*tables: str, vacuum: bool = False) -> None:
    """Planner statistics (with `vacuum`, also dead rows cleared) for what a figure just wrote, as autovacuum keeps
    them in production: this machine's PostgreSQL runs without it. No tables: the whole database. On a fresh
    clone the first run planned the district it had just generated as the empty tables they were: B5's list
    counted 1,000 cases in 41 ms instead of 2 (B5 12.2)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {', '.join(tables)}")
