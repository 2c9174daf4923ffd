from django import forms
from django.utils.translation import gettext as _

from privacy import retention
from privacy.models import BOUNDS, RetentionPolicy


class RetentionForm(forms.Form):
    """The district's retention periods, in months, each within its bounds (privacy.models.BOUNDS)."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for name, (least, default, most) in BOUNDS.items():
            model_field = RetentionPolicy._meta.get_field(name)
            bounds = _("Default %(default)s; from %(least)s to %(most)s.") % {
                "default": default, "least": least, "most": most,
            }  # fmt: skip
            self.fields[name] = forms.IntegerField(
                label=model_field.verbose_name, help_text=f"{model_field.help_text} {bounds}",
                widget=forms.NumberInput(attrs={"min": least, "max": most}),
            )  # fmt: skip

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        for name, message in retention.problems(data).items():
            if name in data:  # a field already in error (empty, not a number) keeps its own message
                self.add_error(name, message)
        return data
