from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from portal import home as portal_home
        from privacy import copy_sections

        portal_home.SECTIONS.append(copy_sections.worklist)
        portal_home.STUDENT_SECTIONS.append(copy_sections.student_page)
