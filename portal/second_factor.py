"""Staff sign in with a second factor: a TOTP authenticator app, with one-time recovery codes.

Who needs it: anyone holding a school or district role, and platform operators. Parents may turn it on.
The demo's staff accounts carry a pre-enrolled device named "demo" whose secret is public (README);
outside PRODUCTION its current code is shown on the verify page, and PRODUCTION refuses such devices.
"""

from __future__ import annotations

import secrets

import segno
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import access
from portal.models import User

DEMO_DEVICE_NAME = "demo"
RECOVERY_CODES = 10


def needs_second_factor(user: User) -> bool:
    if not user.is_authenticated:
        return False
    roles = access.roles_of(user)  # loaded once per request and reused by the page itself
    return bool(user.is_superuser or roles.is_official or roles.is_staff_member)


def has_device(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def pending_totp(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up (one at a time); a fresh secret if none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=5)


def readable_secret(device: TOTPDevice) -> str:
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def totp_confirm(*, user: User, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it. Returns fresh recovery codes, or None."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one authenticator per person
    device.confirmed = True
    device.save(update_fields=["confirmed"])
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
    """Remove every device (the caller has checked the password again)."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()


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
