"""A kiosk's answering time is the server's: from the code's opening (or the student's previous submission) to
the submission. What a kiosk says about its own clock is not read; a code never opened carries no time."""

import datetime as dt

import time_machine
from django.utils import timezone

from screening.models import Participation, Response
from tests.screening.conftest import consent, participation_of

OPEN, SUBMIT = "/api/v1/screening/sessions/", "/api/v1/screening/submissions/"
PHQ_CALM = {str(n): n % 4 for n in range(1, 10)}  # varied answers: only the time can flag it
ASQ_NO = {"1": 0, "2": 0, "3": 0, "4": 0}
T0 = timezone.now().replace(microsecond=0)  # the campaign is open today


def _at(moment, client, url, body, capture=None):
    with time_machine.travel(moment, tick=False):
        if capture is None:
            return client.post(url, body, content_type="application/json")
        with capture(execute=True):
            return client.post(url, body, content_type="application/json")


def _flags(participation, code):
    return Response.objects.get(participation=participation, instrument__code=code).review_flags


def test_the_time_runs_from_the_opening_and_then_from_the_previous_submission(
    world, campaign, client, django_capture_on_commit_callbacks
):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    opened = _at(T0, client, OPEN, {"code": participation.code})
    assert opened.status_code == 200 and opened.json() == {"instruments": ["phq9", "asq"]}
    assert Participation.objects.get(pk=participation.pk).started_at is None  # opened is not started: consent stands
    # A kiosk claiming the student began an hour ago is not believed: 4 s for nine questions is too fast.
    body = {"code": participation.code, "instrument": "phq9", "answers": PHQ_CALM,
            "started_at": (T0 - dt.timedelta(hours=1)).isoformat()}  # fmt: skip
    capture = django_capture_on_commit_callbacks
    assert _at(T0 + dt.timedelta(seconds=4), client, SUBMIT, body, capture).status_code == 201
    phq9 = Response.objects.get(participation=participation, instrument__code="phq9")
    assert (phq9.started_at, phq9.review_flags) == (T0, ["too_fast"])
    # Opening again later does not restart the clock; the ASQ's time runs from the PHQ-9's submission: 60 s.
    reopened = _at(T0 + dt.timedelta(seconds=30), client, OPEN, {"code": participation.code})
    assert reopened.json() == {"instruments": ["asq"]}
    asq = {"code": participation.code, "instrument": "asq", "answers": ASQ_NO}
    assert _at(T0 + dt.timedelta(seconds=64), client, SUBMIT, asq, capture).status_code == 201
    second = Response.objects.get(participation=participation, instrument__code="asq")
    assert second.started_at == T0 + dt.timedelta(seconds=4) and second.review_flags == []
    assert Participation.objects.get(pk=participation.pk).started_at == T0


def test_unhurried_answers_are_not_flagged(world, campaign, client, django_capture_on_commit_callbacks):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    _at(T0, client, OPEN, {"code": participation.code})
    body = {"code": participation.code, "instrument": "phq9", "answers": PHQ_CALM}
    _at(T0 + dt.timedelta(seconds=9), client, SUBMIT, body, django_capture_on_commit_callbacks)  # 1 s a question
    assert _flags(participation, "phq9") == []


def test_a_code_never_opened_carries_no_time_and_no_flag(world, campaign, client, django_capture_on_commit_callbacks):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    body = {"code": participation.code, "instrument": "phq9", "answers": PHQ_CALM,
            "started_at": timezone.now().isoformat()}  # fmt: skip
    assert _at(timezone.now(), client, SUBMIT, body, django_capture_on_commit_callbacks).status_code == 201
    response = Response.objects.get(participation=participation, instrument__code="phq9")
    assert response.started_at is None and response.review_flags == [] and response.total is not None
    assert Participation.objects.get(pk=participation.pk).started_at is not None  # started: consent is final


def test_opening_refuses_as_the_form_does(world, campaign, client):
    assert client.post(OPEN, {"code": "NO-SUCH"}, content_type="application/json").status_code == 400
    pending = participation_of(campaign, world.student_y)  # no consent yet
    refused = client.post(OPEN, {"code": pending.code}, content_type="application/json")
    assert refused.status_code == 400 and "code" in refused.json()
    assert client.post(OPEN, {"code": [1]}, content_type="application/json").status_code == 400
    assert Participation.objects.get(pk=pending.pk).opened_at is None
