"""Who judges what. `plan` is a pure function (tested on 1,000 entries x 40 judges); the services around it
read the round, call it and write the difference.

Properties: every entry gets exactly N judges where the panel allows it; load is balanced (max - min <= 1
where conflicts allow); conflicted pairs are never assigned; judges with expertise in the entry's unit are
preferred among equally loaded judges; the result depends only on the inputs and the seed; re-running keeps
every existing valid assignment, so only entries that lost a judge (dropped out, new conflict) move.
"""

from dataclasses import dataclass, field

from django.db import transaction


class AssignmentError(Exception):
    """A manual assignment that cannot be made. str() is translated."""


@dataclass(frozen=True)
class JudgeSlot:
    id: int
    expertise: frozenset = frozenset()  # unit ids


@dataclass(frozen=True)
class EntrySlot:
    id: int
    unit_id: int


@dataclass
class Plan:
    assignments: dict = field(default_factory=dict)  # entry id -> set of judge ids (existing kept + new)
    short: dict = field(default_factory=dict)  # entry id -> how many judges it still lacks


def plan(*, entries, judges, per_entry, conflicts, existing, seed=0) -> Plan:
    """`entries`: list[EntrySlot]; `judges`: list[JudgeSlot]; `conflicts`: set[(judge_id, entry_id)];
    `existing`: dict entry id -> set(judge ids) to keep (already valid). Returns the full plan."""
    raise NotImplementedError


@dataclass
class AutoAssignReport:
    created: int = 0
    removed: int = 0
    kept: int = 0
    short: dict = field(default_factory=dict)  # entry id -> missing judges


@transaction.atomic
def auto_assign(*, round, actor, seed=0) -> AutoAssignReport:
    """Fill every entry of the round up to round.judges_per_entry from the active panel. Assignments of dropped
    or conflicted judges that have no score are removed first; assignments with a score are never touched.
    Logged with the counts."""
    raise NotImplementedError


@transaction.atomic
def assign(*, round, entry, judge, actor):
    """Manual: AssignmentError if the entry is not in the round, the judge is not an active panel member, has an
    effective conflict, or is already assigned."""
    raise NotImplementedError


@transaction.atomic
def unassign(*, assignment, actor) -> None:
    """AssignmentError once the judge has a score (draft or submitted) for the entry in the round."""
    raise NotImplementedError


def coverage(round):
    """RoundEntry rows of the round annotated with `judge_count` (active assignments) and `scored_count`,
    select_related entry__unit/track; `short` = judge_count < round.judges_per_entry. Constant query count."""
    raise NotImplementedError
