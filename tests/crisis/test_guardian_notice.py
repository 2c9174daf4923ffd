"""The guardian-informed mechanism: one message on tier 2-3, a single-use expiring link, safeguarding."""

import datetime as dt

from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crisis import services
from crisis.models import GuardianNotice
from portal.models import AuditEvent, Delivery, Guardian, InboxMessage, StudentGuardian
from tests import factories


def _confirm(world, case, tier, capture):
    counselor = world.users["counselor_a"]
    counselor.first_name, counselor.phone = "王老师", "0412-5550123"
    counselor.save()
    with capture(execute=True):
        return services.case_confirm_tier(case=case, tier=tier, by=counselor)


def test_confirming_tier_2_asks_the_primary_guardian_once_without_clinical_detail(
    world, django_capture_on_commit_callbacks, settings
):
    guardian = world.guardian_x
    Guardian.objects.filter(pk=guardian.pk).update(channel="email", email="mum@example.com", language="zh-hans")
    case = services.case_raise(student=world.student_w, suggested_tier=2, source="screening")
    StudentGuardian.objects.filter(student=world.student_w).update(is_primary=False)
    StudentGuardian.objects.create(student=world.student_w, guardian=guardian, is_primary=True)
    _confirm(world, case, 2, django_capture_on_commit_callbacks)
    [email] = mail.outbox
    assert email.to == ["mum@example.com"]
    assert "0412-5550123" in email.body and "王老师" in email.body and "Xiao W" in email.subject
    for clinical in ("危机", "严重", "等级", "tier", "risk", "PHQ"):
        assert clinical not in email.body + email.subject
    notice = GuardianNotice.objects.get(case=case)
    assert notice.guardian == guardian and notice.acknowledged_at is None
    # Confirming the same tier again sends nothing more; a raise to tier 3 tells them again.
    _confirm(world, case, 2, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    _confirm(world, case, 3, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2 and GuardianNotice.objects.filter(case=case).count() == 2


def test_the_link_works_once_then_is_refused(world, client):
    token = world.ack_x
    page = client.get(reverse("crisis:acknowledge", args=[token]))
    assert page.status_code == 200 and "请联系学校" in page.content.decode()
    done = client.post(reverse("crisis:acknowledge", args=[token]))
    assert done.status_code == 200
    notice = GuardianNotice.objects.get()
    assert notice.acknowledged_via == "link" and notice.acknowledged_at is not None
    assert client.post(reverse("crisis:acknowledge", args=[token])).status_code == 410
    again = client.get(reverse("crisis:acknowledge", args=[token]))
    assert again.status_code == 410
    # A re-tapped link says it was confirmed, when, and whom to call: no dead end.
    when = timezone.localtime(notice.acknowledged_at).strftime("%Y-%m-%d %H:%M")
    text = again.content.decode()
    assert "已确认" in text and when in text and f'href="tel:{settings.HELP_HOTLINE}"' in text
    assert AuditEvent.objects.filter(action="guardiannotice.acknowledge").count() == 1


def test_an_expired_or_forged_link_is_refused(world, client):
    token = world.ack_x
    GuardianNotice.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = client.post(reverse("crisis:acknowledge", args=[token]))
    assert expired.status_code == 410 and "链接已过期" in expired.content.decode()
    assert "School A" in expired.content.decode()  # the school to call
    forged = client.get(reverse("crisis:acknowledge", args=[token[:-2] + "xx"]))
    assert forged.status_code == 410 and "School A" not in forged.content.decode()  # a forged link learns nothing
    assert not GuardianNotice.objects.filter(acknowledged_at__isnull=False).exists()


def test_the_safeguarding_flag_routes_the_alert_to_the_school_leader(world, login, django_capture_on_commit_callbacks):
    case = services.case_raise(student=world.student_w, suggested_tier=3, source="screening")
    client = login(world.users["counselor_a"])
    client.post(reverse("crisis:case_guardian_contact", args=[case.pk]), {"reason": "risk_at_home"})
    _confirm(world, case, 3, django_capture_on_commit_callbacks)
    [notice] = GuardianNotice.objects.filter(case=case)
    assert notice.guardian is None and notice.leader == world.users["leader_a"]
    assert not Delivery.objects.filter(notification__guardian__isnull=False).exists()
    assert InboxMessage.objects.filter(user=world.users["leader_a"]).count() == 1
    event = AuditEvent.objects.get(action="case.guardian_contact_block")
    assert (event.detail["reason"], event.actor_username) == ("risk_at_home", "counselor_a")


def test_a_student_without_a_primary_guardian_alerts_the_leader(world, django_capture_on_commit_callbacks):
    student = factories.StudentFactory(classroom=world.class_a2)
    case = services.case_raise(student=student, suggested_tier=2, source="teacher")
    _confirm(world, case, 2, django_capture_on_commit_callbacks)
    assert GuardianNotice.objects.get(case=case).leader == world.users["leader_a"]
