"""Over capacity, the district sends responders from its pool to a school's queue: they are told (no names),
see the school's cases awaiting assessment on "My assignments", and may assess exactly those (confirming the
tier stops the first-contact timer), read the ones they assessed, and nothing else, until the assignment ends."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from crisis import capacity, services
from crisis.models import Case, QueueAssignment, Status
from portal.models import AuditEvent, InboxMessage


@pytest.fixture
def waiting(world, django_capture_on_commit_callbacks):
    """Two cases at school A awaiting assessment, school A's open case X, and school B's case Y."""
    from tests import factories

    students = [factories.StudentFactory(classroom=world.class_a2, name=f"Waiting {n}") for n in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        return [services.case_raise(student=s, suggested_tier=2, source="screening") for s in students]


def test_the_official_sends_a_responder_who_assesses_the_waiting_cases(
    world, waiting, login, django_capture_on_commit_callbacks
):
    expert = world.responder(world.district_a, "expert_a")
    official = login(world.users["official_a"])
    page = official.get(reverse("crisis:queues"), {"school": world.school_a.pk}).content.decode()
    assert f'<option value="{world.school_a.pk}" selected>' in page
    with django_capture_on_commit_callbacks(execute=True):
        sent = official.post(reverse("crisis:queues"), {"school": world.school_a.pk,
                                                       "responders": [expert.pk], "days": 2})  # fmt: skip
    assert sent.status_code == 302
    assignment = QueueAssignment.objects.get()
    assert (assignment.school, assignment.responder, assignment.assigned_by) == (
        world.school_a, expert, world.users["official_a"]
    )  # fmt: skip
    [told] = InboxMessage.objects.filter(user=expert.membership.user)
    assert "School A" in told.subject and "Waiting" not in told.subject + told.body
    assert AuditEvent.objects.filter(action="queueassignment.create").count() == 1
    assert "School A" in official.get(reverse("crisis:queues")).content.decode()

    client = login(expert.membership.user)
    mine = client.get(reverse("crisis:assignments")).content.decode()
    assert "Waiting 0" in mine and "Waiting 1" in mine and world.student_x.name not in mine
    first = waiting[0]
    case_page = client.get(reverse("crisis:case", args=[first.pk])).content.decode()
    assert "Confirm tier" in case_page or "确认等级" in case_page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("crisis:case_confirm", args=[first.pk]), {"tier": 2}).status_code == 302
    first.refresh_from_db()
    assert (first.status, first.confirmed_tier, first.confirmed_by) == (Status.OPEN, 2, expert.membership.user)
    assert client.get(reverse("crisis:case", args=[first.pk])).status_code == 200  # the one they assessed
    # Not the school's other cases (open, assessed by the school), not another school's, not a re-assessment.
    assert client.get(reverse("crisis:case", args=[world.case_x.pk])).status_code == 404
    assert client.get(reverse("crisis:case", args=[world.case_y.pk])).status_code == 404
    assert client.post(reverse("crisis:case_confirm", args=[first.pk]), {"tier": 3}).status_code == 404
    assert client.post(reverse("crisis:case_close", args=[first.pk]), {"reason": "resolved"}).status_code == 404
    assert Case.objects.get(pk=first.pk).confirmed_tier == 2

    # When the assignment ends, so does every access it gave.
    with time_machine.travel(timezone.now() + dt.timedelta(days=2, minutes=1)):
        client = login(expert.membership.user)  # signed in afresh: the old session idled out
        assert client.get(reverse("crisis:case", args=[waiting[1].pk])).status_code == 404
        assert client.get(reverse("crisis:case", args=[first.pk])).status_code == 404
        assert "Waiting 1" not in client.get(reverse("crisis:assignments")).content.decode()


def test_the_district_sends_only_its_own_pool_to_its_own_schools(world, waiting, login):
    other = world.responder(world.district_b, "expert_b")
    official = login(world.users["official_a"])
    refused = official.post(reverse("crisis:queues"), {"school": world.school_a.pk, "responders": [other.pk],
                                                        "days": 1})  # fmt: skip
    assert refused.status_code == 200 and not QueueAssignment.objects.exists()
    expert = world.responder(world.district_a, "expert_a")
    official.post(reverse("crisis:queues"), {"school": world.school_c.pk, "responders": [expert.pk], "days": 1})
    official.post(reverse("crisis:queues"), {"school": world.school_a.pk, "responders": [expert.pk], "days": 99})
    assert not QueueAssignment.objects.exists()
    with pytest.raises(ValueError):
        capacity.queue_assign(school=world.school_c, responders=[expert], days=1, by=world.users["official_a"])


def test_the_capacity_alert_leads_to_the_page_that_sends_help(world, django_capture_on_commit_callbacks):
    from crisis.services import Raise
    from tests import factories
    from tests.crisis.test_capacity import WEDNESDAY_9

    students = [factories.StudentFactory(classroom=world.class_a2) for _ in range(9)]
    with time_machine.travel(WEDNESDAY_9, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.case_raise_many(raises=[Raise(s, 2) for s in students], source="screening")
    [alert] = InboxMessage.objects.filter(
        user=world.users["official_a"], delivery__notification__kind="capacity_exceeded"
    )
    assert f"/crisis/queues/?school={world.school_a.pk}" in alert.body


def test_ending_an_assignment_ends_the_access(world, waiting, login):
    expert = world.responder(world.district_a, "expert_a")
    capacity.queue_assign(school=world.school_a, responders=[expert], days=1, by=world.users["official_a"])
    client = login(expert.membership.user)
    assert client.get(reverse("crisis:case", args=[waiting[0].pk])).status_code == 200
    login(world.users["official_a"]).post(reverse("crisis:queue_end", args=[QueueAssignment.objects.get().pk]))
    client = login(expert.membership.user)
    assert client.get(reverse("crisis:case", args=[waiting[0].pk])).status_code == 404
