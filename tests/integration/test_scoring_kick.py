"""Submissions queue at most one scoring task a second, and a real worker still scores every one of them."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import SchoolYear
from portal.models.staff import Role
from screening import services
from screening.models import Consent, Participation, Response, ResponseStatus
from tests import factories
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration


def test_a_burst_of_submissions_is_scored_by_one_task(processes, client):
    worker = processes.worker()
    school = factories.SchoolFactory()
    counselor = factories.UserFactory()
    factories.MembershipFactory(user=counselor, role=Role.COUNSELOR, school=school)
    students = [factories.StudentFactory(school=school) for _ in range(6)]
    today = timezone.localdate()
    year = SchoolYear.objects.create(district=school.district, name="2026-2027", start=today,
                                     end=today + dt.timedelta(days=300))  # fmt: skip
    campaign = services.campaign_create(
        district=school.district, school_year=year, name="普查", schools=[school], grade_from=1, grade_to=12,
        opens_on=today, closes_on=today + dt.timedelta(days=7), by=counselor,
        batteries=[services.BatteryPlan(1, 12, ("phq9",))],
    )  # fmt: skip
    services.campaign_open(campaign=campaign, by=counselor)
    Participation.objects.filter(campaign=campaign).update(consent=Consent.GRANTED)
    calm = {str(n): 1 for n in range(1, 9)} | {"9": 0}
    for participation in Participation.objects.filter(campaign=campaign, student__in=students):
        body = {"code": participation.code, "instrument": "phq9", "answers": calm}
        response = client.post(reverse("api-screening-submit"), json.dumps(body), content_type="application/json")
        assert response.status_code == 201
    wait_for(lambda: Response.objects.filter(status=ResponseStatus.SCORED).count() == len(students), timeout=20)
    assert set(Response.objects.values_list("total", flat=True)) == {8}
    received = worker.log_path.read_text().count("screening.tasks.score_pending[")
    assert 1 <= received <= 2 * 2  # each task logs "received" and "succeeded": one task, or two across a second
