"""Nothing lost: a critical answer whose triage task never reached the broker is triaged by the sweeper."""

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.utils import timezone
from kombu.exceptions import OperationalError

from crisis.models import Case
from portal.models import Notification
from screening import services, tasks
from screening.models import Instrument, Response
from tests.screening.conftest import consent, participation_of
from tests.screening.test_submission_api import PHQ_CALM, _post


@pytest.fixture
def broker_down():
    """Every publish fails, as with Redis unreachable: the triage task and the scoring kick are both lost."""
    with (
        mock.patch.object(tasks.triage_urgent, "delay", side_effect=OperationalError("broker down")),
        mock.patch.object(tasks.score_pending, "delay", side_effect=OperationalError("broker down")),
        mock.patch.object(tasks.score_pending, "apply_async", side_effect=OperationalError("broker down")),
    ):
        yield


def _sweep_at(moment: dt.datetime, capture) -> int:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return tasks.urgent_sweep()


def test_a_kiosk_critical_answer_lost_at_commit_reaches_the_ledger_within_one_sweep(
    world, client, broker_down, django_capture_on_commit_callbacks
):
    participation = participation_of(world.campaign_a, world.student_w)
    consent(participation)
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert _post(client, participation.code, answers={**PHQ_CALM, "9": 3}).status_code == 201  # no 500
    response = Response.objects.get(participation=participation)
    assert response.urgent_since == start and not Case.objects.filter(student=world.student_w).exists()
    mock.patch.stopall()
    with mock.patch.object(tasks.triage_urgent, "delay", side_effect=lambda pk: tasks.triage_urgent(pk)):
        assert _sweep_at(start + dt.timedelta(seconds=10), django_capture_on_commit_callbacks) == 0  # in its grace
        assert _sweep_at(start + dt.timedelta(seconds=31), django_capture_on_commit_callbacks) == 1
        assert _sweep_at(start + dt.timedelta(seconds=61), django_capture_on_commit_callbacks) == 0  # done, once
    case = Case.objects.get(student=world.student_w)
    assert case.suggested_tier == 2
    assert Notification.objects.filter(user=world.users["counselor_a"], kind="screening_risk_alert").count() == 1
    response.refresh_from_db()
    assert response.urgent_since is None and response.status == "scored"


def test_a_critical_answer_on_the_one_question_form_is_marked_too(
    world, broker_down, django_capture_on_commit_callbacks
):
    participation = participation_of(world.campaign_a, world.student_w)
    consent(participation)
    phq9 = next(i for i in Instrument.objects.filter(code="phq9") if i.pk in
                set(world.campaign_a.batteries.values_list("instrument", flat=True)))  # fmt: skip
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.answer_save(participation=participation, instrument=phq9, item=9, value=1)
    response = Response.objects.get(participation=participation)
    assert (response.status, response.urgent_since) == ("in_progress", start)
    mock.patch.stopall()
    with mock.patch.object(tasks.triage_urgent, "delay", side_effect=lambda pk: tasks.triage_urgent(pk)):
        assert _sweep_at(start + dt.timedelta(seconds=31), django_capture_on_commit_callbacks) == 1
    assert Case.objects.get(student=world.student_w).evidence[-1]["screening"][0]["partial"] is True
    assert Response.objects.get(pk=response.pk).urgent_since is None


def test_a_calm_answer_is_never_marked(world, client, django_capture_on_commit_callbacks):
    participation = participation_of(world.campaign_a, world.student_w)
    consent(participation)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, participation.code)
    assert Response.objects.get(participation=participation).urgent_since is None
