from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounselingConfig(AppConfig):
    name = "counseling"
    verbose_name = _("Counseling")

    def ready(self) -> None:
        from counseling import demo
        from portal import demo as portal_demo

        portal_demo.SEEDERS.append(demo.seed)

        from portal.security import CODE_SESSION_KEYS

        CODE_SESSION_KEYS.add("counseling_student")

        from counseling import home
        from portal import home as portal_home

        portal_home.SECTIONS.append(home.today)
        portal_home.SECTIONS.append(home.parent_upcoming)

        from counseling import calendar  # noqa: F401  (its receiver: a new password ends the feed link)
