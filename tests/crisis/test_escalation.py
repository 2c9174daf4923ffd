"""With frozen time: no acknowledgement -> the second channel -> the school leader, each once."""

import datetime as dt

import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crisis import alerts, services
from crisis.models import GuardianNotice
from portal.models import Delivery, Guardian, InboxMessage


def test_an_unacknowledged_notice_tries_the_second_channel_then_the_leader(
    world, settings, django_capture_on_commit_callbacks
):
    settings.CRISIS_ESCALATE_HOURS = 24
    Guardian.objects.filter(pk=world.guardian_x.pk).update(channel="sms", email="mum@example.com")
    case = services.case_raise(student=world.student_w, suggested_tier=2, source="screening")
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        world.guardian_x.student_links.update(is_primary=False)
        world.student_w.guardian_links.update(is_primary=False)
        world.student_w.guardian_links.create(guardian=world.guardian_x, is_primary=True)
        services.case_confirm_tier(case=case, tier=2, by=world.users["counselor_a"])
    notice = GuardianNotice.objects.get(case=case)
    sent = lambda channel: Delivery.objects.filter(notification__guardian=world.guardian_x, channel=channel)  # noqa: E731

    with (
        time_machine.travel(start + dt.timedelta(hours=23), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert alerts.escalate_due() == {"second_channel": 0, "leader": 0, "withheld": 0}
    with (
        time_machine.travel(start + dt.timedelta(hours=25), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert alerts.escalate_due() == {"second_channel": 1, "leader": 0, "withheld": 0}
        assert alerts.escalate_due() == {"second_channel": 0, "leader": 0, "withheld": 0}  # once
    assert sent("sms").count() == 1 and sent("email").count() == 1
    assert mail.outbox[-1].to == ["mum@example.com"]
    assert not InboxMessage.objects.filter(user=world.users["leader_a"]).exists()

    with (
        time_machine.travel(start + dt.timedelta(hours=50), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert alerts.escalate_due() == {"second_channel": 0, "leader": 1, "withheld": 0}
        assert alerts.escalate_due() == {"second_channel": 0, "leader": 0, "withheld": 0}  # once
    [alert] = InboxMessage.objects.filter(user=world.users["leader_a"])
    assert "Xiao W" in alert.subject
    notice.refresh_from_db()
    assert notice.escalation == 2


def test_an_acknowledged_notice_is_not_escalated(world, client, settings):
    token = world.ack_x
    client.post(reverse("crisis:acknowledge", args=[token]))
    with time_machine.travel(timezone.now() + dt.timedelta(days=5), tick=False):
        assert alerts.escalate_due() == {"second_channel": 0, "leader": 0, "withheld": 0}


def test_a_phone_call_recorded_by_hand_acknowledges_the_notice(world, login):
    _token = world.ack_x  # creates a notice to X's guardian
    notice = GuardianNotice.objects.get()
    client = login(world.users["counselor_a"])
    client.post(reverse("crisis:notice_contact", args=[world.case_x.pk, notice.pk]),
                {"via": "phone", "outcome": "母亲已知晓，周五来校面谈"})  # fmt: skip
    notice.refresh_from_db()
    assert (notice.acknowledged_via, notice.outcome) == ("phone", "母亲已知晓，周五来校面谈")
    assert "周五来校面谈" in client.get(reverse("crisis:case", args=[world.case_x.pk])).content.decode()


def test_an_overdue_follow_up_is_flagged_to_the_owner_once(world, django_capture_on_commit_callbacks):
    from crisis.models import Case

    Case.objects.filter(pk=world.case_x.pk).update(confirmed_at=timezone.now() - dt.timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.overdue_follow_ups_flag() == 1
        assert services.overdue_follow_ups_flag() == 0  # once per missed due date
    [message] = InboxMessage.objects.filter(user=world.users["counselor_a"]).exclude(pk=world.inbox_a.pk)
    assert "Xiao X" in message.subject
    services.follow_up_log(case=world.case_x, by=world.users["counselor_a"], date=timezone.localdate(),
                           contact_type="talk", summary="x")  # fmt: skip
    assert services.overdue_follow_ups_flag() == 0
