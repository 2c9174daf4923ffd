"""Consent gates every way a screening response can enter (PIPL art. 28: a minor's data is sensitive; art. 31:
under-14s only with a guardian's consent).

Blocked: a guardian who refused; a guardian who has not answered where the district requires opt-in; an under-14
whose guardian has not answered in an opt-out district; a guardian who opted out. Each is tried on the student's
web form, the guardian's form, paper import, the submission API, the services themselves, and the CLI; the
invitations that campaign launch sends are checked too. Every test also lets a consenting student through, so
a gate that refused everyone would fail.
"""

import datetime as dt
import io
import json

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from portal.models import Notification, Student
from screening import services
from screening.models import (
    Consent,
    ConsentMode,
    Instrument,
    Participation,
    Response,
    ScreeningPolicy,
)
from tests import factories
from tests.screening.conftest import answer, consent, participation_of

BLOCKED = ["refused", "opt_in_pending", "under_14_opt_out_pending", "opted_out"]
PHQ_CALM = {n: 0 for n in range(1, 10)}


def _open_campaign(world, kind: str):
    """World's campaign, opened under the district policy the blocked state needs; student X is the one blocked."""
    if kind in ("under_14_opt_out_pending", "opted_out"):
        ScreeningPolicy.objects.create(district=world.district_a, consent_mode=ConsentMode.OPT_OUT)
    if kind == "opted_out":  # 15 when the campaign opens: no consent needed, but the guardian may opt out
        Student.objects.filter(pk=world.student_x.pk).update(birth_date=dt.date.today().replace(year=2011))  # noqa: DTZ011
    # Student W (13, same school and grade) consents: the control who must get through.
    campaign = world.campaign_a
    consent(participation_of(campaign, world.student_w))
    return campaign


@pytest.fixture(params=BLOCKED)
def blocked(request, world) -> Participation:
    campaign = _open_campaign(world, request.param)
    participation = participation_of(campaign, world.student_x)
    expected_at_launch = Consent.NOT_NEEDED if request.param == "opted_out" else Consent.PENDING
    assert participation.consent == expected_at_launch
    if request.param in ("refused", "opted_out"):
        consent(participation, granted=False)
    participation.refresh_from_db()
    return participation


@pytest.fixture
def allowed(world, blocked) -> Participation:
    return participation_of(blocked.campaign, world.student_w)


def _nothing_stored_for(participation: Participation) -> bool:
    participation.refresh_from_db()
    return not Response.objects.filter(participation=participation).exists() and participation.started_at is None


def test_the_students_web_form_refuses_the_code(blocked, allowed, client):
    page = client.post(reverse("screening:take"), {"code": blocked.code})
    assert page.status_code == 200  # the code form again, with the reason
    assert client.get(reverse("screening:question")).url == reverse("screening:take")
    assert client.post(reverse("screening:question"), {"item": "1:1", "value": "0"}).status_code == 302
    assert _nothing_stored_for(blocked)

    assert client.post(reverse("screening:take"), {"code": allowed.code}).url == reverse("screening:question")
    answer(client, reverse("screening:question"), "0")
    assert Response.objects.filter(participation=allowed).exists()


def test_a_refusal_after_the_code_was_typed_closes_the_open_form(world, client):
    campaign = _open_campaign(world, "refused")
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    assert client.post(reverse("screening:take"), {"code": participation.code}).status_code == 302
    page = client.get(reverse("screening:question")).content.decode()  # the question is on screen...
    consent(participation, granted=False)  # ...when the guardian says no
    key = page.split('name="item" value="', 1)[1].split('"', 1)[0]
    assert client.post(reverse("screening:question"), {"item": key, "value": "0"}).url == reverse("screening:take")
    assert _nothing_stored_for(participation)


def test_the_guardians_form_link_is_closed(blocked, allowed, client):
    url = reverse("screening:parent_form", args=[services.parent_form_token(blocked)])
    assert client.get(url).status_code == 410
    assert client.post(url, {"item": "1:1", "value": "0"}).status_code == 410
    assert _nothing_stored_for(blocked)
    assert client.get(reverse("screening:parent_form", args=[services.parent_form_token(allowed)])).status_code == 200


