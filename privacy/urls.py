from django.urls import path

from privacy import retention_views, views

app_name = "privacy"
urlpatterns = [
    path("copies/", views.requests, name="requests"),
    path("copies/<int:pk>/", views.request_detail, name="request"),
    path("copies/<int:pk>/prepare/", views.prepare, name="prepare"),
    path("copies/<int:pk>/release/", views.release, name="release"),
    path("copies/<int:pk>/approve/", views.approve, name="approve"),
    path("copies/<int:pk>/refuse/", views.refuse, name="refuse"),
    path("copies/<int:pk>/copy.pdf", views.download, name="download"),
    path("children/<int:student_pk>/copy/", views.ask, name="ask"),
    path("students/<int:student_pk>/copy/", views.record_for_student, name="record_for_student"),
    path("retention/", retention_views.retention_policy, name="retention"),
]
