"""The ASQ's question 5 ("thoughts of killing yourself right now?") answered yes is acute, whatever questions 1-4
said: critical, a suggested 重大, a crisis case at tier 3, by every path that can carry that answer. The one-question
form asks question 5 only after a positive screen (the NIMH toolkit's order), so on it the answer can only follow a
yes; a kiosk that shows all five questions, and a paper form, can carry it after four noes, and it is never refused."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crisis.models import Case
from screening.definitions import shipped
from screening.models import Response
from screening.scoring import score
from tests.screening.conftest import answer, consent, participation_of

NOES_THEN_YES = {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}
PHQ_CALM = {str(n): 0 for n in range(1, 10)}


def test_at_the_scoring_level_it_is_acute_critical_and_major():
    result = score(shipped()["asq"], NOES_THEN_YES)
    assert (result.result, result.positive, result.critical, result.suggested_tier) == (
        "acute_positive", True, True, "major"
    )  # fmt: skip


def test_through_the_kiosk_it_raises_a_tier_3_case(world, campaign, client, django_capture_on_commit_callbacks):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    url = "/api/v1/screening/submissions/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"code": participation.code, "instrument": "phq9", "answers": PHQ_CALM},
                    content_type="application/json")  # fmt: skip
        sent = client.post(url, {"code": participation.code, "instrument": "asq", "answers": NOES_THEN_YES},
                           content_type="application/json")  # fmt: skip
    assert sent.status_code == 201
    stored = Response.objects.get(participation=participation, instrument__code="asq")
    assert (stored.answers, stored.outcome, stored.suggested_tier) == (NOES_THEN_YES, "acute_positive", 3)
    assert Case.objects.get(student=world.student_x).suggested_tier == 3


def test_through_a_paper_form_it_raises_a_tier_3_case(world, campaign, login, django_capture_on_commit_callbacks):
    consent(participation_of(campaign, world.student_x))
    number = world.student_x.student_number
    sheet = "\n".join(["学号,量表,1,2,3,4,5", f"{number},asq,否,否,否,否,是"]).encode("utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.users["counselor_a"]).post(
            reverse("screening:paper_import", args=[campaign.pk]),
            {"file": SimpleUploadedFile("answers.csv", sheet, content_type="text/csv")},
        )
    assert response.status_code == 302
    assert Response.objects.get(instrument__code="asq").outcome == "acute_positive"
    assert Case.objects.get(student=world.student_x).suggested_tier == 3


def test_on_the_form_question_five_follows_a_yes_and_raises_a_tier_3_case(
    world, campaign, client, django_capture_on_commit_callbacks
):
    participation = participation_of(campaign, world.student_w)
    consent(participation)
    client.post(reverse("screening:take"), {"code": participation.code})
    with django_capture_on_commit_callbacks(execute=True):
        for value in [0] * 9 + [0, 0, 1, 0, 1]:  # PHQ-9 calm; ASQ: yes to 3, then yes to "right now"
            assert answer(client, reverse("screening:question"), value).status_code == 302
    assert Case.objects.get(student=world.student_w).suggested_tier == 3
