"""Changing how a person signs in (issue 24, findings 1-3): every form asks for the password again, replacing the
authenticator or issuing recovery codes also asks for a current code, wrong answers are counted with wrong
sign-ins and lock the account at that address like the sign-in page, each is audited, and each change is e-mailed
to the account's holder."""

import datetime as dt
import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import second_factor
from portal.account_views import ENROL_SECRET
from portal.models import AuditEvent, Notification
from tests.factories import PASSWORD

ATTACKER, USER_ADDRESS = "127.0.0.66", "127.0.0.7"
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
NEW_PASSWORD = "a-brand-new-password-2026"


def _code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def _scanned(client, user) -> TOTPDevice:
    """The authenticator a person would have after scanning this session's QR code (not saved)."""
    return TOTPDevice(user=user, key=client.session[ENROL_SECRET])


def _failures(user, **detail) -> list[dict]:
    events = AuditEvent.objects.filter(action="user.check_fail", object_id=str(user.pk)).order_by("pk")
    return [e.detail for e in events if all(e.detail.get(k) == v for k, v in detail.items())]


def _refusals(route: str) -> int:
    return AuditEvent.objects.filter(action="request.refused", detail__status=429, detail__route=route).count()


def _cool_off(settings) -> dt.timedelta:
    return dt.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)


def test_wrong_enrolment_codes_lock_the_account_at_that_address_until_the_cool_off(world, login, settings):
    """Finding 1: 300 wrong enrolment codes with a stolen password used to be answered 200 each, nothing counted."""
    user = world.users["counselor_b"]  # staff without an authenticator: the operator's code is the gate
    url = reverse("otp_setup")
    limit = settings.AXES_FAILURE_LIMIT
    with time_machine.travel(START, tick=False) as clock:
        client = login(user, verified=False)
        client.get(url)
        phone = _scanned(client, user)
        enrolment = second_factor.enrolment_code_issue(user=user)
        guesses = [f"{n:08d}" for n in range(301) if f"{n:08d}" != enrolment][:300]
        statuses = [
            client.post(url, {"password": PASSWORD, "enrolment_code": guess, "code": _code(phone)},
                        REMOTE_ADDR=ATTACKER).status_code
            for guess in guesses
        ]  # fmt: skip
        assert statuses == [200] * (limit - 1) + [429] * (300 - limit + 1)
        # Locked: even the right enrolment code is refused, with the lockout page in the person's language.
        right = {"password": PASSWORD, "enrolment_code": enrolment, "code": _code(phone)}
        refused = client.post(url, right, REMOTE_ADDR=ATTACKER)
        assert refused.status_code == 429 and "15 分钟" in refused.content.decode()
        assert client.get(url, REMOTE_ADDR=ATTACKER).status_code == 429
        assert not TOTPDevice.objects.filter(user=user).exists()
        # The same lock as sign-in's: per account and address. Signing in from there is refused too, while the
        # person signs in from their own address.
        sign_in = {"username": user.username, "password": PASSWORD}
        assert Client().post(reverse("login"), sign_in, REMOTE_ADDR=ATTACKER).status_code == 429
        assert Client().post(reverse("login"), sign_in, REMOTE_ADDR=USER_ADDRESS).status_code == 302
        # Every wrong code is on record: counted ones as wrong answers, the rest as refusals while locked.
        assert len(_failures(user, what="enrolment_code", form="otp_setup")) == limit
        # Refused tries are audited, one event per person and route a minute with the rest folded into the next
        # (portal.audit.record_refusal: the log cannot be flooded; tests/portal/test_refusal_flood.py).
        assert _refusals("otp_setup") >= 1
        clock.shift(_cool_off(settings))
        enrolled = client.post(url, {**right, "code": _code(phone)}, REMOTE_ADDR=ATTACKER)
    assert enrolled.status_code == 200
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_a_wrong_code_from_the_new_phone_counts_too(world, login):
    user = world.users["parent_x"]  # no operator's code for a parent: the password and the phone's code
    client = login(user)
    client.get(reverse("otp_setup"))
    assert client.post(reverse("otp_setup"), {"password": PASSWORD, "code": "000000"}).status_code == 200
    assert _failures(user) == [{"what": "code", "form": "otp_setup"}]
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_setting_up_an_authenticator_needs_the_password(world, login):
    user = world.users["parent_x"]
    client = login(user)
    page = client.get(reverse("otp_setup")).content.decode()
    assert 'name="password"' in page and 'name="current_code"' not in page
    phone = _scanned(client, user)
    assert client.post(reverse("otp_setup"), {"code": _code(phone)}).status_code == 200
    assert client.post(reverse("otp_setup"), {"password": "wrong", "code": _code(phone)}).status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert _failures(user) == [{"what": "password", "form": "otp_setup"}]  # an empty form is no guess
    assert client.post(reverse("otp_setup"), {"password": PASSWORD, "code": _code(phone)}).status_code == 200
    assert TOTPDevice.objects.get(user=user).key == phone.key


