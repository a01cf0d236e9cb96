"""The organizer's results pages of one round: the ranking (method and scope), advancement to the next round with
overrides, and the result versions — prepare, schedule or publish into the public notice (公示), answer objections,
revise, finalise, and the entrants' result emails.

Every view is a staff page and finds its round through judging.access.get_round_for_organizer (404 for anyone who
does not organize the competition). Decisions, versions and objections are looked up under that round only: a
forged id answers 404 and nothing changes. The work is done by judging.aggregation and judging.results; a refusal
(ValidationError) comes back on the page with what was typed.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, F, Q, When
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from judging import aggregation, services
from judging import results as result_services
from judging.access import get_round_for_organizer
from judging.models import (
    AggregationMethod,
    Decision,
    NotificationStatus,
    Objection,
    ObjectionStatus,
    Outcome,
    ResultNotification,
    ResultVersion,
    VersionStatus,
)
from judging.panel_forms import round_units
from judging.results_forms import (
    AdvanceForm,
    AnswerForm,
    MethodForm,
    OverrideForm,
    PrepareVersionForm,
    PublishNowForm,
    RankingFilterForm,
    ReviseForm,
    ScheduleForm,
    publish_now_initial,
    schedule_initial,
)
from judging.views.common import messages_of
from judging.views.rounds import count_of
from portal.access import staff_page
from portal.models import Unit, pick_language
from submissions.models import Entry, EntryStatus

PAGE_SIZE = 50
UNSCORED_SHOWN = 50
FAILED_SHOWN = 100
FAILED_STATUSES = (NotificationStatus.FAILED, NotificationStatus.GAVE_UP)



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


# --- Ranking -------------------------------------------------------------------------------------------------


@staff_page
def ranking(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    if request.method == "POST":
        return _set_method(request, competition, round)
    units = round_units(round)
    filters = RankingFilterForm(request.GET, round=round, units=units)
    result = aggregation.compute_ranking(round, method=filters.chosen_method)  # once per request, then sliced
    unit = filters.chosen_unit
    entries = result.entries
    if unit is not None:
        entries = sorted((row for row in entries if row.unit_id == unit.pk), key=lambda row: row.unit_rank)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    columns = _criterion_columns(result.criteria)
    ids = [row.entry_id for row in page.object_list]
    decisions = {decision.entry_id: decision for decision in Decision.objects.filter(round=round, entry_id__in=ids)}
    unit_names = _unit_names(competition)
    rows = [
        {
            "result": row,
            "unit": unit_names.get(row.unit_id),
            "decision": decisions.get(row.entry_id),
            "criteria": [row.criteria.get(column["key"]) for column in columns],
        }
        for row in page.object_list
    ]
    unscored = list(aggregation.unscored_entries(round))
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
                "ranking": result,
                "columns": columns,
                "rows": rows,
                "page": page,
                "ranked": len(result.entries),
                "disagreements": sum(1 for row in result.entries if row.disagreement),
                "fallbacks": sum(1 for row in result.entries if row.fallback_judges),
                "flagged_judges": sum(1 for judge in result.judges if judge.flagged),
                "unscored": [_entry_of(item) for item in unscored[:UNSCORED_SHOWN]],
                "unscored_count": len(unscored),
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


# --- Advancement ---------------------------------------------------------------------------------------------


@staff_page
def advance(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    if request.method == "POST":
        form = AdvanceForm(request.POST)
        if form.is_valid():
            keep = request.POST.get("keep_overrides") == "1"
            overrides = _kept_overrides(round) if keep else None
            try:
                decisions = result_services.advance(
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
    """The preview of judging.results.advance's rule (no writes): an eligible ranked entry among the top K of its
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
            result_services.override_decision(
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
        result = aggregation.compute_ranking(round)
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
            "unscored": len(aggregation.unscored_entries(round)),
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
                "next_round": result_services.next_round(round),
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
    """As judging.results refuses: a scheduled or published version exists and no draft is open."""
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


# --- Versions ------------------------------------------------------------------------------------------------


def _versions_with_counts(round):
    return (
        ResultVersion.objects.filter(round=round)
        .select_related("created_by")
        .annotate(
            objections_open=count_of(Objection.objects.filter(status=ObjectionStatus.OPEN), version="pk"),
            objections_total=count_of(Objection.objects.all(), version="pk"),
            notifications_sent=count_of(
                ResultNotification.objects.filter(status=NotificationStatus.SENT), version="pk"
            ),
            notifications_failed=count_of(ResultNotification.objects.filter(status__in=FAILED_STATUSES), version="pk"),
            notifications_total=count_of(ResultNotification.objects.all(), version="pk"),
        )
        .order_by("-number")
    )


@staff_page
def versions(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    form = PrepareVersionForm(request.POST or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            version = result_services.prepare_version(
                round=round, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            errors = messages_of(error)
        else:
            messages.success(
                request,
                _("Version %(number)s of the result is ready as a draft. Check it, then schedule or publish it.")
                % {"number": version.number},
            )
            return redirect("judging:version_detail", slug=competition.slug, round_id=round.pk, version_id=version.pk)
    rows = list(_versions_with_counts(round))
    open_version = next(
        (
            version
            for version in rows
            if version.status in (VersionStatus.DRAFT, VersionStatus.SCHEDULED, VersionStatus.PUBLISHED)
        ),
        None,
    )
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/versions.html",
            {
                "competition": competition,
                "round": round,
                "versions": rows,
                "open_version": open_version,
                "form": form,
                "errors": errors,
                "is_open": round.is_open(),
            },
        )


def _version(round, version_id):
    versions = ResultVersion.objects.select_related("created_by", "finalised_by")
    return get_object_or_404(versions, pk=version_id, round=round)


def _version_redirect(competition, round, version, anchor=""):
    response = redirect("judging:version_detail", slug=competition.slug, round_id=round.pk, version_id=version.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@staff_page
def version_detail(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    return _render_version(request, competition, round, version)


def _render_version(request, competition, round, version, **forms):
    """The version page; `forms` are bound forms that failed (schedule, publish, revise, answer=(objection, form))."""
    with timezone.override(competition.tzinfo):
        notice_days = result_services.NOTICE_DAYS_DEFAULT
        status = version.status
        schedule_form = forms.get("schedule") or ScheduleForm(
            competition=competition, initial=schedule_initial(version, notice_days)
        )
        publish_form = forms.get("publish") or PublishNowForm(
            competition=competition, initial=publish_now_initial(version, notice_days)
        )
        revise_form = forms.get("revise") or ReviseForm()

        _errors_as_messages(request, status, forms)
        unit_names = _unit_names(competition)
        decisions = {_decision_entry_id(item): item for item in version.decisions}
        ranking_page = Paginator(version.ranking or [], PAGE_SIZE).get_page(request.GET.get("page"))
        ranking_rows = [
            {
                "row": row,
                "entry_id": _decision_entry_id(row),
                "unit": unit_names.get(row.get("unit_id") or row.get("unit")),
                "decision": decisions.get(_decision_entry_id(row)),
            }
            for row in ranking_page.object_list
        ]
        overridden = [item for item in version.decisions if item.get("overridden")]
        advanced = sum(1 for item in version.decisions if item.get("outcome") == Outcome.ADVANCED)

        # This version's objections, and any still open against an earlier version (finalising waits for them).
        objections = list(
            Objection.objects.filter(version__round=round)
            .filter(Q(version=version) | Q(version__number__lt=version.number, status=ObjectionStatus.OPEN))
            .select_related("entry", "author", "answered_by", "version")
            .order_by(Case(When(status=ObjectionStatus.OPEN, then=0), default=1), "created_at", "pk")
        )
        failed_answer = forms.get("answer")
        objection_rows = []
        for objection in objections:
            form = None
            if objection.status == ObjectionStatus.OPEN:
                if failed_answer and failed_answer[0].pk == objection.pk:
                    form = failed_answer[1]
                else:
                    form = AnswerForm(auto_id=f"answer-{objection.pk}-%s")
            objection_rows.append({"objection": objection, "form": form})
        open_objections = sum(1 for objection in objections if objection.status == ObjectionStatus.OPEN)

        notification_counts = {
            row["status"]: row["count"]
            for row in version.notifications.values("status").annotate(count=Count("pk")).order_by()
        }
        notification_summary = [
            {"status": value, "label": label, "count": notification_counts.get(value, 0)}
            for value, label in NotificationStatus.choices
        ]
        failed_count = sum(notification_counts.get(value, 0) for value in FAILED_STATUSES)
        failed = list(
            version.notifications.filter(status__in=FAILED_STATUSES)
            .select_related("entry")
            .order_by("status", "recipient", "pk")[:FAILED_SHOWN]
        )

        now = timezone.now()
        notice_over = version.notice_ends_at is not None and version.notice_ends_at <= now
        return render(
            request,
            "judging/organizer/version_detail.html",
            {
                "competition": competition,
                "round": round,
                "version": version,
                "other_versions": ResultVersion.objects.filter(round=round)
                .only("pk", "number", "status", "round_id")
                .order_by("-number"),
                "is_draft": status == VersionStatus.DRAFT,
                "is_scheduled": status == VersionStatus.SCHEDULED,
                "is_published": status == VersionStatus.PUBLISHED,
                "is_final": status == VersionStatus.FINAL,
                "is_public": version.is_public(),
                "in_notice": version.in_notice(now),
                "notice_over": notice_over,
                "can_finalise": status == VersionStatus.PUBLISHED and notice_over and not open_objections,
                "schedule_form": schedule_form,
                "publish_form": publish_form,
                "revise_form": revise_form,
                "ranking_page": ranking_page,
                "ranking_rows": ranking_rows,
                "ranked": len(version.ranking or []),
                "decision_count": len(version.decisions or []),
                "advanced": advanced,
                "overridden": overridden,
                "awards": version.awards or [],
                "objection_rows": objection_rows,
                "open_objections": open_objections,
                "notification_summary": notification_summary,
                "notification_total": sum(notification_counts.values()),
                "failed_count": failed_count,
                "failed": failed,
                "failed_more": max(0, failed_count - len(failed)),
            },
        )


def _errors_as_messages(request, status, forms):
    """A refused form that the page no longer shows (the version moved on meanwhile) reports as messages."""
    shown = {
        "schedule": status in (VersionStatus.DRAFT, VersionStatus.SCHEDULED),
        "publish": status in (VersionStatus.DRAFT, VersionStatus.SCHEDULED),
        "revise": status in (VersionStatus.PUBLISHED, VersionStatus.FINAL),
    }
    failed = [form for name, form in forms.items() if name in shown and not shown[name]]
    if forms.get("answer") and forms["answer"][0].status != ObjectionStatus.OPEN:
        failed.append(forms["answer"][1])
    for form in failed:
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)


def _decision_entry_id(item):
    for key in ("entry_id", "entry"):
        if key in item:
            return item[key]
    return None


@staff_page
@require_POST
def version_schedule(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    with timezone.override(competition.tzinfo):
        form = ScheduleForm(request.POST, competition=competition)
        if form.is_valid():
            try:
                result_services.schedule_publication(
                    version=version,
                    publish_at=form.cleaned_data["publish_at"],
                    notice_ends_at=form.cleaned_data["notice_ends_at"],
                    actor=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Version %(number)s will be published on %(when)s.")
                    % {
                        "number": version.number,
                        "when": timezone.localtime(form.cleaned_data["publish_at"]).strftime("%Y-%m-%d %H:%M"),
                    },
                )
                return _version_redirect(competition, round, version)
    version.refresh_from_db()
    return _render_version(request, competition, round, version, schedule=form)


@staff_page
@require_POST
def version_publish(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    with timezone.override(competition.tzinfo):
        form = PublishNowForm(request.POST, competition=competition)
        if form.is_valid():
            try:
                version = _publish_now(version, form.cleaned_data["notice_ends_at"], request.user)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Version %(number)s is published: the public notice runs until %(when)s.")
                    % {
                        "number": version.number,
                        "when": timezone.localtime(version.notice_ends_at).strftime("%Y-%m-%d %H:%M"),
                    },
                )
                return _version_redirect(competition, round, version)
    version.refresh_from_db()
    return _render_version(request, competition, round, version, publish=form)


def _publish_now(version, notice_ends_at, actor):
    """Publish at once with the notice end typed: the version is (re)scheduled for now when it has no notice end
    or another one (schedule_publication is the service that sets it), then published — in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        if version.status == VersionStatus.DRAFT or version.notice_ends_at != notice_ends_at:
            version = result_services.schedule_publication(
                version=version, publish_at=now, notice_ends_at=notice_ends_at, actor=actor
            )
        return result_services.publish_version(version=version, actor=actor, now=now)


@staff_page
@require_POST
def version_revise(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    form = ReviseForm(request.POST)
    if form.is_valid():
        try:
            revised = result_services.revise_version(
                version=version, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Version %(number)s is a new draft. Version %(previous)s stays public until the new one is "
                    "published."
                )
                % {"number": revised.number, "previous": version.number},
            )
            return _version_redirect(competition, round, revised)
    return _render_version(request, competition, round, version, revise=form)


@staff_page
@require_POST
def version_finalise(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    try:
        result_services.finalise_version(version=version, actor=request.user)
    except ValidationError as error:
        for text in messages_of(error):
            messages.error(request, text)
    else:
        messages.success(request, _("Version %(number)s is final.") % {"number": version.number})
    return _version_redirect(competition, round, version)


@staff_page
@require_POST
def notifications_retry(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    try:
        count = result_services.retry_failed_notifications(version=version, actor=request.user)
    except ValidationError as error:
        for text in messages_of(error):
            messages.error(request, text)
    else:
        if count:
            messages.success(
                request,
                ngettext("%(count)s failed email is queued again.", "%(count)s failed emails are queued again.", count)
                % {"count": count},
            )
        else:
            messages.info(request, _("No email had failed; nothing was queued."))
    return _version_redirect(competition, round, version, anchor="notifications")


@staff_page
@require_POST
def objection_answer(request, slug, round_id, objection_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    objection = get_object_or_404(
        Objection.objects.select_related("version", "entry"), pk=objection_id, version__round=round
    )
    version = objection.version
    form = AnswerForm(request.POST, auto_id=f"answer-{objection.pk}-%s")
    if form.is_valid():
        try:
            result_services.answer_objection(
                objection=objection, actor=request.user, upheld=form.upheld, answer=form.cleaned_data["answer"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if form.upheld:
                text = _(
                    "The objection against %(entry)s is upheld and its author has been told. To change the result, "
                    "override the decision or the award, then revise the version."
                )
            else:
                text = _("The objection against %(entry)s is rejected and its author has been told.")
            messages.success(request, text % {"entry": _label(objection.entry)})
            return _version_redirect(competition, round, version, anchor="objections")
    objection.refresh_from_db()
    return _render_version(request, competition, round, version, answer=(objection, form))
