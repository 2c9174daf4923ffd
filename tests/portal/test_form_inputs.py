"""Every date, time and date-time field of every form renders an ISO value its browser input accepts.

In the locale's format ("2026/12/05") Chromium shows `<input type="date">` empty, and a pre-filled date is lost.
"""

import datetime
import importlib
import inspect
import re
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.utils import translation

from portal.widgets import DateInput, DateTimeInput, SearchableSelect, TimeInput

SHANGHAI = ZoneInfo("Asia/Shanghai")  # settings.TIME_ZONE
APPS = ["portal", "crisis", "screening", "counseling", "training", "dashboards", "privacy"]
EXPECTED = {
    forms.DateTimeField: (DateTimeInput, datetime.datetime(2026, 12, 5, 9, 30, tzinfo=SHANGHAI), "2026-12-05T09:30"),
    forms.DateField: (DateInput, datetime.date(2026, 12, 5), "2026-12-05"),
    forms.TimeField: (TimeInput, datetime.time(9, 30), "09:30"),
}


def _form_classes():
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__ and cls.base_fields:
                yield cls


DATED = [
    (cls, name, field)
    for cls in _form_classes()
    for name, field in cls.base_fields.items()
    if isinstance(field, tuple(EXPECTED))
]


def test_the_forms_with_dates_are_found():
    assert len(DATED) >= 15  # follow-ups, referrals, drills, campaigns, session records, slots, training, rosters


@pytest.mark.parametrize(("cls", "name", "field"), DATED, ids=[f"{c.__name__}.{n}" for c, n, _ in DATED])
def test_a_date_field_renders_an_iso_value(cls, name, field):
    kind = next(k for k in EXPECTED if isinstance(field, k))  # DateTimeField before DateField: not a subclass
    widget_class, value, iso = EXPECTED[kind]
    assert type(field.widget) is widget_class, f"{cls.__name__}.{name}: use portal.widgets.{widget_class.__name__}"
    with translation.override("zh-hans"):
        html = field.widget.render(name, value)
    assert re.search(rf'value="{iso}"', html) and f'type="{widget_class.input_type}"' in html


def test_the_iso_value_a_browser_sends_back_is_accepted():
    with translation.override("zh-hans"):
        assert forms.DateField(widget=DateInput()).clean("2026-12-05") == datetime.date(2026, 12, 5)
        assert forms.DateTimeField(widget=DateTimeInput()).clean("2026-12-05T09:30").hour == 9
        assert forms.TimeField(widget=TimeInput()).clean("09:30") == datetime.time(9, 30)


def test_every_student_picker_is_searchable():
    """A school has hundreds of students: a plain drop-down of them cannot be used (UX rule 8)."""
    from portal.models import Student

    pickers = [
        (cls, name, field)
        for cls in _form_classes()
        for name, field in cls.base_fields.items()
        if isinstance(field, forms.ModelChoiceField) and field.queryset.model is Student
    ]
    assert len(pickers) >= 3  # a teacher's referral, a booking for a student, a mailbox letter's writer
    for cls, name, field in pickers:
        assert isinstance(field.widget, SearchableSelect), f"{cls.__name__}.{name}"
        assert "data-search=" in field.widget.render(name, None)
