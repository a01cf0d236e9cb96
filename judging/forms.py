"""Judge-side forms. They only parse what was typed; range, step, required comments, the window and the watch
share are checked by judging.scoring.save_score, whose errors the views put back next to the fields."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

ACTION_DRAFT = "draft"
ACTION_SUBMIT = "submit"
ACTION_SUBMIT_NEXT = "submit_next"


def value_field_name(criterion):
    return f"c{criterion.pk}_value"


def comment_field_name(criterion):
    return f"c{criterion.pk}_comment"


class ScoreForm(forms.Form):
    """One value and one comment per criterion of the rubric, an overall comment, the version seen, the action."""

    comment = forms.CharField(label=_("Overall comment"), required=False, max_length=5000, widget=forms.Textarea)
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    action = forms.ChoiceField(
        choices=[
            (ACTION_DRAFT, _("Save draft")),
            (ACTION_SUBMIT, _("Submit score")),
            (ACTION_SUBMIT_NEXT, _("Submit and next")),
        ],
        required=False,
    )

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[value_field_name(criterion)] = forms.CharField(
                label=criterion.name, required=False, max_length=20
            )
            self.fields[comment_field_name(criterion)] = forms.CharField(
                label=_("Comment on %(criterion)s") % {"criterion": criterion.name},
                required=False,
                max_length=2000,
                widget=forms.Textarea,
            )

    def _clean_value(self, criterion):
        name = value_field_name(criterion)
        raw = (self.cleaned_data.get(name) or "").strip().replace(",", ".")
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.add_error(name, _("Enter a number, e.g. 7.5."))
            return None
        if not value.is_finite():
            self.add_error(name, _("Enter a number, e.g. 7.5."))
            return None
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("version") is None and "version" not in self.errors:
            # Every rendered form carries the version it was opened with; a POST without it (a stale page, a
            # script, an empty form) would otherwise overwrite the judge's score unnoticed.
            self.add_error(None, _("This form is incomplete. Reload the page and enter your score again."))
        values = {}
        for criterion in self.criteria:
            values[criterion.pk] = (
                self._clean_value(criterion),
                (cleaned.get(comment_field_name(criterion)) or "").strip(),
            )
        cleaned["values"] = values
        cleaned["action"] = cleaned.get("action") or ACTION_DRAFT
        return cleaned

    @property
    def submit(self):
        return self.cleaned_data.get("action") in (ACTION_SUBMIT, ACTION_SUBMIT_NEXT)


class ConflictDeclarationForm(forms.Form):
    """A judge declares a conflict with the entry in front of them (回避); the reason is for the organizers."""

    reason = forms.CharField(
        label=_("Reason (seen by the organizers only)"),
        required=False,
        max_length=300,
        help_text=_("For example: I know the team, or I worked on this project."),
    )
