"""Safeguarding at every step, with frozen time: once a case says "do not contact guardians", no message about
the student reaches the family on any channel, whenever it was queued; the school's leaders hear instead."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from crisis import alerts, services
from crisis.models import GuardianNotice
from portal import notifications
from portal.models import AuditEvent, Delivery, Guardian, InboxMessage, Notification
from portal.models.notify import DeliveryStatus


def _to_family(world):
    return Delivery.objects.filter(notification__guardian=world.guardian_x)


def _send_pending() -> dict[int, bool]:
    """Run every pending delivery as a worker would, now."""
    return {
        d.pk: notifications.delivery_attempt(delivery_id=d.pk).sent
        for d in Delivery.objects.filter(status=DeliveryStatus.PENDING).order_by("pk")
    }


@pytest.fixture
def sms_first(world):
    Guardian.objects.filter(pk=world.guardian_x.pk).update(channel="sms", email="mum@example.com")


def test_a_flag_set_after_the_first_notice_stops_every_further_contact(
    world, settings, sms_first, django_capture_on_commit_callbacks
):
    settings.CRISIS_ESCALATE_HOURS = 24
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.case_confirm_tier(case=world.case_x, tier=3, by=world.users["counselor_a"])
    first = set(_to_family(world).filter(status=DeliveryStatus.SENT).values_list("channel", flat=True))
    assert first == {"sms", "inbox"}  # the first notice: the guardian's channel, and the parent's portal inbox
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        services.case_block_guardian_contact(case=world.case_x, reason="risk_at_home", by=world.users["counselor_a"])
    for hours in (25, 50, 75, 100):
        with (
            time_machine.travel(start + dt.timedelta(hours=hours), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            done = alerts.escalate_due()
            assert done["second_channel"] == 0, hours
    assert _to_family(world).count() == 2  # nothing more was even queued for the family
    notice = GuardianNotice.objects.get(case=world.case_x, guardian=world.guardian_x)
    assert notice.escalation == 2
    [alert] = InboxMessage.objects.filter(user=world.users["leader_a"])
    assert "Xiao X" in alert.subject
    assert AuditEvent.objects.filter(action="guardiannotice.escalate", detail__withheld="risk_at_home").count() == 1


def test_a_flag_set_while_the_notice_is_queued_withholds_it_and_tells_the_leader(
    world, sms_first, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not run yet
        services.case_confirm_tier(case=world.case_x, tier=2, by=world.users["counselor_a"])
    queued = list(
        _to_family(world).filter(status=DeliveryStatus.PENDING, notification__kind="guardian_contact_request")
    )
    assert {d.channel for d in queued} == {"sms", "inbox"}
    services.case_block_guardian_contact(case=world.case_x, reason="risk_at_home", by=world.users["counselor_a"])
    with django_capture_on_commit_callbacks(execute=True):
        sent = _send_pending()
    for delivery in queued:
        assert sent[delivery.pk] is False
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.WITHHELD and delivery.sent_at is None
        event = AuditEvent.objects.get(action="delivery.withhold", object_id=str(delivery.pk))
        assert event.student_id == world.student_x.pk and event.detail == {"reason": "risk_at_home"}
    assert not _to_family(world).filter(status=DeliveryStatus.SENT).exists()
    notice = queued[0].notification
    told = InboxMessage.objects.filter(
        user=world.users["leader_a"], delivery__notification__kind="family_message_withheld"
    )
    assert told.count() == Notification.objects.filter(deliveries__status="withheld").distinct().count() >= 1
    assert all("Xiao X" in message.subject for message in told)
    assert Notification.objects.filter(dedupe_key=f"family_message_withheld:{notice.pk}:{world.users['leader_a'].pk}")
    # The sweeper never sends them later, and the leader is told once per message.
    before = told.count()
    assert notifications.sweep() == 0
    with django_capture_on_commit_callbacks(execute=True):
        _send_pending()
    assert told.count() == before and not _to_family(world).filter(status=DeliveryStatus.SENT).exists()


def test_any_message_to_the_family_is_withheld_not_only_crisis_notices(world):
    """The campaign's consent request, queued when it opened and not yet sent, is not sent after the flag."""
    assert world.campaign_a.pk
    queued = list(Delivery.objects.filter(notification__kind="screening_consent_request", status="pending",
                                          notification__guardian=world.guardian_x))  # fmt: skip
    assert queued and all(d.notification.student_id == world.student_x.pk for d in queued)
    services.case_block_guardian_contact(case=world.case_x, reason="student_asked", by=world.users["counselor_a"])
    _send_pending()
    assert {d.status for d in Delivery.objects.filter(pk__in=[d.pk for d in queued])} == {"withheld"}


def test_messages_to_staff_about_the_student_still_go(world, django_capture_on_commit_callbacks):
    services.case_block_guardian_contact(case=world.case_x, reason="risk_at_home", by=world.users["counselor_a"])
    with django_capture_on_commit_callbacks(execute=True):
        services.case_confirm_tier(case=world.case_x, tier=2, by=world.users["counselor_a"])
    assert not _to_family(world).exists()
    assert InboxMessage.objects.filter(user=world.users["leader_a"]).exists()  # leader_case_alert, as before
    assert not Delivery.objects.filter(status=DeliveryStatus.WITHHELD).exists()


def test_a_closed_case_no_longer_blocks(world):
    services.case_block_guardian_contact(case=world.case_x, reason="risk_at_home", by=world.users["counselor_a"])
    assert alerts.family_contact_refusal(world.student_x.pk) == "risk_at_home"
    services.case_close(case=world.case_x, reason="resolved", by=world.users["counselor_a"])
    assert alerts.family_contact_refusal(world.student_x.pk) == ""
    assert alerts.family_contact_refusal(world.student_w.pk) == ""
