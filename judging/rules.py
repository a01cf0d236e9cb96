"""Who may do what in judging. Views and templates ask only these predicates (and judging.access)."""

import rules

from judging.models import Assignment, PanelMembership
from portal.rules import is_organizer


@rules.predicate
def is_round_judge(user, round):
    """An active member of the round's panel who has accepted the judging terms."""
    if not (user.is_authenticated and user.is_active) or round is None:
        return False
    return PanelMembership.objects.filter(
        round=round, judge=user, active=True, terms_accepted_at__isnull=False
    ).exists()


@rules.predicate
def organizes_round(user, round):
    return round is not None and is_organizer(user, round.competition)


@rules.predicate
def judges_entry(user, entry):
    """Assigned to the entry in some round, still on that panel, and free of any effective conflict with it."""
    if not (user.is_authenticated and user.is_active) or entry is None:
        return False
    return Assignment.objects.active().filter(judge=user, entry=entry).exists()


rules.add_perm("judging.score_round", is_round_judge)
rules.add_perm("judging.manage_round", organizes_round)
rules.add_perm("judging.judge_entry", judges_entry)
