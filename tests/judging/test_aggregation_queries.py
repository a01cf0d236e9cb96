"""judging.aggregation runs a fixed number of queries, however many entries, judges and scores a round has."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from judging.aggregation import compute_ranking, take_snapshot, unscored_entries
from judging.models import AggregationMethod, Conflict, RoundEntry
from tests.factories import PanelMembershipFactory, UnitFactory, eligible_entry, submitted_score


def grow(round, units, judges, count):
    """`count` more listed entries spread over the units, each scored by three of the judges (rotating)."""
    start = RoundEntry.objects.filter(round=round).count()
    for index in range(start, start + count):
        entry = eligible_entry(units[index % len(units)])
        RoundEntry.objects.create(round=round, entry=entry)
        for offset in range(3):
            value = (index * 3 + offset * 5) % 21 / 2  # 0..10 in steps of 0.5
            judge = judges[(index + offset) % len(judges)]
            submitted_score(round=round, entry=entry, judge=judge, values={"story": value, "craft": 10 - value})


def queries(function, *args, **kwargs):
    with CaptureQueriesContext(connection) as context:
        result = function(*args, **kwargs)
    return len(context.captured_queries), result


@pytest.mark.parametrize("method", AggregationMethod.values)
def test_ranking_query_count_is_flat_from_5_to_40_entries(judging_round, unit, competition, method):
    units = [unit, UnitFactory(competition=competition)]
    judges = [PanelMembershipFactory(round=judging_round).judge for _ in range(8)]
    grow(judging_round, units, judges[:3], 5)

    small, ranking = queries(compute_ranking, judging_round, method=method)
    assert len(ranking.entries) == 5

    grow(judging_round, units, judges, 35)
    first = RoundEntry.objects.filter(round=judging_round).order_by("pk").first().entry
    Conflict.objects.create(competition=competition, judge=judges[0], entry=first, source="declared", basis="x")
    RoundEntry.objects.create(round=judging_round, entry=eligible_entry(unit))  # listed, never scored

    large, ranking = queries(compute_ranking, judging_round, method=method)

    assert len(ranking.entries) == 40
    assert len(ranking.judges) == 8
    assert small == large == 2  # the criteria, then one statement for entries, criteria and judges


def test_snapshot_and_unscored_query_counts_are_flat(judging_round, unit):
    judges = [PanelMembershipFactory(round=judging_round).judge for _ in range(5)]
    grow(judging_round, [unit], judges, 5)
    small_snapshot, snapshot = queries(take_snapshot, judging_round)
    small_unscored, _ = queries(unscored_entries, judging_round)
    assert len(snapshot["scores"]) == 15

    grow(judging_round, [unit], judges, 35)
    for _ in range(3):
        RoundEntry.objects.create(round=judging_round, entry=eligible_entry(unit))
    large_snapshot, snapshot = queries(take_snapshot, judging_round)
    large_unscored, unscored = queries(unscored_entries, judging_round)

    assert len(snapshot["scores"]) == 120
    assert len(unscored) == 3
    assert small_snapshot == large_snapshot
    assert small_unscored == large_unscored == 1
