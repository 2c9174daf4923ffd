"""Parent-report instruments go to the guardian through the outbox, with their own link and form."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from portal.models import Notification, SchoolYear
from screening import services
from screening.models import Participation, Response, ResponseSource, ResponseStatus
from tests import factories
from tests.screening.conftest import answer


def _primary_campaign(world):
    classroom = factories.ClassroomFactory(school=world.school_a, grade=5)
    student = factories.StudentGuardianFactory(student__classroom=classroom, student__name="Xiao P").student
    today = timezone.localdate()
    year = SchoolYear.objects.create(district=world.district_a, name="2026-2027", start=today,
                                     end=today + dt.timedelta(days=300))  # fmt: skip
    campaign = services.campaign_create(
        district=world.district_a, school_year=year, name="普查", schools=[world.school_a], grade_from=4,
        grade_to=6, opens_on=today, closes_on=today + dt.timedelta(days=7), by=world.users["official_a"],
        batteries=[services.BatteryPlan(1, 6, ("psc17", "asq"))],
    )  # fmt: skip
    services.campaign_open(campaign=campaign, by=world.users["official_a"])
    return campaign, Participation.objects.get(campaign=campaign, student=student)


def test_the_guardian_gets_their_own_form_once_they_consent(world, client, django_capture_on_commit_callbacks):
    campaign, participation = _primary_campaign(world)
    assert not Notification.objects.filter(kind="screening_parent_form").exists()  # not before consent
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_answer(token=services.consent_token(participation), granted=True)
    [message] = Notification.objects.filter(kind="screening_parent_form")
    assert message.guardian == participation.student.guardians.get()
    # The student's own form is the ASQ only; the PSC-17 is the guardian's.
    assert [i.code for i in services.battery_for(participation)] == ["asq"]
    url = message.context["form_path"]
    page = client.get(url).content.decode()
    assert "Xiao P" in page and "坐立不安" in page  # the PSC-17's item 1, about their child
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(17):
            answer(client, url, "2")
    assert "谢谢" in client.get(url).content.decode()
    response = Response.objects.get(participation=participation, instrument__code="psc17")
    assert (response.source, response.status, response.total, response.positive) == (
        ResponseSource.GUARDIAN, ResponseStatus.SCORED, 34, True
    )  # fmt: skip
    participation.refresh_from_db()
    assert participation.completed_at is None  # the student has not answered their own part yet


def test_a_forged_link_or_a_refusal_closes_the_guardians_form(world, client):
    campaign, participation = _primary_campaign(world)
    token = services.parent_form_token(participation)
    assert client.get(reverse("screening:parent_form", args=["forged"])).status_code == 410
    assert client.get(reverse("screening:parent_form", args=[token])).status_code == 410  # no consent yet
    services.consent_answer(token=services.consent_token(participation), granted=False)
    assert client.get(reverse("screening:parent_form", args=[token])).status_code == 410
    assert client.post(reverse("screening:parent_form", args=[token]), {"value": "2"}).status_code == 410
    assert not Response.objects.exists()
