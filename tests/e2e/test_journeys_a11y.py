"""The main journey of each role, in Chinese and in English, through a real Chromium, with axe-core checking
every page on the way for serious or critical accessibility violations:
a counselor triages a student a screening flagged, a parent books on a phone, a district official reads the
dashboard."""

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from counseling.models import Booking
from crisis.models import Case
from dashboards import services as dashboards
from screening import services as screening
from screening.models import Participation
from tests import factories
from tests.factories import PASSWORD

# What each page says to the user, as the catalogues translate it.
TEXT = {
    "zh-hans": {
        "sign_in": "登录",
        "code": "输入验证码",
        "ledger": "高危学生名单",
        "pending": "待评估",
        "case": "危机个案",
        "severe": "严重（二级）",
        "saved": "已保存。",
        "bookings": "心理辅导预约",
        "book": "为Xiao X预约心理辅导",
        "booked": "预约成功",
        "dashboard": "数据看板",
        "nine_year": "九年一贯制学校",
    },
    "en": {
        "sign_in": "Sign in",
        "code": "Enter your code",
        "ledger": "High-risk list",
        "pending": "Waiting for assessment",
        "case": "Crisis case",
        "severe": "Severe (tier 2)",
        "saved": "Saved.",
        "bookings": "Counseling bookings",
        "book": "Book a counselor for Xiao X",
        "booked": "Booked.",
        "dashboard": "Dashboard",
        "nine_year": "Nine-year school",
    },
}

LANGUAGES = pytest.mark.parametrize("language", ["zh-hans", "en"])


def _use_language(page, language: str) -> None:
    """Switch with the button in the top bar, as a user does, unless the page is in that language already
    (a signed-in user's saved language wins over the browser's, which is English here)."""
    switch = page.locator(f"button[name=language][value={language}]")
    if switch.count():
        switch.click()
    assert page.locator("html").get_attribute("lang") == language


def _sign_in(page, axe, username: str, language: str) -> None:
    page.goto("/accounts/login/")
    _use_language(page, language)
    assert page.locator("h1").inner_text() == TEXT[language]["sign_in"]
    axe(page)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def _second_factor(page, axe, device, language: str) -> None:
    _use_language(page, language)
    assert page.locator("h1").inner_text() == TEXT[language]["code"]
    axe(page)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.fill("#id_code", f"{totp.token():06d}")
    page.click("main button[type=submit]")


def _screen_positive(world) -> Case:
    """Student W answers the PHQ-9 with "several days" on item 9 (thoughts of self-harm); the real scoring and
    triage raise the case."""
    participation = Participation.objects.get(campaign=world.campaign_a, student=world.student_w)
    screening.consent_answer(token=screening.consent_token(participation), granted=True)
    phq9 = screening.battery_for(participation)[0]
    assert phq9.code == "phq9"
    for item in range(1, 10):
        screening.answer_save(participation=participation, instrument=phq9, item=item, value=1 if item == 9 else 0)
    return Case.objects.get(student=world.student_w, source="screening")


@LANGUAGES
def test_a_counselor_triages_a_student_the_screening_flagged(world, desktop, axe, language):
    text = TEXT[language]
    case = _screen_positive(world)
    assert case.status == "pending" and case.suggested_tier >= 2

    device = TOTPDevice.objects.create(user=world.users["counselor_a"], name="phone", confirmed=True)
    _sign_in(desktop, axe, "counselor_a", language)
    _second_factor(desktop, axe, device, language)
    desktop.click("nav a[href='/crisis/']")
    assert desktop.locator("h1").inner_text() == text["ledger"]
    assert text["pending"] in desktop.locator("main h2").first.inner_text()
    axe(desktop)

    desktop.click(f"a[href='/crisis/cases/{case.pk}/']")
    assert desktop.locator("h1").inner_text() == f"Xiao W · {text['case']}"
    axe(desktop)

    desktop.select_option("#id_tier", "2")
    desktop.click(f"form[action='/crisis/cases/{case.pk}/confirm/'] button[type=submit]")
    assert desktop.locator(".messages").inner_text() == text["saved"]
    assert text["severe"] in desktop.locator("dl.facts").inner_text()
    axe(desktop)  # now with the guardian notice it sent, and the forms of an open case
    case.refresh_from_db()
    assert (case.status, case.confirmed_tier, case.owner) == ("open", 2, world.users["counselor_a"])

    desktop.click("nav a[href='/crisis/']")
    assert "Xiao W" in desktop.locator("main table").first.inner_text()  # on the high-risk list now
    axe(desktop)


