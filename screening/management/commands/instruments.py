"""`manage.py instruments list | load | score CODE`: see the README ("Screening instruments")."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from screening import services
from screening.definitions import previous, shipped
from screening.scoring import AnswerError, Policy, score


class Command(BaseCommand):
    help = "List, load into the database, or score the screening instruments."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        lister = sub.add_parser("list", help="the instruments' codes, versions, names and the source of their wording")
        lister.add_argument("--all", action="store_true", help="the earlier versions too")
        sub.add_parser("load", help="load new definition versions into the database")
        scorer = sub.add_parser("score", help='score JSON lines from stdin: {"answers": {"1": 2, ...}}')
        scorer.add_argument("code")
        scorer.add_argument("--positive-at", type=int, help="a district's lower total cut-off (e.g. 23 for SCARED)")

    def handle(self, *args: Any, **options: Any) -> None:
        definitions = shipped()
        if options["action"] == "list":
            listed = [*(previous() if options["all"] else []), *definitions.values()]
            for d in sorted(listed, key=lambda d: (d.code, d.version_key)):
                wording = f"{d.translation}: {d.wording}" if d.wording else d.translation
                self.stdout.write(f"{d.code}\t{d.version}\t{d.informant}\tgrades {d.grades[0]}-{d.grades[1]}\t"
                                  f"{d.name['en']}\tzh-hans wording {wording}")  # fmt: skip
        elif options["action"] == "load":
            try:
                created = services.instruments_load()
            except services.DefinitionChanged as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"{len(created)} new definition version(s) loaded")
        else:
            self._score(definitions, options["code"], options["positive_at"])

    def _score(self, definitions: dict, code: str, positive_at: int | None) -> None:  # type: ignore[type-arg]
        if code not in definitions:
            raise CommandError(f"unknown instrument {code!r}; try: {', '.join(definitions)}")
        definition = definitions[code]
        try:
            policy = Policy({code: positive_at} if positive_at is not None else {})
            policy.cutoff(definition)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for number, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                payload = json.loads(line)
                if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
                    raise AnswerError('expected {"answers": {item: value, ...}}')
                out: dict[str, Any] = score(definition, payload["answers"], policy).as_dict()
            except (json.JSONDecodeError, AnswerError) as exc:
                out = {"line": number, "error": str(exc)}
            self.stdout.write(json.dumps(out, ensure_ascii=False))
