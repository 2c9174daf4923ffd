"""Staff sign in with a second factor: a TOTP authenticator app, with one-time recovery codes.

Who needs it: anyone holding a school or district role, and platform operators. Parents may turn it on.
The demo's staff accounts carry a pre-enrolled device named "demo" whose secret is public (README);
outside PRODUCTION its current code is shown on the verify page, and PRODUCTION refuses such devices.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from portal import access
from portal.models import EnrolmentCode, User

DEMO_DEVICE_NAME = "demo"
RECOVERY_CODES = 10


def needs_second_factor(user: User) -> bool:
    if not user.is_authenticated:
        return False
    roles = access.roles_of(user)  # loaded once per request and reused by the page itself
    return bool(
        user.is_superuser or user.is_staff or roles.is_official or roles.is_staff_member or roles.responder_district_ids
    )


def has_device(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def new_secret() -> str:
    """A fresh TOTP secret (hex) for one setup attempt. It lives in that session only, never in the
    database until confirmed, so nobody else can read or plant the secret a person is scanning."""
    return random_hex(20)


def _setup_device(user: User, secret: str) -> TOTPDevice:
    return TOTPDevice(user=user, name="authenticator", key=secret, confirmed=False)


def qr_svg(user: User, secret: str) -> str:
    return segno.make(_setup_device(user, secret).config_url, error="m").svg_inline(scale=5)


def readable_secret(secret: str) -> str:
    text = base64.b32encode(bytes.fromhex(secret)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def enrolment_code_issue(*, user: User) -> str:
    """An operator's one-time code for a first enrolment, valid for ENROLMENT_CODE_HOURS."""
    code = f"{secrets.randbelow(10**8):08d}"
    EnrolmentCode.objects.update_or_create(
        user=user,
        defaults={
            "code_hash": _hash(code),
            "expires_at": timezone.now() + timedelta(hours=settings.ENROLMENT_CODE_HOURS),
        },
    )
    return code


def _hash(code: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{code}".encode()).hexdigest()


def enrolment_code_needed(user: User) -> bool:
    return needs_second_factor(user) and not has_device(user)


@transaction.atomic
def totp_confirm(*, user: User, secret: str, token: str, enrolment_code: str | None) -> list[str] | None:
    """Enrol the authenticator whose secret the person scanned, checked with a code from it.

    A staff account's first authenticator also needs the operator's enrolment code (used up here).
    Returns fresh recovery codes, or None if a code was wrong.
    """
    if enrolment_code is not None:
        issued = EnrolmentCode.objects.select_for_update().filter(user=user, expires_at__gt=timezone.now()).first()
        if issued is None or not hmac.compare_digest(issued.code_hash, _hash(enrolment_code.strip())):
            return None
    device = _setup_device(user, secret)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if not token.strip().isdigit() or not totp.verify(int(token.strip()), device.tolerance):
        return None
    if enrolment_code is not None:
        EnrolmentCode.objects.filter(user=user).delete()
    TOTPDevice.objects.filter(user=user).delete()  # one authenticator per person
    device.confirmed = True
    device.last_t = totp.t()  # the code just used cannot be used again
    device.save()
    _tokens_revoke(user)
    return recovery_codes_renew(user=user)


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """Replace the recovery codes: each works once. Shown once; only the codes themselves are stored."""
    static, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    static.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


def verify(*, user: User, token: str) -> Device | None:
    """Check a code against the person's authenticator, then their recovery codes. Each code works once."""
    token = token.strip().replace(" ", "")
    if not token.isdigit():
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if settings.PRODUCTION and device.name == DEMO_DEVICE_NAME:
                continue  # the demo's secret is public
            if device.verify_token(token):
                return device
    return None


@transaction.atomic
def second_factor_disable(*, user: User) -> None:
    """Remove every device (the caller has checked the password again) and the API tokens they vouched for."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    _tokens_revoke(user)


def _tokens_revoke(user: User) -> None:
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()


def demo_code(user: User) -> str | None:
    """The current code of a demo device, for the demo's verify page. Never in production."""
    if settings.PRODUCTION:
        return None
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, confirmed=True).first()
    if device is None:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def demo_device_ensure(*, user: User) -> TOTPDevice:
    """Give a demo account its pre-enrolled authenticator (public secret: demo only)."""
    if settings.PRODUCTION:
        raise RuntimeError("demo devices are refused in production")
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name=DEMO_DEVICE_NAME, defaults={"key": settings.DEMO_TOTP_KEY, "confirmed": True}
    )
    return device
