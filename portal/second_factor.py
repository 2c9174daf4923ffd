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
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from portal import access, audit, notifications
from portal.models import EnrolmentCode, User
from portal.models.people import Channel

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


class CodeRefused(Exception):  # noqa: N818 - a refusal the person sees, not a fault
    """A code given to change the second factor was wrong; `what` names which one (for the form and the audit)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def totp_confirm(
    *, user: User, secret: str, token: str, enrolment_code: str | None = None, current_code: str | None = None
) -> list[str]:
    """Enrol the authenticator whose secret the person scanned, checked with a code from it, replacing any other.

    A staff account's first authenticator also needs the operator's enrolment code (used up here); replacing one
    needs a code from the current authenticator (or a recovery code). The caller has checked the password again.
    Returns fresh recovery codes; raises CodeRefused naming the first wrong code, having changed nothing.
    """
    if enrolment_code is not None and not _enrolment_code_valid(user, enrolment_code):
        raise CodeRefused("enrolment_code")
    device = _setup_device(user, secret)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if not token.strip().isdigit() or not totp.verify(int(token.strip()), device.tolerance):
        raise CodeRefused("code")
    # Checked last: it uses the current code up, and a mistyped new code must not cost the person theirs.
    if current_code is not None and verify(user=user, token=current_code) is None:
        raise CodeRefused("current_code")
    with audit.atomic():
        # Deleted in one statement: of two tabs racing with one enrolment code, one enrols.
        if enrolment_code is not None and not _enrolment_code_use(user, enrolment_code):
            raise CodeRefused("enrolment_code")
        replaced = TOTPDevice.objects.filter(user=user).exists()
        TOTPDevice.objects.filter(user=user).delete()  # one authenticator per person
        device.confirmed = True
        device.last_t = totp.t()  # the code just used cannot be used again
        device.save()
        _tokens_revoke(user)
        codes = _recovery_codes_new(user)
        _changed(user, "replaced" if replaced else "enrolled")
    return codes


def _enrolment_code_valid(user: User, code: str) -> bool:
    issued = EnrolmentCode.objects.filter(user=user, expires_at__gt=timezone.now()).first()
    return issued is not None and hmac.compare_digest(issued.code_hash, _hash(code.strip()))


def _enrolment_code_use(user: User, code: str) -> bool:
    used, _by_model = EnrolmentCode.objects.filter(
        user=user, code_hash=_hash(code.strip()), expires_at__gt=timezone.now()
    ).delete()
    return bool(used)


def recovery_codes_issue(*, user: User, current_code: str) -> list[str]:
    """New recovery codes, asked for with a code from the authenticator (or a recovery code) and, by the caller,
    the password. Raises CodeRefused if the code is wrong."""
    if verify(user=user, token=current_code) is None:
        raise CodeRefused("current_code")
    with audit.atomic():
        codes = _recovery_codes_new(user)
        _changed(user, "recovery_codes")
    return codes


def _recovery_codes_new(user: User) -> list[str]:
    """Replace the recovery codes: each works once. Shown once; only the codes themselves are stored."""
    static, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    static.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


def _changed(user: User, change: str) -> None:
    """Audit a change to how the person signs in and e-mail them about it: if it was not them, they learn of it
    outside the session that made it (SMS when no e-mail address is on record)."""
    audit.append([audit.Entry(f"second_factor.{change}", "portal.user", user.pk)])
    notifications.notification_send(
        kind="second_factor_changed",
        user=user,
        via=[Channel.EMAIL],
        context={"change": change, "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "path": reverse("account")},
    )


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


def second_factor_disable(*, user: User, current_code: str) -> None:
    """Remove every device and the API tokens they vouched for, asked for with a code from the authenticator (or
    a recovery code) and, by the caller, the password: with the password alone a hijacked session could turn the
    second factor off and, in the minutes after, enrol its own phone. Raises CodeRefused if the code is wrong."""
    if verify(user=user, token=current_code) is None:
        raise CodeRefused("current_code")
    with audit.atomic():
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        _tokens_revoke(user)
        _changed(user, "disabled")


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
