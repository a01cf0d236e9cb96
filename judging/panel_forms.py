"""Forms of the organizer's panel, conflict, assignment and progress pages. They validate only; the work is done by
judging.panels, judging.invitations, judging.conflicts and judging.assignment.

Choices are always limited to the round or competition at hand, so a forged id is a form error, never a reach
into another competition.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from judging.invitations import parse_emails
from judging.models import ConflictSource, PanelMembership
from portal.models import CompetitionRole, Role, Unit, User
from submissions.models import Entry

MAX_INVITATIONS = 200
REASON_MAX_LENGTH = 300


def round_units(round):
    """The units a round covers: its own, or every unit of the competition when it names none."""
    units = list(round.units.all())
    return units or list(Unit.objects.filter(competition_id=round.competition_id))


class UnitChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class JudgeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name} <{obj.email}>" if obj.display_name else obj.email


class EntryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.number} · {obj.title}" if obj.number else obj.title


def _expertise_field(units):
    return UnitChoiceField(
        label=_("Unit expertise"),
        queryset=Unit.objects.filter(pk__in=[unit.pk for unit in units]).order_by("position", "pk"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Judges with expertise in an entry's unit are preferred when entries are assigned."),
    )


class InviteForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, initial="invite")
    emails = forms.CharField(
        label=_("Email addresses"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "judge@example.com"}),
        help_text=_("One or more addresses, one a line or separated by commas. Each receives a link to join."),
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expertise"] = _expertise_field(units)

    def clean_emails(self):
        # The service's own parser, so the form and invite_judges agree on what an address is.
        addresses = parse_emails(self.cleaned_data["emails"])
        if not addresses:
            raise ValidationError(_("Enter at least one email address."))
        if len(addresses) > MAX_INVITATIONS:
            raise ValidationError(_("Invite at most %(count)s judges at a time."), params={"count": MAX_INVITATIONS})
        return addresses


def competition_judges_off_panel(round):
    """Judges of the round's competition who are not active on this round's panel (one who left may come back)."""
    return (
        User.objects.filter(
            is_active=True,
            pk__in=CompetitionRole.objects.filter(competition_id=round.competition_id, role=Role.JUDGE).values(
                "user_id"
            ),
        )
        .exclude(pk__in=PanelMembership.objects.filter(round=round, active=True).values("judge_id"))
        .order_by("display_name", "email")
    )


class AddJudgeForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, initial="add")
    judge = JudgeChoiceField(label=_("Judge"), queryset=User.objects.none(), empty_label=_("Choose a judge"))

    def __init__(self, *args, round, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["judge"].queryset = competition_judges_off_panel(round)
        self.fields["expertise"] = _expertise_field(units)


class ExpertiseForm(forms.Form):
    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expertise"] = _expertise_field(units)


class ReasonForm(forms.Form):
    """The reason typed for an action on one row (dropping a judge, waiving a conflict or revoking a waiver)."""

    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH, strip=True)


# --- Conflicts ------------------------------------------------------------------------------------------------

WAIVED_CHOICES = [("", _("Any")), ("yes", _("Waived")), ("no", _("Not waived"))]
CONFLICT_FILTER_KEYS = ("source", "waived", "judge")


class ConflictFilterForm(forms.Form):
    """From the query string: a forged value is ignored (the filter is not applied), never an error page."""

    source = forms.ChoiceField(label=_("Source"), required=False, choices=[("", _("Any")), *ConflictSource.choices])
    waived = forms.ChoiceField(label=_("Waiver"), required=False, choices=WAIVED_CHOICES)
    judge = forms.TypedChoiceField(label=_("Judge"), required=False, coerce=int, empty_value=None)

    def __init__(self, data, *, judges):
        super().__init__({key: data.get(key, "") for key in CONFLICT_FILTER_KEYS})
        self.fields["judge"].choices = [
            ("", _("Any")),
            *((str(judge.pk), judge.display_name or judge.email) for judge in judges),
        ]
        self.full_clean()

    @property
    def values(self):
        values = {}
        for key in CONFLICT_FILTER_KEYS:
            if key in self.errors:
                continue
            value = self.cleaned_data.get(key)
            if value not in (None, ""):
                values[key] = value
        return values

    @property
    def is_filtered(self):
        return bool(self.values)

    def querystring(self):
        query = QueryDict(mutable=True)
        for key, value in self.values.items():
            query[key] = str(value)
        return query.urlencode()

    def filter(self, conflicts, declarations):
        values = self.values
        if "source" in values:
            conflicts = conflicts.filter(source=values["source"])
        if "waived" in values:
            conflicts = conflicts.filter(waived_at__isnull=values["waived"] == "no")
        if "judge" in values:
            conflicts = conflicts.filter(judge_id=values["judge"])
            declarations = declarations.filter(judge_id=values["judge"])
        return conflicts, declarations


def competition_judges(competition):
    return User.objects.filter(
        pk__in=CompetitionRole.objects.filter(competition=competition, role=Role.JUDGE).values("user_id")
    ).order_by("display_name", "email")


# --- Assignments ----------------------------------------------------------------------------------------------

COVERAGE_FILTER_KEYS = ("unit", "short")


class CoverageFilterForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    short = forms.BooleanField(label=_("Short of judges only"), required=False)

    def __init__(self, data, *, units):
        super().__init__({key: data.get(key, "") for key in COVERAGE_FILTER_KEYS})
        self.fields["unit"].choices = [("", _("Any")), *((str(unit.pk), unit.name) for unit in units)]
        self.full_clean()

    @property
    def values(self):
        values = {}
        if "unit" not in self.errors and self.cleaned_data.get("unit") is not None:
            values["unit"] = self.cleaned_data["unit"]
        if "short" not in self.errors and self.cleaned_data.get("short"):
            values["short"] = "on"
        return values

    @property
    def is_filtered(self):
        return bool(self.values)

    def querystring(self):
        query = QueryDict(mutable=True)
        for key, value in self.values.items():
            query[key] = str(value)
        return query.urlencode()


class AutoAssignForm(forms.Form):
    seed = forms.IntegerField(
        label=_("Seed"),
        initial=1,
        min_value=0,
        max_value=2_147_483_647,
        help_text=_("The same seed gives the same assignment; another seed shuffles judges with equal load."),
    )


class AssignAddForm(forms.Form):
    entry = EntryChoiceField(label=_("Entry"), queryset=Entry.objects.none(), empty_label=_("Choose an entry"))
    judge = JudgeChoiceField(label=_("Judge"), queryset=User.objects.none(), empty_label=_("Choose a judge"))

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = Entry.objects.filter(round_entries__round=round).order_by("sequence", "pk")
        self.fields["judge"].queryset = User.objects.filter(
            pk__in=PanelMembership.objects.filter(round=round, active=True).values("judge_id")
        ).order_by("display_name", "email")


class RemindForm(forms.Form):
    """Empty `membership_ids` reminds every judge who is behind; ids of another round are dropped by the view."""

    membership_ids = forms.TypedMultipleChoiceField(required=False, coerce=int)

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership_ids"].choices = [
            (str(pk), str(pk))
            for pk in PanelMembership.objects.filter(round=round, active=True).values_list("pk", flat=True)
        ]
