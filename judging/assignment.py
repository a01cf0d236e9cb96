"""Who judges what. `plan` is a pure function (tested on 1,000 entries x 40 judges); the services around it
read the round, call it and write the difference.

Properties: every entry gets exactly N judges where the panel allows it; load is balanced (max - min <= 1
where conflicts allow); conflicted pairs are never assigned; judges with expertise in the entry's unit are
preferred among equally loaded judges; the result depends only on the inputs and the seed; re-running keeps
every existing valid assignment, so only entries that lost a judge (dropped out, new conflict) move.
"""

import random
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, Count, Exists, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from judging.models import (
    Assignment,
    AssignmentMethod,
    Conflict,
    PanelMembership,
    RoundEntry,
    Score,
    ScoreStatus,
)
from portal.models import LoggedAction
from portal.services import log_action


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
    `existing`: dict entry id -> set(judge ids) to keep (already valid). Returns the full plan.

    How: inputs are sorted by id first, so only (inputs, seed) matter, never their order. Entries are filled
    most constrained first (least slack between eligible judges and open slots, ties in a seeded shuffle); each
    open slot goes to an eligible judge (no conflict, not yet on the entry) with the lowest load, experts in the
    entry's unit first among those, then a seeded random choice. Kept assignments count in the load but never
    move. A repair pass then moves new assignments from heavier to lighter judges (difference >= 2) while a
    legal move exists, preferring moves that keep or gain expertise."""
    rng = random.Random(seed)  # noqa: S311 - tie-breaking, reproducible on purpose
    entries = sorted({entry.id: entry for entry in entries}.values(), key=lambda entry: entry.id)
    judges = sorted({judge.id: judge for judge in judges}.values(), key=lambda judge: judge.id)
    judge_ids = [judge.id for judge in judges]
    expertise = {judge.id: judge.expertise for judge in judges}
    conflicts = set(conflicts)
    unit_of = {entry.id: entry.unit_id for entry in entries}

    load = dict.fromkeys(judge_ids, 0)
    result = {}
    for entry in entries:
        kept = set(existing.get(entry.id, ()))
        result[entry.id] = kept
        for judge_id in kept:
            if judge_id in load:
                load[judge_id] += 1

    eligible = {
        entry.id: [j for j in judge_ids if j not in result[entry.id] and (j, entry.id) not in conflicts]
        for entry in entries
    }
    need = {entry.id: max(0, per_entry - len(result[entry.id])) for entry in entries}

    order = [entry.id for entry in entries if need[entry.id]]
    rng.shuffle(order)
    order.sort(key=lambda entry_id: len(eligible[entry_id]) - need[entry_id])  # stable: shuffle breaks ties

    short = {}
    new_by_judge = {judge_id: set() for judge_id in judge_ids}
    for entry_id in order:
        missing = need[entry_id]
        pool = eligible[entry_id]
        if len(pool) <= missing:
            chosen = list(pool)
            if len(pool) < missing:
                short[entry_id] = missing - len(pool)
        else:
            unit_id = unit_of[entry_id]
            chosen = []
            pool = list(pool)
            for _slot in range(missing):
                lowest = min(load[j] for j in pool)
                candidates = [j for j in pool if load[j] == lowest]
                experts = [j for j in candidates if unit_id in expertise[j]]
                pick = rng.choice(experts or candidates)
                pool.remove(pick)  # picks within one entry leave the pool, so loads change after the loop
                chosen.append(pick)
        for judge_id in chosen:
            result[entry_id].add(judge_id)
            new_by_judge[judge_id].add(entry_id)
            load[judge_id] += 1

    _repair(judge_ids, load, result, new_by_judge, conflicts, expertise, unit_of)
    return Plan(assignments=result, short=short)


def _repair(judge_ids, load, result, new_by_judge, conflicts, expertise, unit_of):
    """Balance the load by moving new assignments along a chain of judges: the heaviest judge gives one entry
    to another, who may give one of theirs onward, until a judge at least two lighter receives one (only the
    two ends change load). Each chain lowers the sum of squared loads, so this ends; it stops when max - min
    <= 1 or no chain exists."""
    while True:
        by_load = sorted(judge_ids, key=lambda j: (load[j], j))
        if not by_load or load[by_load[-1]] - load[by_load[0]] <= 1:
            return
        path, stuck = None, set()
        for donor in reversed(by_load):
            if load[donor] - load[by_load[0]] < 2:
                break
            if donor in stuck:
                continue  # reachable from a donor at least as heavy that found no chain: neither will this one
            path, reached = _chain(donor, by_load, load, result, new_by_judge, conflicts, expertise, unit_of)
            if path:
                break
            stuck |= reached
        if not path:
            return
        for giver, taker, entry_id in path:
            result[entry_id].discard(giver)
            result[entry_id].add(taker)
            new_by_judge[giver].discard(entry_id)
            new_by_judge[taker].add(entry_id)
        load[path[0][0]] -= 1
        load[path[-1][1]] += 1


def _chain(donor, by_load, load, result, new_by_judge, conflicts, expertise, unit_of):
    """Breadth-first search for moves donor -> ... -> a judge with load <= load[donor] - 2. Returns
    ([(giver, taker, entry id)], judges reached)."""
    target = load[donor] - 2
    parent = {donor: None}
    frontier = [donor]
    while frontier:
        next_frontier = []
        for giver in frontier:
            best = {}  # taker -> (gain, entry id): the entry this taker would best take from the giver
            for entry_id in sorted(new_by_judge[giver]):
                on_entry = result[entry_id]
                unit_id = unit_of[entry_id]
                giver_expert = unit_id in expertise[giver]
                for taker in by_load:
                    if taker in parent or taker in on_entry or (taker, entry_id) in conflicts:
                        continue
                    gain = (unit_id in expertise[taker]) - giver_expert
                    if taker not in best or gain > best[taker][0]:
                        best[taker] = (gain, entry_id)
            for taker in by_load:  # lightest first
                if taker not in best:
                    continue
                parent[taker] = (giver, best[taker][1])
                if load[taker] <= target:
                    path = []
                    while parent[taker] is not None:
                        giver_of, entry_id = parent[taker]
                        path.append((giver_of, taker, entry_id))
                        taker = giver_of
                    return path[::-1], set(parent)
                next_frontier.append(taker)
        frontier = next_frontier
    return None, set(parent)


@dataclass
class AutoAssignReport:
    created: int = 0
    removed: int = 0
    kept: int = 0
    short: dict = field(default_factory=dict)  # entry id -> missing judges


def _scored(round_ref="round", entry_ref="entry", judge_ref="judge"):
    """Exists(): the judge has a score (draft or submitted) for the entry in the round."""
    return Exists(Score.objects.filter(round=OuterRef(round_ref), entry=OuterRef(entry_ref), judge=OuterRef(judge_ref)))


@transaction.atomic
def auto_assign(*, round, actor, seed=0) -> AutoAssignReport:
    """Fill every entry of the round up to round.judges_per_entry from the active panel. Assignments of dropped
    or conflicted judges that have no score are removed first; assignments with a score are never touched.
    Logged with the counts."""
    from judging.conflicts import detect_conflicts

    competition = round.competition
    detect_conflicts(competition=competition)

    round_entries = RoundEntry.objects.filter(round=round)
    entries = [
        EntrySlot(id=entry_id, unit_id=unit_id)
        for entry_id, unit_id in round_entries.values_list("entry_id", "entry__unit_id")
    ]
    entry_ids = {entry.id for entry in entries}

    active_members = list(
        PanelMembership.objects.filter(round=round, active=True).values_list("id", "judge_id", "terms_accepted_at")
    )
    active_judges = {judge_id for _id, judge_id, _terms in active_members}
    expertise = {}
    through = PanelMembership.expertise.through
    for membership_id, unit_id in through.objects.filter(
        panelmembership__round=round, panelmembership__active=True
    ).values_list("panelmembership_id", "unit_id"):
        expertise.setdefault(membership_id, set()).add(unit_id)
    judges = [
        JudgeSlot(id=judge_id, expertise=frozenset(expertise.get(membership_id, ())))
        for membership_id, judge_id, terms_accepted_at in active_members
        if terms_accepted_at is not None
    ]

    conflicts = set(
        Conflict.objects.effective()
        .filter(competition=competition, entry__in=round_entries.values("entry"))
        .values_list("judge_id", "entry_id")
    )

    keep, remove, kept = {}, [], 0
    rows = (
        Assignment.objects.filter(round=round)
        .annotate(scored=_scored())
        .values_list("id", "entry_id", "judge_id", "scored")
    )
    for assignment_id, entry_id, judge_id, scored in rows:
        valid = entry_id in entry_ids and judge_id in active_judges and (judge_id, entry_id) not in conflicts
        if valid:
            keep.setdefault(entry_id, set()).add(judge_id)
            kept += 1
        elif not scored:
            remove.append(assignment_id)
    removed = 0
    if remove:
        removed, _detail = Assignment.objects.filter(id__in=remove).delete()

    result = plan(
        entries=entries,
        judges=judges,
        per_entry=round.judges_per_entry,
        conflicts=conflicts,
        existing=keep,
        seed=seed,
    )
    new = [
        Assignment(round=round, entry_id=entry_id, judge_id=judge_id, method=AssignmentMethod.AUTO, assigned_by=actor)
        for entry_id in sorted(result.assignments)
        for judge_id in sorted(result.assignments[entry_id] - keep.get(entry_id, set()))
    ]
    if new:
        Assignment.objects.bulk_create(new)
    report = AutoAssignReport(created=len(new), removed=removed, kept=kept, short=result.short)
    log_action(
        competition=competition,
        actor=actor,
        action=LoggedAction.ASSIGNMENTS_CHANGED,
        subject=round,
        data={
            "method": "auto",
            "seed": seed,
            "created": report.created,
            "removed": report.removed,
            "kept": report.kept,
            "short_entries": len(report.short),
            "missing_judges": sum(report.short.values()),
        },
    )
    return report


@transaction.atomic
def assign(*, round, entry, judge, actor):
    """Manual: AssignmentError if the entry is not in the round, the judge is not an active panel member, has an
    effective conflict, or is already assigned."""
    if not RoundEntry.objects.filter(round=round, entry=entry).exists():
        raise AssignmentError(_("This entry is not in the round's list."))
    if not PanelMembership.objects.filter(
        round=round, judge=judge, active=True, terms_accepted_at__isnull=False
    ).exists():
        raise AssignmentError(_("%(judge)s is not an active member of this round's panel.") % {"judge": judge})
    if Conflict.objects.effective().filter(judge=judge, entry=entry).exists():
        raise AssignmentError(
            _("%(judge)s has a conflict of interest with this entry and cannot judge it.") % {"judge": judge}
        )
    already = _("%(judge)s is already assigned to this entry.") % {"judge": judge}
    if Assignment.objects.filter(round=round, entry=entry, judge=judge).exists():
        raise AssignmentError(already)
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                round=round, entry=entry, judge=judge, method=AssignmentMethod.MANUAL, assigned_by=actor
            )
    except IntegrityError as error:  # a parallel request assigned the same pair
        raise AssignmentError(already) from error
    log_action(
        competition=round.competition,
        actor=actor,
        action=LoggedAction.ASSIGNMENTS_CHANGED,
        subject=round,
        data={"method": "manual", "assigned": {"entry": entry.pk, "judge": judge.pk}},
    )
    return assignment


@transaction.atomic
def unassign(*, assignment, actor) -> None:
    """AssignmentError once the judge has a score (draft or submitted) for the entry in the round."""
    if Score.objects.filter(
        round_id=assignment.round_id, entry_id=assignment.entry_id, judge_id=assignment.judge_id
    ).exists():
        raise AssignmentError(
            _("The judge has already scored this entry, so the assignment stays (their score is kept).")
        )
    round = assignment.round
    data = {"method": "manual", "unassigned": {"entry": assignment.entry_id, "judge": assignment.judge_id}}
    assignment.delete()
    log_action(
        competition=round.competition, actor=actor, action=LoggedAction.ASSIGNMENTS_CHANGED, subject=round, data=data
    )


def _count(queryset):
    """A correlated COUNT subquery of `queryset` (already filtered with OuterRef), 0 when there are no rows."""
    counted = queryset.order_by().values("entry").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def coverage(round):
    """RoundEntry rows of the round annotated with `judge_count` (active assignments) and `scored_count`,
    select_related entry__unit/track; `short` = judge_count < round.judges_per_entry. Constant query count.

    `scored_count` counts submitted scores that count (no effective conflict), including those of judges who
    have since left the panel: their scores stay."""
    active = Assignment.objects.active().filter(round=OuterRef("round"), entry=OuterRef("entry"))
    scored = Score.objects.counting().filter(round=OuterRef("round"), entry=OuterRef("entry"))
    return (
        RoundEntry.objects.filter(round=round)
        .select_related("entry__unit", "entry__track")
        .annotate(judge_count=_count(active), scored_count=_count(scored.filter(status=ScoreStatus.SUBMITTED)))
        .annotate(
            short=Case(
                When(judge_count__lt=round.judges_per_entry, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("entry__sequence", "entry_id")
    )
