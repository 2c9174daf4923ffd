"""Asking a signed-in person again (their password, a code) before a change to how they sign in.

Wrong answers count with wrong sign-ins, in django-axes, per account and address (AXES_LOCKOUT_PARAMETERS): a
hijacked session guesses a password, or a thief with the password guesses an operator's enrolment code, no faster
than the sign-in page lets anyone guess. After AXES_FAILURE_LIMIT wrong answers within AXES_COOLOFF_TIME the
account is locked at that address (sign-in included), and these forms answer with the lockout page even to the
right answer; as on the sign-in page, a try while locked starts the cool-off again
(AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT). Each wrong answer is audited.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse

from portal import audit
from portal.models import User


def _credentials(user: User) -> dict[str, str]:
    return {"username": user.get_username()}


def lockout(request: HttpRequest, user: User) -> HttpResponse | None:
    """The lockout page (429) while the account is locked at this address, else None."""
    credentials = _credentials(user)
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    if request.method == "POST":  # a try while locked, counted as the sign-in page counts it
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return get_lockout_response(request, None, credentials)


def password_check(request: HttpRequest, *, user: User, password: str, form: str) -> bool:
    """The person's own password, checked through Django's authenticate(): django-axes refuses it while the
    account is locked at this address, and counts a wrong one (the user_login_failed signal)."""
    known = authenticate(request, username=user.get_username(), password=password)
    if known is not None and known.pk == user.pk:
        return True
    _record(user=user, what="password", form=form)
    return False


def failed(request: HttpRequest, *, user: User, what: str, form: str) -> None:
    """A wrong code (enrolment, current or new authenticator): counted with wrong passwords, and audited."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    _record(user=user, what=what, form=form)


def _record(*, user: User, what: str, form: str) -> None:
    # The audit row never holds what was typed: only which answer was wrong, on which form.
    audit.append([audit.Entry("user.check_fail", "portal.user", user.pk, detail={"what": what, "form": form})])
