from django.urls import path

from screening import views

app_name = "screening"
urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("new/", views.campaign_new, name="campaign_new"),
    path("policy/", views.policy, name="policy"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("campaigns/<int:pk>/open/", views.campaign_open, name="campaign_open"),
    path("campaigns/<int:pk>/rescore/", views.rescore, name="rescore"),
    path("campaigns/<int:pk>/remind/", views.remind, name="remind"),
    path("campaigns/<int:pk>/paper/", views.paper_import, name="paper_import"),
    path("campaigns/<int:pk>/codes/<int:classroom_pk>/", views.codes, name="codes"),
    path("students/<int:pk>/", views.student_file, name="student_file"),
    path("take/", views.take, name="take"),
    path("take/question/", views.question, name="question"),
    path("take/done/", views.done, name="done"),
    path("parent/<str:token>/", views.parent_form, name="parent_form"),
    path("consent/<str:token>/", views.consent, name="consent"),
]
