"""Issue 10, item 7: every read and write of answers, cases, notes and guardian records, and every refused
request, writes exactly one event; canary strings from notes and answers reach no log, audit row or task
payload."""

import logging

import pytest
import time_machine
from celery.app.task import Task
from django.urls import reverse
from django.utils import timezone

from counseling.models import SessionRecord
from portal.models import AuditEvent
from screening import services as screening
from screening.models import Participation

CANARY = "金丝雀CANARY7f3a"

# (route, object, persona, the one event it writes)
READS = [
    ("student_detail", "student_x", "counselor_a", "student.view"),
    ("crisis:case", "case_x", "counselor_a", "case.view"),
    ("case-detail", "case_x", "counselor_a", "case.view"),
    ("case-list", None, "counselor_a", "case.view"),
    ("crisis:ledger_export", None, "counselor_a", "case.export"),
    ("guardian-list", None, "counselor_a", "guardian.view"),
    ("guardian-detail", "guardian_x", "counselor_a", "guardian.view"),
    ("student-detail", "student_x", "parent_x", "student.view"),
    ("counseling:record", "record_x", "counselor_a", "sessionrecord.view"),
    # The file shows the student and their session records: one event for each kind of record shown.
    ("screening:student_file", "student_x", "counselor_a", ("student.view", "sessionrecord.view")),
    ("counseling:mailbox", None, "counselor_a", "mailboxmessage.view"),
]


@pytest.mark.parametrize(("route", "obj", "persona", "action"), READS, ids=[r[0] for r in READS])
def test_each_sensitive_read_writes_exactly_one_event(world, login, route, obj, persona, action):
    target = world.obj(obj) if obj else None
    world.case_x, world.record_x, world.mailbox_a, world.mailbox_a  # noqa: B018 - rows for the lists to show
    client = login(world.users[persona])
    before = AuditEvent.objects.count()
    response = client.get(reverse(route, args=[target.pk] if target else []))
    assert response.status_code == 200
    events = list(AuditEvent.objects.order_by("id")[before:].values_list("action", "actor_username"))
    assert events == [(a, persona) for a in (action if isinstance(action, tuple) else (action,))]


REFUSALS = [
    # (persona, method, route, object, status)
    ("counselor_b", "get", "student_detail", "student_x", 404),  # another school's student
    ("teacher_a", "get", "counseling:record", "record_x", 404),  # notes are the counselor's
    ("parent_y", "get", "student-detail", "student_x", 404),  # another family's child, by the API
    ("anonymous", "get", "case-list", None, 401),  # the API, not signed in
    ("counselor_a", "post", "student_detail", "student_x", 405),  # a page that only shows
    ("official_a", "delete", "case-detail", "case_x", 405),
]


@pytest.mark.parametrize(("persona", "method", "route", "obj", "status"), REFUSALS)
def test_each_refused_request_writes_exactly_one_event(world, login, client, persona, method, route, obj, status):
    target = world.obj(obj) if obj else None
    caller = login(world.users[persona]) if world.users[persona] else client
    before = AuditEvent.objects.count()
    response = getattr(caller, method)(reverse(route, args=[target.pk] if target else []))
    assert response.status_code in (status, 403 if status == 401 else status)
    [event] = AuditEvent.objects.order_by("id")[before:]
    assert (event.action, event.detail["route"], event.detail["method"]) == ("request.refused", route, method.upper())
    assert event.actor_username == (persona if world.users[persona] else "anonymous")
    assert event.detail["ids"] == ([target.pk] if target else [])


def test_throttled_codes_write_one_event_each(world, client, settings):
    settings.SCREENING_CODE_TRIES = 2
    for _ in range(2):
        client.post(reverse("screening:take"), {"code": "AAAA-AAAA"})
    before = AuditEvent.objects.count()
    body = '{"code": "AAAA-AAAA", "instrument": "phq9", "answers": {}}'
    response = client.post(reverse("api-screening-submit"), body, content_type="application/json")
    assert response.status_code == 429
    assert list(AuditEvent.objects.order_by("id")[before:].values_list("action", "object_id")) == [
        ("request.refused", "429")
    ]


def test_canaries_from_notes_and_messages_reach_no_log_audit_row_or_task_payload(
    world, login, client, caplog, monkeypatch, django_capture_on_commit_callbacks
):
    payloads: list[str] = []
    original = Task.apply_async

    def recording(self, args=None, kwargs=None, *rest, **options):  # type: ignore[no-untyped-def]
        payloads.append(repr((self.name, args, kwargs, options)))
        return original(self, args, kwargs, *rest, **options)

    monkeypatch.setattr(Task, "apply_async", recording)
    caplog.set_level(logging.DEBUG)
    counselor = login(world.users["counselor_a"])
    booking = world.booking_x
    with django_capture_on_commit_callbacks(execute=True):
        follow_up = {"date": timezone.localdate().isoformat(), "contact_type": "talk", "summary": f"面谈 {CANARY}"}
        assert counselor.post(reverse("case-follow-ups", args=[world.case_x.pk]), follow_up).status_code == 201
        # A student's anonymous message, with a risk word so that the counselor is alerted through a task.
        client.post(world.mailbox_a_path, {"body": f"我想自杀 {CANARY}"})
        # A screening answer with a critical value: triaged through a task, scored through another.
        participation = Participation.objects.get(campaign=world.campaign_a, student=world.student_y)
        screening.consent_answer(token=screening.consent_token(participation), granted=True)
        phq9 = screening.battery_for(participation)[0]
        for item, value in enumerate([0, 0, 0, 0, 0, 0, 0, 0, 3], 1):
            screening.answer_save(participation=participation, instrument=phq9, item=item, value=value)
        with time_machine.travel(world.slot_a.ends_at, tick=False):  # notes are written after the session
            assert login(world.users["counselor_a"]).post(reverse("counseling:record_new", args=[booking.pk]), {
                "held_on": world.slot_a.starts_at.date().isoformat(), "attendance": "attended",
                "session_type": "individual", "summary": f"谈话 {CANARY}", "private_notes": f"私密 {CANARY}",
                "raise_tier": "",
            })["Location"] != reverse("login")  # fmt: skip
    [record] = SessionRecord.objects.all()
    assert CANARY in record.summary and CANARY in record.private_notes  # stored (encrypted), and read back
    counselor = login(world.users["counselor_a"])
    # Read everything back, and be refused once.
    for url in (reverse("case-detail", args=[world.case_x.pk]), reverse("counseling:mailbox"),
                reverse("counseling:record", args=[record.pk])):  # fmt: skip
        assert counselor.get(url).status_code == 200
    other = login(world.users["counselor_b"])
    assert other.get(reverse("screening:student_file", args=[world.student_y.pk])).status_code == 200
    assert other.get(reverse("case-detail", args=[world.case_x.pk])).status_code == 404
    assert payloads, "the flows above queued no task: the payload check would prove nothing"
    audit_rows = repr(list(AuditEvent.objects.values()))
    for place, text in (("audit rows", audit_rows), ("logs", caplog.text), ("task payloads", "\n".join(payloads))):
        assert CANARY not in text, place
    assert "answers" not in audit_rows  # field names at most, never the answers themselves
