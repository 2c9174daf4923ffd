"""Each instrument's published rules, at every cut-off, with blanks at and past the missing-data limits."""

import pytest

from screening.definitions import shipped
from screening.scoring import AnswerError, Policy, score

D = shipped()


def answers_with_total(code: str, total: int, *, blanks: tuple[int, ...] = (), fixed: dict | None = None) -> dict:
    """Answers adding up to `total`, filling items from the first, with the given items left blank."""
    d = D[code]
    top = max(d.values)
    out: dict[int, int | None] = dict(fixed or {})
    left = total - sum(v or 0 for v in out.values())
    for n in d.numbers:
        if n in out or n in blanks:
            continue
        out[n] = min(top, left)
        left -= out[n]
    assert left == 0, "total out of reach"
    for n in blanks:
        out[n] = None
    return out


@pytest.mark.parametrize(
    ("total", "band", "positive"),
    [(0, "minimal", False), (4, "minimal", False), (5, "mild", False), (9, "mild", False), (10, "moderate", True),
     (14, "moderate", True), (15, "moderately_severe", True), (19, "moderately_severe", True), (20, "severe", True),
     (27, "severe", True)],
)  # fmt: skip
def test_phq9_bands_and_cut_off(total, band, positive):
    result = score(D["phq9"], answers_with_total("phq9", total, fixed={9: 0} if total <= 24 else None))
    assert (result.valid, result.total, result.band, result.positive) == (True, total, band, positive)
    assert result.suggested_tier == ("severe" if total > 24 else "general" if positive else "none")


def test_phq9_item_9_is_critical_whatever_the_total():
    result = score(D["phq9"], {n: 0 for n in range(1, 9)} | {9: 1})
    assert (result.total, result.positive, result.critical, result.suggested_tier) == (1, False, True, "severe")


def test_phq9_prorates_one_or_two_blanks_rounding_half_up():
    # 8 answered summing 4: 4 x 9 / 8 = 4.5 -> 5 (mild); summing 12: 13.5 -> 14.
    assert score(D["phq9"], answers_with_total("phq9", 4, blanks=(1,), fixed={9: 0})).total == 5
    assert score(D["phq9"], answers_with_total("phq9", 12, blanks=(1,), fixed={9: 0})).total == 14
    # 7 answered summing 8: 8 x 9 / 7 = 10.29 -> 10, positive.
    result = score(D["phq9"], answers_with_total("phq9", 8, blanks=(1, 2), fixed={9: 0}))
    assert (result.valid, result.total, result.band, result.positive) == (True, 10, "moderate", True)


def test_phq9_three_blanks_leave_no_valid_total_and_a_blank_item_9_is_critical():
    result = score(D["phq9"], answers_with_total("phq9", 15, blanks=(1, 2, 3), fixed={9: 0}))
    assert (result.valid, result.total, result.band, result.positive) == (False, None, None, False)
    assert result.suggested_tier == "general"  # an invalid form is looked at
    blank_9 = score(D["phq9"], {n: 0 for n in range(1, 9)})
    assert (blank_9.valid, blank_9.total, blank_9.critical, blank_9.suggested_tier) == (True, 0, True, "severe")


@pytest.mark.parametrize(
    ("total", "band", "positive"),
    [(4, "minimal", False), (5, "mild", False), (9, "mild", False), (10, "moderate", True), (14, "moderate", True),
     (15, "severe", True), (21, "severe", True)],
)  # fmt: skip
def test_gad7_bands_and_cut_off(total, band, positive):
    result = score(D["gad7"], answers_with_total("gad7", total))
    assert (result.total, result.band, result.positive, result.critical) == (total, band, positive, False)
    assert result.suggested_tier == ("general" if positive else "none")  # no suicide item: never above general


def test_gad7_missing_data_policy_is_the_phq_rule():
    # 6 answered summing 3: 3 x 7 / 6 = 3.5 -> 4; summing 9: 10.5 -> 11.
    assert score(D["gad7"], answers_with_total("gad7", 3, blanks=(7,))).total == 4
    assert score(D["gad7"], answers_with_total("gad7", 9, blanks=(7,))).total == 11
    assert score(D["gad7"], answers_with_total("gad7", 6, blanks=(6, 7))).valid
    assert not score(D["gad7"], answers_with_total("gad7", 6, blanks=(5, 6, 7))).valid