@LANGUAGES
def test_a_parent_books_on_a_phone(world, phone, axe, language):
    text = TEXT[language]
    slot = world.slot_a
    _sign_in(phone, axe, "parent_x", language)
    _use_language(phone, language)
    axe(phone)
    phone.click("nav a[href='/counseling/my/']")
    assert phone.locator("h1").inner_text() == text["bookings"]
    axe(phone)

    phone.click("main form[action$='/book/'] button")
    assert phone.locator("h1").inner_text() == text["book"]
    axe(phone)  # the days

    phone.click(f"button[name=day][value='{timezone.localdate(slot.starts_at).isoformat()}']")
    axe(phone)  # the day's times
    phone.click(f"button[name=slot][value='{slot.pk}']")
    assert "Xiao X" in phone.locator("dl.facts").inner_text()
    axe(phone)  # the confirm step
    phone.click("main form[method=post] button")
    assert text["booked"] in phone.locator(".messages").inner_text()
    assert "Xiao X" in phone.locator("dl.facts").inner_text()
    axe(phone)  # done
    phone.click("nav a[href='/counseling/my/']")
    listed = phone.locator("ul.bookings").inner_text()
    assert timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M") in listed and "Xiao X" in listed
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    axe(phone)
    assert Booking.objects.get(student=world.student_x).channel == "parent"


@pytest.fixture
def figures(world):
    """School A: 22 grade-7 students invited, 20 completed (10 tier 0, 5 tier 1, 5 tier 2); school B: student Y,
    completed at tier 3. As in tests/dashboards, then the rollups the dashboard reads."""
    for _ in range(20):
        factories.StudentFactory(classroom=world.class_a2)
    campaign = world.campaign_a
    done = timezone.now()
    school_a = Participation.objects.filter(campaign=campaign, student__school=world.school_a).order_by("pk")
    for i, participation in enumerate(school_a[:20]):
        Participation.objects.filter(pk=participation.pk).update(
            consent="granted", completed_at=done, suggested_tier=0 if i < 10 else 1 if i < 15 else 2
        )
    Participation.objects.filter(campaign=campaign, student=world.student_y).update(
        consent="granted", completed_at=done, suggested_tier=3
    )
    dashboards.refresh(world.district_a)


@LANGUAGES
def test_an_official_reads_the_dashboard_and_narrows_it_to_one_kind_of_school(world, figures, desktop, axe, language):
    text = TEXT[language]
    device = TOTPDevice.objects.create(user=world.users["official_a"], name="phone", confirmed=True)
    _sign_in(desktop, axe, "official_a", language)
    _second_factor(desktop, axe, device, language)
    desktop.click("nav a[href='/dashboard/']")
    assert desktop.locator("h1").inner_text().startswith(text["dashboard"])
    schools = desktop.locator("main table").first
    assert "School A" in schools.inner_text() and "School B" in schools.inner_text()
    assert desktop.locator(".cards .big").inner_text() == "<5 / 23"  # completed / invited, small counts hidden
    axe(desktop)

    desktop.select_option("#f-kind", label=text["nine_year"])
    desktop.click("form.filters button[type=submit]")
    assert "kind=nine_year" in desktop.url
    rows = desktop.locator("main table").first.locator("tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td")
    assert cells.nth(0).inner_text() == "School A"
    assert cells.nth(1).inner_text() == "<5 / 22"  # 20 of 22 completed: the 2 who did not are too few to show
    axe(desktop)
