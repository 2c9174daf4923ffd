"""Through a real browser: a parent on a phone, a counselor importing a class list past the second factor."""

import re

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import Student
from tests.factories import PASSWORD
from tests.portal.rosters import GOOD_ROWS, csv_bytes


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def test_a_parent_on_a_phone_finds_their_child_and_switches_to_english(world, phone):
    _sign_in(phone, "parent_x")
    assert phone.locator("h1").inner_text() == "我的孩子"
    phone.click("text=Xiao X")
    assert phone.locator("h1").inner_text() == "Xiao X"
    assert world.guardian_x.mobile in phone.content()
    # Nothing overflows the phone's width.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.click("button[name=language][value=en]")
    assert "Guardians" in phone.locator("main").inner_text()


def test_a_counselor_passes_the_second_factor_and_imports_a_class_list(world, desktop, tmp_path):
    device = TOTPDevice.objects.create(user=world.users["counselor_a"], name="phone", confirmed=True)
    _sign_in(desktop, "counselor_a")
    assert desktop.url.endswith("/accounts/2fa/?next=%2F")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    desktop.fill("#id_code", f"{totp.token():06d}")
    desktop.click("main button[type=submit]")
    assert desktop.locator("h1").first.inner_text() == "今日待办"  # the counselor's worklist

    desktop.click("nav >> text=导入班级名单")
    roster = tmp_path / "class-list.csv"
    roster.write_bytes(csv_bytes(GOOD_ROWS, encoding="gbk"))
    desktop.set_input_files("#id_file", str(roster))
    desktop.click("main button[type=submit]")
    assert "应用后将做的更改" in desktop.content()
    assert not Student.objects.filter(student_number="20260001").exists()
    desktop.click("text=应用此导入")
    assert re.search(r"已应用", desktop.locator("dl").inner_text())
    assert Student.objects.filter(school=world.school_a, student_number="20260001").exists()
