"""A critical screening answer, submitted through the web form, reaches the school's counselor and (by the
district's policy) the guardian through a real worker, Redis and a real SMTP server; and the form is scored."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crisis.models import Case
from portal.models import SchoolYear
from portal.models.staff import Role
from screening import services
from screening.models import Participation, Response, ResponseStatus, ScreeningPolicy
from tests import factories
from tests.integration.conftest import wait_for
from tests.screening.conftest import answer

pytestmark = pytest.mark.integration


def test_a_critical_answer_reaches_the_counselor_and_the_guardian_by_smtp(processes, smtp_server, client):
    processes.worker(EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}", SITE_URL="http://testserver")
    link = factories.StudentGuardianFactory(guardian__channel="email", guardian__email="mum@example.com")
    student, school = link.student, link.student.school
    counselor = factories.UserFactory(email="counselor@example.com", phone="0412-5550101")
    factories.MembershipFactory(user=counselor, role=Role.COUNSELOR, school=school)
    ScreeningPolicy.objects.create(district=school.district, guardian_on_critical=True)
    today = timezone.localdate()
    year = SchoolYear.objects.create(
        district=school.district, name="2026-2027", start=today, end=today + dt.timedelta(days=300)
    )
    campaign = services.campaign_create(
        district=school.district, school_year=year, name="普查", schools=[school], grade_from=4, grade_to=12,
        opens_on=today, closes_on=today + dt.timedelta(days=7), by=counselor,
        batteries=[services.BatteryPlan(7, 12, ("phq9",))],
    )  # fmt: skip
    services.campaign_open(campaign=campaign, by=counselor)
    participation = Participation.objects.get(campaign=campaign)
    services.consent_answer(token=services.consent_token(participation), granted=True)
    wait_for(lambda: len(smtp_server.messages) == 1)  # the consent request went out first
    smtp_server.messages.clear()

    client.post(reverse("screening:take"), {"code": participation.code})
    for value in [1, 1, 0, 0, 0, 0, 0, 0, 3]:  # item 9: nearly every day
        answer(client, reverse("screening:question"), value)

    wait_for(lambda: len(smtp_server.messages) >= 2)
    to = sorted(m["To"] for m in smtp_server.messages)
    assert to == ["counselor@example.com", "mum@example.com"]
    for message in smtp_server.messages:
        body = message.get_payload(decode=True).decode()
        assert "nearly every day" not in body.lower() and "几乎每天" not in body  # no answer leaves the portal
    case = Case.objects.get(student=student)
    assert case.suggested_tier == 2 and case.notices.count() == 1
    wait_for(lambda: Response.objects.filter(status=ResponseStatus.SCORED).exists())
    scored = Response.objects.get()
    assert (scored.total, scored.critical, scored.suggested_tier) == (5, True, 2)
