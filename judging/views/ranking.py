"""The organizer's ranking and advancement pages of one round: the ranking (method and scope), and advancement to
the next round with overrides; also the small helpers the round's result pages share (judging.views.versions).

Every view is a staff page and finds its round through judging.access.get_round_for_organizer (404 for anyone who
does not organize the competition). Decisions are looked up under that round only: a forged id answers 404 and
nothing changes. The work is done by judging.aggregation and judging.advancement; a refusal (ValidationError) comes
back on the page with what was typed.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from judging import advancement as advancement_services
from judging import aggregation, services
from judging.access import get_round_for_organizer
from judging.models import (
    AggregationMethod,
    Decision,
    Outcome,
    ResultVersion,
    VersionStatus,
)
from judging.panel_forms import round_units
from judging.results_forms import (
    AdvanceForm,
    MethodForm,
    OverrideForm,
    RankingFilterForm,
)
from judging.views.common import messages_of
from portal.access import staff_page
from portal.models import Unit, pick_language
from submissions.models import Entry, EntryStatus

PAGE_SIZE = 50
UNSCORED_SHOWN = 50


def _add_errors(form, error):
    """A service's ValidationError on the form: next to its field when it names one, otherwise at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _label(entry):
    return entry.number or entry.title


def _unit_names(competition):
    return {unit.pk: unit for unit in Unit.objects.filter(competition=competition)}


def _criterion_columns(criteria):
    return [
        {**criterion, "name": pick_language(criterion.get("name_zh"), criterion.get("name_en"))}
        for criterion in criteria
    ]


# --- Ranking ----------------------------------------------------------------------------------------------------------


@staff_page
def ranking(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    if request.method == "POST":
        return _set_method(request, competition, round)
    units = round_units(round)
    filters = RankingFilterForm(request.GET, round=round, units=units)
    # The order and counts of the whole ranking, from the cache (computed once per change of its inputs); only
    # the page's rows are read in full.
    summary = aggregation.ranking_summary(round, method=filters.chosen_method)
    unit = filters.chosen_unit
    order = summary.order if unit is None else summary.unit_order.get(unit.pk, [])
    page = Paginator(order, PAGE_SIZE).get_page(request.GET.get("page"))
    columns = _criterion_columns(summary.criteria)
    ids = list(page.object_list)
    decisions = {decision.entry_id: decision for decision in Decision.objects.filter(round=round, entry_id__in=ids)}
    unit_names = _unit_names(competition)
    rows = [
        {
            "result": row,
            "unit": unit_names.get(row.unit_id),
            "decision": decisions.get(row.entry_id),
            "criteria": [row.criteria.get(column["key"]) for column in columns],
        }
        for row in summary.rows(ids, round)
    ]
    unscored_count = summary.unscored
    unscored = list(aggregation.unscored_queryset(round)[:UNSCORED_SHOWN]) if unscored_count else []
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/ranking.html",
            {
                "competition": competition,
                "round": round,
                "filters": filters,
                "method": filters.chosen_method,
                "method_label": _method_label(filters.chosen_method),
                "is_round_method": filters.chosen_method == round.aggregation_method,
                "methods": _methods(filters),
                "scopes": _scopes(filters, units),
                "unit": unit,
                "query": filters.querystring(),
                "ranking": summary,
                "columns": columns,
                "rows": rows,
                "page": page,
                "ranked": summary.ranked,
                "disagreements": summary.disagreements,
                "fallbacks": summary.fallbacks,
                "flagged_judges": sum(1 for judge in summary.judges if judge.flagged),
                "unscored": [_entry_of(item) for item in unscored],
                "unscored_count": unscored_count,
                "is_open": round.is_open(),
            },
        )


def _entry_of(item):
    """unscored_entries may give entries or RoundEntry rows."""
    return getattr(item, "entry", item)


def _method_label(method):
    return AggregationMethod(method).label


def _methods(filters):
    return [
        {
            "value": value,
            "label": label,
            "query": filters.querystring(method=value),
            "current": value == filters.chosen_method,
        }
        for value, label in AggregationMethod.choices
    ]


def _scopes(filters, units):
    current = str(filters.chosen_unit.pk) if filters.chosen_unit else "overall"
    scopes = [{"value": "overall", "label": _("Overall"), "query": filters.querystring(scope="overall")}]
    scopes += [
        {"value": str(unit.pk), "label": unit.name, "query": filters.querystring(scope=unit.pk)} for unit in units
    ]
    for scope in scopes:
        scope["current"] = scope["value"] == current
    return scopes


def _set_method(request, competition, round):
    form = MethodForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the aggregation methods; nothing was changed."))
        return redirect("judging:ranking", slug=competition.slug, round_id=round.pk)
    method = form.cleaned_data["method"]
    if method != round.aggregation_method:
        round.aggregation_method = method
        try:
            services.update_round(round=round, actor=request.user, changed_fields=["aggregation_method"])
        except ValidationError as error:
            for text in messages_of(error):
                messages.error(request, text)
            return redirect("judging:ranking", slug=competition.slug, round_id=round.pk)
    messages.success(request, _("The round now ranks entries by: %(method)s.") % {"method": _method_label(method)})
    return redirect("judging:ranking", slug=competition.slug, round_id=round.pk)


# --- Advancement ------------------------------------------------------------------------------------------------------


