"""A definition that breaks the schema is refused whole, with a message naming what is wrong, so a misspelled rule
or a summed instrument without a cut-off can never load and silently score; a district's cut-off must be one the
definition allows."""

import copy

import pytest

from screening.definitions import DefinitionError, parse, previous, shipped, version_key
from screening.scoring import Policy, score

D = shipped()


def _broken(code, change):
    raw = copy.deepcopy(D[code].raw)
    change(raw)
    return raw


BAD = [
    ("no cut-off", "phq9", lambda d: d["scoring"].pop("positive_at"), "a summed instrument needs positive_at"),
    ("gapped bands", "phq9", lambda d: d["scoring"]["bands"][1].update(min=6),
     "bands must cover 0..max total once, in order"),
    ("overlapping bands", "phq9", lambda d: d["scoring"]["bands"][1].update(min=4),
     "bands must cover 0..max total once, in order"),
    ("bands short of the maximum", "gad7", lambda d: d["scoring"]["bands"][-1].update(max=20),
     "bands must cover 0..max total once, in order"),
    ("unknown missing rule", "phq9", lambda d: d["scoring"]["missing"].update(rule="mean"), "missing rule mean"),
    ("unknown method", "phq9", lambda d: d["scoring"].update(method="median"), "method median"),
    ("misnumbered items", "phq9", lambda d: d["items"][3].update(number=5), "items must be numbered 1..n in order"),
    ("unknown critical item", "phq9", lambda d: d["scoring"]["critical"].append({"item": 10, "at_least": 1}),
     "critical item 10 unknown"),
    ("unknown subscale item", "scared", lambda d: d["scoring"]["subscales"][0]["items"].append(42),
     "subscale panic_somatic names unknown items"),
    ("empty Chinese text", "phq9", lambda d: d["items"][0].update(zh_hans=" "), "item 1 needs en and zh_hans text"),
    ("empty English text", "gad7", lambda d: d["items"][6].update(en=""), "item 7 needs en and zh_hans text"),
    ("cut-off outside the allowed ones", "scared", lambda d: d["scoring"].update(positive_at_allowed=[23]),
     "positive_at 25 is not one of the allowed [23]"),
    ("unknown informant", "psc17", lambda d: d.update(informant="teacher"), "informant teacher"),
    ("an unknown wording", "phq9", lambda d: d.update(translation="machine"), "translation machine"),
    ("a published wording without its citation", "phq9", lambda d: d.pop("wording"),
     "translation published needs its citation or reason in `wording`"),
    ("an unvalidated wording without its reason", "asq", lambda d: d.update(wording=" "),
     "translation unvalidated needs its citation or reason in `wording`"),
    ("a published item without its source", "gad7", lambda d: d["items"][2].update(source=""),
     "a published wording names each item's source"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "code", "change", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_broken_definition_is_refused_with_its_reason(what, code, change, message):
    with pytest.raises(DefinitionError) as refused:
        parse(_broken(code, change))
    where, problems = str(refused.value).split(": ", 1)
    assert where == f"{code} {D[code].version}" and message in problems.split("; ")


def test_every_problem_is_reported_at_once():
    def two_wrongs(d):
        d["scoring"].pop("positive_at")
        d["items"][0]["zh_hans"] = ""

    with pytest.raises(DefinitionError) as refused:
        parse(_broken("phq9", two_wrongs))
    assert str(refused.value) == "phq9 2.0.0: item 1 needs en and zh_hans text; a summed instrument needs positive_at"


def test_a_definition_missing_a_key_is_refused_naming_it():
    with pytest.raises(DefinitionError) as refused:
        parse(_broken("asq", lambda d: d.pop("licence")))
    assert str(refused.value) == "asq: KeyError('licence')"
    with pytest.raises(DefinitionError) as refused:
        parse({"version": "1.0.0"})
    assert str(refused.value) == "?: KeyError('scoring')"  # no code to name


def test_every_shipped_definition_passes_and_keeps_its_source():
    now = shipped()
    assert sorted(now) == ["asq", "gad7", "phq9", "psc17", "psc17y", "scared"]
    for d in now.values():
        again = parse(copy.deepcopy(d.raw))
        assert again == d and again.raw == d.raw
    assert now["phq9"].translation == "published" and "Pfizer" in now["phq9"].wording
    phq9, scared = now["phq9"], now["scared"]
    assert phq9.name["zh_hans"] == "患者健康问卷（PHQ-9）" and phq9.grades == (7, 12) and phq9.max_blank == 2
    assert phq9.citation.startswith("Kroenke K") and phq9.instructions["en"].startswith("Over the last 2 weeks")
    assert {s.name: s.positive_at for s in scared.subscales}["school_avoidance"] == 3


def test_a_project_wording_needs_no_citation():
    project = parse(_broken("psc17", lambda d: (d.update(translation="project"), d.pop("wording", None))))
    assert project.wording == ""


def test_a_subscale_may_name_every_item():
    whole = parse(_broken("scared", lambda d: d["scoring"]["subscales"][0].update(items=list(range(1, 42)))))
    assert whole.subscales[0].items == tuple(range(1, 42))


def test_earlier_versions_load_oldest_first_and_versions_sort_as_numbers():
    earlier = previous()
    assert [(d.code, d.version) for d in earlier] == [
        (code, "1.0.0") for code in ("asq", "gad7", "phq9", "psc17", "psc17y", "scared")
    ]
    assert version_key("1.10.0") > version_key("1.9.0") == (1, 9, 0)


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
