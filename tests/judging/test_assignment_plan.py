"""judging.assignment.plan, the pure function: 1,000 entries x 40 judges x 5 judges per entry, ~2 % conflicts."""

import random
from collections import Counter

import pytest

from judging.assignment import EntrySlot, JudgeSlot, plan

UNITS = list(range(1, 13))
PER_ENTRY = 5


def make_inputs(seed=7, entry_count=1000, judge_count=40, conflict_share=0.02):
    rng = random.Random(seed)
    entries = [EntrySlot(id=1000 + n, unit_id=rng.choice(UNITS)) for n in range(entry_count)]
    judges = [
        JudgeSlot(id=50 + n, expertise=frozenset(rng.sample(UNITS, rng.randint(1, 3)))) for n in range(judge_count)
    ]
    conflicts = {(judge.id, entry.id) for judge in judges for entry in entries if rng.random() < conflict_share}
    return entries, judges, conflicts


@pytest.fixture(scope="module")
def inputs():
    return make_inputs()


@pytest.fixture(scope="module")
def big_plan(inputs):
    entries, judges, conflicts = inputs
    # How long this takes is measured by `make bench` (a timed assertion here would fail on a busy machine).
    return plan(entries=entries, judges=judges, per_entry=PER_ENTRY, conflicts=conflicts, existing={}, seed=1)


def loads(result, judges):
    counted = Counter(judge for judge_ids in result.assignments.values() for judge in judge_ids)
    return [counted[judge.id] for judge in judges]


def as_pairs(result):
    return {(entry, judge) for entry, judge_ids in result.assignments.items() for judge in judge_ids}


def test_every_entry_gets_exactly_n_judges(inputs, big_plan):
    entries, _judges, _conflicts = inputs
    assert set(big_plan.assignments) == {entry.id for entry in entries}
    assert all(len(judge_ids) == PER_ENTRY for judge_ids in big_plan.assignments.values())
    assert big_plan.short == {}


def test_load_is_balanced(inputs, big_plan):
    _entries, judges, _conflicts = inputs
    counted = loads(big_plan, judges)
    assert sum(counted) == 1000 * PER_ENTRY
    assert max(counted) - min(counted) <= 1


def test_conflicted_pairs_are_never_assigned(inputs, big_plan):
    _entries, _judges, conflicts = inputs
    assert len(conflicts) > 500  # the test really has conflicts (~2 % of 40,000 pairs)
    assert not {(judge, entry) for entry, judge in as_pairs(big_plan)} & conflicts


def test_same_seed_gives_the_same_plan_whatever_the_input_order(inputs, big_plan):
    entries, judges, conflicts = inputs
    again = plan(entries=entries, judges=judges, per_entry=PER_ENTRY, conflicts=conflicts, existing={}, seed=1)
    assert again.assignments == big_plan.assignments
    rng = random.Random(99)
    shuffled_entries, shuffled_judges = list(entries), list(judges)
    rng.shuffle(shuffled_entries)
    rng.shuffle(shuffled_judges)
    shuffled = plan(
        entries=shuffled_entries,
        judges=shuffled_judges,
        per_entry=PER_ENTRY,
        conflicts=set(conflicts),
        existing={},
        seed=1,
    )
    assert shuffled.assignments == big_plan.assignments


def test_another_seed_gives_another_plan(inputs, big_plan):
    entries, judges, conflicts = inputs
    other = plan(entries=entries, judges=judges, per_entry=PER_ENTRY, conflicts=conflicts, existing={}, seed=2)
    assert other.assignments != big_plan.assignments
    assert all(len(judge_ids) == PER_ENTRY for judge_ids in other.assignments.values())
    counted = loads(other, judges)
    assert max(counted) - min(counted) <= 1


def test_expertise_is_preferred(inputs, big_plan):
    entries, judges, conflicts = inputs
    expertise = {judge.id: judge.expertise for judge in judges}
    unit_of = {entry.id: entry.unit_id for entry in entries}
    share = sum(unit_of[entry] in expertise[judge] for entry, judge in as_pairs(big_plan)) / (1000 * PER_ENTRY)
    # What picking among the eligible judges at random would give.
    baseline = sum(
        sum(entry.unit_id in judge.expertise for judge in eligible) / len(eligible)
        for entry in entries
        for eligible in [[judge for judge in judges if (judge.id, entry.id) not in conflicts]]
    ) / len(entries)
    assert baseline < 0.25
    assert share > 2 * baseline, (share, baseline)


def test_existing_assignments_are_kept_and_counted_in_the_load():
    entries = [EntrySlot(id=n, unit_id=1) for n in range(1, 7)]
    judges = [JudgeSlot(id=n) for n in (10, 11, 12, 13)]
    existing = {1: {10, 11}, 2: {10}}
    result = plan(entries=entries, judges=judges, per_entry=2, conflicts=set(), existing=existing, seed=3)
    assert result.assignments[1] == {10, 11}
    assert 10 in result.assignments[2]
    assert all(len(judge_ids) == 2 for judge_ids in result.assignments.values())
    counted = loads(result, judges)
    assert counted == [3, 3, 3, 3]


def test_input_lists_are_not_changed():
    entries = [EntrySlot(id=n, unit_id=1) for n in (3, 1, 2)]
    judges = [JudgeSlot(id=n) for n in (12, 10, 11)]
    existing = {1: {10}}
    plan(entries=entries, judges=judges, per_entry=2, conflicts=set(), existing=existing, seed=0)
    assert [entry.id for entry in entries] == [3, 1, 2]
    assert [judge.id for judge in judges] == [12, 10, 11]
    assert existing == {1: {10}}


