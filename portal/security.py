"""Middleware that keeps sessions honest: the second-factor gate and idle/absolute timeouts (sessions and
API tokens)."""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed

from portal import codes
from portal.api_permissions import ExpiringTokenAuthentication
from portal.models import Membership
from portal.second_factor import needs_second_factor

LOGIN_AT = "_portal_login_at"
LAST_SEEN = "_portal_last_seen"

# Reachable before the second factor: signing in and out, entering a code or enrolling a first device,
# the language switch, health checks and static files. Everything else (password change and turning the
# second factor off included) waits for it. The API enforces it in portal.api_permissions.
_OPEN_PATHS = frozenset({"/accounts/login/", "/accounts/logout/", "/accounts/2fa/", "/accounts/2fa/setup/", "/healthz"})
_OPEN_PREFIXES = ("/language/", "/static/", "/api/", "/crisis/ack/")


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting X-Forwarded-For only as far as our own proxies wrote it.

    Each of the TRUSTED_PROXY_COUNT proxies appends the address it received the request from, so the
    client is the entry our outermost proxy appended: the TRUSTED_PROXY_COUNT-th from the right. Entries
    further left were written by the client and are never believed.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if not count:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


class NoStoreMiddleware:
    """No response of ours is kept by a browser or proxy cache (OWASP ASVS 5.0 14.3.2).

    Every response, not only a signed-in person's: the pages reached without an account carry personal
    data too (a guardian's acknowledgement link, a child's screening answers, the counselor's .ics feed,
    a booking made with a code). Static files never get here: whitenoise answers them first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class SecondFactorMiddleware:
    """Staff pages need a verified device. (The API checks it in its permission class: token users
    are only known once DRF has authenticated them.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and request.path not in _OPEN_PATHS
            and not request.path.startswith(_OPEN_PREFIXES)
            and needs_second_factor(user)  # type: ignore[arg-type]
            and not getattr(user, "is_verified", lambda: False)()  # set by django-otp's OTPMiddleware
        ):
            target = reverse("otp_verify")
            return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _revoke_tokens_on_password_change(sender, instance, created, **kwargs):  # type: ignore[no-untyped-def]
    """Sessions end by themselves on a new password (Django's session hash); API tokens are revoked here."""
    if not created and getattr(instance, "_password_changed", False):
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=instance).delete()
        instance._password_changed = False


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def _revoke_tokens_on_role_change(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
    """A token vouches for the roles its holder had when it was issued (a parent's token carries no second
    factor): any change of role revokes it."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user_id=instance.user_id).delete()


# Session keys of the no-account visits a code opens (a student's screening form, their bookings). Apps add
# theirs; signing in on the same browser ends them, since Django's login keeps the session's data.
CODE_SESSION_KEYS: set[str] = set()


@receiver(user_logged_in)
def _remember_login_time(sender, request, user, **kwargs):  # type: ignore[no-untyped-def]
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT] = now
        request.session[LAST_SEEN] = now
        for key in CODE_SESSION_KEYS:
            request.session.pop(key, None)


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The user name a sign-in attempt is counted under: as typed, cut to the longest a user name can be."""
    return str((credentials or {}).get("username") or request.POST.get("username", ""))[:150]


# Codes typed without an account (screening, booking, mailbox replies). A school's pupils share one address
# (its NAT), so wrong tries are counted twice over a window of CODE_TRIES_WINDOW, both per address:
# - per code: wrong codes that begin like the one typed (its first group of four, as printed on the sheet).
#   CODE_TRIES_PER_CODE of them lock that group alone: a child's own typos, or someone working on one code
#   they half know, stop there, while classmates' codes (other groups: 923,521 of them) still open;
# - in all: SCREENING_CODE_TRIES wrong codes of any kind lock every code from the address. This bounds blind
#   guessing (each try finds a live code with odds of codes issued in 31^8), set well above the typos of a
#   lab of pupils.
# A right code is refused only when its own group, or the address as a whole, is used up. No count can tell a
# pupil typing their own code from a guesser behind the same address, so the whole-address limit is where
# a script could still lock a school out: raising it makes that costlier and guessing cheaper alike.
CODE_TRIES_WINDOW = 15 * 60
_CODE_GROUP = 4


def _code_keys(request: HttpRequest, kind: str, code: str) -> tuple[str, str]:
    address = f"{kind}:{client_ip(request)}"
    # Hashed: whatever was typed (any script, any length) makes a short ASCII key, and no typed code is kept.
    group = hashlib.sha256(codes.normalise(code)[:_CODE_GROUP].encode()).hexdigest()[:16]
    return address, f"{address}:{group}"


def code_tries_exhausted(request: HttpRequest, kind: str, *, code: str) -> bool:
    """Has this address used up its wrong tries, in all or for codes beginning like this one?"""
    address, group = _code_keys(request, kind, code)
    counts = cache.get_many([address, group])
    return (
        counts.get(address, 0) >= settings.SCREENING_CODE_TRIES or counts.get(group, 0) >= settings.CODE_TRIES_PER_CODE
    )


def code_try_failed(request: HttpRequest, kind: str, *, code: str) -> None:
    """A code that opened nothing: it counts against its address and its group, from the first failure on."""
    for key in _code_keys(request, kind, code):
        cache.add(key, 0, timeout=CODE_TRIES_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls: a new window
            cache.add(key, 1, timeout=CODE_TRIES_WINDOW)


class SessionTimeoutMiddleware:
    """Sign out after SESSION_IDLE_SECONDS without a request, and SESSION_ABSOLUTE_SECONDS after sign-in.

    The last-seen time is written at most once a minute, so most requests do not write the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated:
            now = int(time.time())
            login_at = session.get(LOGIN_AT, now)
            last_seen = session.get(LAST_SEEN, now)
            if now - last_seen > settings.SESSION_IDLE_SECONDS or now - login_at > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": _("Your session has expired. Sign in again.")}, status=401)
                messages.info(request, _("Your session has expired. Sign in again."))
                return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
            if now - last_seen >= 60 or LOGIN_AT not in session:
                session[LAST_SEEN] = now
                session.setdefault(LOGIN_AT, login_at)
        return self.get_response(request)


class IdleTokenAuthentication(ExpiringTokenAuthentication):
    """API tokens end API_TOKEN_HOURS after issue (the parent class) and, like sessions, after
    API_TOKEN_IDLE_SECONDS unused.

    The last use lives in the shared cache (Redis in production), written at most once a minute. A missing
    entry (never used, or evicted) counts from the token's issue: the error is always towards ending it.
    """

    def authenticate_credentials(self, key):  # type: ignore[no-untyped-def]
        user, token = super().authenticate_credentials(key)
        now = time.time()
        seen_key = f"token-seen:{hashlib.sha256(token.key.encode()).hexdigest()}"  # not the secret itself
        last_seen = cache.get(seen_key) or token.created.timestamp()
        if now - last_seen > settings.API_TOKEN_IDLE_SECONDS:
            token.delete()
            cache.delete(seen_key)
            raise AuthenticationFailed(_("This API token has not been used for too long. Ask for a new one."))
        if now - last_seen >= 60:
            cache.set(seen_key, now, timeout=settings.API_TOKEN_HOURS * 3600)
        return user, token
