from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        from portal import demo as portal_demo
        from screening import demo

        portal_demo.SEEDERS.append(demo.seed)

        from portal.security import CODE_SESSION_KEYS

        CODE_SESSION_KEYS.add("screening_participation")

        from portal import home as portal_home
        from screening import home

        portal_home.SECTIONS.append(home.class_progress)
        portal_home.SECTIONS.append(home.parent_requests)
