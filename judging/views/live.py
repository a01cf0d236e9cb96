"""The live final (路演): the organizer picks the entry being pitched and reveals its result once every judge has
scored; the judges follow on their phones. Both screens refresh themselves with htmx polling.

Before the reveal nothing here carries a score: only who has submitted (judging.services.live_status).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from judging import services
from judging.access import get_assignment_for_judge, get_round_for_judge, get_round_for_organizer
from judging.models import RoundEntry, Score, ScoreStatus
from portal.access import staff_page

POLL_SECONDS = 3


def _live_round_for_organizer(user, slug, round_id):
    competition, round = get_round_for_organizer(user, slug, round_id)
    if not round.live_final:
        raise Http404
    return competition, round


def _status_context(competition, round):
    status = services.live_status(round)
    return {
        "competition": competition,
        "round": round,
        "status": status,
        "submitted_count": sum(1 for row in status["judges"] if row["submitted"]),
        "poll": POLL_SECONDS,
    }


@staff_page
def live_console(request, slug, round_id):
    """The organizer's screen (for a projector): the round's entries to pick from and the live status panel."""
    competition, round = _live_round_for_organizer(request.user, slug, round_id)
    round_entries = (
        RoundEntry.objects.filter(round=round).select_related("entry__unit", "entry__track").order_by("entry__number")
    )
    return render(
        request, "judging/live/console.html", {**_status_context(competition, round), "round_entries": round_entries}
    )


@staff_page
def live_status(request, slug, round_id):
    """The status panel alone, polled by the console every few seconds."""
    competition, round = _live_round_for_organizer(request.user, slug, round_id)
    response = render(request, "judging/live/_status.html", _status_context(competition, round))
    response["Cache-Control"] = "no-store"
    return response


@staff_page
@require_POST
def live_select(request, slug, round_id):
    competition, round = _live_round_for_organizer(request.user, slug, round_id)
    entry_id = request.POST.get("entry", "")
    if not entry_id.isdigit():
        raise Http404
    round_entry = get_object_or_404(RoundEntry.objects.select_related("entry"), round=round, entry_id=int(entry_id))
    try:
        services.set_live_entry(round=round, entry=round_entry.entry, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Now pitching: %(number)s %(title)s.")
            % {"number": round_entry.entry.number, "title": round_entry.entry.display_title},
        )
    return redirect("judging:live_console", slug=competition.slug, round_id=round.pk)


@staff_page
@require_POST
def live_reveal(request, slug, round_id):
    competition, round = _live_round_for_organizer(request.user, slug, round_id)
    if round.live_entry_id is None:
        messages.error(request, _("Put an entry on stage first."))
        return redirect("judging:live_console", slug=competition.slug, round_id=round.pk)
    try:
        services.reveal_live_result(round=round, actor=request.user)
    except services.NotReady as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("judging:live_console", slug=competition.slug, round_id=round.pk)


@staff_page
def judge_live(request, round_id):
    """The judge's phone page: the entry being pitched now and the way to its score form. htmx asks for the
    current-entry part alone (HX-Request) every few seconds."""
    round = get_round_for_judge(request.user, round_id)
    if not round.live_final:
        raise Http404
    entry = round.live_entry
    assigned = submitted = False
    if entry is not None:
        try:
            get_assignment_for_judge(request.user, round.pk, entry.pk)
        except Http404:
            pass
        else:
            assigned = True
            submitted = Score.objects.filter(
                round=round, entry=entry, judge=request.user, status=ScoreStatus.SUBMITTED
            ).exists()
    context = {
        "round": round,
        "competition": round.competition,
        "entry": entry,
        "assigned": assigned,
        "submitted": submitted,
        "poll": POLL_SECONDS,
    }
    partial = request.headers.get("HX-Request") == "true"
    template = "judging/live/_judge_current.html" if partial else "judging/live/judge.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    if partial:
        response["Cache-Control"] = "no-store"
    return response
