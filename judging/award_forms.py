"""Forms of the organizer's award pages: a category, a nomination and a winner's citation. They validate only;
the views hand the cleaned values to judging.awards."""

from django import forms
from django.utils.translation import gettext_lazy as _

from judging.models import AwardCategory
from submissions.models import CreditRole


class AwardCategoryForm(forms.ModelForm):
    class Meta:
        model = AwardCategory
        fields = ["name_zh", "name_en", "slug", "position", "max_winners", "for_person", "track"]
        help_texts = {
            "slug": _("Lower-case letters, digits and hyphens, e.g. best-director. Used in the laurel's address."),
            "for_person": _("Best director, best actress…: each nomination names one of the entry's credits."),
            "track": _("Leave empty to take entries of every track."),
        }

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.competition = competition
        self.instance.competition = competition
        self.fields["track"].queryset = competition.tracks.all()
        self.fields["track"].empty_label = _("Every track")
        self.fields["max_winners"].min_value = 1
        self.fields["max_winners"].widget.attrs["min"] = 1

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        taken = AwardCategory.objects.filter(competition=self.competition, slug=slug).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another award of this competition has this short name."))
        return slug

    def clean_max_winners(self):
        value = self.cleaned_data["max_winners"]
        if value is not None and value < 1:
            raise forms.ValidationError(_("An award has at least one winner."))
        return value


def entry_label(entry):
    number = entry.number or "—"
    label = f"{number} — {entry.title}"
    if getattr(entry, "rank", None):
        label = f"#{entry.rank} · {label}"
    return label


def credit_label(credit, roles):
    role = roles.get(credit.role, credit.role)
    if credit.role == CreditRole.OTHER and credit.role_other:
        role = f"{role} ({credit.role_other})"
    return f"{credit.name} · {role}"


class NominationForm(forms.Form):
    """An entry of the final round (with its rank there when a ranking exists) and, for a person award, one of
    its credits. `candidates` comes from judging.awards.candidates (entries with `rank` and `credit_list`)."""

    entry = forms.TypedChoiceField(label=_("Entry of the final round"), coerce=int)
    credit = forms.TypedChoiceField(label=_("Person (one of the entry's credits)"), coerce=int, required=False)

    def __init__(self, *args, category, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category
        self.entries = {entry.pk: entry for entry in candidates}
        self.fields["entry"].choices = [("", _("Choose an entry"))] + [
            (entry.pk, entry_label(entry)) for entry in candidates
        ]
        if category.for_person:
            roles = dict(CreditRole.choices)
            self.credits = {credit.pk: credit for entry in candidates for credit in entry.credit_list}
            self.fields["credit"].required = True
            self.fields["credit"].choices = [("", _("Choose a person"))] + [
                (entry_label(entry), [(credit.pk, credit_label(credit, roles)) for credit in entry.credit_list])
                for entry in candidates
                if entry.credit_list
            ]
        else:
            self.credits = {}
            del self.fields["credit"]

    def clean(self):
        cleaned = super().clean()
        entry = self.entries.get(cleaned.get("entry"))
        cleaned["entry_object"] = entry
        cleaned["credit_object"] = None
        if self.category.for_person and cleaned.get("credit"):
            credit = self.credits.get(cleaned["credit"])
            if entry is not None and credit is not None and credit.entry_id != entry.pk:
                self.add_error("credit", _("Choose a credit of the nominated entry."))
            cleaned["credit_object"] = credit
        return cleaned


class WinnerForm(forms.Form):
    citation_zh = forms.CharField(
        label=_("Citation (Chinese)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    citation_en = forms.CharField(
        label=_("Citation (English)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("citation_zh") or cleaned.get("citation_en")):
            raise forms.ValidationError(_("Write a citation for the winner, in Chinese or English."))
        return cleaned