def test_the_submission_api_refuses_and_stores_nothing(blocked, allowed, client):
    url = reverse("api-screening-submit")

    def post(participation):
        body = {"code": participation.code, "instrument": "phq9", "answers": {str(k): v for k, v in PHQ_CALM.items()}}
        return client.post(url, json.dumps(body), content_type="application/json")

    response = post(blocked)
    assert response.status_code == 400 and set(response.json()) == {"code"}
    assert _nothing_stored_for(blocked)
    assert post(allowed).status_code == 201


def test_paper_rows_for_the_student_are_refused_and_the_whole_sheet_waits(world, blocked, allowed):
    sheet = "\n".join([
        "学号,量表," + ",".join(str(n) for n in range(1, 10)),
        f"{allowed.student.student_number},phq9," + ",".join("0" * 9),
        f"{blocked.student.student_number},phq9," + ",".join("0" * 9),
    ]).encode()  # fmt: skip
    result = services.paper_import(campaign=blocked.campaign, school_ids=[world.school_a.pk], content=sheet)
    assert [(e["row"], e["code"]) for e in result.errors] == [(3, "not_consented")]
    assert result.stored == 0 and not Response.objects.exists()

    alone = b"\n".join(sheet.split(b"\n")[:2])
    assert services.paper_import(campaign=blocked.campaign, school_ids=[world.school_a.pk], content=alone).stored == 1


def test_the_services_refuse_even_when_called_directly(blocked, allowed):
    """The views check first; the services check again under the participation's row lock."""
    phq9 = Instrument.objects.filter(code="phq9").latest("id")
    with pytest.raises(services.Refused):
        services.answer_save(participation=blocked, instrument=phq9, item=1, value=0)
    with pytest.raises(services.Refused):
        services.response_submit(code=blocked.code, instrument_code="phq9", answers=PHQ_CALM)
    with pytest.raises(services.Refused):
        services.participation_for_code(blocked.code)
    with pytest.raises(services.Refused):
        services.participation_for_parent_token(services.parent_form_token(blocked))
    assert _nothing_stored_for(blocked)
    services.response_submit(code=allowed.code, instrument_code="phq9", answers=PHQ_CALM)


def test_the_cli_scores_answers_without_storing_any(blocked, monkeypatch):
    """`manage.py instruments score` is the only command that takes answers: it prints, it never stores."""
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"answers": {str(k): 3 for k in PHQ_CALM}}) + "\n"))
    out = io.StringIO()
    call_command("instruments", "score", "phq9", stdout=out)
    assert '"total": 27' in out.getvalue()
    assert not Response.objects.exists()


def test_no_admin_page_adds_a_response_or_a_participation():
    assert Response not in admin.site._registry and Participation not in admin.site._registry


def test_launch_asks_for_consent_and_sends_no_form_invitation_before_it(world):
    """Opt-out district: the 13-year-olds wait for consent (art. 31), the 15-year-old is invited at once."""
    ScreeningPolicy.objects.create(district=world.district_a, consent_mode=ConsentMode.OPT_OUT)
    Student.objects.filter(pk=world.student_w.pk).update(birth_date=dt.date.today().replace(year=2011))  # noqa: DTZ011
    campaign = world.campaign_a
    consents = dict(Participation.objects.filter(campaign=campaign).values_list("student__name", "consent"))
    assert consents == {"Xiao X": Consent.PENDING, "Xiao W": Consent.NOT_NEEDED, "Xiao Y": Consent.PENDING}
    requests = Notification.objects.filter(kind="screening_consent_request")
    asks = {n.guardian.students.get().name: n.context["opt_in"] for n in requests}
    assert asks == {"Xiao X": True, "Xiao W": False, "Xiao Y": True}  # W's guardian is told how to opt out

    x = participation_of(campaign, world.student_x)
    consent(x, granted=False)
    assert not Notification.objects.filter(kind="screening_parent_form", guardian=world.guardian_x).exists()


def test_lagging_reminders_count_only_students_who_may_take_part(world):
    classmate = factories.StudentFactory(classroom=world.class_a1, name="Xiao V")
    campaign = _open_campaign(world, "refused")
    consent(participation_of(campaign, world.student_x), granted=False)
    consent(participation_of(campaign, classmate))
    services.remind_lagging(campaign=campaign)
    reminder = Notification.objects.get(kind="screening_class_reminder", user=world.users["teacher_a"])
    assert (reminder.context["may"], reminder.context["done"]) == (1, 0)  # V, not X who refused
