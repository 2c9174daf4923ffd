"""A student completes the screening form with a code, on a phone-sized screen, in a real browser."""

from screening.models import Participation, Response, ResponseStatus
from tests.screening.conftest import consent


def test_a_student_completes_the_form_on_a_phone(world, phone):
    participation = Participation.objects.get(campaign=world.campaign_a, student=world.student_x)
    consent(participation)
    phone.goto("/s/")
    phone.fill("#id_code", participation.code.lower())  # typed in lower case, as children do
    phone.click("main button[type=submit]")
    # The browser asks for English (Accept-Language): the items come in English.
    assert phone.locator("h1").inner_text() == "Little interest or pleasure in doing things"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows a phone
    for _ in range(9):  # PHQ-9: "several days" throughout, one screen per question
        phone.click("button[name=value][value='1']")
    assert "wished you were dead" in phone.locator("h1").inner_text()  # the ASQ follows
    for _ in range(4):
        phone.click("button[name=value][value='0']")
    assert "12356" in phone.locator("main").inner_text()  # where to get help, always
    assert "9" not in phone.locator("h1").inner_text()  # no score shown
    statuses = set(Response.objects.filter(participation=participation).values_list("status", flat=True))
    assert statuses == {ResponseStatus.SCORED}
    assert Response.objects.get(participation=participation, instrument__code="phq9").total == 9
