"""Through a real browser: an official fills the after-hours duty roster; the person on call, paged about a case
at night, opens it from their inbox and takes it on."""

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisis import oncall, services
from crisis.models import Case, DutyShift, Responder, ResponderKind
from portal.models import Role
from tests import factories
from tests.e2e.test_shell import _sign_in


def _sign_in_with_second_factor(page, user) -> None:
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    _sign_in(page, user.username)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.fill("#id_code", f"{totp.token():06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/2fa/" not in url)


def test_an_official_fills_the_roster_and_the_person_on_call_takes_a_case_on(world, desktop):
    user = factories.UserFactory(username="duty_a", first_name="班", last_name="值", phone="13900000001")
    membership = factories.MembershipFactory(user=user, role=Role.RESPONDER, district=world.district_a)
    responder = Responder.objects.create(membership=membership, kind=ResponderKind.TEAM)

    _sign_in_with_second_factor(desktop, world.users["official_a"])
    desktop.goto("/crisis/incidents/")
    desktop.click("text=非工作时间值班表")
    assert "从现在起值班表上没有任何人" in desktop.locator("main").inner_text()
    desktop.select_option("#id_responder", str(responder.pk))
    desktop.fill("#id_starts_at", "2030-01-02T18:00")
    desktop.fill("#id_ends_at", "2030-01-02T08:00")
    desktop.click("main button[type=submit]")
    assert "值班结束时间须晚于开始时间" in desktop.locator("main").inner_text()  # next to the field, nothing saved
    assert not DutyShift.objects.exists()
    assert desktop.input_value("#id_starts_at") == "2030-01-02T18:00"  # what was typed comes back
    desktop.fill("#id_ends_at", "2030-01-03T08:00")
    desktop.click("main button[type=submit]")
    assert "13900000001" in desktop.locator("table").inner_text()
    shift = DutyShift.objects.get()
    assert (shift.responder, shift.district) == (responder, world.district_a)

    # A concern at night: the person on call is paged and can read the case.
    case = services.case_raise(student=world.student_w, suggested_tier=3, source="screening")
    assert oncall.page(case=case, tier=3, cause="test", leaders=[world.users["leader_a"]]) == 0  # 2030: not yet
    DutyShift.objects.update(starts_at=case.opened_at, ends_at=case.opened_at + (shift.ends_at - shift.starts_at))
    assert oncall.page(case=case, tier=3, cause="test", leaders=[world.users["leader_a"]]) == 1
    desktop.context.clear_cookies()
    _sign_in_with_second_factor(desktop, user)
    desktop.goto("/inbox/")
    desktop.click("text=值班：School A 需要您立即处理")
    desktop.click("main a.btn >> text=打开个案")  # the message's link is a button to its page
    desktop.wait_for_url(f"**/crisis/cases/{case.pk}/")
    assert "Xiao W" in desktop.locator("h1").inner_text()
    desktop.click("text=我已接手")
    assert "值班人员 值班 于" in desktop.locator("dl").inner_text()
    assert Case.objects.get(pk=case.pk).on_call_ack_by == user
