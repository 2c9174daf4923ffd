"""Login security: throttling that cannot lock the real user out, the second factor, sessions, headers."""

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from portal import second_factor
from portal.account_views import ENROL_SECRET
from portal.security import LAST_SEEN, LOGIN_AT
from tests import factories
from tests.factories import PASSWORD

ATTACKER, USER_ADDRESS = "127.0.0.66", "127.0.0.7"


def _code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


@pytest.mark.parametrize("via", ["web", "api"])
def test_an_attacker_locks_only_themself_out(world, client, via):
    """1,000 wrong passwords from one machine forging a new X-Forwarded-For each time."""
    url = reverse("login") if via == "web" else reverse("api-token")
    statuses = []
    for attempt in range(1000):
        response = client.post(
            url,
            {"username": "counselor_a", "password": f"guess-{attempt}"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"10.{attempt // 256}.{attempt % 256}.1",
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429 and len(statuses) <= 10, statuses
    # Even the right password from the attacker's machine is refused now...
    locked = client.post(url, {"username": "counselor_a", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert locked.status_code == 429
    # ...while the real user, from their own address, signs in.
    if via == "web":
        ok = client.post(url, {"username": "counselor_a", "password": PASSWORD}, REMOTE_ADDR=USER_ADDRESS)
        assert ok.status_code == 302 and ok["Location"] == reverse("home")
    else:
        device = TOTPDevice.objects.create(user=world.users["counselor_a"], name="phone", confirmed=True)
        ok = client.post(url, {"username": "counselor_a", "password": PASSWORD, "otp": _code(device)},
                         REMOTE_ADDR=USER_ADDRESS)  # fmt: skip
        assert ok.status_code == 200 and "token" in ok.json()


def test_the_lockout_page_says_what_to_do(world, client):
    for _attempt in range(6):
        response = client.post(reverse("login"), {"username": "leader_a", "password": "x"}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
    assert "15 分钟" in response.content.decode()


def test_a_staff_page_without_a_verified_device_goes_to_the_second_factor(world, login):
    client = login(world.users["counselor_a"], verified=False)
    response = client.get(reverse("student_list"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('otp_verify')}?next=%2Fstudents%2F"
    api = client.get(reverse("student-list"))
    assert api.status_code == 403
    # Changing the password or turning the factor off also waits for it.
    assert client.get(reverse("password_change")).status_code == 302
    assert client.get(reverse("otp_disable")).status_code == 302


def test_parents_need_no_second_factor(world, login):
    assert login(world.users["parent_x"], verified=False).get(reverse("student_list")).status_code == 200


def _scanned(client, user) -> TOTPDevice:
    """The authenticator a person would have after scanning this session's QR code (not saved)."""
    return TOTPDevice(user=user, key=client.session[ENROL_SECRET])


def test_enrolment_needs_the_operators_code_then_a_code_works_once(world, login):
    user = world.users["counselor_b"]
    client = login(user, verified=False)
    assert client.get(reverse("student_list"))["Location"].startswith(reverse("otp_verify"))
    assert client.get(reverse("otp_verify"))["Location"].startswith(reverse("otp_setup"))  # no device yet
    page = client.get(reverse("otp_setup")).content.decode()
    assert "<svg" in page and 'name="enrolment_code"' in page  # the QR code, inline, and the operator's code
    device = _scanned(client, user)
    # A stolen password alone cannot enrol: without the operator's code the phone's code is not enough.
    refused = client.post(reverse("otp_setup"), {"code": _code(device), "enrolment_code": "12345678"})
    assert refused.status_code == 200 and not TOTPDevice.objects.filter(user=user).exists()
    enrolment = second_factor.enrolment_code_issue(user=user)
    code = _code(device)
    shown = client.post(
        reverse("otp_setup"), {"code": code, "enrolment_code": enrolment, "next": "/students/"}
    ).content.decode()
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == 10 and all(c in shown for c in codes)
    assert client.get(reverse("student_list")).status_code == 200

    device = TOTPDevice.objects.get(user=user)
    client = login(user, verified=False)
    reused = client.post(reverse("otp_verify"), {"code": code, "next": "/"})
    assert reused.status_code == 200 and "不是有效的验证码" in reused.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code slows the next try down (django-otp throttling); skip the wait
    fresh = client.post(reverse("otp_verify"), {"code": _code(device, steps_ahead=1), "next": "/"})
    assert fresh.status_code == 302


def test_a_recovery_code_works_once(world, login):
    user = world.users["counselor_b"]
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    [code, *_] = second_factor.recovery_codes_renew(user=user)
    client = login(user, verified=False)
    assert client.post(reverse("otp_verify"), {"code": code})["Location"] == "/"
    client = login(user, verified=False)
    assert client.post(reverse("otp_verify"), {"code": code}).status_code == 200


def test_each_setup_session_gets_its_own_secret(world, login, client):
    user = world.users["counselor_b"]
    first = login(user, verified=False)
    first.get(reverse("otp_setup"))
    secret = first.session[ENROL_SECRET]
    from django.test import Client

    second = Client()
    second.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    second.get(reverse("otp_setup"))
    assert second.session[ENROL_SECRET] != secret
    assert not TOTPDevice.objects.filter(user=user).exists()  # nothing to steal from the database either


def test_after_turning_it_off_the_same_session_enrols_a_new_phone_without_an_operator(world, login):
    user = world.users["counselor_a"]
    client = login(user)  # verified with a device
    client.post(reverse("otp_disable"), {"password": PASSWORD})
    page = client.get(reverse("otp_setup")).content.decode()
    assert 'name="enrolment_code"' not in page
    assert client.post(reverse("otp_setup"), {"code": _code(_scanned(client, user))}).status_code == 200
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_a_stolen_password_cannot_enrol_a_new_authenticator(world, login):
    user = world.users["counselor_b"]
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = login(user, verified=False)
    assert client.get(reverse("otp_setup"))["Location"].startswith(reverse("otp_verify"))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_turning_the_second_factor_off_needs_the_password(world, login):
    user = world.users["parent_x"]
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = login(user)
    assert client.post(reverse("otp_disable"), {"password": "wrong"}).status_code == 200
    assert second_factor.has_device(user)
    assert client.post(reverse("otp_disable"), {"password": PASSWORD}).status_code == 302
    assert not second_factor.has_device(user)


def test_api_tokens_need_the_second_factor_for_staff(world, client):
    device = TOTPDevice.objects.create(user=world.users["counselor_a"], name="phone", confirmed=True)
    url = reverse("api-token")
    assert client.post(url, {"username": "counselor_a", "password": PASSWORD}).status_code == 400
    assert client.post(url, {"username": "counselor_a", "password": PASSWORD, "otp": "000000"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down guessing after a wrong code; this test is not guessing
    token = client.post(url, {"username": "counselor_a", "password": PASSWORD, "otp": _code(device)}).json()["token"]
    api = client.get(reverse("student-list"), HTTP_AUTHORIZATION=f"Token {token}")
    assert api.status_code == 200 and api.json()["count"] == 2
    parent = client.post(url, {"username": "parent_x", "password": PASSWORD}).json()["token"]
    assert client.get(reverse("student-list"), HTTP_AUTHORIZATION=f"Token {parent}").json()["count"] == 1


def test_a_new_password_ends_other_sessions_and_revokes_tokens(world, login, client):
    user = world.users["counselor_a"]
    token = Token.objects.create(user=user)
    other = login(user)
    old_cookie = other.cookies["sessionid"].value
    user.set_password("a-brand-new-password-2026")
    user.save()
    assert not Token.objects.filter(key=token.key).exists()
    client.cookies["sessionid"] = old_cookie
    assert client.get(reverse("student_list")).status_code == 302


def test_a_new_session_id_at_login_and_an_old_cookie_fails_after_logout(world, client):
    from django.contrib.sessions.backends.db import SessionStore

    planted = SessionStore()  # a real session an attacker obtained and planted in the victim's browser
    planted["planted"] = True
    planted.save()
    client.cookies["sessionid"] = planted.session_key
    client.post(reverse("login"), {"username": "parent_x", "password": PASSWORD})
    session_id = client.cookies["sessionid"].value
    assert session_id != planted.session_key
    assert not SessionStore().exists(planted.session_key)
    client.post(reverse("logout"))
    client.cookies["sessionid"] = session_id
    assert client.get(reverse("student_list")).status_code == 302


def test_a_deactivated_account_loses_its_session_and_token(world, login, client):
    user = world.users["parent_x"]
    token = Token.objects.create(user=user)
    session = login(user)
    user.is_active = False
    user.save()
    assert session.get(reverse("student_list")).status_code == 302
    assert client.get(reverse("student-list"), HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401


@pytest.mark.parametrize(("key", "age"), [(LAST_SEEN, 31 * 60), (LOGIN_AT, 11 * 3600)], ids=["idle", "absolute"])
def test_sessions_time_out(world, login, key, age):
    client = login(world.users["parent_x"])
    session = client.session
    session[LOGIN_AT] = session[LAST_SEEN] = int(time.time()) - 60
    session[key] = int(time.time()) - age
    session.save()
    response = client.get(reverse("student_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("student_list")).status_code == 302  # the session is gone, not just this request


def test_pages_send_a_strict_content_security_policy(world, login):
    response = login(world.users["counselor_a"]).get(reverse("student_list"))
    policy = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_demo_devices_are_refused_in_production(world, settings):
    user = world.users["counselor_a"]
    device = second_factor.demo_device_ensure(user=user)
    settings.PRODUCTION = True
    assert second_factor.demo_code(user) is None
    assert second_factor.verify(user=user, token=_code(device)) is None
    with pytest.raises(RuntimeError):
        second_factor.demo_device_ensure(user=user)


PRODUCTION_ENV = {
    "PRODUCTION": "1",
    "SECRET_KEY": "k" * 20 + "3xQ!9zv#L0pR2sT4uW6yA8cE1gI5kM7oQ9s",
    "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
    "FIELD_ENCRYPTION_KEYS": "gOSgwFpU3TeVtAnvBhlb72qI3bjfyeQ5CexNwprrde0=",
    "ALLOWED_HOSTS": "portal.example.edu.cn",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    dev_only = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the browser tests set the latter for this process
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k not in dev_only}
    return subprocess.run(
        [sys.executable, "manage.py", *args], env={**clean, **env}, cwd=django_settings.BASE_DIR,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_deployment_check_passes_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "FIELD_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_behind_our_proxy_the_lock_follows_the_client_not_the_proxy(world, client, settings):
    """One proxy of ours in front: REMOTE_ADDR is the proxy, the client is the last X-Forwarded-For hop."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "127.0.0.2"
    for attempt in range(12):
        response = client.post(
            reverse("login"),
            {"username": "counselor_a", "password": f"guess-{attempt}"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"10.9.9.{attempt}, {ATTACKER}",  # forged left part, our proxy's hop on the right
        )
        if response.status_code == 429:
            break
    assert response.status_code == 429 and attempt < 10
    ok = client.post(reverse("login"), {"username": "counselor_a", "password": PASSWORD}, REMOTE_ADDR=proxy,
                     HTTP_X_FORWARDED_FOR=USER_ADDRESS)  # fmt: skip
    assert ok.status_code == 302


def test_client_ip_trusts_only_our_proxies_hops(rf, settings):
    from portal.security import client_ip

    request = rf.get("/", REMOTE_ADDR="127.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 127.0.0.9, 127.0.0.8")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "127.0.0.8"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "127.0.0.9"
    request.META["HTTP_X_FORWARDED_FOR"] = "not-an-address"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "127.0.0.2"


def test_api_tokens_expire(world, client, settings):
    token = Token.objects.create(user=world.users["parent_x"])
    assert client.get(reverse("student-list"), HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    Token.objects.filter(pk=token.pk).update(created=token.created - dt.timedelta(hours=settings.API_TOKEN_HOURS + 1))
    assert client.get(reverse("student-list"), HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401


def test_a_parents_token_stops_when_they_are_given_a_staff_role(world, client):
    parent = world.users["parent_x"]
    token = Token.objects.create(user=parent)
    factories.MembershipFactory(user=parent, role="counselor", school=world.school_b)
    assert client.get(reverse("guardian-list"), HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401


def test_turning_the_second_factor_off_revokes_api_tokens(world, login):
    user = world.users["counselor_a"]
    Token.objects.create(user=user)
    login(user).post(reverse("otp_disable"), {"password": PASSWORD})
    assert not Token.objects.filter(user=user).exists()


def test_operators_in_the_admin_need_the_second_factor(world, login, admin_user):
    client = login(admin_user, verified=False)
    assert client.get("/admin/")["Location"].startswith(reverse("otp_verify"))
