"""The organizer's round pages: the competition's rounds, one round's settings and overview, its entry list, its
rubrics, and the competition's score ledger.

Every view is a staff page and finds its competition and round through portal.access / judging.access, which
answer 404 to anyone who does not organize the competition.
"""

import copy
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from judging import ledger as score_ledger
from judging import rubrics as rubric_services
from judging import services
from judging.access import get_round_for_organizer
from judging.models import (
    Assignment,
    Invitation,
    LedgerEntry,
    PanelMembership,
    RoundEntry,
    Rubric,
    Score,
)
from judging.round_forms import CRITERION_FIELDS, NewVersionForm, RoundForm, criterion_formset, initial_round
from judging.views.common import messages_of
from portal.access import get_competition_for_organizer, staff_page
from portal.models import TrackKind

ENTRIES_PAGE_SIZE = 50
LEDGER_PAGE_SIZE = 100


def count_of(queryset, **outer):
    """A subquery counting the rows of `queryset` that match the outer row, e.g. count_of(qs, round="pk")."""
    matched = queryset.filter(**{field: OuterRef(ref) for field, ref in outer.items()}).order_by()
    first = next(iter(outer))
    return Coalesce(Subquery(matched.values(first).annotate(count=Count("pk")).values("count")[:1]), 0)



# --- Rounds --------------------------------------------------------------------------------------------------


