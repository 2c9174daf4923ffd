"""The crisis register through the API: the pages' access rules, services and validation."""

import json

from django.urls import reverse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from crisis import selectors, services
from crisis.api import CaseSerializer
from crisis.models import Case, FollowUp, GuardianNotice, Referral, Status
from portal.models import AuditEvent
from tests import factories
from tests.conftest import USER_READS


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_each_persona_lists_only_the_cases_it_may_see(world, login):
    assert _ids(login(world.users["counselor_a"]).get(reverse("case-list"))) == [world.case_x.pk]
    assert _ids(login(world.users["counselor_b"]).get(reverse("case-list"))) == [world.case_y.pk]
    for persona in ("official_a", "official_b", "teacher_a", "parent_x", "parent_y"):
        assert _ids(login(world.users[persona]).get(reverse("case-list"))) == [], persona
    # Every row returned is an audited read.
    assert AuditEvent.objects.filter(action="case.view", student_id=world.student_x.pk).count() == 1


def test_the_case_detail_carries_the_follow_ups_and_what_the_guardians_were_told(world, login):
    client = login(world.users["counselor_a"])
    follow_up = {"date": timezone.localdate().isoformat(), "contact_type": "talk", "summary": "面谈：睡眠改善"}
    assert client.post(reverse("case-follow-ups", args=[world.case_x.pk]), follow_up).status_code == 201
    assert client.post(reverse("case-confirm", args=[world.case_x.pk]), {"tier": 3}).status_code == 200
    body = client.get(reverse("case-detail", args=[world.case_x.pk])).json()
    assert body["confirmed_tier"] == 3 and body["tier"] == 3
    assert [f["summary"] for f in body["follow_ups"]] == ["面谈：睡眠改善"]
    assert [n["to"] for n in body["notices"]] == ["guardian"]  # tier 3 raised from 2: told once more
    assert GuardianNotice.objects.filter(case=world.case_x).count() == 1


def test_bad_input_is_a_translated_400_and_changes_nothing(world, login):
    client = login(world.users["counselor_a"])
    response = client.post(reverse("case-confirm", args=[world.case_x.pk]), {"tier": 7})
    assert response.status_code == 400 and "tier" in response.json()
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    response = client.post(reverse("case-follow-ups", args=[world.case_x.pk]),
                           {"date": tomorrow, "contact_type": "talk", "summary": "x"})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["date"] == ["跟进记录不能为将来的日期。"]  # the form's message, in the user's language
    assert Case.objects.get(pk=world.case_x.pk).confirmed_tier == 2 and not FollowUp.objects.exists()


def test_a_closed_case_answers_409(world, login):
    client = login(world.users["counselor_a"])
    assert client.post(reverse("case-close", args=[world.case_x.pk]), {"reason": "resolved"}).json()["status"] == (
        Status.CLOSED
    )
    response = client.post(reverse("case-close", args=[world.case_x.pk]), {"reason": "resolved"})
    assert response.status_code == 409 and response.json()["detail"]


def test_a_teacher_refers_through_the_api_and_learns_nothing_more(world, login):
    client = login(world.users["teacher_a"])
    response = client.post(reverse("referral-list"), {"student": world.student_x.pk, "concern": "最近很少说话"})
    assert response.status_code == 201 and response.json() == {"received": True}
    assert Referral.objects.get().case == world.case_x
    assert client.get(reverse("case-detail", args=[world.case_x.pk])).status_code == 404
    # A student of another class is not theirs to refer: refused as an invalid choice, nothing stored.
    response = client.post(reverse("referral-list"), {"student": world.student_w.pk, "concern": "x"})
    assert response.status_code == 400 and Referral.objects.count() == 1


def test_an_assigned_responder_reads_and_logs_follow_ups_but_does_not_assess(world, login):
    grant = world.grant_x
    client = login(grant.user)
    assert _ids(client.get(reverse("case-list"))) == [world.case_x.pk]
    follow_up = {"date": timezone.localdate().isoformat(), "contact_type": "talk", "summary": "专家会谈"}
    assert client.post(reverse("case-follow-ups", args=[world.case_x.pk]), follow_up).status_code == 201
    assert client.post(reverse("case-confirm", args=[world.case_x.pk]), {"tier": 3}).status_code == 404
    assert client.post(reverse("case-close", args=[world.case_x.pk]), {"reason": "resolved"}).status_code == 404


def test_the_register_list_runs_a_constant_number_of_queries(world, login, django_assert_num_queries):
    client = login(world.users["counselor_a"])
    # The steady state of a kept connection: its statements prepared by a first request (alone, or first in a
    # shuffled run, this test would otherwise count the audit insert's PREPARE too).
    assert client.get(reverse("case-list")).status_code == 200
    for _ in range(20):
        student = factories.StudentFactory(classroom=world.class_a2)
        Case.objects.create(student=student, source="screening", suggested_tier=2)
    # session, user with roles, device, count, page; then the list's one audit event: the chain's last hash
    # (on PostgreSQL in one round trip with the advisory lock), the insert.
    with django_assert_num_queries(USER_READS + 5):
        response = client.get(reverse("case-list"), {"page_size": 1000})
    assert len(response.json()["results"]) == 21


def test_the_register_list_returns_what_the_case_serializer_would(world, login):
    """The list is built from .values() for speed (B5); its JSON must match CaseSerializer's field for field."""
    counselor = world.users["counselor_a"]
    assert world.case_x.pk  # a screening case, then one confirmed and closed: every optional field filled once
    closed = Case.objects.create(student=world.student_w, source="referral", suggested_tier=1)
    services.case_confirm_tier(case=closed, tier=2, by=counselor)
    services.case_close(case=Case.objects.get(pk=closed.pk), reason="resolved", by=counselor)
    listed = login(counselor).get(reverse("case-list"), {"page_size": 1000}).json()["results"]
    cases = selectors.cases_readable(counselor).order_by("-opened_at", "-id")
    assert listed == json.loads(JSONRenderer().render(CaseSerializer(cases, many=True).data))
    assert len(listed) == 2 and any(row["closed_at"] and row["confirmed_at"] for row in listed)
