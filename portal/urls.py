from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from crisis import api as crisis_api
from dashboards import api as dashboards_api
from portal import account_views, api, views
from screening import api as screening_api

router = DefaultRouter()
router.include_root_view = False
router.register("schools", api.SchoolViewSet, basename="school")
router.register("classrooms", api.ClassroomViewSet, basename="classroom")
router.register("students", api.StudentViewSet, basename="student")
router.register("guardians", api.GuardianViewSet, basename="guardian")
router.register("roster-imports", api.RosterImportViewSet, basename="roster-import")
router.register("cases", crisis_api.CaseViewSet, basename="case")
router.register("referrals", crisis_api.ReferralViewSet, basename="referral")
router.register("incidents", crisis_api.IncidentViewSet, basename="incident")

api_v1 = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("dashboard/", dashboards_api.DashboardView.as_view(), name="api-dashboard"),
    path("auth/token/", account_views.api_token, name="api-token"),
    path("screening/sessions/", screening_api.OpenView.as_view(), name="api-screening-open"),
    path("screening/submissions/", screening_api.SubmissionView.as_view(), name="api-screening-submit"),
    *router.urls,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("students/", views.student_list, name="student_list"),
    path("students/<int:pk>/", views.student_detail, name="student_detail"),
    path("students/<int:pk>/transfer/", views.student_transfer, name="student_transfer"),
    path("students/<int:pk>/access-log/", views.student_access_log, name="student_access_log"),
    path("roster/import/", views.roster_import_new, name="roster_import_new"),
    path("roster/imports/<int:pk>/", views.roster_import_detail, name="roster_import_detail"),
    path("roster/template.csv", views.roster_template, name="roster_template"),
    path("crisis/", include("crisis.urls")),
    path("screening/", include("screening.urls")),
    path("counseling/", include("counseling.urls")),
    path("training/", include("training.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("privacy/", include("privacy.urls")),
    # The address on the class's code sheet: short enough for a child to type.
    path(
        "s/",
        RedirectView.as_view(pattern_name="screening:take", http_method_names=["get", "head"]),
        name="screening_short",
    ),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_message, name="inbox_message"),
    path("inbox/<int:pk>/open/", views.inbox_open, name="inbox_open"),
    path("language/", views.language_set, name="language_set"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path(
        "accounts/login/",
        # Django's form views also answer PUT as if it were POST: only the methods a browser uses.
        auth_views.LoginView.as_view(redirect_authenticated_user=True, http_method_names=["get", "head", "post"]),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", account_views.account, name="account"),
    path("accounts/2fa/", account_views.otp_verify, name="otp_verify"),
    path("accounts/2fa/setup/", account_views.otp_setup, name="otp_setup"),
    path("accounts/2fa/disable/", account_views.otp_disable, name="otp_disable"),
    path("accounts/2fa/recovery-codes/", account_views.recovery_codes_new, name="recovery_codes_new"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(
            success_url="/accounts/password/done/", http_method_names=["get", "head", "post"]
        ),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script from a URL: no inline script, so the CSP stays strict.
    # GET only: its HTML renderer has no template for an OPTIONS answer (a 500).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
]
