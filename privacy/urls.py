from django.urls import path

from privacy import retention_views

app_name = "privacy"
urlpatterns = [
    path("retention/", retention_views.retention_policy, name="retention"),
]
