import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from django.contrib import auth
from django.contrib.auth import SESSION_KEY
from django.contrib.auth import middleware as auth_middleware
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from portal.auth_backend import session_user_row

# C0 controls (NUL included), DEL and the C1 controls: no route, code, name or search term holds one.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ControlCharactersMiddleware:
    """A control character in the path answers 404 (no route has one), in the query string 400, before any view.

    PostgreSQL refuses a NUL inside a string, so one that reaches a query through a path or query parameter was
    a 500 (`GET /training/verify/%00/`); the other controls are refused too, as nothing legitimate carries them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path_info.startswith("/api/")
        if _CONTROL.search(request.path_info):
            if api:
                return JsonResponse({"detail": _("Not found.")}, status=404)
            raise Http404
        if _CONTROL.search(unquote_plus(request.META.get("QUERY_STRING", ""))):
            message = _("The address holds a character that has no place in it. Check the link and try again.")
            if api:
                return JsonResponse({"detail": message}, status=400)
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)


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
