"""The organizer's assignment and progress pages of one round: who judges what, coverage, and who is behind.

Every view is a staff page and finds its round through judging.access.get_round_for_organizer (404 for anyone who
does not organize the competition). Entries, judges and assignments posted are looked up under that round only:
a forged id is refused (form error or 404) and nothing changes.
"""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from judging import assignment as assignment_services
from judging import panels
from judging.access import get_round_for_organizer
from judging.models import Assignment, PanelMembership, Score, ScoreStatus, effective_conflict_exists
from judging.panel_forms import AssignAddForm, AutoAssignForm, CoverageFilterForm, RemindForm, round_units
from judging.views.common import report_errors
from portal.access import staff_page

PAGE_SIZE = 50



def _assignments_redirect(competition, round):
    return redirect("judging:assignments", slug=competition.slug, round_id=round.pk)


def _name(user):
    return user.display_name or user.email


@staff_page
def assignments(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    units = round_units(round)
    filters = CoverageFilterForm(request.GET, units=units)
    all_rows = assignment_services.coverage(round)
    rows = all_rows
    if "unit" in filters.values:
        rows = rows.filter(entry__unit_id=filters.values["unit"])
    if "short" in filters.values:
        rows = rows.filter(judge_count__lt=round.judges_per_entry)
    rows = rows.order_by("entry__sequence", "entry_id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    _attach_judges(round, page.object_list)

    total = all_rows.count()
    short = all_rows.filter(judge_count__lt=round.judges_per_entry).count() if total else 0
    loads = [member.assigned for member in panels.judge_progress_rows(round) if member.active]
    initial = {}
    if request.GET.get("add_entry", "").isdigit():
        initial["entry"] = int(request.GET["add_entry"])
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/assignments.html",
            {
                "competition": competition,
                "round": round,
                "filters": filters,
                "filter_query": filters.querystring(),
                "page": page,
                "summary": {
                    "entries": total,
                    "covered": total - short,
                    "short": short,
                    "judges": len(loads),
                    "min_load": min(loads) if loads else 0,
                    "max_load": max(loads) if loads else 0,
                },
                "auto_form": AutoAssignForm(),
                "add_form": AssignAddForm(round=round, initial=initial),
            },
        )


def _attach_judges(round, rows):
    """Give each coverage row `judges`: its assignments (judge, whether they still count, whether scored)."""
    rows = list(rows)
    assignments_by_entry = defaultdict(list)
    if rows:
        scores = Score.objects.filter(round=round, entry=OuterRef("entry"), judge=OuterRef("judge"))
        queryset = (
            Assignment.objects.filter(round=round, entry_id__in=[row.entry_id for row in rows])
            .select_related("judge")
            .annotate(
                on_panel=Exists(PanelMembership.objects.filter(round=round, judge=OuterRef("judge"), active=True)),
                conflicted=effective_conflict_exists(),
                has_score=Exists(scores),
                submitted=Exists(scores.filter(status=ScoreStatus.SUBMITTED)),
            )
            .order_by("judge__display_name", "judge__email", "pk")
        )
        for assignment in queryset:
            assignment.counts = assignment.on_panel and not assignment.conflicted
            assignments_by_entry[assignment.entry_id].append(assignment)
    for row in rows:
        row.judges = assignments_by_entry[row.entry_id]
        row.is_short = row.judge_count < round.judges_per_entry


@staff_page
@require_POST
def assign_auto(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    form = AutoAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The seed must be a whole number of 0 or more; nothing was changed."))
        return _assignments_redirect(competition, round)
    try:
        report = assignment_services.auto_assign(round=round, actor=request.user, seed=form.cleaned_data["seed"])
    except (ValidationError, assignment_services.AssignmentError) as error:
        report_errors(request, error)
        return _assignments_redirect(competition, round)
    text = _("Automatic assignment done: %(created)s assignments created, %(removed)s removed, %(kept)s kept.") % {
        "created": report.created,
        "removed": report.removed,
        "kept": report.kept,
    }
    if report.short:
        missing = sum(report.short.values())
        text += " " + ngettext(
            "%(entries)s entry is still short of judges (%(missing)s missing): add judges to the panel or "
            "lower the judges per entry.",
            "%(entries)s entries are still short of judges (%(missing)s missing): add judges to the panel or "
            "lower the judges per entry.",
            len(report.short),
        ) % {"entries": len(report.short), "missing": missing}
        messages.warning(request, text)
    else:
        messages.success(request, text + " " + _("Every entry has its judges."))
    return _assignments_redirect(competition, round)


@staff_page
@require_POST
def assign_add(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    form = AssignAddForm(request.POST, round=round)
    if not form.is_valid():
        messages.error(request, _("Choose an entry of this round and a judge on its panel; nothing was changed."))
        return _assignments_redirect(competition, round)
    entry, judge = form.cleaned_data["entry"], form.cleaned_data["judge"]
    try:
        assignment_services.assign(round=round, entry=entry, judge=judge, actor=request.user)
    except (ValidationError, assignment_services.AssignmentError) as error:
        report_errors(request, error)
    else:
        messages.success(
            request,
            _("%(judge)s now judges %(entry)s.") % {"judge": _name(judge), "entry": entry.number or entry.title},
        )
    return _assignments_redirect(competition, round)


@staff_page
@require_POST
def assign_remove(request, slug, round_id, assignment_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    assignment = get_object_or_404(Assignment.objects.select_related("judge", "entry"), pk=assignment_id, round=round)
    try:
        assignment_services.unassign(assignment=assignment, actor=request.user)
    except (ValidationError, assignment_services.AssignmentError) as error:
        report_errors(request, error)
    else:
        messages.success(
            request,
            _("%(judge)s no longer judges %(entry)s.")
            % {"judge": _name(assignment.judge), "entry": assignment.entry.number or assignment.entry.title},
        )
    return _assignments_redirect(competition, round)


# --- Progress -------------------------------------------------------------------------------------------------


@staff_page
def progress(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    members = panels.judge_progress_rows(round)
    for member in members:
        member.percent = round_percent(member.scored, member.assigned)
        member.behind = member.active and member.scored < member.assigned
    # Least progress first, then judges with nothing assigned; judges who left the panel at the end.
    members.sort(
        key=lambda member: (
            not member.active,
            member.assigned == 0,
            member.percent,
            -(member.assigned - member.scored),
            (member.judge.display_name or member.judge.email).lower(),
        )
    )
    active = [member for member in members if member.active]
    assigned = sum(member.assigned for member in active)
    scored = sum(member.scored for member in active)
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/progress.html",
            {
                "competition": competition,
                "round": round,
                "members": members,
                "behind": sum(1 for member in members if member.behind),
                "assigned": assigned,
                "scored": scored,
                "percent": round_percent(scored, assigned),
            },
        )


def round_percent(part, whole):
    return int(part * 100 // whole) if whole else 0


@staff_page
@require_POST
def remind(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    form = RemindForm(request.POST, round=round)
    if not form.is_valid():
        messages.error(request, _("Choose judges on this round's panel; no reminder was sent."))
        return redirect("judging:progress", slug=competition.slug, round_id=round.pk)
    ids = form.cleaned_data["membership_ids"] or None
    try:
        count = panels.send_reminders(round=round, actor=request.user, membership_ids=ids)
    except ValidationError as error:
        report_errors(request, error)
    else:
        if count:
            messages.success(
                request,
                ngettext(
                    "A reminder is on its way to %(count)s judge.",
                    "Reminders are on their way to %(count)s judges.",
                    count,
                )
                % {"count": count},
            )
        else:
            messages.info(
                request,
                _("No reminder was sent: nobody chosen is behind, or they were reminded in the last 12 hours."),
            )
    return redirect("judging:progress", slug=competition.slug, round_id=round.pk)
