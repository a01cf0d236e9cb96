"""Forms of the organizer's results pages: the ranking's method and scope, the advancement rule, overrides,
preparing, scheduling and revising a result version, and answers to objections. They validate only; the views hand
the cleaned values to judging.aggregation, judging.advancement, judging.versions and judging.objections.

Date-times are typed as wall-clock times in the competition's time zone (datetime-local inputs): views render and
validate these forms with that zone active, and the forms re-read the typed time in the competition's zone.
"""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from judging.models import AggregationMethod, ObjectionStatus, Outcome
from portal.forms import localized_datetime_field, reinterpret_in_zone

REASON_MAX_LENGTH = 300
ANSWER_MAX_LENGTH = 5000
OVERALL = "overall"


class RankingFilterForm(forms.Form):
    """GET parameters of the ranking page: ?method= (default the round's) and ?scope= (overall or a unit id).
    Anything unknown falls back to the default instead of failing."""

    method = forms.ChoiceField(label=_("Aggregation"), choices=AggregationMethod.choices, required=False)
    scope = forms.ChoiceField(label=_("Ranking"), required=False)

    def __init__(self, data=None, *, round, units):
        super().__init__(data)
        self.round = round
        self.units = list(units)
        self.fields["scope"].choices = [(OVERALL, _("Overall")), *((str(unit.pk), unit.name) for unit in self.units)]
        self.is_valid()

    @property
    def chosen_method(self):
        chosen = getattr(self, "cleaned_data", {}).get("method")
        return chosen or self.round.aggregation_method

    @property
    def chosen_unit(self):
        chosen = getattr(self, "cleaned_data", {}).get("scope")
        return next((unit for unit in self.units if str(unit.pk) == chosen), None)

    def querystring(self, **changes):
        """The page's query string (without `page`), with `changes` applied."""
        unit = self.chosen_unit
        values = {"method": self.chosen_method, "scope": str(unit.pk) if unit else OVERALL, **changes}
        query = QueryDict(mutable=True)
        for name, value in values.items():
            if value not in (None, ""):
                query[name] = value
        return query.urlencode()


class MethodForm(forms.Form):
    """Make a method the round's own (POST on the ranking page)."""

    method = forms.ChoiceField(label=_("Aggregation"), choices=AggregationMethod.choices)


class AdvanceForm(forms.Form):
    """The advancement rule: the top K of each unit and/or every entry scoring at least the threshold."""

    top_k_per_unit = forms.IntegerField(
        label=_("Top entries of each unit"),
        required=False,
        min_value=1,
        max_value=100000,
        help_text=_("The K best-ranked entries of every unit go on."),
    )
    threshold = forms.DecimalField(
        label=_("Score at least"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=6,
        decimal_places=3,
        help_text=_("Every entry whose score (0–100) is at or above this goes on."),
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and cleaned.get("top_k_per_unit") is None and cleaned.get("threshold") is None:
            raise forms.ValidationError(_("Give a rule: the top entries of each unit, a score threshold, or both."))
        return cleaned

    def rule(self):
        return {"top_k_per_unit": self.cleaned_data["top_k_per_unit"], "threshold": self.cleaned_data["threshold"]}


class OverrideForm(forms.Form):
    """One entry's outcome set against the rule, with the reason (logged)."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": _("Give the reason for changing this decision; it is logged.")},
    )


class PrepareVersionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for this version"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=_("Required when the round already has a result: say what changed."),
    )


class ReviseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the new version"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("Published results stay as they were; the new version replaces them once it is published."),
        error_messages={"required": _("Say why the result changes: entrants and the public will ask.")},
    )


class _ZonedForm(forms.Form):
    """Date-times re-read in the competition's time zone."""

    zoned_fields = ()

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.competition = competition

    def clean(self):
        cleaned = super().clean()
        for name in self.zoned_fields:
            if cleaned.get(name):
                cleaned[name] = reinterpret_in_zone(cleaned[name], self.competition.tzinfo)
        return cleaned


class ScheduleForm(_ZonedForm):
    """When the version is published, and when its public notice (公示) ends."""

    publish_at = localized_datetime_field(_("Publish at"))
    notice_ends_at = localized_datetime_field(
        _("Public notice ends"), help_text=_("Objections may be lodged until then; usually 5 to 7 days.")
    )
    zoned_fields = ("publish_at", "notice_ends_at")

    def clean(self):
        cleaned = super().clean()
        publish_at, notice_ends_at = cleaned.get("publish_at"), cleaned.get("notice_ends_at")
        if publish_at and notice_ends_at and notice_ends_at <= publish_at:
            self.add_error("notice_ends_at", _("The public notice must end after publication."))
        return cleaned


class PublishNowForm(_ZonedForm):
    """Publish at once: the notice end is needed."""

    notice_ends_at = localized_datetime_field(
        _("Public notice ends"), help_text=_("Objections may be lodged until then; usually 5 to 7 days.")
    )
    zoned_fields = ("notice_ends_at",)

    def clean(self):
        cleaned = super().clean()
        notice_ends_at = cleaned.get("notice_ends_at")
        if notice_ends_at and notice_ends_at <= timezone.now():
            self.add_error("notice_ends_at", _("The public notice must end in the future."))
        return cleaned


def schedule_initial(version, notice_days):
    """Initial schedule: the version's own times, else tomorrow 10:00 and a notice of `notice_days` days."""
    if version.publish_at:
        publish_at = version.publish_at
    else:
        publish_at = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    notice_ends_at = version.notice_ends_at or publish_at + timedelta(days=notice_days)
    return {"publish_at": publish_at, "notice_ends_at": notice_ends_at}


def publish_now_initial(version, notice_days):
    ends = version.notice_ends_at or timezone.localtime().replace(second=0, microsecond=0) + timedelta(days=notice_days)
    return {"notice_ends_at": ends}


class AnswerForm(forms.Form):
    """An organizer's answer to one objection: upheld or rejected, with the reason (sent to the author)."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(status.value, status.label) for status in (ObjectionStatus.UPHELD, ObjectionStatus.REJECTED)],
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label=_("Answer"),
        max_length=ANSWER_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the person who objected."),
        error_messages={"required": _("Write the answer: the person who objected receives it.")},
    )

    @property
    def upheld(self):
        return self.cleaned_data["decision"] == ObjectionStatus.UPHELD
