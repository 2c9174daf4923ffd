from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.models import Classroom, School


class SheetField(forms.FileField):
    """A spreadsheet to import (CSV or XLSX), refused beside the field past the bytes limit the named setting holds
    (read when the form is checked, so a deployment's value applies). Its rows are limited as it is read
    (portal.roster.read_table)."""

    def __init__(self, *, limit_setting: str = "IMPORT_MAX_BYTES", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limit_setting = limit_setting

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        limit = getattr(settings, self.limit_setting)
        if upload is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(max)s MB."), code="too_large", params={"max": f"{limit / 2**20:g}"}
            )
        return upload


class RosterUploadForm(forms.Form):
    school = forms.ModelChoiceField(queryset=School.objects.none(), label=_("School"))
    file = SheetField(
        label=_("Class list"),
        help_text=_("CSV (UTF-8 or GBK) or Excel .xlsx, with the template's header line."),
        limit_setting="ROSTER_IMPORT_MAX_BYTES",
    )

    def __init__(self, *args, schools, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        if len(schools) == 1:
            self.fields["school"].initial = schools[0]
            self.fields["school"].widget = forms.HiddenInput()


class StudentSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or student number"), required=False, max_length=50)
    grade = forms.TypedChoiceField(
        label=_("Grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All grades"))] + [(g, str(g)) for g in range(1, 13)],
    )


class TransferForm(forms.Form):
    to_classroom = forms.ModelChoiceField(label=_("New school and class"), queryset=Classroom.objects.none())
    student_number = forms.CharField(label=_("Student number at the new school"), max_length=30)

    def __init__(self, *args, student, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # The district's other schools: their class names are not personal data.
        self.fields["to_classroom"].queryset = (
            Classroom.objects.filter(school__district_id=student.school.district_id)
            .exclude(school_id=student.school_id)
            .select_related("school")
            .order_by("school__name", "grade", "name")
        )
        self.fields["to_classroom"].label_from_instance = lambda c: f"{c.school.name} · {c}"
        self.fields["student_number"].initial = student.student_number
