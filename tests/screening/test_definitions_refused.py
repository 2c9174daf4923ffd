"""A definition that breaks the schema is refused whole, with a message naming what is wrong, so a misspelled rule
or a summed instrument without a cut-off can never load and silently score; a district's cut-off must be one the
definition allows."""

import copy

import pytest

from screening.definitions import DefinitionError, parse, shipped
from screening.scoring import Policy, score

D = shipped()


def _broken(code, change):
    raw = copy.deepcopy(D[code].raw)
    change(raw)
    return raw


BAD = [
    ("no cut-off", "phq9", lambda d: d["scoring"].pop("positive_at"), "a summed instrument needs positive_at"),
    ("gapped bands", "phq9", lambda d: d["scoring"]["bands"][1].update(min=6), "bands must cover"),
    ("overlapping bands", "phq9", lambda d: d["scoring"]["bands"][1].update(min=4), "bands must cover"),
    ("bands short of the maximum", "gad7", lambda d: d["scoring"]["bands"][-1].update(max=20), "bands must cover"),
    ("unknown missing rule", "phq9", lambda d: d["scoring"]["missing"].update(rule="mean"), "missing rule mean"),
    ("unknown method", "phq9", lambda d: d["scoring"].update(method="median"), "method median"),
    ("misnumbered items", "phq9", lambda d: d["items"][3].update(number=5), "numbered 1..n"),
    ("unknown critical item", "phq9", lambda d: d["scoring"]["critical"].append({"item": 10, "at_least": 1}),
     "critical item 10 unknown"),
    ("unknown subscale item", "scared", lambda d: d["scoring"]["subscales"][0]["items"].append(42),
     "subscale panic_somatic names unknown items"),
    ("empty Chinese text", "phq9", lambda d: d["items"][0].update(zh_hans=" "), "item 1 needs en and zh_hans"),
    ("empty English text", "gad7", lambda d: d["items"][6].update(en=""), "item 7 needs en and zh_hans"),
    ("cut-off outside the allowed ones", "scared", lambda d: d["scoring"].update(positive_at_allowed=[23]),
     "positive_at 25 is not one of the allowed [23]"),
    ("unknown informant", "psc17", lambda d: d.update(informant="teacher"), "informant teacher"),
    ("a key missing", "asq", lambda d: d.pop("licence"), "licence"),
    ("an unknown wording", "phq9", lambda d: d.update(translation="machine"), "translation machine"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "code", "change", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_broken_definition_is_refused_with_its_reason(what, code, change, message):
    with pytest.raises(DefinitionError) as refused:
        parse(_broken(code, change))
    assert message in str(refused.value) and code in str(refused.value)


def test_every_shipped_definition_passes():
    assert all(parse(copy.deepcopy(d.raw)) == d for d in D.values())


def test_a_policy_may_choose_only_a_cut_off_the_definition_allows():
    scared, phq9 = D["scared"], D["phq9"]
    assert Policy({"scared": 23}).cutoff(scared) == 23 and Policy({"scared": 25}).cutoff(scared) == 25
    for loose_or_unlisted in (24, 20, 26):
        with pytest.raises(ValueError):
            Policy({"scared": loose_or_unlisted}).cutoff(scared)
    # Without a list of allowed cut-offs, any lower one, and the published one itself.
    assert Policy({"phq9": 10}).cutoff(phq9) == 10 and Policy({"phq9": 8}).cutoff(phq9) == 8
    with pytest.raises(ValueError):
        Policy({"phq9": 11}).cutoff(phq9)
    with pytest.raises(ValueError):
        Policy({"phq9": 0}).cutoff(phq9)  # everyone positive: not a cut-off


def test_a_district_cut_off_equal_to_the_published_one_changes_nothing():
    phq9 = D["phq9"]
    for total in (9, 10):
        answers = {n: 0 for n in range(1, 10)}
        for n in range(1, total + 1):
            answers[(n - 1) % 8 + 1] += 1  # items 1-8 only: item 9 stays 0
        ours, published = score(phq9, answers, Policy({"phq9": 10})), score(phq9, answers)
        assert (ours.total, ours.positive) == (published.total, published.positive) == (total, total == 10)


def test_a_blank_string_is_a_blank_answer():
    """Paper sheets and kiosks send "" for a question left blank: it is a blank, never 0. An unanswered critical
    item counts as answered positively."""
    calm = {str(n): 0 for n in range(1, 9)}
    blank = score(D["phq9"], {**calm, "9": ""})
    assert blank.critical and blank.suggested_tier == "severe" and blank.total == 0  # prorated over 8
    assert score(D["phq9"], {**calm, "9": None}) == blank
    assert not score(D["phq9"], {**calm, "9": 0}).critical
