from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    name = "crisis"
    verbose_name = _("Crisis register")

    def ready(self) -> None:
        from crisis import demo
        from portal import demo as portal_demo

        portal_demo.SEEDERS.append(demo.seed)

        from crisis import services
        from portal.signals import student_transferred

        student_transferred.connect(services.case_follow_transfer, dispatch_uid="crisis.case_follow_transfer")

        from crisis import alerts
        from portal.signals import family_message_check, family_message_withheld

        family_message_check.connect(alerts.family_message_check, dispatch_uid="crisis.family_message_check")
        family_message_withheld.connect(alerts.family_message_withheld, dispatch_uid="crisis.family_message_withheld")

        from crisis import metrics
        from portal import metrics as portal_metrics

        portal_metrics.COLLECTORS.append(metrics.collect)

        from crisis import home
        from portal import home as portal_home

        portal_home.SECTIONS.append(home.worklist)
        portal_home.SECTIONS.append(home.my_referrals)
        portal_home.SECTIONS.append(home.parent_notices)
