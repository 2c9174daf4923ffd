"""/metrics: the alert chain as an operator's Prometheus sees it. Only operators or the scraper's token read it;
the figures are the database's at the moment of the scrape."""

import datetime as dt

import time_machine
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from crisis import services
from crisis.models import GuardianNotice
from portal import notifications
from portal.models import TaskRun
from portal.tasks import outbox_sweep
from tests import factories

TOKEN = "s3cret-scraper-token"


def _figures(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@override_settings(METRICS_TOKEN=TOKEN)
def test_only_operators_and_the_token_read_the_metrics(world, client, login, admin_user):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics").headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401  # not as a bearer token
    assert _figures(client, Authorization=f"Bearer {TOKEN}")
    for persona in ("official_a", "leader_a", "counselor_a", "parent_x"):
        assert login(world.users[persona]).get("/metrics").status_code == 404
    assert _figures(login(admin_user))


@override_settings(METRICS_TOKEN="")
def test_without_a_configured_token_no_token_opens_it(db, client):
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


@override_settings(METRICS_TOKEN=TOKEN)
def test_the_figures_are_the_chain_as_it_stands(world, client):
    before = _figures(client, Authorization=f"Bearer {TOKEN}")
    now = timezone.now()
    world.users["counselor_a"].phone = "13900000002"
    world.users["counselor_a"].save(update_fields=["phone"])
    with time_machine.travel(now - dt.timedelta(minutes=5), tick=False):
        notifications.notification_send(kind="guardian_contact_request", user=world.users["counselor_a"],
                                         context={}, via=["sms", "inbox"])  # fmt: skip
    with time_machine.travel(now - dt.timedelta(hours=2), tick=False):  # 重大 is due within the hour
        services.case_raise(student=world.student_w, suggested_tier=3, source="screening")
    fresh = factories.StudentFactory(classroom=world.student_w.classroom)
    services.case_raise(student=fresh, suggested_tier=2, source="screening")  # due within a school day
    GuardianNotice.objects.create(
        case=world.case_x, guardian=world.guardian_x, tier=2,
        sent_at=now - dt.timedelta(hours=2), expires_at=now + dt.timedelta(days=1),
    )  # fmt: skip
    with time_machine.travel(now, tick=False):
        figures = _figures(client, Authorization=f"Bearer {TOKEN}")

    def figure(name: str, **labels: str) -> float:
        return figures[(name, tuple(sorted(labels.items())))]

    def grew(name: str, **labels: str) -> float:
        return figure(name, **labels) - before[(name, tuple(sorted(labels.items())))]

    assert figure("portal_outbox_undelivered", channel="sms") >= 1
    assert figure("portal_outbox_oldest_undelivered_seconds", channel="sms") >= 300
    assert figure("portal_outbox_undelivered", channel="email") == 0
    assert grew("crisis_cases_awaiting_assessment", tier="3") == 1
    assert grew("crisis_cases_awaiting_assessment", tier="2") == 1
    assert grew("crisis_cases_past_first_contact_deadline", tier="3") == 1
    assert grew("crisis_cases_past_first_contact_deadline", tier="2") == 0
    assert grew("crisis_cases_awaiting_assessment", tier="1") == 0
    assert figure("crisis_oldest_awaiting_assessment_seconds", tier="3") == 7200
    assert grew("crisis_guardian_notices_unacknowledged") == 1
    assert figure("crisis_oldest_unacknowledged_notice_seconds") == 7200
    assert figure("portal_task_last_run_timestamp_seconds", task="portal.tasks.outbox_sweep") == 0  # never ran


@override_settings(METRICS_TOKEN=TOKEN)
def test_a_scheduled_task_that_finishes_records_its_run(db, client):
    with time_machine.travel(dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC), tick=False):
        outbox_sweep.apply()
    [run] = TaskRun.objects.all()
    assert run.task == "portal.tasks.outbox_sweep"
    figures = _figures(client, Authorization=f"Bearer {TOKEN}")
    key = ("portal_task_last_run_timestamp_seconds", (("task", "portal.tasks.outbox_sweep"),))
    assert figures[key] == dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC).timestamp()
    outbox_sweep.apply()
    assert TaskRun.objects.count() == 1  # one row per task, moved on