def test_replacing_the_authenticator_needs_the_password_and_a_current_code(world, login):
    """Finding 2: a signed-in session replaced the authenticator with nothing but a code from the new phone."""
    user = world.users["counselor_a"]
    client = login(user)  # has passed the second factor with its authenticator
    current = TOTPDevice.objects.get(user=user)
    page = client.get(reverse("otp_setup")).content.decode()
    assert 'name="password"' in page and 'name="current_code"' in page and 'name="enrolment_code"' not in page
    phone = _scanned(client, user)
    attempts = [
        {"code": _code(phone)},  # what the session alone could do before
        {"password": "wrong", "current_code": _code(current), "code": _code(phone)},
        {"password": PASSWORD, "current_code": "000000", "code": _code(phone)},
    ]
    for data in attempts:
        assert client.post(reverse("otp_setup"), data).status_code == 200
        assert list(TOTPDevice.objects.filter(user=user)) == [current]
    assert [f["what"] for f in _failures(user, form="otp_setup")] == ["password", "current_code"]
    current.refresh_from_db()
    current.throttle_reset()  # a wrong code slows the next try down (django-otp); this test is not guessing
    data = {"password": PASSWORD, "current_code": _code(current), "code": _code(phone)}
    replaced = client.post(reverse("otp_setup"), data)
    assert replaced.status_code == 200 and "<code>" in replaced.content.decode()  # the new recovery codes
    assert [d.key for d in TOTPDevice.objects.filter(user=user)] == [phone.key]


def test_a_wrong_new_code_does_not_use_up_the_current_one(world, login):
    user = world.users["counselor_a"]
    client = login(user)
    current = TOTPDevice.objects.get(user=user)
    client.get(reverse("otp_setup"))
    phone = _scanned(client, user)
    wrong_new = {"password": PASSWORD, "current_code": _code(current), "code": "000000"}
    assert client.post(reverse("otp_setup"), wrong_new).status_code == 200
    retried = client.post(reverse("otp_setup"), {**wrong_new, "code": _code(phone)})  # the same current code
    assert retried.status_code == 200 and [d.key for d in TOTPDevice.objects.filter(user=user)] == [phone.key]


def test_new_recovery_codes_need_the_password_and_a_current_code(world, login):
    """Finding 2: a signed-in session issued new recovery codes with one POST."""
    user = world.users["counselor_a"]
    client = login(user)
    device = TOTPDevice.objects.get(user=user)
    url = reverse("recovery_codes_new")
    page = client.get(url).content.decode()
    assert 'name="password"' in page and 'name="current_code"' in page
    for data in ({}, {"current_code": _code(device)}, {"password": "wrong", "current_code": _code(device)}):
        assert client.post(url, data).status_code == 200
        assert not StaticToken.objects.filter(device__user=user).exists()
    assert client.post(url, {"password": PASSWORD, "current_code": "000000"}).status_code == 200
    assert not StaticToken.objects.filter(device__user=user).exists()
    assert [f["what"] for f in _failures(user, form="recovery_codes_new")] == ["password", "current_code"]
    device.refresh_from_db()
    device.throttle_reset()
    issued = client.post(url, {"password": PASSWORD, "current_code": _code(device)})
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert issued.status_code == 200 and len(codes) == 10 and all(c in issued.content.decode() for c in codes)


