from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.copies import MESSAGES, REASON_MIN_LENGTH


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for refusing"),
        help_text=_("The family reads this. Do not mention a safeguarding concern or anyone else's information."),
        min_length=REASON_MIN_LENGTH, max_length=1000, strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"min_length": MESSAGES["reason"], "required": MESSAGES["reason"]},
    )  # fmt: skip
