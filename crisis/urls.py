from django.urls import path

from crisis import oncall_views, queue_views, views

app_name = "crisis"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("refer/", views.refer, name="refer"),
    path("export.xlsx", views.ledger_export, name="ledger_export"),
    path("incidents/", views.incidents, name="incidents"),
    path("preparedness/", views.preparedness, name="preparedness"),
    path("plans/<int:pk>/download/", views.plan_download, name="plan_download"),
    path("incidents/<int:pk>/assign/", views.incident_assign, name="incident_assign"),
    path("grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("assignments/", views.assignments, name="assignments"),
    path("on-call/", oncall_views.roster, name="on_call"),
    path("on-call/<int:pk>/remove/", oncall_views.roster_remove, name="on_call_remove"),
    path("queues/", queue_views.queues, name="queues"),
    path("queues/<int:pk>/end/", queue_views.queue_end, name="queue_end"),
    path("cases/<int:pk>/take-on/", oncall_views.take_on, name="case_take_on"),
    path("cases/<int:pk>/refer-out/", views.case_refer_out, name="case_refer_out"),
    path(
        "cases/<int:pk>/outside-referrals/<int:referral_pk>/outcome/", views.referral_outcome, name="referral_outcome"
    ),  # fmt: skip
    path("cases/<int:pk>/incident/", views.case_incident, name="case_incident"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/confirm/", views.case_confirm, name="case_confirm"),
    path("cases/<int:pk>/follow-up/", views.case_follow_up, name="case_follow_up"),
    path("cases/<int:pk>/status/", views.case_status, name="case_status"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("cases/<int:pk>/guardian-contact/", views.case_guardian_contact, name="case_guardian_contact"),
    path("cases/<int:pk>/notices/<int:notice_pk>/contact/", views.notice_contact, name="notice_contact"),
    path("ack/<str:token>/", views.acknowledge, name="acknowledge"),
]
