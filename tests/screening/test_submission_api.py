"""A whole questionnaire in one request, by the student's code (a kiosk or tablet app)."""

import pytest
from django.urls import reverse
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crisis.models import Case
from portal.models import AuditEvent
from screening.api import SubmissionSerializer, well_formed
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


_ascii = st.text(st.characters(max_codepoint=127), max_size=40)
_near = st.from_regex(r"\s?[A-Za-z0-9_-]{0,33}\s?", fullmatch=True)  # around the edges of valid
_codes = st.one_of(_near, _ascii, st.text(max_size=40), st.integers())
_slugs = st.one_of(_near, _ascii, st.sampled_from(["phq9", "scared", "gad-7"]), st.none())
_values = st.one_of(st.none(), st.integers(-5, 120), st.booleans(), st.floats(), st.text(max_size=3))
_items = st.from_regex(r"[0-9]{1,3}", fullmatch=True)
_good_answers = st.dictionaries(_items, st.one_of(st.none(), st.integers(0, 99)))
_answers = st.one_of(
    _good_answers,
    st.dictionaries(st.one_of(st.from_regex(r"[0-9]{1,4}", fullmatch=True), st.text(max_size=4)), _values),
    st.lists(st.integers(0, 3)),
    st.none(),
)
_bodies = st.one_of(
    st.fixed_dictionaries({"code": _near, "instrument": _near, "answers": _good_answers}),  # mostly well formed
    st.fixed_dictionaries(
        {"code": _codes, "instrument": _slugs, "answers": _answers},
        optional={"started_at": st.text(max_size=30), "extra": st.integers()},
    ),
)


@settings(max_examples=400, deadline=None)
@given(body=_bodies)
@example(body={"code": "A" * 33, "instrument": "phq9", "answers": {}})  # the edges of the lengths
@example(body={"code": "A" * 32, "instrument": "x" * 31, "answers": {}})
@example(body={"code": "A" * 32, "instrument": "x" * 30, "answers": {"999": 99, "1000": 0}})
def test_the_fast_check_accepts_only_what_the_serializer_accepts_and_reads_it_the_same(body):
    """The kiosk skips building a serializer for a well-formed body (B1): it must never let through what the
    serializer would refuse, nor read a body differently."""
    fast = well_formed(body)
    serializer = SubmissionSerializer(data=body)
    if fast is not None:
        assert serializer.is_valid(), serializer.errors
        assert fast == dict(serializer.validated_data)


def test_the_fast_check_takes_the_usual_kiosk_body():
    body = {"code": "ABCD-2345", "instrument": "scared", "answers": {str(n): n % 3 for n in range(1, 42)}}
    assert well_formed(body) == {"code": "ABCD-2345", "instrument": "scared",
                                 "answers": {n: n % 3 for n in range(1, 42)}}  # fmt: skip


def test_non_ascii_digits_are_refused_not_a_server_error(world, campaign, client):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    response = _post(client, participation.code, answers={**PHQ_CALM, "²": 0})
    assert response.status_code == 400 and "answers" in response.json()
