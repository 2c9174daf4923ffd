"""A form the scorer cannot score (a poison row) is set aside with why, and the batch goes on (issue 24, item 5.1).

The counselor sees it, in words, on the campaign page and in the student's file; officials see counts by reason,
never a name. A critical answer on such a form still reaches the ledger through the urgent path."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crisis.models import Case
from screening import services
from screening.models import Participation, Response, ResponseStatus
from tests.portal.test_raw_codes import raw_codes
from tests.screening.test_scoring_batch import PHQ_MODERATE

# A PHQ-9 whose question 3 holds 7 (the scale is 0-3), as a damaged import or a hand-edited row would leave it.
POISON = {**PHQ_MODERATE, "3": 7}


def _submitted(world, student, answers, code="phq9") -> Response:
    participation = Participation.objects.get(campaign=world.campaign_a, student=student)
    now = timezone.now()
    return Response.objects.create(
        participation=participation, instrument=services.latest_instruments()[code], answers=answers,
        status=ResponseStatus.SUBMITTED, started_at=now - timezone.timedelta(minutes=5), submitted_at=now,
    )  # fmt: skip


@pytest.fixture
def batch(world):
    """Student X's form cannot be scored; W's and Y's (submitted before and after it) can."""
    return (
        _submitted(world, world.student_w, PHQ_MODERATE),
        _submitted(world, world.student_x, POISON),
        _submitted(world, world.student_y, PHQ_MODERATE),
    )


def test_a_batch_with_one_unscoreable_form_scores_the_others_and_sets_it_aside_with_why(world, batch):
    good_w, bad, good_y = batch
    assert services.score_batch() == 3
    for response in (good_w, good_y):
        response.refresh_from_db()
        assert (response.status, response.total, response.suggested_tier) == (ResponseStatus.SCORED, 12, 1)
    bad.refresh_from_db()
    assert bad.status == ResponseStatus.UNSCOREABLE
    assert bad.score_error == {"code": "bad_answer", "item": 3}
    assert (bad.total, bad.suggested_tier, bad.scored_at) == (None, None, None)
    # The others were triaged as usual; nothing is left for the next batch to trip over.
    assert Case.objects.filter(student=world.student_w).exists()
    assert services.score_batch() == 0


def test_the_counselor_sees_the_form_set_aside_in_words_on_the_campaign_page_and_in_the_file(world, batch, login):
    services.score_batch()
    client = login(world.users["counselor_a"])
    with translation.override("zh-hans"):
        why = Response.objects.get(pk=batch[1].pk).score_error_text
    assert why.startswith("第 3 题")  # the question named, in the reader's words
    page = client.get(reverse("screening:campaign", args=[world.campaign_a.pk])).content.decode()
    assert "未能计分的问卷" in page and world.student_x.name in page and why in page
    assert world.student_w.name not in page  # only the form set aside is listed
    assert raw_codes(page) == []  # never "unscoreable" nor "bad_answer"
    file = client.get(reverse("screening:student_file", args=[world.student_x.pk])).content.decode()
    assert "未能计分" in file and why in file
    assert raw_codes(file) == []


def test_another_schools_counselor_and_the_official_never_see_the_name(world, batch, login):
    services.score_batch()
    other = login(world.users["counselor_b"]).get(reverse("screening:campaign", args=[world.campaign_a.pk]))
    assert world.student_x.name not in other.content.decode()
    official = login(world.users["official_a"]).get(reverse("screening:campaign", args=[world.campaign_a.pk]))
    html = official.content.decode()
    assert world.student_x.name not in html
    assert "1 份问卷" in html and "问卷提供的选项" in html  # a count and the reason, in words


def test_a_critical_answer_on_a_form_that_cannot_be_scored_still_reaches_the_ledger(world):
    """The urgent path: item 9 answered 3 on a form whose question 3 is off the scale."""
    response = _submitted(world, world.student_w, {**POISON, "9": 3})
    services.triage_urgent(response.pk)
    response.refresh_from_db()
    assert response.status == ResponseStatus.UNSCOREABLE and response.score_error["item"] == 3
    case = Case.objects.get(student=world.student_w)
    assert case.suggested_tier == 2


def test_a_form_the_batch_set_aside_still_has_its_critical_answer_triaged_by_the_sweep(world):
    response = _submitted(world, world.student_w, {**POISON, "9": 2})
    assert services.score_batch() == 1  # the urgent task was lost: the batch got there first
    services.triage_urgent(response.pk)
    assert Case.objects.get(student=world.student_w).suggested_tier == 2


def test_a_critical_answer_that_is_not_a_number_counts_as_positive(world):
    """A blank critical item counts as answered positively; one that cannot be read must not count as "no"."""
    response = _submitted(world, world.student_w, {**PHQ_MODERATE, "9": "3"})
    services.triage_urgent(response.pk)
    response.refresh_from_db()
    assert response.status == ResponseStatus.UNSCOREABLE
    assert Case.objects.get(student=world.student_w).suggested_tier == 2
