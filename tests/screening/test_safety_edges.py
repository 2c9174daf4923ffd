"""Edges where a critical answer could be lost, doubled or taken back (found in review), and input that must
not crash anything."""

import copy
import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crisis import services as crisis
from crisis.models import Case
from screening import services, tasks
from screening.models import Instrument, Response, ResponseStatus, ScreeningPolicy
from tests.screening.conftest import answer, consent, participation_of


def _start(client, campaign, student):
    participation = participation_of(campaign, student)
    consent(participation)
    client.post(reverse("screening:take"), {"code": participation.code})
    return participation


def _page_item(client) -> str:
    import re

    return re.search(r'name="item" value="([^"]+)"', client.get(reverse("screening:question")).content.decode())[1]


def test_a_double_tap_never_answers_the_next_question(world, campaign, client):
    participation = _start(client, campaign, world.student_x)
    for _ in range(7):
        answer(client, reverse("screening:question"), 0)
    shown = _page_item(client)  # item 8 on screen
    client.post(reverse("screening:question"), {"item": shown, "value": 0})
    client.post(reverse("screening:question"), {"item": shown, "value": 0})  # the second tap of a double tap
    stored = Response.objects.get(participation=participation).answers
    assert "9" not in stored  # item 9 has not been shown, so it has no answer
    assert _page_item(client).endswith(":9")


def test_an_answer_is_never_overwritten(world, campaign):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    phq = services.battery_for(participation)[0]
    services.answer_save(participation=participation, instrument=phq, item=9, value=2)
    with pytest.raises(services.Refused):
        services.answer_save(participation=participation, instrument=phq, item=9, value=0)
    assert Response.objects.get().answers == {"9": 2}


@pytest.mark.parametrize(
    ("asq", "tier"),
    [(["skip"], 2), ([1, 0, 0, 0, "skip"], 3), (["skip", 0, 0, 0, 0], 2)],
    ids=["q1-skipped", "q5-skipped-after-a-yes", "q1-skipped-q5-no"],
)
def test_a_skipped_critical_question_is_acted_on_at_once(
    world, campaign, client, django_capture_on_commit_callbacks, asq, tier
):
    _start(client, campaign, world.student_y)
    with django_capture_on_commit_callbacks(execute=True):
        for value in [0] * 9 + asq:
            answer(client, reverse("screening:question"), value)
    assert Case.objects.get(student=world.student_y).suggested_tier == tier


def test_a_closed_case_is_not_reopened_by_a_later_calm_form(
    world, campaign, client, django_capture_on_commit_callbacks
):
    _start(client, campaign, world.student_y)
    with django_capture_on_commit_callbacks(execute=True):
        for value in [0] * 8 + [1]:  # PHQ-9 item 9: a case at tier 2
            answer(client, reverse("screening:question"), value)
    case = Case.objects.get(student=world.student_y)
    crisis.case_confirm_tier(case=case, tier=2, by=world.users["counselor_b"])
    crisis.case_close(case=case, reason="resolved", by=world.users["counselor_b"])
    with django_capture_on_commit_callbacks(execute=True):
        for value in [0, 0, 0, 0]:  # a calm ASQ finishes the form
            answer(client, reverse("screening:question"), value)
    assert Case.objects.filter(student=world.student_y).count() == 1  # still the one closed case


def test_forms_submitted_after_a_rescore_started_use_the_fixed_rules(
    world, campaign, login, django_capture_on_commit_callbacks
):
    current = Instrument.objects.get(code="phq9", version="2.0.0")
    fixed = copy.deepcopy(current.definition)
    fixed["version"], fixed["scoring"]["positive_at"] = "2.0.1", 8
    Instrument.objects.create(code="phq9", version="2.0.1", definition=fixed)
    with django_capture_on_commit_callbacks(execute=True):
        services.rescore_start(campaign=campaign, code="phq9", by=world.users["official_a"])
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    [phq, _asq] = services.battery_for(participation)
    assert phq.version == "2.0.1"  # new forms are given with the fix
    with django_capture_on_commit_callbacks(execute=True):
        for item in range(1, 10):
            services.answer_save(participation=participation, instrument=phq, item=item, value=1 if item < 9 else 0)
    response = Response.objects.get(participation=participation, instrument__code="phq9")
    assert (response.total, response.positive, response.scored_with.version) == (8, True, "2.0.1")


def test_a_bad_cut_off_in_a_policy_never_stops_scoring(world, campaign, django_capture_on_commit_callbacks):
    ScreeningPolicy.objects.create(district=world.district_a, positive_at={"phq9": "9", "gad7": 50})
    with pytest.raises(ValidationError):
        ScreeningPolicy.objects.get().full_clean()
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    phq = services.battery_for(participation)[0]
    with django_capture_on_commit_callbacks(execute=True):
        for item in range(1, 10):
            services.answer_save(participation=participation, instrument=phq, item=item, value=1 if item < 9 else 0)
    assert Response.objects.get(instrument=phq).status == ResponseStatus.SCORED


def test_a_campaign_that_closes_scores_the_unfinished_forms(world, campaign, django_capture_on_commit_callbacks):
    participation = participation_of(campaign, world.student_w)
    consent(participation)
    phq = services.battery_for(participation)[0]
    services.answer_save(participation=participation, instrument=phq, item=1, value=2)  # then stopped
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.close_due.delay().get() == 1
    response = Response.objects.get(instrument=phq)
    assert response.status == ResponseStatus.SCORED and response.valid is False
    # Item 9 was never reached: it counts as answered positively, so a counselor looks at this student.
    assert Case.objects.get(student=world.student_w).suggested_tier == 2


def test_odd_digits_in_a_paper_sheet_are_a_row_error(world, campaign, login):
    consent(participation_of(campaign, world.student_x))
    sheet = "学号,量表,1,2,3,4,5,6,7,8,9\n" + f"{world.student_x.student_number},phq9,²,0,0,0,0,0,0,0,0\n"
    upload = SimpleUploadedFile("a.csv", sheet.encode(), content_type="text/csv")
    page = login(world.users["counselor_a"]).post(
        reverse("screening:paper_import", args=[campaign.pk]), {"file": upload}
    )
    assert page.status_code == 200 and "第 2 行" in page.content.decode() and not Response.objects.exists()
