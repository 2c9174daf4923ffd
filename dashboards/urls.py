from django.urls import path

from dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("schools/<int:pk>/", views.school, name="school"),
    path("refresh/", views.refresh, name="refresh"),
]
