"""Access to judging in one place: views get rounds and assignments only through these helpers, which answer 404
to anyone who may not know the object exists (an entrant, a judge of another round, a conflicted judge)."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from judging.models import Assignment, PanelMembership, Round
from portal.access import get_competition_for_organizer

ASSIGNMENT_RELATED = ("round__competition", "entry__track", "entry__unit", "entry__competition")


def get_round_for_organizer(user, slug, round_id):
    """(competition, round) for an organizer of the round's competition; 404 for everyone else."""
    competition = get_competition_for_organizer(user, slug)
    round = get_object_or_404(Round.objects.select_related("competition"), pk=round_id, competition=competition)
    return competition, round


def get_round_for_judge(user, round_id) -> Round:
    """A round whose panel the user sits on (active, terms accepted); 404 for everyone else."""
    round = get_object_or_404(Round.objects.select_related("competition"), pk=round_id)
    if not user.has_perm("judging.score_round", round):
        raise Http404
    return round


def get_membership_for_judge(user, round_id) -> PanelMembership:
    membership = get_object_or_404(
        PanelMembership.objects.select_related("round__competition"),
        round_id=round_id,
        judge=user,
        active=True,
        terms_accepted_at__isnull=False,
    )
    return membership


def get_assignment_for_judge(user, round_id, entry_id) -> Assignment:
    """The user's active assignment to the entry in the round: on the panel, assigned, no effective conflict.

    A conflicted judge gets the same 404 as an unassigned one, so a conflict reveals nothing about the entry.
    """
    if not (user.is_authenticated and user.is_active):
        raise Http404
    get_membership_for_judge(user, round_id)
    return get_object_or_404(
        Assignment.objects.active().select_related(*ASSIGNMENT_RELATED),
        round_id=round_id,
        entry_id=entry_id,
        judge=user,
    )
