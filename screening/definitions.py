"""Instrument definitions: versioned TOML files in screening/instruments/, checked when they are read.

A definition is data (items, options, subscales, bands, critical items, missing-data rule, licence and
citation); screening.scoring turns a definition and answers into a result, the same way for the web form,
paper imports and the CLI.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DIRECTORY = Path(__file__).parent / "instruments"
PREVIOUS = DIRECTORY / "previous"  # earlier versions, kept loadable for the responses given with them
METHODS = ("sum", "asq")
MISSING_RULES = ("prorate", "zero", "none", "asq")
# Where the zh-hans wording comes from: a published Chinese version ("published", cited in `wording`, each item's
# source named), the project's own text not validated in Chinese ("unvalidated", the reason in `wording`), or
# the first versions' "project" (their own translations, before the published ones were looked up).
WORDINGS = ("published", "unvalidated", "project")


class DefinitionError(ValueError):
    """A definition file breaks the schema: the loader refuses it whole."""


@dataclass(frozen=True)
class Option:
    value: int
    en: str
    zh_hans: str


@dataclass(frozen=True)
class Item:
    number: int
    en: str
    zh_hans: str
    only_if_positive: bool = False  # ASQ question 5: asked only after a positive screen
    source: str = ""  # where the zh-hans text comes from (a published version's form or paper)


@dataclass(frozen=True)
class Band:
    name: str
    min: int
    max: int


@dataclass(frozen=True)
class Subscale:
    name: str
    items: tuple[int, ...]
    positive_at: int


@dataclass(frozen=True)
class Critical:
    item: int
    at_least: int


@dataclass(frozen=True)
class Definition:
    code: str
    version: str
    name: dict[str, str]
    informant: str  # "self" (the student) or "parent"
    grades: tuple[int, int]
    licence: str
    citation: str
    translation: str  # one of WORDINGS
    instructions: dict[str, str]
    options: tuple[Option, ...]
    items: tuple[Item, ...]
    method: str
    missing_rule: str
    max_blank: int
    positive_at: int | None = None
    positive_at_allowed: tuple[int, ...] = ()  # cut-offs a district may choose instead (e.g. SCARED 23)
    bands: tuple[Band, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    critical: tuple[Critical, ...] = ()
    wording: str = ""  # the published version's citation, or why the wording is not validated
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def version_key(self) -> tuple[int, ...]:
        return version_key(self.version)

    # Computed once per definition: the kiosk checks every answer against them.
    @functools.cached_property
    def numbers(self) -> tuple[int, ...]:
        return tuple(item.number for item in self.items)

    @functools.cached_property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)

    @property
    def max_total(self) -> int:
        scored = [i for i in self.items if not i.only_if_positive]
        return len(scored) * max(self.values)


def parse(data: dict[str, Any]) -> Definition:
    try:
        scoring = data["scoring"]
        missing = scoring["missing"]
        definition = Definition(
            code=data["code"],
            version=data["version"],
            name=dict(data["name"]),
            informant=data["informant"],
            grades=(int(data["grades"][0]), int(data["grades"][1])),
            licence=data["licence"],
            citation=data["citation"],
            translation=data["translation"],
            wording=data.get("wording", ""),
            instructions=dict(data["instructions"]),
            options=tuple(Option(**o) for o in data["options"]),
            items=tuple(Item(**i) for i in data["items"]),
            method=scoring["method"],
            missing_rule=missing["rule"],
            max_blank=int(missing["max_blank"]),
            positive_at=scoring.get("positive_at"),
            positive_at_allowed=tuple(scoring.get("positive_at_allowed", ())),
            bands=tuple(Band(**b) for b in scoring.get("bands", ())),
            subscales=tuple(
                Subscale(s["name"], tuple(s["items"]), s["positive_at"]) for s in scoring.get("subscales", ())
            ),
            critical=tuple(Critical(**c) for c in scoring.get("critical", ())),
            raw=data,
        )
    except (KeyError, TypeError, IndexError) as exc:
        raise DefinitionError(f"{data.get('code', '?')}: {exc!r}") from exc
    _check(definition)
    return definition


def _check(d: Definition) -> None:
    problems = []
    if d.method not in METHODS:
        problems.append(f"method {d.method}")
    if d.missing_rule not in MISSING_RULES:
        problems.append(f"missing rule {d.missing_rule}")
    if d.numbers != tuple(range(1, len(d.items) + 1)):
        problems.append("items must be numbered 1..n in order")
    if d.informant not in ("self", "parent"):
        problems.append(f"informant {d.informant}")
    if d.translation not in WORDINGS:
        problems.append(f"translation {d.translation}")
    if d.translation in ("published", "unvalidated") and not d.wording.strip():
        problems.append(f"translation {d.translation} needs its citation or reason in `wording`")
    if d.translation == "published" and any(not item.source.strip() for item in d.items):
        problems.append("a published wording names each item's source")
    for item in d.items:
        if not item.en.strip() or not item.zh_hans.strip():
            problems.append(f"item {item.number} needs en and zh_hans text")
    for sub in d.subscales:
        if not set(sub.items) <= set(d.numbers):
            problems.append(f"subscale {sub.name} names unknown items")
    for crit in d.critical:
        if crit.item not in d.numbers:
            problems.append(f"critical item {crit.item} unknown")
    if d.method == "sum":
        if d.positive_at is None:
            problems.append("a summed instrument needs positive_at")
        elif d.positive_at_allowed and d.positive_at not in d.positive_at_allowed:
            problems.append(f"positive_at {d.positive_at} is not one of the allowed {list(d.positive_at_allowed)}")
        if d.bands:
            covered = [n for b in d.bands for n in range(b.min, b.max + 1)]
            if covered != list(range(d.max_total + 1)):
                problems.append("bands must cover 0..max total once, in order")
    if problems:
        raise DefinitionError(f"{d.code} {d.version}: " + "; ".join(problems))


def load_file(path: Path) -> Definition:
    with path.open("rb") as fh:
        return parse(tomllib.load(fh))


def version_key(version: str) -> tuple[int, ...]:
    """ "1.10.0" after "1.9.0"."""
    return tuple(int(part) for part in version.split("."))


def shipped() -> dict[str, Definition]:
    """The current definitions in the repository, by code."""
    return {d.code: d for d in (load_file(p) for p in sorted(DIRECTORY.glob("*.toml")))}


def previous() -> list[Definition]:
    """The earlier versions kept in the repository, oldest first: loaded too, so that a fresh database can hold
    (and re-score, and show) responses given with them."""
    return sorted((load_file(p) for p in PREVIOUS.glob("*.toml")), key=lambda d: (d.code, d.version_key))
