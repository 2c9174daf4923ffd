from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import labels
from portal.forms import SheetField
from portal.models import School, SchoolYear
from portal.widgets import DateInput
from screening.models import ScreeningPolicy

GRADE_CHOICES = [(g, str(g)) for g in range(1, 13)]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your code"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text",
                                      "placeholder": "ABCD-2345", "autofocus": True}),
    )  # fmt: skip


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    school_year = forms.ModelChoiceField(label=_("School year"), queryset=SchoolYear.objects.none())
    schools = forms.ModelMultipleChoiceField(
        label=_("Schools"), queryset=School.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    opens_on = forms.DateField(label=_("Opens on"), widget=DateInput())
    closes_on = forms.DateField(label=_("Closes on"), widget=DateInput())
    grade_from = forms.TypedChoiceField(label=_("From grade"), choices=GRADE_CHOICES, coerce=int, initial=4)
    grade_to = forms.TypedChoiceField(label=_("To grade"), choices=GRADE_CHOICES, coerce=int, initial=12)
    battery_primary = forms.MultipleChoiceField(
        label=_("Instruments for grades 4-6"), required=False, widget=forms.CheckboxSelectMultiple,
        initial=["psc17", "scared", "asq"],
    )  # fmt: skip
    battery_secondary = forms.MultipleChoiceField(
        label=_("Instruments for grades 7-12"), required=False, widget=forms.CheckboxSelectMultiple,
        initial=["phq9", "gad7", "asq"],
    )  # fmt: skip

    def __init__(self, *args, district, instruments, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["school_year"].queryset = SchoolYear.objects.filter(district=district).order_by("-start")
        self.fields["schools"].queryset = School.objects.filter(district=district).order_by("name")
        choices = [(code, labels.instrument(i.parsed)) for code, i in instruments.items()]  # in the page's language
        self.fields["battery_primary"].choices = choices
        self.fields["battery_secondary"].choices = choices

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if data.get("opens_on") and data.get("closes_on") and data["closes_on"] < data["opens_on"]:
            self.add_error("closes_on", _("The window closes before it opens."))
        if data.get("closes_on") and data["closes_on"] < timezone.localdate():
            self.add_error("closes_on", _("The window has already closed."))
        if data.get("grade_from") and data.get("grade_to") and data["grade_to"] < data["grade_from"]:
            self.add_error("grade_to", _("The last grade comes before the first."))
        if not data.get("battery_primary") and not data.get("battery_secondary"):
            self.add_error(None, _("Choose at least one instrument."))
        return data


class PaperImportForm(forms.Form):
    file = SheetField(label=_("Answers"), help_text=_("CSV (UTF-8) or Excel .xlsx, one row per form."))


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    """A district's screening policy. Cut-offs may only be lowered (more students looked at), never raised."""

    class Meta:
        model = ScreeningPolicy
        fields = ["consent_mode", "guardian_on_critical"]

    def __init__(self, *args, definitions, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        field = self.fields["consent_mode"]
        field.help_text = f"{field.help_text} {_('Campaigns already open keep the mode they opened with.')}"
        self.definitions = {code: d for code, d in definitions.items() if d.positive_at is not None}
        current = self.instance.positive_at or {}
        for code, d in self.definitions.items():
            self.fields[f"cutoff_{code}"] = forms.IntegerField(
                label=_("%(name)s: positive from") % {"name": d.name["zh_hans"]}, required=False,
                min_value=1, max_value=d.positive_at, initial=current.get(code),
                help_text=_("Published cut-off %(cut)s. Leave empty to use it; a lower value flags more students.")
                % {"cut": d.positive_at}
                + ("" if d.translation == "published" else " " + _("Its Chinese wording has not been validated.")),
            )  # fmt: skip

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        for code, d in self.definitions.items():
            chosen = data.get(f"cutoff_{code}")
            if chosen is not None and d.positive_at_allowed and chosen not in d.positive_at_allowed:
                self.add_error(f"cutoff_{code}", _("Choose one of the validated cut-offs: %(allowed)s.")
                               % {"allowed": ", ".join(str(n) for n in d.positive_at_allowed)})  # fmt: skip
        return data

    def save(self, commit: bool = True):  # type: ignore[no-untyped-def]
        self.instance.positive_at = {
            code: self.cleaned_data[f"cutoff_{code}"]
            for code in self.definitions
            if self.cleaned_data.get(f"cutoff_{code}") is not None
        }
        return super().save(commit)
