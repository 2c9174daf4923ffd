from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.models import Classroom, School


class RosterUploadForm(forms.Form):
    school = forms.ModelChoiceField(queryset=School.objects.none(), label=_("School"))
    file = forms.FileField(
        label=_("Class list"),
        help_text=_("CSV (UTF-8 or GBK) or Excel .xlsx, with the template's header line."),
    )

    def __init__(self, *args, schools, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        if len(schools) == 1:
            self.fields["school"].initial = schools[0]
            self.fields["school"].widget = forms.HiddenInput()

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > settings.ROSTER_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(max)s MB."), params={"max": settings.ROSTER_IMPORT_MAX_BYTES // 2**20}
            )
        return upload


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
