"""A student goes back one question to change an answer: both answers kept and audited, the latest one scored, a
critical answer already acted on stays acted on, the question count never jumps, the help line reads cleanly."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from crisis.models import Case
from portal.models import AuditEvent, InboxMessage
from screening import changes, services
from screening.models import AnswerChange, Participation, Response, ResponseStatus
from tests.screening.conftest import answer, consent, participation_of


def _url(back: bool = False) -> str:
    return reverse("screening:question") + ("?back=1" if back else "")


def _start(client, participation) -> None:
    consent(participation)
    assert client.post(reverse("screening:take"), {"code": participation.code}).status_code == 302


def _answer_all(client, values) -> None:
    for value in values:
        assert answer(client, _url(), value).status_code == 302


def _change(client, value):
    """Go back one question and answer it again, as the browser does."""
    page = client.get(_url(back=True)).content.decode()
    key = re.search(r'name="item" value="([^"]+)"', page).group(1)
    assert key.startswith("change:")
    return client.post(_url(), {"item": key, "value": value})


def _count(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", re.search(r'id="count">([^<]*)</p>', page).group(1))]


def test_going_back_changes_the_previous_answer_and_keeps_the_earlier_one(world, campaign, client):
    participation = participation_of(campaign, world.student_x)
    _start(client, participation)
    _answer_all(client, [1, 2, 3])
    page = client.get(_url(back=True)).content.decode()
    assert "睡眠" in page and "✓ " in page  # item 3 again, its answer marked
    assert 'id="back"' not in page and ">上一题</button>" not in page  # one step back, no further
    assert _change(client, 0).status_code == 302
    response = Response.objects.get(participation=participation)
    assert response.answers == {"1": 1, "2": 2, "3": 0}  # the latest answer is the one kept for scoring
    [change] = AnswerChange.objects.filter(response=response)
    assert (change.item, change.previous, change.value, change.previous_critical) == (3, 3, 0, False)
    event = AuditEvent.objects.get(action="response.change_answer", object_id=str(response.pk))
    assert event.detail["item"] == 3 and "value" not in event.detail  # which question, never the answer
    assert event.student_id == world.student_x.pk
    assert "感觉疲倦或没有活力" in client.get(_url()).content.decode()  # back at item 4


def test_the_same_answer_again_records_nothing(world, campaign, client):
    participation = participation_of(campaign, world.student_x)
    _start(client, participation)
    _answer_all(client, [1, 2])
    _change(client, 2)
    assert not AnswerChange.objects.exists()
    assert not AuditEvent.objects.filter(action="response.change_answer").exists()


def test_only_the_previous_question_can_be_changed(world, campaign, client):
    participation = participation_of(campaign, world.student_x)
    _start(client, participation)
    _answer_all(client, [1, 2, 3])
    phq = services.battery_for(participation)[0]
    with pytest.raises(services.Refused) as refused:
        changes.answer_change(participation=participation, instrument=phq, item=1, value=0)
    assert refused.value.code == "not_previous"
    # A stale tab posting a change to question 1 changes nothing either.
    client.post(_url(), {"item": f"change:{phq.pk}:1", "value": 0})
    assert Response.objects.get(participation=participation).answers == {"1": 1, "2": 2, "3": 3}
    assert not AnswerChange.objects.exists()


def test_a_critical_answer_changed_to_no_leaves_the_case_and_the_alert_in_place(
    world, campaign, client, login, django_capture_on_commit_callbacks
):
    participation = participation_of(campaign, world.student_w)
    _start(client, participation)
    with django_capture_on_commit_callbacks(execute=True):
        _answer_all(client, [0] * 8 + [2])  # PHQ-9 item 9: "more than half the days"
    case = Case.objects.get(student=world.student_w)
    alerts = InboxMessage.objects.filter(user=world.users["counselor_a"]).count()
    assert case.suggested_tier == 2 and alerts == 2  # the fixture's message, and the alert
    with django_capture_on_commit_callbacks(execute=True):
        assert _change(client, 0).status_code == 302  # back from the ASQ's first question to item 9: "not at all"
    case.refresh_from_db()
    assert (case.status, case.suggested_tier) == ("pending", 2)  # not withdrawn, not lowered
    assert InboxMessage.objects.filter(user=world.users["counselor_a"]).count() == alerts  # nor told again
    assert case.evidence[-1]["screening"][0]["answer_changed"] == {"item": 9, "critical_before": True,
                                                                    "critical_now": False}  # fmt: skip
    phq = Response.objects.get(participation=participation, instrument__code="phq9")
    assert phq.answers["9"] == 0 and phq.status == ResponseStatus.SCORED and phq.critical is False  # latest scored
    [change] = AnswerChange.objects.filter(response=phq)
    assert (change.previous, change.value, change.previous_critical) == (2, 0, True)
    # The counselor sees both answers in the student's file, in the words the student saw.
    file = login(world.users["counselor_a"]).get(reverse("screening:student_file", args=[world.student_w.pk]))
    html = file.content.decode()
    assert "第 9 题改答：“一半以上的天数” → “完全不会”" in html and "危急回答" in html


def test_a_critical_answer_changed_before_its_triage_ran_is_acted_on_all_the_same(
    world, campaign, client, django_capture_on_commit_callbacks
):
    participation = participation_of(campaign, world.student_w)
    _start(client, participation)
    with django_capture_on_commit_callbacks(execute=True):
        _answer_all(client, [0] * 9)
    with django_capture_on_commit_callbacks(execute=False):  # the urgent triage is queued, not yet run
        _answer_all(client, [1])  # ASQ 1: yes
    asq = Response.objects.get(participation=participation, instrument__code="asq")
    assert asq.urgent_since is not None and not Case.objects.filter(student=world.student_w).exists()
    with django_capture_on_commit_callbacks(execute=True):
        _change(client, 0)  # "no" a second later
    case = Case.objects.get(student=world.student_w)
    assert case.suggested_tier == 2
    assert InboxMessage.objects.filter(user=world.users["counselor_a"]).count() == 2  # the fixture's, the alert
    with django_capture_on_commit_callbacks(execute=True):
        services.triage_urgent(asq.pk)  # the queued task runs late: nothing twice
    assert InboxMessage.objects.filter(user=world.users["counselor_a"]).count() == 2
    assert Case.objects.filter(student=world.student_w).count() == 1


def test_a_new_yes_by_a_change_is_triaged_at_once(world, campaign, client, django_capture_on_commit_callbacks):
    participation = participation_of(campaign, world.student_w)
    _start(client, participation)
    with django_capture_on_commit_callbacks(execute=True):
        _answer_all(client, [0] * 10)  # PHQ-9 calm, ASQ 1 no
        _change(client, 1)  # meant "yes"
    assert Case.objects.get(student=world.student_w).suggested_tier == 2


def test_the_question_count_never_jumps(world, campaign, client, django_capture_on_commit_callbacks):
    participation = participation_of(campaign, world.student_x)
    _start(client, participation)
    seen = []
    with django_capture_on_commit_callbacks(execute=True):
        for value in [0] * 9 + [0, 0, 0, 1, 0]:  # PHQ-9 calm; ASQ: yes to 4, so question 5 is asked
            page = client.get(_url()).content.decode()
            seen.append(_count(page))
            answer(client, _url(), value)
    assert seen == [[n, 13] for n in range(1, 14)] + [[13, 13]]  # question 5: a follow-up of 13, never "of 14"
    assert "13" in page and "14" not in re.search(r'id="count">([^<]*)</p>', page).group(1)
    assert Participation.objects.get(pk=participation.pk).completed_at is not None


def test_the_last_answer_can_be_changed_from_the_done_page_for_a_few_minutes(
    world, campaign, client, django_capture_on_commit_callbacks
):
    participation = participation_of(campaign, world.student_w)
    _start(client, participation)
    with django_capture_on_commit_callbacks(execute=True):
        _answer_all(client, [0] * 13)
    done = client.get(reverse("screening:done")).content.decode()
    assert 'id="back"' in done
    with django_capture_on_commit_callbacks(execute=True):
        assert _change(client, 1).status_code == 302  # ASQ 4 was a mis-tapped "no"
    participation.refresh_from_db()
    assert participation.completed_at is None  # reopened: the follow-up is asked now
    assert "你现在有自杀的念头吗" in client.get(_url()).content.decode()
    assert AuditEvent.objects.filter(action="participation.reopen", object_id=str(participation.pk)).exists()
    with django_capture_on_commit_callbacks(execute=True):
        _answer_all(client, [0])
    participation.refresh_from_db()
    assert participation.completed_at is not None
    assert Case.objects.get(student=world.student_w, status="pending").suggested_tier >= 2
    # Later (the next student at this PC), the finished form is closed to changes.
    Participation.objects.filter(pk=participation.pk).update(completed_at=timezone.now() - dt.timedelta(minutes=6))
    assert client.get(_url(back=True))["Location"] == reverse("screening:done")
    assert 'id="back"' not in client.get(reverse("screening:done")).content.decode()
    with pytest.raises(services.Refused):
        asq = services.battery_for(participation)[1]
        changes.answer_change(participation=participation, instrument=asq, item=5, value=1)


def test_the_help_line_shows_the_hotline_once_with_its_name(world, campaign, client):
    text = re.sub(r"<[^>]+>", "", client.get(reverse("screening:done")).content.decode())
    [line] = [line for line in text.splitlines() if "12356" in line]
    assert line.strip() == "心理援助热线（24小时）：12356"
