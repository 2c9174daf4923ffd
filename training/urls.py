from django.urls import path

from training import views

app_name = "training"
urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/<int:pk>/", views.programme, name="programme"),
    path("programmes/<int:pk>/certificates/", views.certificates_issue, name="certificates_issue"),
    path("sessions/<int:pk>/", views.session, name="session"),
    path("sessions/<int:pk>/enrol/", views.enrol, name="enrol"),
    path("enrolments/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("enrolments/<int:pk>/cancel/", views.enrolment_cancel, name="enrolment_cancel"),
    path("certificates/<int:pk>/certificate.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("staffing/", views.staffing, name="staffing"),
    path("hours/", views.hours, name="hours"),
    path("curriculum/", views.curriculum, name="curriculum"),
    path("sessions/<int:pk>/attendance-import/", views.attendance_import, name="attendance_import"),
    path("staffing/import/", views.roster_import, name="roster_import"),
    path("parent-classes/", views.parent_classes, name="parent_classes"),
    path("parent-classes/<int:pk>/sign-up/", views.parent_signup, name="parent_signup"),
    path("parent-classes/<int:pk>/watch/", views.parent_watch, name="parent_watch"),
    path("parent-classes/<int:pk>/views/", views.episode_views, name="episode_views"),
]
