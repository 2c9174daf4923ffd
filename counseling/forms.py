from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models import (
    Attendance,
    Closure,
    Opening,
    Period,
    ReasonCategory,
    RiskWords,
    Room,
    SchoolCounselingSettings,
    SessionType,
)
from crisis.models import Tier
from portal import labels
from portal.models import Student
from portal.widgets import DateInput, DateTimeInput, SearchableSelect, TimeInput


class RoomForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Room
        fields = ["name", "area_m2", "for_counseling", "for_assessment", "for_sandplay", "for_groups"]


class PeriodForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Period
        fields = ["number", "starts", "ends"]
        widgets = {"starts": TimeInput(), "ends": TimeInput()}


class OpeningForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Opening
        fields = ["weekday", "period", "room", "counselor"]

    def __init__(self, *args, school, counselors, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = Period.objects.filter(school=school)
        self.fields["room"].queryset = Room.objects.filter(school=school, active=True)
        self.fields["counselor"].queryset = counselors
        self.fields["counselor"].label_from_instance = labels.person  # type: ignore[attr-defined]


class ClosureForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Closure
        fields = ["date", "period", "reason"]
        widgets = {"date": DateInput()}

    def __init__(self, *args, school, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = Period.objects.filter(school=school)


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = SchoolCounselingSettings
        fields = ["change_cutoff_hours", "book_ahead_days"]


class GroupForm(forms.Form):
    topic = forms.CharField(label=_("Topic"), max_length=100)
    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.none())
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput())
    minutes = forms.IntegerField(label=_("Minutes"), min_value=15, max_value=240, initial=45)
    capacity = forms.IntegerField(label=_("Places"), min_value=2, max_value=60, initial=8)

    def __init__(self, *args, school, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(school=school, active=True)

    def clean_starts_at(self):  # type: ignore[no-untyped-def]
        starts = self.cleaned_data["starts_at"]
        if starts <= timezone.now():
            raise forms.ValidationError(_("A group session must start in the future."))
        return starts


class BookForm(forms.Form):
    """A parent's or a student's booking: a slot, and optionally what it is about (never free text)."""

    slot = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(
        label=_("What is it about? (optional)"), required=False,
        choices=[("", _("I'd rather not say"))] + list(ReasonCategory.choices),
    )  # fmt: skip


class StaffBookForm(forms.Form):
    student: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        label=_("Student"), queryset=Student.objects.none(), widget=SearchableSelect()
    )
    channel = forms.ChoiceField(label=_("Taken"), choices=[("phone", _("By phone")), ("in_person", _("In person"))])
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=[("", "—")] + list(ReasonCategory.choices))
    notify_guardian = forms.BooleanField(
        label=_("Tell the primary guardian (confirmation and reminders)"), required=False
    )

    def __init__(self, *args, students, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = students


class RecordForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), initial=timezone.localdate, widget=DateInput())
    attendance = forms.ChoiceField(label=_("Attendance"), choices=Attendance.choices)
    session_type = forms.ChoiceField(label=_("Type"), choices=SessionType.choices)
    summary = forms.CharField(
        label=_("Shareable summary"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen by the school's counselors and leaders."),
    )  # fmt: skip
    private_notes = forms.CharField(
        label=_("Private notes"), required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Yours alone, encrypted; anyone else must give a reason, and the school leader sees it."),
    )  # fmt: skip
    raise_tier = forms.TypedChoiceField(
        label=_("Open or raise a crisis case"), required=False, coerce=int, empty_value=None,
        choices=[("", _("No"))] + list(Tier.choices),
    )  # fmt: skip

    def clean_held_on(self):  # type: ignore[no-untyped-def]
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError(_("A session cannot be recorded before it is held."))
        return held_on


class BreakGlassForm(forms.Form):
    reason = forms.CharField(label=_("Why do you need to read these notes now?"), min_length=10, max_length=500)


class MailboxForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=3000, min_length=2, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "You do not need to give your name. Keep the reply code you get: it is the only way to read the answer."
        ),
    )  # fmt: skip


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Your code"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Reply"), max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))


class IdentifyForm(forms.Form):
    student: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        label=_("The student who wrote"), queryset=Student.objects.none(), widget=SearchableSelect()
    )
    tier = forms.TypedChoiceField(
        label=_("Open a crisis case"), required=False, coerce=int, empty_value=None,
        choices=[("", _("No"))] + list(Tier.choices),
    )  # fmt: skip

    def __init__(self, *args, students, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = students


class RiskWordsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = RiskWords
        fields = ["words"]
        widgets = {"words": forms.Textarea(attrs={"rows": 16})}
