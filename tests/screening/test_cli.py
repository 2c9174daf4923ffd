"""`manage.py instruments list | load | score CODE`."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from screening.models import Instrument


def _score(monkeypatch, code: str, lines: list[str], *args: str) -> list[dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    out = io.StringIO()
    call_command("instruments", "score", code, *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_list_names_every_code():
    out = io.StringIO()
    call_command("instruments", "list", stdout=out)
    assert [line.split("\t")[0] for line in out.getvalue().splitlines()] == [
        "asq", "gad7", "phq9", "psc17", "psc17y", "scared"
    ]  # fmt: skip


def test_score_reads_json_lines_and_a_bad_line_does_not_stop_the_others(monkeypatch):
    rows = _score(monkeypatch, "phq9", [
        json.dumps({"answers": {str(n): 1 for n in range(1, 10)}}),
        "not json",
        json.dumps({"answers": {"1": 9}}),
        json.dumps({"answers": {"1": 3, "2": 3, "3": 3, "4": 3, "5": 3, "6": 3, "7": 3, "8": None, "9": 0}}),
    ])  # fmt: skip
    assert rows[0] == {"valid": True, "total": 9, "band": "mild", "positive": False, "subscales": {},
                       "critical": True, "result": None, "suggested_tier": "severe"}  # fmt: skip
    assert rows[1]["line"] == 2 and rows[1]["error"]
    assert rows[2]["line"] == 3 and "9" in rows[2]["error"]
    assert (rows[3]["total"], rows[3]["band"], rows[3]["suggested_tier"]) == (24, "severe", "general")


def test_score_prints_subscales_and_the_asq_result(monkeypatch):
    [psc] = _score(
        monkeypatch, "psc17", [json.dumps({"answers": {str(n): 0 for n in range(1, 18)} | {"2": 2, "6": 2, "9": 1}})]
    )
    assert psc["subscales"]["internalizing"] == {"score": 5, "positive": True}
    assert psc["valid"] is True and psc["suggested_tier"] == "general"
    [asq] = _score(monkeypatch, "asq", [json.dumps({"answers": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}})])
    assert (asq["result"], asq["suggested_tier"], asq["total"]) == ("acute_positive", "major", None)


def test_a_district_cut_off_applies_and_a_looser_one_is_refused(monkeypatch):
    answers = json.dumps({"answers": {str(n): (1 if n <= 23 else 0) for n in range(1, 42)}})
    assert _score(monkeypatch, "scared", [answers], "--positive-at", "23")[0]["positive"] is True
    with pytest.raises(CommandError):
        _score(monkeypatch, "scared", [answers], "--positive-at", "30")
    with pytest.raises(CommandError):
        _score(monkeypatch, "sdq", [answers])


def test_load_adds_each_version_once_and_refuses_a_silent_change(db):
    call_command("instruments", "load", stdout=io.StringIO())
    assert Instrument.objects.count() == 12  # each instrument's current version and its 1.0.0
    call_command("instruments", "load", stdout=io.StringIO())
    assert Instrument.objects.count() == 12
    phq9 = Instrument.objects.get(code="phq9", version="2.0.0")
    phq9.definition = {**phq9.definition, "citation": "changed"}
    phq9.save()
    with pytest.raises(CommandError, match="bump the version"):
        call_command("instruments", "load", stdout=io.StringIO())
    assert Instrument.objects.get(code="phq9", version="2.0.0").parsed.code == "phq9"
