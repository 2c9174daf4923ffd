"""The outbox through its real path: commit -> Redis -> alerts worker -> a real SMTP server."""

import time

import pytest
from django.db import transaction

from portal import notifications
from portal.models import Delivery
from tests import factories
from tests.integration.conftest import kill, wait_for

pytestmark = pytest.mark.integration

CONTEXT = factories.NotificationFactory._meta.declarations["context"].function()
FAST_SWEEP = {"OUTBOX_STALE_SENDING_SECONDS": "3", "OUTBOX_SWEEP_GRACE_SECONDS": "1", "OUTBOX_SWEEP_EVERY": "1"}


def _smtp_env(smtp_server) -> dict[str, str]:
    return {"EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}", **FAST_SWEEP}


def _notify(email: str):
    user = factories.UserFactory(email=email, language="zh-hans")
    with transaction.atomic():
        return notifications.notification_send(kind="roster_import_applied", user=user, context=CONTEXT, via=["email"])


def test_an_outbox_email_reaches_a_real_smtp_server(processes, smtp_server):
    processes.worker(**_smtp_env(smtp_server))
    began = time.perf_counter()
    notification = _notify("counselor@example.com")
    wait_for(lambda: smtp_server.messages)
    elapsed = time.perf_counter() - began
    [message] = smtp_server.messages
    assert message["To"] == "counselor@example.com"
    assert message["Message-ID"] == f"<notification-{notification.pk}.email@psy-portal.local>"
    assert "新增学生：3" in message.get_payload(decode=True).decode()
    delivery = Delivery.objects.get(notification=notification)
    wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == "sent")
    print(f"\noutbox: commit to SMTP acceptance in {elapsed * 1000:.0f} ms")


def test_a_worker_killed_mid_delivery_still_delivers_with_the_same_message_id(processes, smtp_server):
    smtp_server.hold_first = True
    env = _smtp_env(smtp_server)
    first = processes.worker("first", **env)
    notification = _notify("parent@example.com")
    assert smtp_server.first_arrived.wait(30), "the first worker never reached the SMTP server"
    kill(first)  # the server has the message; the worker dies before it hears "250" or records "sent"
    smtp_server.release.set()
    assert Delivery.objects.get(notification=notification).status == "sending"

    processes.worker("second", **env)
    processes.beat(**env)  # the sweeper, on its real schedule
    wait_for(lambda: Delivery.objects.get(notification=notification).status == "sent", timeout=45)
    ids = {m["Message-ID"] for m in smtp_server.messages}
    # At least once, and every copy names the same message, so the receiver keeps one.
    assert len(smtp_server.messages) == 2
    assert ids == {f"<notification-{notification.pk}.email@psy-portal.local>"}
    assert Delivery.objects.get(notification=notification).attempts == 2


def test_a_committed_notification_whose_enqueue_was_lost_is_delivered_by_the_sweeper(
    processes, smtp_server, monkeypatch
):
    env = _smtp_env(smtp_server)
    processes.worker(**env)
    monkeypatch.setattr(notifications, "_enqueue", lambda ids, **kw: None)  # Redis lost the message
    notification = _notify("leader@example.com")
    monkeypatch.undo()
    _notify("probe@example.com")  # queued after it: once the probe is in, the queue is empty
    wait_for(lambda: smtp_server.messages)
    assert [m["To"] for m in smtp_server.messages] == ["probe@example.com"]
    assert Delivery.objects.get(notification=notification).status == "pending"
    smtp_server.messages.clear()
    processes.beat(**env)
    wait_for(lambda: smtp_server.messages, timeout=45)
    wait_for(lambda: Delivery.objects.get(notification=notification).status == "sent")
    assert len(smtp_server.messages) == 1
