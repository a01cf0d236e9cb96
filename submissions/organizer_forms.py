"""Forms of the organizer's entry pages. They validate only; decisions are made by submissions.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from submissions.models import EntryStatus

DECISION_CHOICES = [
    (EntryStatus.ELIGIBLE.value, _("Eligible: goes on to judging")),
    (EntryStatus.INELIGIBLE.value, _("Ineligible: does not go on")),
]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISION_CHOICES, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The entrant reads this in the email. Required when the entry is ineligible."),
    )
    # The entry's version when the page was opened: a decision on a page that is out of date is refused.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == EntryStatus.INELIGIBLE and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Give the reason the entry is ineligible; the entrant will read it."))
        return cleaned

    @property
    def eligible(self):
        return self.cleaned_data["decision"] == EntryStatus.ELIGIBLE
