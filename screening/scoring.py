"""Scoring and triage: pure functions of a definition, the answers and the district's policy.

The web form, paper imports, the CLI and the workers all call `score`; nothing else computes a total.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from screening.definitions import Definition

TIERS = ("none", "general", "severe", "major")  # crisis tiers 0-3: general 一般, severe 严重, major 重大


class AnswerError(ValueError):
    """Answers that do not fit the definition: `code` "unknown_item" (not a question of it) or "bad_answer" (a
    value not on its scale), and the item concerned (None when it is not a number)."""

    def __init__(self, message: str, *, code: str = "bad_answer", item: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.item = item


class PolicyError(ValueError):
    """A district's cut-off that the definition does not allow."""


@dataclass(frozen=True)
class Policy:
    """A district's triage policy. It may only tighten the published rules: a lower cut-off flags more."""

    positive_at: Mapping[str, int] = field(default_factory=dict)  # instrument code -> total cut-off

    def cutoff(self, definition: Definition) -> int | None:
        """The total cut-off this policy applies: the published one unless the district chose another, which must
        be lower (never looser), at least 1, and one of positive_at_allowed where the definition lists them."""
        chosen = self.positive_at.get(definition.code)
        if chosen is None:
            return definition.positive_at
        if definition.positive_at is not None and chosen > definition.positive_at:
            raise PolicyError(f"{definition.code}: a policy may lower the cut-off, never raise it")
        if chosen < 1:
            raise PolicyError(f"{definition.code}: a cut-off of {chosen} would flag every student")
        if definition.positive_at_allowed and chosen not in definition.positive_at_allowed:
            raise PolicyError(f"{definition.code}: choose one of {list(definition.positive_at_allowed)}")
        return chosen


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class SubscaleScore:
    score: int | None
    positive: bool


@dataclass(frozen=True)
class Result:
    valid: bool
    total: int | None
    band: str | None
    positive: bool
    subscales: dict[str, SubscaleScore]
    critical: bool
    result: str | None  # the ASQ's outcome: negative, non_acute_positive, acute_positive
    suggested_tier: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def tier_number(self) -> int:
        return TIERS.index(self.suggested_tier)


def clean_answers(definition: Definition, answers: Mapping[Any, Any]) -> dict[int, int | None]:
    """Item number -> value, or None for a blank. Unknown items and off-scale values are refused."""
    cleaned: dict[int, int | None] = dict.fromkeys(definition.numbers)
    for key, value in answers.items():
        try:
            number = int(key)
        except (TypeError, ValueError) as exc:
            raise AnswerError(f"item {key!r} is not a number", code="unknown_item") from exc
        if number not in cleaned:
            raise AnswerError(f"item {number} is not in {definition.code}", code="unknown_item", item=number)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value not in definition.values:
            raise AnswerError(f"item {number}: {value!r} is not one of {sorted(definition.values)}", item=number)
        cleaned[number] = value
    return cleaned


def score(definition: Definition, answers: Mapping[Any, Any], policy: Policy = DEFAULT_POLICY) -> Result:
    cleaned = clean_answers(definition, answers)
    if definition.method == "asq":
        return _score_asq(cleaned)
    return _score_sum(definition, cleaned, policy)


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def _score_sum(d: Definition, answers: dict[int, int | None], policy: Policy) -> Result:
    given = {n: v for n, v in answers.items() if v is not None}
    blanks = len(answers) - len(given)
    valid = blanks <= d.max_blank and bool(given)
    total: int | None = None
    if valid:
        raw = sum(given.values())
        # Prorate (PHQ/GAD): sum x items / answered, rounded half up. Zero (PSC): blanks score 0.
        total = _round_half_up(Fraction(raw * len(answers), len(given))) if d.missing_rule == "prorate" else raw
    cutoff = policy.cutoff(d)
    positive = total is not None and cutoff is not None and total >= cutoff
    band = next((b.name for b in d.bands if total is not None and b.min <= total <= b.max), None)
    subscales = {}
    for sub in d.subscales:
        values = [answers[n] for n in sub.items]
        complete = all(v is not None for v in values)
        # A blank scores 0 on a valid PSC form; otherwise only a subscale without blanks scores.
        sub_score = sum(v or 0 for v in values) if complete or (valid and d.missing_rule == "zero") else None
        subscales[sub.name] = SubscaleScore(sub_score, sub_score is not None and sub_score >= sub.positive_at)
    # An unanswered critical item counts as answered positively.
    critical = any(answers[c.item] is None or answers[c.item] >= c.at_least for c in d.critical)  # type: ignore[operator]
    if critical:
        tier = "severe"
    elif positive or not valid or any(s.positive for s in subscales.values()):
        tier = "general"
    else:
        tier = "none"
    return Result(valid, total, band, positive, subscales, critical, None, tier)


def _score_asq(answers: dict[int, int | None]) -> Result:
    screen = [answers[n] for n in (1, 2, 3, 4)]
    now = answers[5]
    screened = any(v is None or v == 1 for v in screen)  # yes, or no answer, to any of 1-4
    # One rule for the result and the tier: question 5 left blank after a positive screen counts as yes (an
    # unanswered critical item counts as answered positively), and a yes to "right now" is acute even where the
    # published rule, which asks it only after a positive screen, would say negative.
    acute = now == 1 or (screened and now is None)
    positive = screened or acute
    result = "acute_positive" if acute else "non_acute_positive" if positive else "negative"
    tier = "major" if acute else "severe" if positive else "none"
    return Result(True, None, None, positive, {}, positive, result, tier)
