from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.forms import SheetField
from portal.widgets import DateInput, DateTimeInput
from training.models import LessonKind, ParentEpisode, Programme, Technique


class ProgrammeForm(forms.ModelForm):  # type: ignore[type-arg]
    techniques = forms.MultipleChoiceField(
        label=_("Techniques"), choices=Technique.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Programme
        fields = ["title", "kind", "techniques", "provider", "year"]


class SessionForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput())
    minutes = forms.IntegerField(label=_("Minutes"), min_value=30, max_value=600, initial=180)
    place = forms.CharField(label=_("Place"), max_length=150, required=False)
    online = forms.BooleanField(label=_("Online"), required=False)
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=2000, initial=40)
    hours = forms.DecimalField(label=_("Hours credited"), min_value=0.5, max_value=24, decimal_places=1, initial=3)

    def clean_starts_at(self):  # type: ignore[no-untyped-def]
        starts = self.cleaned_data["starts_at"]
        if starts <= timezone.now():
            raise forms.ValidationError(_("A session must start in the future."))
        return starts


class LessonForm(forms.Form):
    """A week's lessons for a whole grade in one form."""

    grade = forms.TypedChoiceField(label=_("Grade"), coerce=int, choices=[(g, str(g)) for g in range(1, 13)])
    held_on = forms.DateField(label=_("Held on"), initial=timezone.localdate, widget=DateInput())
    kind = forms.ChoiceField(label=_("Kind"), choices=LessonKind.choices)
    topic = forms.CharField(label=_("Topic"), max_length=150)

    def clean_held_on(self):  # type: ignore[no-untyped-def]
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError(_("A lesson cannot be logged before it is held."))
        return held_on


class EpisodeForm(forms.ModelForm):  # type: ignore[type-arg]
    link = forms.URLField(label=_("Link"), required=False, assume_scheme="https")

    class Meta:
        model = ParentEpisode
        fields = ["title", "topic", "airs_on", "link", "video", "live", "capacity"]
        widgets = {"airs_on": DateInput()}

    def clean_video(self):  # type: ignore[no-untyped-def]
        video = self.cleaned_data.get("video")
        if video and (not video.name.lower().endswith((".mp4", ".webm")) or video.size > 500 * 1024 * 1024):
            raise forms.ValidationError(_("Upload an MP4 or WebM video of at most 500 MB."))
        return video

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if not data.get("link") and not data.get("video") and not data.get("live"):
            raise forms.ValidationError(_("Give a link or a video file, or make it a live session."))
        return data


class SheetForm(forms.Form):
    """An attendance sheet or the teacher roster to import: its size checked here, its rows by the service."""

    file = SheetField(label=_("File"))
