"""Through a real Chromium: a parent asks for a copy of their child's record on a phone, the counselor prepares it
and the school's leader approves it at their desks, and the parent downloads the PDF, which reads in words and never
holds the private notes (PIPL art. 45; issue 24, item 7)."""

import pytest

from privacy.models import CopyRequest
from tests.e2e.test_on_call import _sign_in_with_second_factor
from tests.e2e.test_parent_booking import _fits_a_phone
from tests.e2e.test_shell import _sign_in
from tests.privacy.test_copies import NOTES, _text, student_x_record


@pytest.fixture
def record(world):
    return student_x_record(world)


def test_a_parent_asks_the_school_prepares_and_approves_the_parent_downloads(record, phone, browser, live_server,
                                                                             shot, axe):  # fmt: skip
    world = record
    _sign_in(phone, "parent_x")
    phone.goto(f"/students/{world.student_x.pk}/")
    phone.click("text=申请这份档案的副本")
    assert "第四十五条" in phone.locator("main").inner_text()
    _fits_a_phone(phone)
    axe(phone)
    shot(phone, "parent-record-copy-1-ask")
    phone.click("main form[method=post] button")
    assert "学校正在准备副本" in phone.locator("main").inner_text()
    copy = CopyRequest.objects.get()

    for persona, button, status in (("counselor_a", "按下方内容准备副本", "prepared"),
                                    ("leader_a", "批准：家长可以下载", "approved")):  # fmt: skip
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        desk = context.new_page()
        _sign_in_with_second_factor(desk, world.users[persona])
        desk.click("nav >> text=档案副本申请")
        desk.click(f"main a[href='/privacy/copies/{copy.pk}/']")
        assert "中度" in desk.locator("main").inner_text() and NOTES not in desk.content()
        axe(desk)
        desk.click(f"text={button}")
        copy.refresh_from_db()
        assert copy.status == status
        shot(desk, f"{persona}-record-copy")
        context.close()

    phone.goto(f"/students/{world.student_x.pk}/")
    assert "可以下载了" in phone.locator("main").inner_text()
    axe(phone)
    shot(phone, "parent-record-copy-2-ready")
    with phone.expect_download() as download:
        phone.click("text=下载副本（PDF）")
    text = _text(open(download.value.path(), "rb").read())  # noqa: SIM115 - read once, closed by the test's end
    assert "中度" in text and "患者健康问卷（PHQ-9）" in text and NOTES not in text
