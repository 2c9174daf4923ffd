"""The outbox: written with its cause, sent once per channel after commit, retried, swept up."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from portal import channels, notifications, services
from portal.models import Delivery, InboxMessage, Notification
from portal.models.notify import DeliveryStatus
from tests import factories
from tests.portal.rosters import GOOD_ROWS, csv_bytes

CONTEXT = factories.NotificationFactory._meta.declarations["context"].function()


@pytest.fixture
def recipient(db):
    return factories.UserFactory(email="wang@example.com", language="en")


def _send(user, **kwargs):
    return notifications.notification_send(kind="roster_import_applied", user=user, context=CONTEXT, **kwargs)


def test_nothing_leaves_before_the_cause_commits(recipient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = _send(recipient, via=["email", "inbox"])
    assert {d.channel: d.status for d in notification.deliveries.all()} == {"email": "pending", "inbox": "pending"}
    assert mail.outbox == [] and len(callbacks) == 1


def test_a_rolled_back_cause_sends_nothing(recipient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        _send(recipient, via=["email"])
        raise RuntimeError("the change failed")
    assert mail.outbox == [] and not Notification.objects.exists()


def test_after_commit_each_channel_gets_the_message_in_the_recipients_language(
    recipient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(recipient, via=["email", "inbox"])
    [email] = mail.outbox
    assert email.to == ["wang@example.com"]
    assert email.subject == "Class list applied: School A"
    assert email.extra_headers["Message-ID"] == f"<notification-{notification.pk}.email@psy-portal.local>"
    assert InboxMessage.objects.get(user=recipient).subject == "Class list applied: School A"
    assert set(notification.deliveries.values_list("status", flat=True)) == {"sent"}


def test_a_chinese_reader_gets_chinese(db, django_capture_on_commit_callbacks):
    reader = factories.UserFactory(email="li@example.com", language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        _send(reader, via=["email"])
    assert mail.outbox[0].subject == "班级名单已应用：School A"


def test_one_delivery_per_notification_and_channel(recipient):
    delivery = factories.DeliveryFactory(notification__user=recipient, channel="email", address="a@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(notification=delivery.notification, channel="email", address="b@example.com")


def test_a_delivery_run_twice_sends_once(recipient):
    delivery = factories.DeliveryFactory(notification__user=recipient, channel="email", address="a@example.com")
    assert notifications.delivery_attempt(delivery_id=delivery.pk).sent is True
    assert notifications.delivery_attempt(delivery_id=delivery.pk).sent is False
    assert len(mail.outbox) == 1


def test_a_delivery_waiting_out_its_backoff_is_not_sent_early_by_a_spare_task(recipient):
    later = timezone.now() + dt.timedelta(seconds=30)
    delivery = factories.DeliveryFactory(notification__user=recipient, channel="email", address="a@example.com",
                                         next_attempt_at=later)  # fmt: skip
    assert notifications.delivery_attempt(delivery_id=delivery.pk).sent is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, mail.outbox) == ("pending", 0, [])


def test_the_same_cause_notifies_once(recipient):
    assert _send(recipient, dedupe_key="cause:1") is not None
    assert _send(recipient, dedupe_key="cause:1") is None
    assert Notification.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_writers_of_the_same_cause_at_once_notify_once_and_neither_fails():
    recipient = factories.UserFactory(email="wang@example.com", language="en")
    both_inside = threading.Barrier(2)
    sent: list[object] = []

    def writer() -> None:
        try:
            with transaction.atomic():
                both_inside.wait(timeout=10)
                sent.append(_send(recipient, dedupe_key="cause:race"))  # the second waits for the first's commit
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(sent) == 2 and sum(n is not None for n in sent) == 1
    assert Notification.objects.filter(dedupe_key="cause:race").count() == 1
    assert Delivery.objects.filter(notification__dedupe_key="cause:race").count() == 2  # e-mail and inbox, once


def test_a_transient_failure_is_retried_later_with_backoff(recipient, monkeypatch):
    def down(address, message):
        raise channels.TransientError("SMTPServerDisconnected")

    monkeypatch.setattr(channels, "send_email", down)
    delivery = factories.DeliveryFactory(notification__user=recipient, channel="email", address="a@example.com")
    before = timezone.now()
    outcome = notifications.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert 15 <= outcome.retry_in <= 30
    assert delivery.next_attempt_at >= before + dt.timedelta(seconds=15)
    assert delivery.last_error == "SMTPServerDisconnected"


def test_after_the_last_attempt_a_delivery_fails_for_good(recipient, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    monkeypatch.setattr(channels, "send_email", lambda a, m: (_ for _ in ()).throw(channels.TransientError("x")))
    delivery = factories.DeliveryFactory(notification__user=recipient, channel="email", address="a@example.com")
    notifications.delivery_attempt(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert notifications.delivery_attempt(delivery_id=delivery.pk).retry_in is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)


def test_backoff_grows_and_jitters():
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (20, 3600)]:
        samples = {notifications.backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert len(samples) > 40


def test_the_sweeper_resends_what_was_never_queued_and_what_a_dead_worker_held(recipient, settings):
    long_ago = timezone.now() - dt.timedelta(hours=1)
    lost = factories.DeliveryFactory(notification__user=recipient, channel="email", address="lost@example.com",
                                     enqueued_at=long_ago)  # fmt: skip
    held = factories.DeliveryFactory(notification__user=recipient, channel="inbox", status="sending",
                                     claimed_at=long_ago, attempts=1)  # fmt: skip
    fresh = factories.DeliveryFactory(notification__user=factories.UserFactory(), channel="email",
                                      address="fresh@example.com", enqueued_at=timezone.now())  # fmt: skip
    assert notifications.sweep() == 2
    assert [m.to for m in mail.outbox] == [["lost@example.com"]]
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert (statuses[lost.pk], statuses[held.pk], statuses[fresh.pk]) == ("sent", "sent", "pending")


class _Gateway(BaseHTTPRequestHandler):
    status = 200
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers["Content-Length"])
        type(self).received.append((dict(self.headers), json.loads(self.rfile.read(length))))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    _Gateway.received = []
    _Gateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_GATEWAY_TOKEN = "t0ken"
    yield _Gateway
    server.shutdown()


def test_sms_goes_to_the_gateway_with_an_idempotency_key(world, gateway):
    guardian = world.guardian_x
    delivery = factories.DeliveryFactory(notification__user=None, notification__guardian=guardian, channel="sms",
                                         address=guardian.mobile, language="zh-hans")  # fmt: skip
    assert notifications.delivery_attempt(delivery_id=delivery.pk).sent
    [(headers, body)] = gateway.received
    assert body["to"] == guardian.mobile and body["language"] == "zh-hans"
    assert body["idempotency_key"] == headers["Idempotency-Key"] == delivery.message_id
    assert headers["Authorization"] == "Bearer t0ken"
    assert "班级名单已应用" in body["text"]


@pytest.mark.parametrize(("status", "outcome"), [(503, "pending"), (429, "pending"), (400, "failed")])
def test_gateway_errors_are_retried_or_given_up_as_they_deserve(world, gateway, status, outcome):
    gateway.status = status
    delivery = factories.DeliveryFactory(notification__user=world.users["parent_x"], channel="sms",
                                         address="13800000000")  # fmt: skip
    notifications.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (outcome, f"gateway HTTP {status}")


def test_an_applied_class_list_notifies_the_uploader(world, login, django_capture_on_commit_callbacks):
    counselor = world.users["counselor_a"]
    roster_import = services.roster_import_create(
        school=world.school_a, uploaded_by=counselor, filename="list.csv", content=csv_bytes(GOOD_ROWS)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.roster_import_apply(import_id=roster_import.pk)
    message = InboxMessage.objects.filter(user=counselor).latest("id")
    assert message.subject == "班级名单已应用：School A"
    client = login(counselor)
    assert "班级名单已应用" in client.get(reverse("inbox")).content.decode()
    assert "新增学生：3" in client.get(reverse("inbox_message", args=[message.pk])).content.decode()
    message.refresh_from_db()
    assert message.read_at is not None


def test_an_unexpected_error_is_retried_but_never_past_the_cap(recipient, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2

    def broken_template(notification, language):
        raise LookupError("template missing")

    monkeypatch.setattr(notifications, "render", broken_template)
    delivery = factories.DeliveryFactory(notification__user=recipient, channel="email", address="a@example.com")
    assert notifications.delivery_attempt(delivery_id=delivery.pk).retry_in is not None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("pending", "LookupError: template missing")
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    notifications.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)


def test_the_sweeper_gives_up_on_a_claim_that_used_its_last_attempt(recipient, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    long_ago = timezone.now() - dt.timedelta(hours=1)
    delivery = factories.DeliveryFactory(notification__user=recipient, channel="email", address="a@example.com",
                                         status="sending", claimed_at=long_ago, attempts=3)  # fmt: skip
    assert notifications.sweep() == 0
    delivery.refresh_from_db()
    assert delivery.status == "failed" and mail.outbox == []


def test_a_stale_workers_late_result_does_not_overwrite_the_new_claim(recipient, settings):
    delivery = factories.DeliveryFactory(notification__user=recipient, channel="email", address="a@example.com",
                                         status="sending", claim="old-worker", attempts=1,
                                         claimed_at=timezone.now() - dt.timedelta(hours=1))  # fmt: skip
    assert notifications.delivery_attempt(delivery_id=delivery.pk).sent  # a new worker takes over and sends
    notifications._finish(delivery.pk, "old-worker", DeliveryStatus.FAILED, "late failure")  # the old one wakes up
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.last_error == ""


def test_a_wanted_channel_without_an_address_is_recorded_and_another_is_used(world):
    guardian = world.guardian_x  # prefers SMS; no login, no e-mail
    notification = notifications.notification_send(
        kind="roster_import_applied", guardian=guardian, context=CONTEXT, via=["email"]
    )
    deliveries = {d.channel: (d.status, d.last_error) for d in notification.deliveries.all()}
    assert deliveries == {"email": ("failed", "no address on record"), "sms": ("pending", "")}


def test_api_responses_are_never_cached(world, login):
    response = login(world.users["counselor_a"]).get(reverse("guardian-list"))
    assert "no-store" in response["Cache-Control"]