@staff_page
def advance(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    if request.method == "POST":
        form = AdvanceForm(request.POST)
        if form.is_valid():
            keep = request.POST.get("keep_overrides") == "1"
            overrides = _kept_overrides(round) if keep else None
            try:
                decisions = advancement_services.advance(
                    round=round, actor=request.user, overrides=overrides or None, **form.rule()
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                advanced = sum(1 for decision in decisions if decision.outcome == Outcome.ADVANCED)
                messages.success(
                    request,
                    ngettext(
                        "Decided: %(advanced)s of %(count)s entry advances to the next round.",
                        "Decided: %(advanced)s of %(count)s entries advance to the next round.",
                        len(decisions),
                    )
                    % {"advanced": advanced, "count": len(decisions)},
                )
                return redirect("judging:advance", slug=competition.slug, round_id=round.pk)
        return _render_advance(request, competition, round, form)
    form = AdvanceForm(request.GET if _rule_given(request.GET) else None)
    return _render_advance(request, competition, round, form)


def _rule_given(data):
    return any(data.get(name) not in (None, "") for name in ("top_k_per_unit", "threshold"))


def _kept_overrides(round):
    return {
        decision.entry_id: (decision.outcome, decision.reason)
        for decision in Decision.objects.filter(round=round, overridden=True)
    }


def _would_advance(result, eligible, *, top_k_per_unit, threshold):
    """The preview of judging.advancement.advance's rule (no writes): an eligible ranked entry among the top K of its
    unit, or at/above the threshold."""
    chosen = []
    for row in result.entries:
        if row.entry_id not in eligible:
            continue
        by_rank = top_k_per_unit is not None and row.unit_rank <= top_k_per_unit
        by_score = threshold is not None and row.score >= threshold
        if by_rank or by_score:
            chosen.append(row)
    return chosen


@staff_page
@require_POST
def decision_override(request, slug, round_id, decision_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    decision = get_object_or_404(Decision.objects.select_related("entry"), pk=decision_id, round=round)
    form = OverrideForm(request.POST, auto_id=f"override-{decision.pk}-%s")
    if form.is_valid():
        try:
            advancement_services.override_decision(
                decision=decision,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(entry)s: the decision is now “%(outcome)s”.")
                % {"entry": _label(decision.entry), "outcome": Outcome(form.cleaned_data["outcome"]).label},
            )
            return redirect("judging:advance", slug=competition.slug, round_id=round.pk)
    return _render_advance(request, competition, round, AdvanceForm(), failed_override=(decision, form))


def _render_advance(request, competition, round, form, failed_override=None):
    preview = None
    if form.is_bound and request.method == "GET" and form.is_valid():
        result = aggregation.cached_ranking(round)
        eligible = set(
            Entry.objects.filter(round_entries__round=round, status=EntryStatus.ELIGIBLE).values_list("pk", flat=True)
        )
        chosen = _would_advance(result, eligible, **form.rule())
        unit_names = _unit_names(competition)
        per_unit = {}
        for row in result.entries:
            counts = per_unit.setdefault(row.unit_id, {"unit": unit_names.get(row.unit_id), "total": 0, "advance": 0})
            counts["total"] += 1
        for row in chosen:
            per_unit[row.unit_id]["advance"] += 1
        preview_page = Paginator(chosen, PAGE_SIZE).get_page(request.GET.get("page"))
        preview = {
            "page": preview_page,
            "rows": [{"result": row, "unit": unit_names.get(row.unit_id)} for row in preview_page.object_list],
            "count": len(chosen),
            "ranked": len(result.entries),
            "per_unit": sorted(per_unit.values(), key=_unit_order),
            "query": _rule_query(form),
            "unscored": aggregation.unscored_queryset(round).count(),
        }
    decisions = (
        Decision.objects.filter(round=round)
        .select_related("entry__unit", "decided_by")
        .order_by(F("rank").asc(nulls_last=True), "entry__sequence", "entry_id")
    )
    decision_page = Paginator(decisions, PAGE_SIZE).get_page(request.GET.get("dpage"))
    decision_rows = []
    for decision in decision_page.object_list:
        if failed_override and failed_override[0].pk == decision.pk:
            override_form = failed_override[1]
        else:
            other = Outcome.NOT_ADVANCED if decision.outcome == Outcome.ADVANCED else Outcome.ADVANCED
            override_form = OverrideForm(initial={"outcome": other}, auto_id=f"override-{decision.pk}-%s")
        decision_rows.append({"decision": decision, "form": override_form})
    summary = {
        row["outcome"]: row["count"]
        for row in Decision.objects.filter(round=round).values("outcome").annotate(count=Count("pk")).order_by()
    }
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/advance.html",
            {
                "competition": competition,
                "round": round,
                "form": form,
                "preview": preview,
                "next_round": advancement_services.next_round(round),
                "is_open": round.is_open(),
                "decision_page": decision_page,
                "decision_rows": decision_rows,
                "decision_query": _rule_query(form) if form.is_bound and request.method == "GET" else "",
                "advanced_count": summary.get(Outcome.ADVANCED, 0),
                "not_advanced_count": summary.get(Outcome.NOT_ADVANCED, 0),
                "override_count": Decision.objects.filter(round=round, overridden=True).count(),
                "failed_override": failed_override,
                "decisions_locked": _decisions_locked(round),
            },
        )


def _decisions_locked(round):
    """As judging.versions refuses: a scheduled or published version exists and no draft is open."""
    statuses = set(
        ResultVersion.objects.filter(
            round=round, status__in=[VersionStatus.DRAFT, VersionStatus.SCHEDULED, VersionStatus.PUBLISHED]
        ).values_list("status", flat=True)
    )
    return bool(statuses) and VersionStatus.DRAFT not in statuses


def _unit_order(counts):
    unit = counts["unit"]
    return (unit is None, unit.position if unit else 0, unit.pk if unit else 0)


def _rule_query(form):
    query = QueryDict(mutable=True)
    for name in ("top_k_per_unit", "threshold"):
        value = form.data.get(name)
        if value not in (None, ""):
            query[name] = value
    return query.urlencode()
