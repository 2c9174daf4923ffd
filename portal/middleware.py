from collections.abc import Callable
from typing import Any

from django.contrib import auth
from django.contrib.auth import SESSION_KEY
from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from portal.auth_backend import session_user_row


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's, so e-mails and pages agree."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, letting the sign-in backend take the user its session was read with (portal.session_store):
    one statement for session, user and roles instead of four queries on every signed-in request."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _session_user(request))  # type: ignore[assignment]


def _session_user(request: HttpRequest) -> Any:
    """django.contrib.auth.middleware.get_user, with the session's user row in the backend's sight meanwhile."""
    if not hasattr(request, "_cached_user"):
        request.session.get(SESSION_KEY)  # reads the session now (and on PostgreSQL its user with it)
        token = session_user_row.set(getattr(request.session, "user_row", None))
        try:
            request._cached_user = auth.get_user(request)  # type: ignore[attr-defined]
        finally:
            session_user_row.reset(token)  # only for this call: never seen by another request
    return request._cached_user  # type: ignore[attr-defined]
