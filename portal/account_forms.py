"""Forms of the account pages: a code at sign-in, and the forms that change how a person signs in.

Every form that changes it asks for the password again (a hijacked session does not know it), checked through
portal.reauth: a wrong one counts towards the account's lockout at that address, as on the sign-in page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal import reauth


def _code_field(label: Any, *, autofocus: bool = False, help_text: Any = "") -> forms.CharField:
    attrs = {"autocomplete": "one-time-code", "inputmode": "numeric", **({"autofocus": True} if autofocus else {})}
    return forms.CharField(label=label, max_length=12, help_text=help_text, widget=forms.TextInput(attrs=attrs))


class CodeForm(forms.Form):
    code = _code_field(_("Code"), autofocus=True)


class PasswordAgainForm(forms.Form):
    """The person's password, checked again; `page` names the form in the audit of a wrong one."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, data: Any = None, *, request: HttpRequest, page: str) -> None:
        super().__init__(data)
        self.request, self.page = request, page

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not reauth.password_check(self.request, user=self.request.user, password=password, form=self.page):  # type: ignore[arg-type]
            raise forms.ValidationError(_("That password is not correct."), code="password_incorrect")
        return password


class RecoveryCodesForm(PasswordAgainForm):
    current_code = _code_field(
        _("Code from your authenticator"), help_text=_("The 6-digit code your authenticator app shows now.")
    )


class SetupForm(PasswordAgainForm):
    """Setting up an authenticator: the password; a code from the current one when replacing it; the operator's
    enrolment code for a staff account's first one; and a code from the new one."""

    current_code = _code_field(
        _("Code from your current authenticator"),
        help_text=_("From the app you use now, or one of your recovery codes if you lost that phone."),
    )
    enrolment_code = forms.CharField(
        label=_("Enrolment code"),
        max_length=12,
        help_text=_("The one-time code your school's administrator gave you."),
    )
    code = _code_field(_("Code from the new authenticator"), help_text=_("The 6-digit code the app shows now."))

    def __init__(self, data: Any = None, *, request: HttpRequest, replacing: bool, enrolment_code: bool) -> None:
        super().__init__(data, request=request, page="otp_setup")
        if not replacing:
            del self.fields["current_code"]
        if not enrolment_code:
            del self.fields["enrolment_code"]


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's, with the old password checked (and counted when wrong) like the other account forms."""

    def __init__(self, user: Any, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        if not reauth.password_check(self.request, user=self.user, password=old_password, form="password_change"):
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password
