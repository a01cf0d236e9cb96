"""The judge's pages: their rounds and a round's queue, with the pieces the entry page shares (the scoring window,
the next unscored entry). The entry page with the score form is in judging.views.judge_entry.

Every view is a staff page (sign-in, a staff role, MFA) and reaches rounds only through judging.access, which
answers 404 to anyone not on the panel.
"""

from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from judging.access import get_membership_for_judge
from judging.models import Assignment, Invitation, PanelMembership, RoundState, Score, ScoreStatus
from portal.access import staff_page
from portal.models import Unit

PAGE_SIZE = 50

NOT_STARTED = "not_started"
QUEUE_STATUSES = [
    (NOT_STARTED, gettext_lazy("Not started")),
    (ScoreStatus.DRAFT.value, gettext_lazy("Draft")),
    (ScoreStatus.SUBMITTED.value, gettext_lazy("Submitted")),
]


# ------------------------------------------------------------------------------------------- shared pieces


def _with_score(assignments):
    """Assignments annotated with the judge's own score on each: status (None = not started) and total."""
    own = Score.objects.filter(round=OuterRef("round"), entry=OuterRef("entry"), judge=OuterRef("judge"))
    return assignments.annotate(
        score_status=Subquery(own.values("status")[:1]), score_total=Subquery(own.values("total")[:1])
    )


def _queue_assignments(round, judge):
    """The judge's active assignments in the round, in queue order (entry number)."""
    return _with_score(Assignment.objects.active().filter(round=round, judge=judge)).order_by(
        "entry__sequence", "entry__pk"
    )


def _progress(judge, round_ids):
    """{round_id: (submitted, assigned)} over the judge's active assignments; two queries for any number of rounds."""
    active = Assignment.objects.active().filter(judge=judge, round_id__in=round_ids)
    assigned = dict(active.order_by().values("round_id").annotate(n=Count("pk")).values_list("round_id", "n"))
    submitted = dict(
        Score.objects.filter(judge=judge, round_id__in=round_ids, status=ScoreStatus.SUBMITTED)
        .filter(
            Exists(
                Assignment.objects.active().filter(
                    round=OuterRef("round"), entry=OuterRef("entry"), judge=OuterRef("judge")
                )
            )
        )
        .order_by()
        .values("round_id")
        .annotate(n=Count("pk"))
        .values_list("round_id", "n")
    )
    return {round_id: (submitted.get(round_id, 0), assigned.get(round_id, 0)) for round_id in round_ids}


def _percent(done, total):
    return round(100 * done / total) if total else 0


def _window(round, now=None):
    """What the judge needs to know about the scoring window, for the templates."""
    state = round.state(now)
    return {"state": state, "label": RoundState(state).label, "open": state == RoundState.OPEN}


def next_unscored(round, judge, after=None):
    """The entry id of the next assignment not yet submitted, in queue order after `after` (an Assignment),
    wrapping around to the first; None when everything is submitted."""
    unscored = _queue_assignments(round, judge).filter(Q(score_status__isnull=True) | Q(score_status=ScoreStatus.DRAFT))
    if after is None:
        return unscored.values_list("entry_id", flat=True).first()
    unscored = unscored.exclude(entry_id=after.entry_id)
    sequence = after.entry.sequence or 0
    later = unscored.filter(
        Q(entry__sequence__gt=sequence) | Q(entry__sequence=sequence, entry__pk__gt=after.entry_id)
    ).values_list("entry_id", flat=True)
    return later.first() or unscored.values_list("entry_id", flat=True).first()


# ------------------------------------------------------------------------------------------- home


@staff_page
def home(request):
    user = request.user
    memberships = list(
        PanelMembership.objects.filter(judge=user, active=True, terms_accepted_at__isnull=False)
        .select_related("round__competition")
        .order_by("-round__competition__edition_year", "round__competition_id", "round__position")
    )
    progress = _progress(user, [membership.round_id for membership in memberships])
    now = timezone.now()
    groups = []
    for membership in memberships:
        round = membership.round
        if not groups or groups[-1]["competition"].pk != round.competition_id:
            groups.append({"competition": round.competition, "rounds": []})
        submitted, assigned = progress[round.pk]
        groups[-1]["rounds"].append(
            {
                "round": round,
                "submitted": submitted,
                "assigned": assigned,
                "percent": _percent(submitted, assigned),
                "window": _window(round, now),
            }
        )
    emails = [
        email.lower() for email in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    ]
    invitations = list(
        Invitation.objects.pending(now)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .exclude(round_id__in=[membership.round_id for membership in memberships])
        .select_related("round__competition")
        .order_by("expires_at")
    )
    return render(request, "judging/judge/home.html", {"groups": groups, "invitations": invitations, "now": now})


# ------------------------------------------------------------------------------------------- queue


@staff_page
def queue(request, round_id):
    membership = get_membership_for_judge(request.user, round_id)
    round = membership.round
    assignments = _queue_assignments(round, request.user)
    submitted, assigned = _progress(request.user, [round.pk])[round.pk]

    units = list(
        Unit.objects.filter(
            pk__in=Assignment.objects.active().filter(round=round, judge=request.user).values("entry__unit_id")
        ).order_by("position", "pk")
    )
    unit_id = request.GET.get("unit", "")
    unit_id = unit_id if unit_id.isdigit() and any(str(unit.pk) == unit_id for unit in units) else ""
    status = request.GET.get("status", "")
    status = status if status in dict(QUEUE_STATUSES) else ""
    shown = assignments.select_related("entry__unit", "entry__track")
    if unit_id:
        shown = shown.filter(entry__unit_id=unit_id)
    if status == NOT_STARTED:
        shown = shown.filter(score_status__isnull=True)
    elif status:
        shown = shown.filter(score_status=status)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {key: value for key, value in (("unit", unit_id), ("status", status)) if value}
    status_labels = dict(QUEUE_STATUSES)
    for assignment in page.object_list:
        assignment.status_key = assignment.score_status or NOT_STARTED
        assignment.status_label = status_labels[assignment.status_key]
    next_entry_id = next_unscored(round, request.user)
    return render(
        request,
        "judging/judge/queue.html",
        {
            "round": round,
            "page": page,
            "units": units,
            "statuses": QUEUE_STATUSES,
            "current_unit": unit_id,
            "current_status": status,
            "filter_query": urlencode(filters),
            "is_filtered": bool(filters),
            "submitted": submitted,
            "assigned": assigned,
            "percent": _percent(submitted, assigned),
            "window": _window(round),
            "next_entry_id": next_entry_id,
        },
    )