def test_a_dropped_judge_moves_only_their_entries(inputs, big_plan):
    entries, judges, conflicts = inputs
    dropped = judges[7].id
    their_entries = {entry for entry, judge_ids in big_plan.assignments.items() if dropped in judge_ids}
    assert len(their_entries) == 125
    existing = {entry: judge_ids - {dropped} for entry, judge_ids in big_plan.assignments.items()}
    remaining = [judge for judge in judges if judge.id != dropped]

    replan = plan(
        entries=entries, judges=remaining, per_entry=PER_ENTRY, conflicts=conflicts, existing=existing, seed=5
    )

    before, after = as_pairs(big_plan), as_pairs(replan)
    # Every assignment of the other judges is unchanged ...
    assert {pair for pair in before if pair[1] != dropped} <= after
    # ... and the only new ones are one replacement judge on each of the dropped judge's entries.
    added = after - before
    assert sorted(entry for entry, _judge in added) == sorted(their_entries)
    assert all(dropped not in judge_ids and len(judge_ids) == PER_ENTRY for judge_ids in replan.assignments.values())
    assert not {(judge, entry) for entry, judge in added} & conflicts
    counted = loads(replan, remaining)
    assert max(counted) - min(counted) <= 1


def test_too_few_eligible_judges_is_reported_short():
    entries = [EntrySlot(id=1, unit_id=1), EntrySlot(id=2, unit_id=1)]
    judges = [JudgeSlot(id=n) for n in range(10, 16)]  # six judges
    # Three of the six are conflicted with entry 1: only three eligible for five slots.
    conflicts = {(10, 1), (11, 1), (12, 1)}
    result = plan(entries=entries, judges=judges, per_entry=5, conflicts=conflicts, existing={}, seed=0)
    assert result.assignments[1] == {13, 14, 15}
    assert result.short == {1: 2}
    assert len(result.assignments[2]) == 5


def test_only_three_judges_for_five_slots():
    entries = [EntrySlot(id=n, unit_id=1) for n in range(1, 4)]
    judges = [JudgeSlot(id=n) for n in (7, 8, 9)]
    result = plan(entries=entries, judges=judges, per_entry=5, conflicts=set(), existing={}, seed=0)
    assert result.short == {1: 2, 2: 2, 3: 2}
    assert all(judge_ids == {7, 8, 9} for judge_ids in result.assignments.values())


def test_conflicts_force_a_repair_that_keeps_balance():
    # Judge 10 is conflicted with half the entries; greedy filling alone would load the others unevenly.
    entries = [EntrySlot(id=n, unit_id=n % 3) for n in range(1, 41)]
    judges = [JudgeSlot(id=n, expertise=frozenset({n % 3})) for n in range(10, 18)]
    conflicts = {(10, n) for n in range(1, 21)} | {(11, n) for n in range(21, 31)}
    for seed in range(5):
        result = plan(entries=entries, judges=judges, per_entry=3, conflicts=conflicts, existing={}, seed=seed)
        counted = loads(result, judges)
        assert max(counted) - min(counted) <= 1
        assert all(len(judge_ids) == 3 for judge_ids in result.assignments.values())
        assert not {(judge, entry) for entry, judge in as_pairs(result)} & conflicts


def test_empty_inputs():
    assert plan(entries=[], judges=[], per_entry=3, conflicts=set(), existing={}).assignments == {}
    result = plan(entries=[EntrySlot(id=1, unit_id=1)], judges=[], per_entry=3, conflicts=set(), existing={})
    assert result.assignments == {1: set()}
    assert result.short == {1: 3}


def test_small_conflicted_panel_is_balanced_for_every_seed():
    # Entries 1 and 2 only suit judges 1 and 2, entry 3 only judges 1 and 3: some seeds need the repair pass.
    entries = [EntrySlot(id=n, unit_id=1) for n in (1, 2, 3)]
    judges = [JudgeSlot(id=n) for n in (1, 2, 3)]
    conflicts = {(3, 1), (3, 2), (2, 3)}
    for seed in range(20):
        result = plan(entries=entries, judges=judges, per_entry=1, conflicts=conflicts, existing={}, seed=seed)
        assert loads(result, judges) == [1, 1, 1], seed
        assert result.assignments[3] == {3}


def test_repair_moves_along_a_chain_when_no_direct_move_exists():
    from judging.assignment import _repair

    # Judge 2 holds entries 1 and 2, which judge 3 may not take; judge 1 holds entry 3, which judge 3 may take.
    load = {1: 1, 2: 2, 3: 0}
    result = {1: {2}, 2: {2}, 3: {1}}
    new_by_judge = {1: {3}, 2: {1, 2}, 3: set()}
    conflicts = {(3, 1), (3, 2), (2, 3)}
    expertise = dict.fromkeys((1, 2, 3), frozenset())
    _repair([1, 2, 3], load, result, new_by_judge, conflicts, expertise, {1: 1, 2: 1, 3: 1})
    assert load == {1: 1, 2: 1, 3: 1}
    assert result[3] == {3}
    assert sorted(len(result[entry]) for entry in result) == [1, 1, 1]
    assert {judge for judge_ids in result.values() for judge in judge_ids} == {1, 2, 3}


def test_kept_assignments_never_move_even_when_the_load_cannot_balance():
    entries = [EntrySlot(id=n, unit_id=1) for n in range(1, 5)]
    judges = [JudgeSlot(id=n) for n in (1, 2)]
    existing = {1: {1}, 2: {1}, 3: {1}}  # judge 1 already carries three entries
    result = plan(entries=entries, judges=judges, per_entry=1, conflicts=set(), existing=existing, seed=0)
    assert result.assignments == {1: {1}, 2: {1}, 3: {1}, 4: {2}}