def test_recovery_codes_without_an_authenticator_send_to_its_setup(world, login):
    client = login(world.users["parent_x"])
    for method in ("get", "post"):
        response = getattr(client, method)(reverse("recovery_codes_new"), {"password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == reverse("otp_setup")
    assert not StaticToken.objects.exists()


@pytest.mark.parametrize("route", ["otp_disable", "password_change", "recovery_codes_new"])
def test_forty_wrong_passwords_lock_the_form_and_the_right_one_is_refused_until_the_cool_off(
    world, login, settings, route
):
    """Finding 3: 40 wrong passwords on a hijacked session's re-entry form were answered 200, then the right one
    worked: the session could guess the password."""
    user = world.users["counselor_a"]
    url = reverse(route)
    limit = settings.AXES_FAILURE_LIMIT
    with time_machine.travel(START, tick=False) as clock:
        client = login(user)
        device = TOTPDevice.objects.get(user=user)

        def answer(password: str) -> dict[str, str]:
            if route == "password_change":
                return {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
            return {"password": password, "current_code": _code(device)}

        statuses = [client.post(url, answer(f"guess-{n}")).status_code for n in range(40)]
        assert statuses == [200] * (limit - 1) + [429] * (40 - limit + 1)
        locked = client.post(url, answer(PASSWORD))
        assert locked.status_code == 429 and "15 分钟" in locked.content.decode()
        assert client.get(url).status_code == 429
        user.refresh_from_db()
        assert user.check_password(PASSWORD) and second_factor.has_device(user)
        assert not StaticToken.objects.filter(device__user=user).exists()
        # Each wrong password is on record: counted ones as wrong answers, the rest as refusals while locked.
        assert _failures(user) == [{"what": "password", "form": route}] * limit
        assert _refusals(route) >= 1  # one a minute, the rest folded into the next (portal.audit.record_refusal)
        clock.shift(_cool_off(settings))
        done = client.post(url, answer(PASSWORD))
    assert done.status_code in (200, 302)
    user.refresh_from_db()
    if route == "password_change":
        assert user.check_password(NEW_PASSWORD)
    elif route == "otp_disable":
        assert not second_factor.has_device(user)
    else:
        assert StaticToken.objects.filter(device__user=user).count() == 10


def test_a_lock_from_one_form_holds_on_the_others(world, login, settings):
    user = world.users["counselor_a"]
    client = login(user)
    for _n in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("otp_disable"), {"password": "wrong"})
    for route in ("otp_setup", "recovery_codes_new", "password_change", "otp_disable"):
        page = client.get(reverse(route))
        assert page.status_code == 429 and "密码或验证码错误次数过多" in page.content.decode(), route


def test_every_second_factor_change_emails_the_holder(world, login, mailoutbox, django_capture_on_commit_callbacks):
    user = world.users["counselor_b"]
    user.email = "counselor.b@school-b.example"
    user.save(update_fields=["email"])
    enrolment = second_factor.enrolment_code_issue(user=user)
    client = login(user, verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("otp_setup"))
        first = _scanned(client, user)
        data = {"password": PASSWORD, "enrolment_code": enrolment, "code": _code(first)}
        assert client.post(reverse("otp_setup"), data).status_code == 200  # enrolled
        data = {"password": PASSWORD, "current_code": _code(first, steps_ahead=1)}
        assert client.post(reverse("recovery_codes_new"), data).status_code == 200
        recovery = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
        client.get(reverse("otp_setup"))
        second = _scanned(client, user)
        data = {"password": PASSWORD, "current_code": _code(first, steps_ahead=2), "code": _code(second)}
        assert client.post(reverse("otp_setup"), data).status_code == 200  # replaced
        data = {"password": PASSWORD, "current_code": _code(second, steps_ahead=1)}
        assert client.post(reverse("otp_disable"), data).status_code == 302
    changes = ["enrolled", "recovery_codes", "replaced", "disabled"]
    sent = Notification.objects.filter(user=user, kind="second_factor_changed").order_by("pk")
    assert [n.context["change"] for n in sent] == changes
    assert [m.to for m in mailoutbox] == [[user.email]] * 4
    assert [m.subject for m in mailoutbox] == [
        "您的账号已设置身份验证器", "您的账号已生成新的恢复码", "您的账号已更换身份验证器", "您的账号已关闭第二重验证",
    ]  # fmt: skip
    assert all("如果这不是您本人的操作" in m.body for m in mailoutbox)
    assert len(recovery) == 10 and not any(
        code in m.body for m in mailoutbox for code in recovery
    )  # no secret travels by e-mail
    audited = AuditEvent.objects.filter(action__startswith="second_factor.", object_id=str(user.pk)).order_by("pk")
    assert [e.action for e in audited] == [f"second_factor.{change}" for change in changes]


def test_turning_it_off_needs_a_current_code_so_a_password_alone_cannot_swap_the_phone(world, login):
    """With the password alone a hijacked session could turn the second factor off and then, in the minutes the
    same session may enrol without an operator's code, set up its own phone: turning off needs a code too."""
    user = world.users["counselor_a"]
    client = login(user)
    device = TOTPDevice.objects.get(user=user)
    refused = client.post(reverse("otp_disable"), {"password": PASSWORD, "current_code": "000000"})
    assert refused.status_code == 200 and "验证码无效" in refused.content.decode()
    assert client.post(reverse("otp_disable"), {"password": PASSWORD}).status_code == 200
    assert second_factor.has_device(user)
    assert [f["what"] for f in _failures(user, form="otp_disable")] == ["current_code"]
    setup = client.get(reverse("otp_setup")).content.decode()
    assert 'name="current_code"' in setup  # still a replacement: a code from the current phone is asked
    with time_machine.travel(dt.timedelta(minutes=1)):  # django-otp slows retries after a wrong code
        done = client.post(reverse("otp_disable"), {"password": PASSWORD, "current_code": _code(device)})
    assert done.status_code == 302 and not second_factor.has_device(user)