PSC_SUBSCALES = {"internalizing": ([2, 6, 9, 11, 15], 5), "attention": ([1, 3, 7, 13, 17], 7),
                 "externalizing": ([4, 5, 8, 10, 12, 14, 16], 7)}  # fmt: skip


@pytest.mark.parametrize("code", ["psc17", "psc17y"])
def test_psc_items_follow_the_mgh_form(code):
    texts = [item.en.lower() for item in D[code].items]
    assert "fidget" in texts[0] and "sad" in texts[1] and "daydream" in texts[2] and "hopeless" in texts[5]
    assert "motor" in texts[12] and "worr" in texts[14] and "distracted" in texts[16]


@pytest.mark.parametrize("code", ["psc17", "psc17y"])
@pytest.mark.parametrize(("total", "positive"), [(14, False), (15, True), (34, True)])
def test_psc_total_cut_off(code, total, positive):
    # Spread over all items so that no subscale is positive below the total's cut-off.
    answers = {n: 0 for n in range(1, 18)}
    order = [1, 2, 4, 3, 6, 5, 7, 9, 8, 11, 10, 13, 15, 12, 17, 14, 16] * 2
    for n in order[:total]:
        answers[n] += 1
    result = score(D[code], answers)
    assert (result.total, result.positive) == (total, positive)


@pytest.mark.parametrize("code", ["psc17", "psc17y"])
@pytest.mark.parametrize("name", list(PSC_SUBSCALES))
def test_psc_subscale_cut_offs(code, name):
    items, cut = PSC_SUBSCALES[name]
    for value, positive in ((cut - 1, False), (cut, True)):
        answers = {n: 0 for n in range(1, 18)}
        left = value
        for n in items:
            answers[n] = min(2, left)
            left -= answers[n]
        result = score(D[code], answers)
        assert result.subscales[name].score == value and result.subscales[name].positive is positive
        assert result.suggested_tier == ("general" if positive else "none")


def test_psc_blanks_score_zero_up_to_three_and_four_invalidate():
    three = score(D["psc17"], {n: 1 for n in range(1, 18) if n not in (1, 3, 7)})
    assert (three.valid, three.total, three.subscales["attention"].score) == (True, 14, 2)
    four = score(D["psc17"], {n: 1 for n in range(1, 18) if n not in (1, 3, 7, 13)})
    assert (four.valid, four.total, four.suggested_tier) == (False, None, "general")
    assert four.subscales["attention"].score is None  # its blanks no longer score 0
    assert four.subscales["internalizing"].score == 5  # no blanks: it still scores


ASQ_CASES = [
    ({1: 0, 2: 0, 3: 0, 4: 0}, "negative", False, "none"),
    ({1: 1, 2: 0, 3: 0, 4: 0, 5: 0}, "non_acute_positive", True, "severe"),
    ({1: 0, 2: 0, 3: 0, 4: 1, 5: 0}, "non_acute_positive", True, "severe"),
    ({1: 0, 2: 0, 3: 1, 4: 0, 5: 1}, "acute_positive", True, "major"),
    ({1: 0, 2: 0, 3: 1, 4: 0, 5: 0}, "non_acute_positive", True, "severe"),  # each screening question counts
    ({1: 0, 2: None, 3: 0, 4: 0, 5: 0}, "non_acute_positive", True, "severe"),  # no answer counts as yes
    ({1: 1, 2: 0, 3: 0, 4: 0}, "acute_positive", True, "major"),  # question 5 unanswered: treated as yes
    ({1: 1, 2: 0, 3: 0, 4: 0, 5: None}, "acute_positive", True, "major"),
    ({1: 0, 2: 0, 3: 0, 4: 0, 5: 1}, "acute_positive", True, "major"),  # "right now", whatever the screen said
    ({1: 0, 2: 0, 3: 0, 4: 0, 5: 0}, "negative", False, "none"),
]


@pytest.mark.parametrize(("answers", "outcome", "positive", "tier"), ASQ_CASES)
def test_asq_outcomes(answers, outcome, positive, tier):
    result = score(D["asq"], answers)
    assert (result.result, result.positive, result.suggested_tier, result.total) == (outcome, positive, tier, None)
    assert result.critical is positive and result.valid is True  # the ASQ has no missing-data limit


