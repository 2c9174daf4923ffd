"""Account pages: the second factor (verify, set up, recovery codes, turn off) and API tokens."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from portal import reauth, second_factor
from portal.account_forms import CodeForm, PasswordChangeForm, RecoveryCodesForm, SetupForm
from portal.views import AuthedRequest

ENROL_SECRET = "_portal_otp_secret"  # noqa: S105 - the name of a session key, not a secret
ENROL_WITHOUT_CODE_UNTIL = "_portal_otp_reenrol_until"
# What the person sees when a code given to change the second factor was wrong: (field, message). Which of the
# enrolment code and the new phone's code was wrong is not said: one guess tells nothing about the other.
_CODES_WRONG = gettext_lazy("A code is not valid. Check the time on your phone, the enrolment code, and try again.")
CODE_REFUSED = {
    "current_code": (
        "current_code",
        gettext_lazy("That code is not valid. Codes change every 30 seconds and each works once."),
    ),
    "enrolment_code": (None, _CODES_WRONG),
    "code": (None, _CODES_WRONG),
}


def _next(request: AuthedRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/"


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request: AuthedRequest) -> HttpResponse:
    if not second_factor.has_device(request.user):
        return redirect(f"{reverse('otp_setup')}?{urlencode({'next': _next(request)})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor.verify(user=request.user, token=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("code", _("That code is not valid. Codes change every 30 seconds and each works once."))
    return render(
        request,
        "account/otp_verify.html",
        {"form": form, "next": _next(request), "demo_code": second_factor.demo_code(request.user)},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def otp_setup(request: AuthedRequest) -> HttpResponse:
    """Enrol an authenticator, or replace the current one (which needs a code from it: a stolen password alone
    cannot). Always with the password again; wrong answers count towards the lockout (portal.reauth)."""
    replacing = second_factor.has_device(request.user)
    if replacing and not request.user.is_verified():  # type: ignore[attr-defined]
        return redirect(f"{reverse('otp_verify')}?{urlencode({'next': _next(request)})}")
    if locked := reauth.lockout(request, request.user):
        return locked
    secret = request.session.get(ENROL_SECRET) or second_factor.new_secret()
    request.session[ENROL_SECRET] = secret
    # A first authenticator on a staff account needs the operator's code, except right after the person
    # turned their own off from a session that had passed the second factor.
    needs_code = second_factor.enrolment_code_needed(request.user) and not (
        request.session.get(ENROL_WITHOUT_CODE_UNTIL, 0) > time.time()
    )
    form = SetupForm(request.POST or None, request=request, replacing=replacing, enrolment_code=needs_code)
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor.totp_confirm(
                user=request.user, secret=secret, token=form.cleaned_data["code"],
                enrolment_code=form.cleaned_data["enrolment_code"] if needs_code else None,
                current_code=form.cleaned_data["current_code"] if replacing else None,
            )  # fmt: skip
        except second_factor.CodeRefused as refused:
            reauth.failed(request, user=request.user, what=refused.what, form="otp_setup")
            form.add_error(*CODE_REFUSED[refused.what])
        else:
            del request.session[ENROL_SECRET]
            request.session.pop(ENROL_WITHOUT_CODE_UNTIL, None)
            otp_login(request, TOTPDevice.objects.get(user=request.user))
            return render(request, "account/recovery_codes.html", {"codes": codes, "next": _next(request)})
    return render(
        request,
        "account/otp_setup.html",
        {"form": form, "qr": second_factor.qr_svg(request.user, secret), "replacing": replacing,
         "secret": second_factor.readable_secret(secret), "next": _next(request)},
    )  # fmt: skip


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def otp_disable(request: AuthedRequest) -> HttpResponse:
    """Turning the second factor off (or starting over) needs the password again and a current code."""
    if not second_factor.has_device(request.user):
        return redirect("otp_setup")
    if locked := reauth.lockout(request, request.user):
        return locked
    form = RecoveryCodesForm(request.POST or None, request=request, page="otp_disable")
    if request.method == "POST" and form.is_valid():
        try:
            second_factor.second_factor_disable(user=request.user, current_code=form.cleaned_data["current_code"])
        except second_factor.CodeRefused as refused:
            reauth.failed(request, user=request.user, what=refused.what, form="otp_disable")
            form.add_error(*CODE_REFUSED[refused.what])
            return render(request, "account/otp_disable.html", {"form": form})
        # This session had passed the second factor: it may enrol a new phone without an operator's code.
        request.session[ENROL_WITHOUT_CODE_UNTIL] = time.time() + 600
        messages.success(request, _("Your second factor is off. Set up a new one to keep using staff pages."))
        return redirect("otp_setup" if second_factor.needs_second_factor(request.user) else "home")
    return render(request, "account/otp_disable.html", {"form": form})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def recovery_codes_new(request: AuthedRequest) -> HttpResponse:
    """New recovery codes: with the password and a code from the authenticator, which a hijacked session lacks."""
    if not second_factor.has_device(request.user):
        return redirect("otp_setup")
    if locked := reauth.lockout(request, request.user):
        return locked
    form = RecoveryCodesForm(request.POST or None, request=request, page="recovery_codes_new")
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["current_code"]
        try:
            codes = second_factor.recovery_codes_issue(user=request.user, current_code=code)
        except second_factor.CodeRefused as refused:
            reauth.failed(request, user=request.user, what=refused.what, form="recovery_codes_new")
            form.add_error(*CODE_REFUSED[refused.what])
        else:
            return render(request, "account/recovery_codes.html", {"codes": codes, "next": reverse("account")})
    return render(request, "account/recovery_codes_new.html", {"form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, with the old password counted when wrong and the page refused while the account is locked."""

    form_class = PasswordChangeForm
    success_url = reverse_lazy("password_change_done")
    http_method_names = ["get", "head", "post"]  # Django's form views also answer PUT as if it were POST

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and (locked := reauth.lockout(request, request.user)):  # type: ignore[arg-type]
            return locked
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


@login_required
@never_cache
@require_safe
def account(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "account/account.html",
        {"has_device": second_factor.has_device(request.user),
         "required": second_factor.needs_second_factor(request.user)},
    )  # fmt: skip


class TokenRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    # As long as a username can be: a longer one failed in django-axes' 255-character log of attempts (a 500).
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(required=False, allow_blank=True, help_text="Staff: a code from the authenticator.")


class TokenSerializer(serializers.Serializer):  # type: ignore[type-arg]
    token = serializers.CharField()


@extend_schema(request=TokenRequestSerializer, responses=TokenSerializer)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])  # the credentials are the check; django-axes throttles wrong ones
def api_token(request: Request) -> Response:
    """Exchange username, password and (for staff) a second-factor code for an API token."""
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    user = authenticate(request._request, username=data["username"], password=data["password"])
    if user is None:
        return Response({"detail": _("Wrong username or password.")}, status=status.HTTP_400_BAD_REQUEST)
    if second_factor.needs_second_factor(user):
        device = second_factor.verify(user=user, token=data.get("otp") or "") if data.get("otp") else None
        if device is None:
            return Response(
                {"detail": _("Staff accounts need a valid code from their authenticator (the otp field).")},
                status=status.HTTP_400_BAD_REQUEST,
            )
    # A fresh token each time: its age is what expires it (portal.api_permissions.ExpiringTokenAuthentication).
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    return Response({"token": token.key})