@staff_page
def round_list(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    rounds = competition.rounds.annotate(
        entry_count=count_of(RoundEntry.objects.all(), round="pk"),
        judge_count=count_of(PanelMembership.objects.filter(active=True), round="pk"),
        assignment_count=count_of(Assignment.objects.active(), round="pk"),
        submitted_count=count_of(Score.objects.counting(), round="pk"),
    ).order_by("position")
    with timezone.override(competition.tzinfo):
        return render(request, "judging/organizer/rounds.html", {"competition": competition, "rounds": rounds})


@staff_page
@require_POST
def rounds_create_defaults(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    try:
        rounds = services.create_default_rounds(competition=competition, actor=request.user)
    except ValidationError as error:
        for message in messages_of(error):
            messages.error(request, message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d round has been created. Check its scoring window and settings next.",
                "%(count)d rounds have been created. Check their scoring windows and settings next.",
                len(rounds),
            )
            % {"count": len(rounds)},
        )
    return redirect("judging:rounds", slug=competition.slug)


@staff_page
def round_create(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    with timezone.override(competition.tzinfo):
        form = RoundForm(request.POST or None, competition=competition, initial=initial_round(competition))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                round = services.create_round(
                    competition=competition,
                    actor=request.user,
                    kind=data["kind"],
                    name_zh=data["name_zh"],
                    name_en=data["name_en"],
                    opens_at=data["opens_at"],
                    closes_at=data["closes_at"],
                    units=list(data["units"]),
                    **form.options(),
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The round has been created. Add its entries and invite its judges next."))
                return redirect("judging:round_detail", slug=competition.slug, round_id=round.pk)
        return render(
            request, "judging/organizer/round_form.html", {"competition": competition, "form": form, "round": None}
        )


@staff_page
def round_edit(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    with timezone.override(competition.tzinfo):
        # The form edits a copy: a rejected name must not leak into this page's header and tabs.
        form = RoundForm(request.POST or None, instance=copy.copy(round), competition=competition)
        if request.method == "POST" and form.is_valid():
            try:
                services.update_round(
                    round=form.save(commit=False),
                    actor=request.user,
                    changed_fields=form.changed_data,
                    units=list(form.cleaned_data["units"]),
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The round has been saved."))
                return redirect("judging:round_detail", slug=competition.slug, round_id=round.pk)
        return render(
            request, "judging/organizer/round_form.html", {"competition": competition, "form": form, "round": round}
        )


def _add_errors(form, error):
    """A service's ValidationError on the form: next to its field when it names one, otherwise at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@staff_page
def round_detail(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    round_entries = RoundEntry.objects.filter(round=round)
    active_assignments = Assignment.objects.active()
    counts = {
        "entries": round_entries.count(),
        "judges": round.panel.filter(active=True).count(),
        "pending_invitations": Invitation.objects.pending().filter(round=round).count(),
        "assignments": active_assignments.filter(round=round).count(),
        "submitted": Score.objects.counting().filter(round=round).count(),
        "drafts": Score.objects.filter(round=round, status="draft").count(),
        # Entries with fewer active judges than the round asks for.
        "short": round_entries.annotate(judges=count_of(active_assignments, round="round", entry="entry"))
        .filter(judges__lt=round.judges_per_entry)
        .count(),
    }
    rubrics = rubric_services.current_rubrics(round)
    tracks = []
    for track in competition.tracks.all():
        rubric = rubrics.get(track.pk)
        criteria = list(rubric.criteria.all()) if rubric else []
        tracks.append(
            {
                "track": track,
                "rubric": rubric,
                "criteria": criteria,
                "weight_sum": sum((criterion.weight for criterion in criteria), 0),
            }
        )
    hints = []
    if not counts["entries"]:
        hints.append("populate")
    if not counts["judges"]:
        hints.append("invite")
    if counts["entries"] and counts["judges"] and counts["short"]:
        hints.append("assign")
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/round_detail.html",
            {
                "competition": competition,
                "round": round,
                "units": list(round.units.all()),
                "counts": counts,
                "tracks": tracks,
                "hints": hints,
            },
        )


# --- The round's entry list ----------------------------------------------------------------------------------


@staff_page
def round_entries(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    units = list(round.units.all()) or list(competition.units.all())
    unit_filter = request.GET.get("unit", "")
    unit = next((unit for unit in units if str(unit.pk) == unit_filter), None)
    rows = RoundEntry.objects.filter(round=round)
    if unit is not None:
        rows = rows.filter(entry__unit=unit)
    rows = (
        rows.select_related("entry__unit", "entry__track")
        .annotate(
            judge_count=count_of(Assignment.objects.active(), round="round", entry="entry"),
            submitted_count=count_of(Score.objects.counting(), round="round", entry="entry"),
            scored=Exists(Score.objects.filter(round=OuterRef("round"), entry=OuterRef("entry"))),
        )
        .order_by("entry__sequence", "entry__number", "entry_id")
    )
    page = Paginator(rows, ENTRIES_PAGE_SIZE).get_page(request.GET.get("page"))
    query = f"unit={unit.pk}" if unit else ""
    return render(
        request,
        "judging/organizer/round_entries.html",
        {
            "competition": competition,
            "round": round,
            "units": units,
            "unit": unit,
            "page": page,
            "query": query,
            "total": RoundEntry.objects.filter(round=round).count() if unit else page.paginator.count,
        },
    )


@staff_page
@require_POST
def round_populate(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    try:
        added = services.populate_round(round=round, actor=request.user)
    except ValidationError as error:
        for message in messages_of(error):
            messages.error(request, message)
    else:
        if added:
            messages.success(
                request,
                ngettext(
                    "%(count)d eligible entry has been added to the round.",
                    "%(count)d eligible entries have been added to the round.",
                    added,
                )
                % {"count": added},
            )
        else:
            messages.info(request, _("No eligible entry was missing from the round; nothing has been added."))
    return redirect("judging:round_entries", slug=competition.slug, round_id=round.pk)


@staff_page
@require_POST
def round_entry_remove(request, slug, round_id, entry_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    round_entry = get_object_or_404(RoundEntry.objects.select_related("entry"), round=round, entry_id=entry_id)
    entry = round_entry.entry
    try:
        services.remove_round_entry(round=round, entry=entry, actor=request.user)
    except ValidationError as error:
        for message in messages_of(error):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("“%(title)s” (%(number)s) has been removed from the round.")
            % {"title": entry.title, "number": entry.number or "—"},
        )
    return redirect("judging:round_entries", slug=competition.slug, round_id=round.pk)


# --- Rubrics -------------------------------------------------------------------------------------------------


@staff_page
def rubric_edit(request, slug, round_id, kind):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    if kind not in TrackKind.values:
        raise Http404
    track = get_object_or_404(competition.tracks, kind=kind)
    rubric = rubric_services.current_rubric(round, track)
    criteria = list(rubric.criteria.all())
    # Frozen by the first score; a score may exist before frozen_at is written, and save_rubric refuses both.
    first_score_at = rubric.frozen_at or Score.objects.filter(rubric=rubric).aggregate(first=Min("created_at"))["first"]
    frozen = first_score_at is not None
    service_errors = []
    reason_form = NewVersionForm(request.POST or None, prefix="version") if frozen else None
    if request.method == "POST":
        formset = criterion_formset()(request.POST, prefix="criteria")
        if "add_row" in request.POST:
            formset, reason_form = _with_another_row(formset, request.POST, frozen)
        elif request.POST.get("rubric_version") not in (None, str(rubric.version)):
            formset.is_valid()  # the typed rows come back with their own problems marked too
            service_errors = [
                _(
                    "The rubric has changed since you opened this page: it is now version %(version)d. "
                    "Check it and save again."
                )
                % {"version": rubric.version}
            ]
        else:
            reason_ok = reason_form.is_valid() if frozen else True
            if formset.is_valid() and reason_ok:
                try:
                    message = _save_rubric(request.user, rubric, frozen, formset.criteria(), reason_form)
                except ValidationError as error:
                    service_errors = messages_of(error)
                else:
                    messages.success(request, message)
                    return redirect("judging:rubric_edit", slug=competition.slug, round_id=round.pk, kind=kind)
    else:
        formset = criterion_formset()(
            initial=[{name: _plain(getattr(criterion, name)) for name in CRITERION_FIELDS} for criterion in criteria],
            prefix="criteria",
        )
    weight_sum = _weight_sum(formset)
    versions = (
        Rubric.objects.filter(round=round, track=track)
        .select_related("created_by")
        .annotate(criterion_count=Count("criteria"))
        .order_by("-version")
    )
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/rubric_form.html",
            {
                "competition": competition,
                "round": round,
                "track": track,
                "tracks": competition.tracks.all(),
                "rubric": rubric,
                "frozen": frozen,
                "first_score_at": first_score_at,
                "formset": formset,
                "reason_form": reason_form,
                "service_errors": service_errors,
                "weight_sum": weight_sum,
                "versions": versions,
            },
        )


def _with_another_row(posted, data, frozen):
    """ "Add a row": what was typed comes back unvalidated (as initial values) with one more blank row."""
    blanks = sum(
        1 for index, form in enumerate(posted.forms) if index >= posted.initial_form_count() and not form.has_changed()
    )
    formset = criterion_formset(extra=blanks + 1)(initial=posted.typed_rows(), prefix="criteria")
    reason_form = NewVersionForm(initial={"reason": data.get("version-reason", "")}, prefix="version")
    return formset, (reason_form if frozen else None)


def _save_rubric(actor, rubric, frozen, criteria, reason_form):
    """Save through the services: a new version once frozen, otherwise in place. Returns the success message."""
    if frozen:
        saved = rubric_services.new_rubric_version(
            rubric=rubric, actor=actor, criteria=criteria, reason=reason_form.cleaned_data["reason"]
        )
        return _("Version %(version)d of the rubric has been saved; earlier scores keep theirs.") % {
            "version": saved.version
        }
    rubric_services.save_rubric(rubric=rubric, actor=actor, criteria=criteria)
    return _("The rubric has been saved.")


def _plain(value):
    """Decimals as people type them: 30.00 -> "30", 0.50 -> "0.5"."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _weight_sum(formset):
    """The sum of the weights on the page: as typed when the form comes back, otherwise as saved."""
    if formset.is_bound:
        weights = [form.cleaned_data.get("weight") for form in formset.kept_forms() if hasattr(form, "cleaned_data")]
    else:
        weights = [row.get("weight") for row in formset.initial or []]
    total = Decimal(0)
    for weight in weights:
        try:
            total += Decimal(str(weight)) if weight not in (None, "") else 0
        except InvalidOperation:
            continue
    return total


# --- The score ledger ----------------------------------------------------------------------------------------


@staff_page
def ledger(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    rows = LedgerEntry.objects.filter(competition=competition).select_related("actor").order_by("-sequence")
    page = Paginator(rows, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    verified = "verify" in request.GET
    broken = score_ledger.verify(competition=competition) if verified else None
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/ledger.html",
            {
                "competition": competition,
                "page": page,
                "verified": verified,
                "broken": broken,
                "query": "verify=1" if verified else "",
            },
        )