SCARED_SUBSCALES = {
    "panic_somatic": ([1, 6, 9, 12, 15, 18, 19, 22, 24, 27, 30, 34, 38], 7),
    "generalized_anxiety": ([5, 7, 14, 21, 23, 28, 33, 35, 37], 9),
    "separation_anxiety": ([4, 8, 13, 16, 20, 25, 29, 31], 5),
    "social_anxiety": ([3, 10, 26, 32, 39, 40, 41], 8),
    "school_avoidance": ([2, 11, 17, 36], 3),
}


def _scared(total: int) -> dict[int, int]:
    """A total spread one point per item, round-robin over the subscales (none reaches its cut-off early)."""
    answers = {n: 0 for n in range(1, 42)}
    rotation = [n for group in zip(*[items for items, _ in SCARED_SUBSCALES.values()], strict=False) for n in group]
    rotation += [n for n in range(1, 42) if n not in rotation]
    for n in (rotation * 2)[:total]:
        answers[n] += 1
    return answers


@pytest.mark.parametrize(("total", "positive"), [(24, False), (25, True), (82, True)])
def test_scared_total_cut_off(total, positive):
    result = score(D["scared"], _scared(total))
    assert (result.valid, result.total, result.positive) == (True, total, positive)


def test_scared_a_district_may_choose_the_chinese_norm_but_never_a_looser_cut_off():
    assert score(D["scared"], _scared(23), Policy({"scared": 23})).positive
    assert not score(D["scared"], _scared(23)).positive
    with pytest.raises(ValueError):
        score(D["scared"], _scared(23), Policy({"scared": 30}))


@pytest.mark.parametrize("name", list(SCARED_SUBSCALES))
def test_scared_subscale_cut_offs(name):
    items, cut = SCARED_SUBSCALES[name]
    for value, positive in ((cut - 1, False), (cut, True)):
        answers = {n: 0 for n in range(1, 42)}
        left = value
        for n in items:
            answers[n] = min(2, left)
            left -= answers[n]
        sub = score(D["scared"], answers).subscales[name]
        assert (sub.score, sub.positive) == (value, positive)


def test_scared_any_blank_invalidates_the_total_but_complete_subscales_still_score():
    answers = {n: 1 for n in range(1, 42)} | {2: None}  # a school-avoidance item left blank
    result = score(D["scared"], answers)
    assert (result.valid, result.total, result.positive, result.suggested_tier) == (False, None, False, "general")
    assert result.subscales["school_avoidance"].score is None
    assert result.subscales["separation_anxiety"].score == 8 and result.subscales["separation_anxiety"].positive


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({1: 4}, "item 1: 4 is not one of [0, 1, 2, 3]"),
        ({10: 0}, "item 10 is not in phq9"),
        ({"x": 1}, "item 'x' is not a number"),
        ({1: "2"}, "item 1: '2' is not one of [0, 1, 2, 3]"),
        ({1: True}, "item 1: True is not one of [0, 1, 2, 3]"),
    ],
)
def test_answers_off_the_scale_or_for_unknown_items_are_refused(bad, message):
    """The message reaches the paper-import report and the API's 400, so it names the item and the answer."""
    with pytest.raises(AnswerError) as refused:
        score(D["phq9"], bad)
    assert str(refused.value) == message


def test_the_lowest_cut_off_a_policy_may_choose_is_one():
    assert Policy({"phq9": 1}).cutoff(D["phq9"]) == 1
    for chosen, message in (
        (0, "phq9: a cut-off of 0 would flag every student"),
        (11, "phq9: a policy may lower the cut-off, never raise it"),
    ):
        with pytest.raises(ValueError) as refused:
            Policy({"phq9": chosen}).cutoff(D["phq9"])
        assert str(refused.value) == message
    with pytest.raises(ValueError) as refused:
        Policy({"scared": 24}).cutoff(D["scared"])
    assert str(refused.value) == "scared: choose one of [23, 25]"


def test_a_result_is_stored_as_a_plain_dict():
    stored = score(D["scared"], _scared(25)).as_dict()
    assert [stored[k] for k in ("valid", "total", "positive", "suggested_tier")] == [True, 25, True, "general"]
    assert stored["subscales"]["school_avoidance"] == {"score": 4, "positive": True}
