"""A student on a phone, in Chinese, mis-taps the suicide item of the PHQ-9, goes back one question, changes the
answer and finishes. Both answers are kept, the new one is scored, the case the first raised stays, and the question
count never jumps."""

import re

from crisis.models import Case
from screening.models import AnswerChange, Participation, Response, ResponseStatus
from tests.e2e.test_journeys_a11y import _use_language
from tests.screening.conftest import consent

PHONE_WIDTH = 390


def _count(page) -> tuple[int, int]:
    number, total = (int(n) for n in re.findall(r"\d+", page.locator("#count").inner_text()))
    return number, total


def _fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH  # no horizontal scrolling


def test_a_student_goes_back_and_changes_a_mis_tapped_answer(world, phone, shot):
    participation = Participation.objects.get(campaign=world.campaign_a, student=world.student_w)
    consent(participation)
    phone.goto("/s/")
    _use_language(phone, "zh-hans")
    phone.fill("#id_code", participation.code)
    phone.click("main button[type=submit]")
    counts = []
    for value in [0] * 8 + [3]:  # item 9 (thoughts of being better off dead): "nearly every day", a mis-tap
        counts.append(_count(phone))
        phone.click(f"button[name=value][value='{value}']")
    assert "希望自己死掉" in phone.locator("h1").inner_text()  # the ASQ's first question
    counts.append(_count(phone))
    case = Case.objects.get(student=world.student_w)  # the critical answer was acted on at once
    assert case.suggested_tier == 2

    phone.click("#back")  # 上一题
    assert _count(phone) == (9, 13)  # the previous question, counted as before
    assert phone.locator("button[aria-current=true]").inner_text().startswith("✓")
    _fits_a_phone(phone)
    shot(phone, "student-form-1-change")
    phone.click("button[name=value][value='0']")  # "not at all", what the student meant

    assert "希望自己死掉" in phone.locator("h1").inner_text()  # on to where the student was
    assert phone.locator("#back").count() == 1
    for _ in range(4):
        counts.append(_count(phone))
        phone.click("button[name=value][value='0']")
    assert "12356" in phone.locator("main").inner_text()  # where to get help
    _fits_a_phone(phone)
    shot(phone, "student-form-2-done")

    # The count went 1, 2, ... 13 of 13, with no jump and no second "of".
    assert counts[:10] + counts[11:] == [(n, 13) for n in range(1, 14)]
    assert counts[9] == counts[10] == (10, 13)  # the ASQ's first question, before and after going back
    phq = Response.objects.get(participation=participation, instrument__code="phq9")
    assert phq.answers["9"] == 0 and phq.status == ResponseStatus.SCORED and not phq.critical  # the new one scored
    [change] = AnswerChange.objects.filter(response=phq)
    assert (change.item, change.previous, change.value, change.previous_critical) == (9, 3, 0, True)  # both kept
    case.refresh_from_db()
    assert case.status == "pending" and case.suggested_tier == 2  # still acted on
    assert case.evidence[-1]["screening"][0]["answer_changed"]["item"] == 9  # the timeline notes the change
    participation.refresh_from_db()
    assert participation.completed_at is not None
