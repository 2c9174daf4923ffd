from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        from portal import demo as portal_demo
        from screening import demo

        portal_demo.SEEDERS.append(demo.seed)

        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_forget_code, dispatch_uid="screening.forget_code")


def _forget_code(sender, request, user, **kwargs):  # type: ignore[no-untyped-def]
    """Someone signs in on this browser: a student's code session (kept through login) ends now."""
    if request is not None and hasattr(request, "session"):
        request.session.pop("screening_participation", None)
