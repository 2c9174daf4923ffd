import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisis.models import (
    BlockReason,
    CloseReason,
    ContactType,
    NoticeVia,
    ReferralOutcome,
    ReferralPlace,
    Responder,
    Status,
    Tier,
)
from portal import labels
from portal.models import School, Student
from portal.widgets import DateInput, DateTimeInput, SearchableSelect


class ConfirmTierForm(forms.Form):
    tier = forms.TypedChoiceField(label=_("Confirmed tier"), choices=Tier.choices, coerce=int)


class FollowUpForm(forms.Form):
    date = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=DateInput())
    contact_type = forms.ChoiceField(label=_("Contact"), choices=ContactType.choices)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=1000)

    def clean_date(self):  # type: ignore[no-untyped-def]
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(_("A follow-up cannot be logged for a future date."))
        return date


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[(s.value, s.label) for s in (Status.OPEN, Status.MONITORING, Status.REFERRED)]
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason for closing"), choices=CloseReason.choices)


class GuardianContactForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Contact guardians automatically?"),
        choices=[("", _("Yes: tell the primary guardian"))] + [(c.value, c.label) for c in BlockReason],
        required=False,
    )


class NoticeContactForm(forms.Form):
    via = forms.ChoiceField(
        label=_("Reached by"), choices=[(v.value, v.label) for v in (NoticeVia.PHONE, NoticeVia.MEETING)]
    )
    outcome = forms.CharField(label=_("Outcome"), max_length=1000)


class IncidentForm(forms.Form):
    what_happened = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    actions_taken = forms.CharField(label=_("Actions taken"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    outside_help = forms.CharField(label=_("Outside help"), required=False, max_length=1000)


class PlanForm(forms.Form):
    version = forms.CharField(label=_("Version"), max_length=20)
    adopted_on = forms.DateField(label=_("Adopted on"), widget=DateInput())
    document = forms.FileField(label=_("Document"), help_text=_("PDF or Word, up to 10 MB."))

    def clean_document(self):  # type: ignore[no-untyped-def]
        from crisis.services import PLAN_EXTENSIONS, PLAN_MAX_BYTES

        document = self.cleaned_data["document"]
        if not document.name.lower().endswith(PLAN_EXTENSIONS) or document.size > PLAN_MAX_BYTES:
            raise forms.ValidationError(_("Upload a PDF or Word document of at most 10 MB."))
        return document


class DrillForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    scenario = forms.CharField(label=_("Scenario"), max_length=200)
    participants = forms.IntegerField(label=_("Participants"), min_value=1, max_value=10000)
    lessons = forms.CharField(label=_("Lessons learned"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_held_on(self):  # type: ignore[no-untyped-def]
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError(_("A drill cannot be recorded before it is held."))
        return held_on


class ReferralForm(forms.Form):
    student: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        label=_("Student"), queryset=Student.objects.none(), widget=SearchableSelect()
    )
    concern = forms.CharField(
        label=_("What worries you"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("A few words are enough. The school's counselors will take it from here."),
    )
    via_peer_supporter = forms.BooleanField(label=_("A peer supporter (心理委员) told me"), required=False)

    def __init__(self, *args, students, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = students


class AssignForm(forms.Form):
    responders = forms.ModelMultipleChoiceField(
        label=_("Responders"), queryset=Responder.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    days = forms.IntegerField(label=_("Access for (days)"), min_value=1, max_value=settings.CRISIS_GRANT_MAX_DAYS,
                              initial=settings.CRISIS_GRANT_DAYS)  # fmt: skip

    def __init__(self, *args, pool, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["responders"].queryset = pool
        self.fields["responders"].label_from_instance = lambda r: " · ".join(
            filter(None, [str(r), r.get_kind_display(), r.organisation, r.speciality])
        )


class OutsideReferralForm(forms.Form):
    place_kind = forms.ChoiceField(label=_("Referred to"), choices=ReferralPlace.choices)
    organisation = forms.CharField(label=_("Organisation"), max_length=200)
    referred_on = forms.DateField(label=_("Referred on"), initial=timezone.localdate, widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_referred_on(self):  # type: ignore[no-untyped-def]
        referred_on = self.cleaned_data["referred_on"]
        if referred_on > timezone.localdate():
            raise forms.ValidationError(_("A referral cannot be recorded for a future date."))
        return referred_on


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[(o.value, o.label) for o in ReferralOutcome if o != ReferralOutcome.PENDING]
    )
    outcome_on = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def clean_outcome_on(self):  # type: ignore[no-untyped-def]
        outcome_on = self.cleaned_data["outcome_on"]
        if outcome_on > timezone.localdate():
            raise forms.ValidationError(_("An outcome cannot be recorded for a future date."))
        return outcome_on


class DutyShiftForm(forms.Form):
    """One shift of the district's after-hours duty roster."""

    responder = forms.ModelChoiceField(label=_("On call"), queryset=Responder.objects.none())
    starts_at = forms.DateTimeField(label=_("From"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Until"), widget=DateTimeInput())

    def __init__(self, *args, pool, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["responder"].queryset = pool
        self.fields["responder"].label_from_instance = lambda r: " · ".join(
            filter(None, [labels.person(r.membership.user), r.membership.user.phone, r.get_kind_display()])
        )

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends:
            if ends <= starts:
                self.add_error("ends_at", _("A shift ends after it starts."))
            elif ends - starts > dt.timedelta(days=7):
                self.add_error("ends_at", _("A shift lasts at most seven days."))
            elif ends <= timezone.now():
                self.add_error("ends_at", _("This shift is over already."))
            responder = data.get("responder")
            if responder is not None and not responder.membership.user.phone:
                self.add_error("responder", _("This person has no phone number on record: they could not be paged."))
        return data


class QueueAssignForm(forms.Form):
    """Send responders from the district's pool to a school's queue of cases awaiting assessment."""

    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none())
    responders = forms.ModelMultipleChoiceField(
        label=_("Responders"), queryset=Responder.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=settings.CRISIS_GRANT_MAX_DAYS, initial=1)

    def __init__(self, *args, schools, pool, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        self.fields["responders"].queryset = pool
        self.fields["responders"].label_from_instance = lambda r: f"{r} · {r.get_kind_display()}"

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        school, responders = data.get("school"), data.get("responders")
        if (
            school is not None
            and responders
            and any(r.membership.district_id != school.district_id for r in responders)
        ):
            self.add_error("responders", _("Choose responders of the school's own district."))
        return data
