"""Sessions: Django's database sessions, with the signed-in user's id in a column of its own."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _


class Session(AbstractBaseSession):
    """Whose session it is, beside the signed data: a signed-in request reads its session with its user and
    their roles in one statement (portal.session_store). Deleting a user ends their sessions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta(AbstractBaseSession.Meta):  # type: ignore[name-defined]
        verbose_name = _("sign-in session")
        verbose_name_plural = _("sign-in sessions")

    @classmethod
    def get_session_store_class(cls):  # type: ignore[no-untyped-def]
        from portal.session_store import SessionStore

        return SessionStore
