from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("District dashboards")

    def ready(self) -> None:
        from dashboards import tasks
        from portal.signals import district_loaded

        district_loaded.connect(tasks.district_loaded, dispatch_uid="dashboards.district_loaded")
