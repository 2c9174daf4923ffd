"""A whole questionnaire in one request, by the student's code (a kiosk or tablet app)."""

import pytest
from django.urls import reverse
from django.utils import translation

from crisis.models import Case
from portal.models import AuditEvent
from screening.models import Participation, Response, ResponseStatus
from screening.views import REFUSALS
from tests.screening.conftest import consent, participation_of

URL = "/api/v1/screening/submissions/"
PHQ_CALM = {str(n): 0 for n in range(1, 10)}


def _post(client, code, instrument="phq9", answers=None, **extra):
    body = {"code": code, "instrument": instrument, "answers": PHQ_CALM if answers is None else answers, **extra}
    return client.post(URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")


def _refusal(code: str) -> str:
    with translation.override("zh-hans"):
        return str(REFUSALS[code])


def test_the_route_is_the_named_one():
    assert reverse("api-screening-submit") == URL


def test_a_whole_questionnaire_is_stored_submitted_and_scored(
    world, campaign, client, django_capture_on_commit_callbacks
):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, participation.code.lower())
    assert response.status_code == 201 and response.json() == {"status": "submitted", "completed": False}
    stored = Response.objects.get(participation=participation)
    assert stored.answers == PHQ_CALM and stored.status == ResponseStatus.SCORED and stored.total == 0
    assert AuditEvent.objects.filter(action="response.submit", object_id=str(stored.pk)).count() == 1
    # The ASQ next (four "no": its fifth question is not asked) completes the battery.
    with django_capture_on_commit_callbacks(execute=True):
        done = _post(client, participation.code, "asq", {"1": 0, "2": 0, "3": 0, "4": 0})
    assert done.status_code == 201 and done.json()["completed"] is True
    participation.refresh_from_db()
    assert participation.completed_at is not None


def test_a_critical_answer_raises_a_case_at_once(world, campaign, client, django_capture_on_commit_callbacks):
    participation = participation_of(campaign, world.student_y)
    consent(participation)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, participation.code, answers={**PHQ_CALM, "9": 2}).status_code == 201
    assert Case.objects.get(student=world.student_y).suggested_tier == 2


def test_a_skipped_critical_item_counts_as_positive(world, campaign, client, django_capture_on_commit_callbacks):
    participation = participation_of(campaign, world.student_y)
    consent(participation)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, participation.code, answers={**PHQ_CALM, "9": None}).status_code == 201
    assert Case.objects.filter(student=world.student_y).exists()


@pytest.mark.parametrize(
    "answers",
    [
        {**PHQ_CALM, "9": 7},  # off the scale
        {k: v for k, v in PHQ_CALM.items() if k != "5"},  # an item missing
        {**PHQ_CALM, "10": 0},  # an item the form does not have
        {**PHQ_CALM, "x": 0},
        {**PHQ_CALM, "3": "often"},
        [0] * 9,
    ],
)
def test_bad_answers_are_refused_and_change_nothing(world, campaign, client, answers):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    response = _post(client, participation.code, answers=answers)
    assert response.status_code == 400 and "answers" in response.json()
    assert not Response.objects.filter(participation=participation).exists()
    assert Participation.objects.get(pk=participation.pk).started_at is None


def test_a_second_submission_is_refused_and_the_first_kept(world, campaign, client):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    assert _post(client, participation.code).status_code == 201
    again = _post(client, participation.code, answers={**PHQ_CALM, "1": 3})
    assert again.status_code == 409 and again.json()["code"] == [_refusal("completed")]
    assert Response.objects.get(participation=participation).answers == PHQ_CALM


def test_no_consent_no_response(world, campaign, client):
    refused = participation_of(campaign, world.student_x)
    consent(refused, granted=False)
    waiting = participation_of(campaign, world.student_w)
    assert _post(client, refused.code).json() == {"code": [_refusal("refused")]}
    assert _post(client, waiting.code).json() == {"code": [_refusal("no_consent")]}
    assert not Response.objects.exists()


def test_an_instrument_outside_the_students_battery_is_refused(world, campaign, client):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    response = _post(client, participation.code, "scared", {str(n): 0 for n in range(1, 42)})
    assert response.status_code == 400 and response.json() == {"instrument": [_refusal("unknown_instrument")]}


def test_wrong_codes_are_throttled_like_the_form(world, campaign, client, settings):
    settings.SCREENING_CODE_TRIES = 3
    for _ in range(3):
        assert _post(client, "AAAA-AAAA").json() == {"code": [_refusal("unknown")]}
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    blocked = _post(client, participation.code)
    assert blocked.status_code == 429 and not Response.objects.exists()


def test_a_signed_in_session_gives_no_extra_access(world, campaign, login):
    """Staff cookies are ignored: the code alone decides, so a counselor cannot submit for a student."""
    participation = participation_of(campaign, world.student_x)
    assert _post(login(world.users["counselor_a"]), participation.code).json() == {"code": [_refusal("no_consent")]}
