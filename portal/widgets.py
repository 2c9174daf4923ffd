"""Inputs as browsers take them: dates and times in ISO, long lists searchable.

`<input type="date">` accepts only an ISO value (2026-12-05); rendered in the locale's format (2026/12/05) the
browser shows an empty field and a pre-filled date is lost. Every form uses these, never Django's defaults
(tests/portal/test_form_inputs.py checks every form of every app).
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


class SearchableSelect(forms.Select):
    """A long list (a school's students) with a search box above it (portal/static/portal/site.js)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"data-search": _("Type part of a name to search"), **(attrs or {})})
