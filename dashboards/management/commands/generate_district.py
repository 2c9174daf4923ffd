"""`manage.py generate_district`: a synthetic district for the dashboards' and benchmarks' timings."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboards import services
from dashboards.generate import generate


class Command(BaseCommand):
    help = "Generate a district (default: 339 schools, 200,000 students, 1,000,000 screening responses)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default="Bench")
        parser.add_argument("--schools", type=int, default=339)
        parser.add_argument("--students", type=int, default=200_000)
        parser.add_argument("--responses", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("generate_district refuses to run in production")
        started = time.perf_counter()
        made = generate(name=options["name"], schools=options["schools"], students=options["students"],
                        responses=options["responses"], seed=options["seed"])  # fmt: skip
        generated = time.perf_counter() - started
        started = time.perf_counter()
        services.refresh(made.district)
        refreshed = time.perf_counter() - started
        self.stdout.write(
            f"district {made.district.pk} ({made.district.code}): {made.schools} schools, {made.students} students, "
            f"{made.responses} responses in {generated:.1f} s; rollups refreshed in {refreshed:.1f} s"
        )
