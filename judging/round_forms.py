"""Forms of the organizer's round pages: a round's settings and a rubric's criteria. They validate only; the views
hand the cleaned values to judging.services (rounds) and judging.rubrics (criteria)."""

from django import forms
from django.forms.formsets import DELETION_FIELD_NAME, ORDERING_FIELD_NAME
from django.utils.translation import gettext_lazy as _

from judging.models import Criterion, Round, RoundKind
from portal.forms import localized_datetime_field, reinterpret_in_zone

DEFAULT_NAMES = {
    RoundKind.PRELIMINARY: ("初评", "Preliminary round"),
    RoundKind.SEMI_FINAL: ("复评", "Semi-final"),
    RoundKind.FINAL: ("终评", "Final"),
}


class RoundForm(forms.ModelForm):
    """A round's settings. The window is typed as wall-clock times in the competition's time zone; views render and
    validate the form with that zone active (as portal.forms.CompetitionForm does)."""

    opens_at = localized_datetime_field(_("Scoring opens"))
    closes_at = localized_datetime_field(_("Scoring closes"))

    class Meta:
        model = Round
        fields = [
            "kind",
            "name_zh",
            "name_en",
            "opens_at",
            "closes_at",
            "units",
            "judges_per_entry",
            "blind",
            "peer_scores",
            "required_watch_share",
            "live_final",
            "share_feedback",
        ]
        widgets = {"units": forms.CheckboxSelectMultiple}

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.competition = competition
        self.instance.competition = competition
        units = self.fields["units"]
        units.queryset = competition.units.all()
        units.required = False
        units.help_text = _("Leave every unit unticked to judge entries of all units.")
        self.fields["judges_per_entry"].widget.attrs.update(min=1, max=50)
        self.fields["required_watch_share"].widget.attrs.update(min=0, max=100)

    def clean(self):
        cleaned = super().clean()
        for name in ("opens_at", "closes_at"):
            if cleaned.get(name):
                cleaned[name] = reinterpret_in_zone(cleaned[name], self.competition.tzinfo)
                setattr(self.instance, name, cleaned[name])
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("Scoring must close after it opens."))
        return cleaned

    def options(self):
        """The Round settings that services.create_round takes as keyword options."""
        names = ("judges_per_entry", "blind", "peer_scores", "required_watch_share", "live_final", "share_feedback")
        return {name: self.cleaned_data[name] for name in names}


def initial_round(competition):
    """Initial values for a new round: the next kind in the usual order, with its usual names."""
    count = competition.rounds.count()
    kind = list(DEFAULT_NAMES)[min(count, len(DEFAULT_NAMES) - 1)]
    name_zh, name_en = DEFAULT_NAMES[kind]
    return {"kind": kind, "name_zh": name_zh, "name_en": name_en}


MAX_CRITERIA = 30

CRITERION_FIELDS = [
    "key",
    "name_zh",
    "name_en",
    "weight",
    "min_score",
    "max_score",
    "step",
    "comment_required",
    "guidance_low_zh",
    "guidance_low_en",
    "guidance_mid_zh",
    "guidance_mid_en",
    "guidance_high_zh",
    "guidance_high_en",
]


class CriterionForm(forms.ModelForm):
    """One row of a rubric. Only validates: the view passes cleaned_data (without ORDER and DELETE) to the service,
    which replaces the rubric's criteria or makes a new version."""

    class Meta:
        model = Criterion
        fields = CRITERION_FIELDS
        labels = {"key": _("Identifier")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("weight", "min_score", "max_score", "step"):
            self.fields[name].widget.attrs["step"] = "any"

    def criterion(self):
        return {name: self.cleaned_data[name] for name in CRITERION_FIELDS}


class BaseCriterionFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields[ORDERING_FIELD_NAME].label = _("Position")
        form.fields[ORDERING_FIELD_NAME].widget.attrs["min"] = 0
        form.fields[DELETION_FIELD_NAME].label = _("Remove this criterion")

    def kept_forms(self):
        """Rows to save, in the organizer's order: not removed, not left blank (an untouched new row). Rows without
        an order number keep their place after the numbered ones. Needs cleaned forms."""
        rows = []
        for index, form in enumerate(self.forms):
            if index >= self.initial_form_count() and not form.has_changed():
                continue
            if self._should_delete_form(form):
                continue
            order = getattr(form, "cleaned_data", {}).get(ORDERING_FIELD_NAME)
            rows.append((order is None, order or 0, index, form))
        rows.sort(key=lambda row: row[:3])
        return [row[3] for row in rows]

    def typed_rows(self):
        """What was typed in the rows that are kept, as initial values for an unbound formset (for "add a row")."""
        rows = []
        for index, form in enumerate(self.forms):
            if index >= self.initial_form_count() and not form.has_changed():
                continue
            if form[DELETION_FIELD_NAME].value():
                continue
            rows.append({name: form[name].value() for name in CRITERION_FIELDS})
        return rows

    def clean(self):
        super().clean()
        seen = set()
        for form in self.kept_forms():
            key = getattr(form, "cleaned_data", {}).get("key")
            if not key:
                continue
            if key in seen:
                form.add_error("key", _("Another criterion already uses this identifier."))
            seen.add(key)

    def criteria(self):
        return [form.criterion() for form in self.kept_forms()]


def criterion_formset(extra=1):
    return forms.formset_factory(
        CriterionForm,
        formset=BaseCriterionFormSet,
        extra=extra,
        can_order=True,
        can_delete=True,
        max_num=MAX_CRITERIA,
        validate_max=True,
    )


class NewVersionForm(forms.Form):
    """Saving a frozen rubric makes a new version; the organizer says why (logged)."""

    reason = forms.CharField(
        label=_("Reason for the new version"),
        max_length=500,
        help_text=_("Judges have started scoring with this rubric. Say why it must change; this is logged."),
        widget=forms.TextInput,
        error_messages={"required": _("Say why the rubric changes: judges and entrants may ask later.")},
    )
