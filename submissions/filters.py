"""The organizer's entry filters, shared by the entry list and both exports.

Everything comes from the query string, so forged values are expected: a value that is not one of the
choices is ignored (the filter is simply not applied), never an error page.
"""

from django import forms
from django.db.models import Count, Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from submissions.models import Entry, EntryStatus

SEARCH_MAX_LENGTH = 100
AIGC_CHOICES = [("", _("Any")), ("yes", _("Used")), ("no", _("Not used")), ("unanswered", _("Not answered yet"))]
# Query-string keys the filters read; the page number is kept apart so export links can drop it.
FILTER_KEYS = ("q", "unit", "track", "status", "country", "aigc")


class EntryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, strip=True, widget=forms.SearchInput)
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    track = forms.ChoiceField(label=_("Track"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *EntryStatus.choices])
    country = forms.ChoiceField(label=_("Country or region"), required=False)
    aigc = forms.ChoiceField(label=_("AI tools"), required=False, choices=AIGC_CHOICES)

    def __init__(self, data, *, competition, units, tracks, countries):
        # Only the keys we read are bound, so unrelated parameters (page, utm_...) never reach the form.
        super().__init__({key: data.get(key, "") for key in FILTER_KEYS})
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Title, entry number, entrant name or email"), "maxlength": 200}
        )
        self.fields["unit"].choices = [("", _("Any")), *((str(unit.pk), unit.name) for unit in units)]
        self.fields["track"].choices = [("", _("Any")), *((track.kind, track.name) for track in tracks)]
        self.fields["country"].choices = [("", _("Any")), *((country, country) for country in countries)]
        self.full_clean()

    @property
    def values(self):
        """The filters that are valid and set; anything forged or empty is left out."""
        values = {}
        for key in FILTER_KEYS:
            if key in self.errors:
                continue
            value = self.cleaned_data.get(key)
            if value not in (None, ""):
                values[key] = value
        if "q" in values:
            values["q"] = values["q"][:SEARCH_MAX_LENGTH]
        return values

    @property
    def is_filtered(self):
        return bool(self.values)

    def querystring(self, **overrides):
        """The valid filters as a query string (for pagination and export links)."""
        query = QueryDict(mutable=True)
        for key, value in {**self.values, **overrides}.items():
            if value not in (None, ""):
                query[key] = str(value)
        return query.urlencode()

    def filter(self, queryset, *, skip=()):
        """Apply the valid filters to `queryset`; `skip` names filters to leave out (e.g. status for its counts)."""
        values = {key: value for key, value in self.values.items() if key not in skip}
        if "unit" in values:
            queryset = queryset.filter(unit_id=values["unit"])
        if "track" in values:
            queryset = queryset.filter(track__kind=values["track"])
        if "status" in values:
            queryset = queryset.filter(status=values["status"])
        if "country" in values:
            queryset = queryset.filter(country=values["country"])
        if "aigc" in values:
            queryset = queryset.filter(aigc_used={"yes": True, "no": False, "unanswered": None}[values["aigc"]])
        if "q" in values:
            queryset = queryset.filter(search_condition(values["q"]))
        return queryset


def search_condition(text):
    """Every word must match a title, the entry number or the entrant (case-insensitive)."""
    condition = Q()
    for word in text.split()[:8]:
        condition &= (
            Q(title__icontains=word)
            | Q(title_en__icontains=word)
            | Q(number__icontains=word)
            | Q(owner__email__icontains=word)
            | Q(owner__display_name__icontains=word)
        )
    return condition


def filter_form_for(competition, data):
    """The bound filter form of a competition: its units, tracks and the countries its entries name."""
    countries = (
        Entry.objects.filter(competition=competition)
        .exclude(country="")
        .order_by("country")
        .values_list("country", flat=True)
        .distinct()
    )
    return EntryFilterForm(
        data,
        competition=competition,
        units=list(competition.units.all()),
        tracks=list(competition.tracks.all()),
        countries=list(countries),
    )


def status_counts(queryset):
    """{status: count} for every status, zero included, in one query."""
    rows = queryset.order_by().values("status").annotate(count=Count("pk"))
    counts = dict.fromkeys(EntryStatus.values, 0)
    for row in rows:
        counts[row["status"]] = row["count"]
    return counts
