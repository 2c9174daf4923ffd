from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from celery.signals import task_success

        from portal import checks, metrics, security  # noqa: F401 - registers checks, connects signal receivers

        task_success.connect(metrics.task_ran, dispatch_uid="portal.metrics.task_ran")
