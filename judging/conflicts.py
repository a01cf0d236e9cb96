"""Conflicts of interest (回避): declared by judges, detected by the portal, waived by organizers with a reason.

Detection compares normalised text (NFKC, casefold, whitespace and punctuation removed):
- the judge's display name and email, and each line of their affiliations and person/organisation declarations,
- against each entry's owner (display name, real name, email, organisation), co-owners (email, display name,
  real name, organisation), and credit names.
Names and emails match when equal; organisations also match when one contains the other and the shorter has
at least 4 characters. Runs over one competition's non-draft entries with a fixed number of queries.
"""

from django.db import transaction

from judging.models import Conflict, ConflictDeclaration


def normalise(text: str) -> str:
    raise NotImplementedError


@transaction.atomic
def declare_conflict(*, competition, judge, kind, entry=None, value="", reason="") -> ConflictDeclaration:
    """Record a declaration; an entry declaration immediately creates a DECLARED Conflict row, person and
    organisation declarations are matched by detect_conflicts (run here for this judge)."""
    raise NotImplementedError


@transaction.atomic
def withdraw_declaration(*, declaration, judge) -> None:
    raise NotImplementedError


@transaction.atomic
def detect_conflicts(*, competition, judges=None) -> int:
    """Create DETECTED Conflict rows for every (judge, entry) match among the competition's judges (or those
    given); delete unwaived detected rows whose basis no longer holds. Returns the number of new rows."""
    raise NotImplementedError


@transaction.atomic
def waive_conflict(*, conflict, actor, reason) -> Conflict:
    """Only DETECTED conflicts; a reason is required (ValidationError). Ledger row CONFLICT_WAIVED + ActionLog."""
    raise NotImplementedError


@transaction.atomic
def revoke_waiver(*, conflict, actor, reason) -> Conflict:
    raise NotImplementedError


def conflicted_pairs(competition) -> set[tuple[int, int]]:
    """{(judge_id, entry_id)} with an effective conflict; one query."""
    raise NotImplementedError
