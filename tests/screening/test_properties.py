"""Properties every instrument keeps, whatever the answers (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from screening.definitions import shipped
from screening.scoring import TIERS, score

D = shipped()
CODES = sorted(D)


@st.composite
def forms(draw):
    code = draw(st.sampled_from(CODES))
    d = D[code]
    values = sorted(d.values)
    answers = {n: draw(st.one_of(st.none(), st.sampled_from(values))) for n in d.numbers}
    return code, answers


@settings(max_examples=400, deadline=None)
@given(forms())
def test_totals_stay_in_range_and_bands_match(form):
    code, answers = form
    d = D[code]
    result = score(d, answers)
    if result.total is not None:
        assert 0 <= result.total <= d.max_total
        if d.bands:
            band = next(b for b in d.bands if b.name == result.band)
            assert band.min <= result.total <= band.max
    for sub in result.subscales.values():
        assert sub.score is None or sub.score >= 0
    assert result.suggested_tier in TIERS
    if not result.valid:
        assert result.suggested_tier != "none"  # an invalid form is always looked at


@settings(max_examples=400, deadline=None)
@given(forms(), st.data())
def test_raising_an_answer_never_lowers_a_total_or_a_tier(form, data):
    code, answers = form
    d = D[code]
    answered = [n for n, v in answers.items() if v is not None and v < max(d.values)]
    if not answered:
        return
    n = data.draw(st.sampled_from(answered))
    higher = dict(answers)
    higher[n] = data.draw(st.sampled_from([v for v in d.values if v > answers[n]]))
    before, after = score(d, answers), score(d, higher)
    if before.total is not None:
        assert after.total is not None and after.total >= before.total
    assert after.tier_number >= before.tier_number
    for name, sub in before.subscales.items():
        if sub.score is not None:
            assert after.subscales[name].score >= sub.score


def test_every_shipped_definition_is_complete_in_both_languages():
    assert set(D) == {"phq9", "gad7", "psc17", "psc17y", "asq", "scared"}  # never SDQ, RCADS, C-SSRS, SCL-90
    for d in D.values():
        assert d.name["en"] and d.name["zh_hans"] and d.instructions["zh_hans"] and d.licence and d.citation
        assert all(o.en and o.zh_hans for o in d.options)
        assert d.translation in ("published", "unvalidated") and d.wording  # tests/screening/test_wording.py
