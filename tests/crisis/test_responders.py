"""The district's crisis team and expert pool: access to one case, for a limited time, through an incident."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from guardian.core import ObjectPermissionChecker

from crisis import selectors, services, tasks
from crisis.models import CaseUserObjectPermission, FollowUp
from portal.models import AuditEvent, InboxMessage, Membership


def _assign(world, login, responder, days=7):
    incident = world.incident_x
    response = login(world.users["official_a"]).post(
        reverse("crisis:incident_assign", args=[incident.pk]), {"responders": [responder.pk], "days": days}
    )
    assert response.status_code == 302
    return incident


def test_an_official_assigns_an_expert_who_then_reads_the_case_and_logs_follow_ups(
    world, login, django_capture_on_commit_callbacks
):
    expert = world.responder()
    user = expert.membership.user
    client = login(user)
    case_url = reverse("crisis:case", args=[world.case_x.pk])
    assert client.get(case_url).status_code == 404  # nothing before the assignment

    with django_capture_on_commit_callbacks(execute=True):
        _assign(world, login, expert)
    # Told without clinical detail, in the inbox (and by e-mail when an address is known).
    [message] = InboxMessage.objects.filter(user=user)
    assert "School A" in message.subject and "Xiao X" not in message.subject + message.body
    assert "fell out" not in message.body

    client = login(user)  # (the official used the same test client)
    assert client.get(reverse("home"))["Location"] == reverse("crisis:assignments")
    assert "Xiao X" in client.get(reverse("crisis:assignments")).content.decode()
    page = client.get(case_url)
    assert page.status_code == 200 and "Xiao X" in page.content.decode()
    # The school's decisions stay with the school: no assess, close or guardian forms for the expert.
    html = page.content.decode()
    assert reverse("crisis:case_confirm", args=[world.case_x.pk]) not in html
    assert reverse("crisis:case_close", args=[world.case_x.pk]) not in html
    assert f'action="{reverse("crisis:case_follow_up", args=[world.case_x.pk])}"' in html  # but their follow-ups
    for route in ("crisis:case_confirm", "crisis:case_close", "crisis:case_status", "crisis:case_refer_out"):
        assert client.post(reverse(route, args=[world.case_x.pk]), {"tier": 3, "reason": "resolved"}).status_code == 404
    assert client.get(reverse("student_detail", args=[world.student_x.pk])).status_code == 404
    assert client.get(reverse("crisis:ledger")).status_code == 404
    assert client.get(reverse("crisis:case", args=[world.case_y.pk])).status_code == 404  # another case

    client.post(
        reverse("crisis:case_follow_up", args=[world.case_x.pk]),
        {"date": timezone.localdate().isoformat(), "contact_type": "talk", "summary": "专家面谈，情绪平稳"},
    )
    assert FollowUp.objects.get(case=world.case_x).author == user
    assert AuditEvent.objects.filter(action="caseuserobjectpermission.grant", student_id=world.student_x.pk).exists()


def test_an_experts_grant_ends_when_it_expires(world, login):
    expert = world.responder()
    user = expert.membership.user
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _assign(world, login, expert, days=3)
    case_url = reverse("crisis:case", args=[world.case_x.pk])
    with time_machine.travel(start + dt.timedelta(days=2, hours=23), tick=False):
        assert login(user).get(case_url).status_code == 200
    with time_machine.travel(start + dt.timedelta(days=3, minutes=1), tick=False):
        # Access ends at the expiry time itself, before any cleanup has run.
        client = login(user)
        assert client.get(case_url).status_code == 404
        assert "Xiao X" not in client.get(reverse("crisis:assignments")).content.decode()
        assert tasks.grants_expire.delay().get() == 1  # the beat task then removes the grant
        assert tasks.grants_expire.delay().get() == 0
    assert not CaseUserObjectPermission.objects.exists()
    assert not ObjectPermissionChecker(user).has_perm("view_case", world.case_x)
    assert (
        AuditEvent.objects.filter(action="caseuserobjectpermission.expire", student_id=world.student_x.pk).count() == 1
    )


def test_an_official_can_end_access_early_and_a_new_assignment_extends_it(world, login):
    expert = world.responder()
    user = expert.membership.user
    _assign(world, login, expert, days=2)
    first = CaseUserObjectPermission.objects.get().expires_at
    _assign(world, login, expert, days=10)
    grant = CaseUserObjectPermission.objects.get()  # one grant, extended
    assert grant.expires_at - first >= dt.timedelta(days=7)
    # Another district's official cannot end it.
    assert login(world.users["official_b"]).post(reverse("crisis:grant_revoke", args=[grant.pk])).status_code == 404
    login(world.users["official_a"]).post(reverse("crisis:grant_revoke", args=[grant.pk]))
    assert login(user).get(reverse("crisis:case", args=[world.case_x.pk])).status_code == 404


def test_only_the_districts_own_active_pool_can_be_assigned(world, login):
    other = world.responder(district=world.district_b, username="expert_b")
    incident = world.incident_x
    official = login(world.users["official_a"])
    official.post(reverse("crisis:incident_assign", args=[incident.pk]), {"responders": [other.pk], "days": 7})
    assert not CaseUserObjectPermission.objects.exists()
    own = world.responder(username="expert_a2")
    official.post(reverse("crisis:incident_assign", args=[incident.pk]), {"responders": [own.pk], "days": 31})
    assert not CaseUserObjectPermission.objects.exists()  # longer than the policy allows
    # District B's official cannot assign anyone to district A's incident.
    response = login(world.users["official_b"]).post(
        reverse("crisis:incident_assign", args=[incident.pk]), {"responders": [other.pk], "days": 7}
    )
    assert response.status_code == 404 and not CaseUserObjectPermission.objects.exists()
    with pytest.raises(ValueError):
        services.incident_assign(incident=incident, responders=[other], days=7, by=world.users["official_a"])


def test_a_responder_who_leaves_the_pool_loses_access_at_once(world, login):
    expert = world.responder()
    _assign(world, login, expert)
    Membership.objects.filter(pk=expert.membership_id).update(active=False)
    assert login(expert.membership.user).get(reverse("crisis:case", args=[world.case_x.pk])).status_code == 404


def test_a_responder_needs_the_second_factor(world, login):
    expert = world.responder()
    _assign(world, login, expert)
    response = login(expert.membership.user, verified=False).get(reverse("crisis:case", args=[world.case_x.pk]))
    assert response.status_code == 302 and reverse("otp_verify") in response["Location"]


def test_the_incidents_page_shows_who_is_assigned_in_two_queries(world, login, django_assert_max_num_queries):
    experts = [world.responder(username=f"expert_{n}") for n in range(3)]
    for expert in experts:
        _assign(world, login, expert)
    with django_assert_max_num_queries(3):
        rows = list(selectors.incidents_for(world.users["official_a"]))
        assert sum(len(r.live_grants) for r in rows) == 3
    html = login(world.users["official_a"]).get(reverse("crisis:incidents")).content.decode()
    for expert in experts:
        assert str(expert) in html


def test_operators_keep_the_pool_in_the_admin(world, login, admin_user):
    expert = world.responder()
    client = login(admin_user)
    assert client.get(reverse("admin:crisis_responder_changelist")).status_code == 200
    page = client.get(reverse("admin:crisis_responder_change", args=[expert.pk]))
    assert page.status_code == 200 and "City Mental Health Centre" in page.content.decode()
