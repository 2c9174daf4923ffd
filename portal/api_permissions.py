"""DRF permissions. The default denies; views opt in to what they need."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from portal.second_factor import needs_second_factor


class DenyAll(BasePermission):
    """Default for every API view that forgot to say who may use it."""

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        return False


class SignedIn(BasePermission):
    """Signed in, and for staff through a second factor: a verified session, or a token (tokens are
    only issued against a second-factor code, see portal.account_views.api_token)."""

    message = "A second factor is required: verify your session or use an API token."

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not needs_second_factor(user):
            return True
        return isinstance(request.auth, Token) or bool(getattr(user, "is_verified", lambda: False)())


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF tokens that expire after API_TOKEN_HOURS: a lost token is not a key for ever."""

    def authenticate_credentials(self, key):  # type: ignore[no-untyped-def]
        user, token = super().authenticate_credentials(key)
        if token.created < timezone.now() - timedelta(hours=settings.API_TOKEN_HOURS):
            token.delete()
            raise AuthenticationFailed(_("This API token has expired. Ask for a new one."))
        return user, token
