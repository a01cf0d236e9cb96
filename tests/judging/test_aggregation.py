"""judging.aggregation against small hand-computed fixtures.

The rubric (RubricFactory) is story (weight 60) and craft (weight 40), both 0–10, so a judge's total is
6 * story + 4 * craft; with story = craft = v the total is 10 * v. Every expected number below is worked out by
hand in the comment next to it.
"""

from decimal import Decimal as D

import pytest

from judging.aggregation import compute_ranking, take_snapshot, unscored_entries
from judging.models import Conflict, Criterion, ResultVersion, RoundEntry, Score
from portal.models import TrackKind
from tests.factories import (
    PanelMembershipFactory,
    RoundFactory,
    RubricFactory,
    UnitFactory,
    eligible_entry,
    submitted_score,
)


def listed(round, unit, count):
    """`count` eligible entries of the unit on the round's entry list, in number order."""
    made = []
    for _ in range(count):
        entry = eligible_entry(unit)
        RoundEntry.objects.create(round=round, entry=entry)
        made.append(entry)
    return made


def panel(round, count):
    return [PanelMembershipFactory(round=round).judge for _ in range(count)]


def give(round, entry, judge, story, craft=None):
    """A submitted score; craft defaults to story, so the total is 10 * story."""
    craft = story if craft is None else craft
    return submitted_score(round=round, entry=entry, judge=judge, values={"story": story, "craft": craft})


def results(ranking):
    return {result.entry_id: result for result in ranking.entries}


def order(ranking):
    return [result.entry_id for result in ranking.entries]


# --------------------------------------------------------------------------------------------- methods


def test_mean_of_totals_and_of_each_criterion(judging_round, unit):
    a, b = listed(judging_round, unit, 2)
    j1, j2, j3 = panel(judging_round, 3)
    give(judging_round, a, j1, 8, 5)  # 48 + 20 = 68
    give(judging_round, a, j2, 6, 9)  # 36 + 36 = 72
    give(judging_round, a, j3, 10, 4)  # 60 + 16 = 76
    give(judging_round, b, j1, 7)  # 70
    give(judging_round, b, j2, 7)  # 70
    give(judging_round, b, j3, 7.5)  # 75

    ranking = compute_ranking(judging_round, method="mean")

    assert ranking.method == "mean"
    first = results(ranking)[a.pk]
    # (68 + 72 + 76) / 3 = 216 / 3 = 72
    assert first.raw == first.score == D("72.000")
    assert first.judge_count == 3
    # story (8 + 6 + 10) / 3 = 8; craft (5 + 9 + 4) / 3 = 6
    assert first.criteria["story"]["raw"] == D("8.000")
    assert first.criteria["craft"]["raw"] == D("6.000")
    assert list(first.criteria) == ["story", "craft"]  # tie-break order: weight 60 before 40
    # spread 76 - 68 = 8; population sd: deviations -4, 0, 4 -> sqrt(32 / 3) = sqrt(10.667) = 3.266
    assert first.spread == D("8.000")
    assert first.stdev == D("3.266")
    second = results(ranking)[b.pk]
    # (70 + 70 + 75) / 3 = 215 / 3 = 71.6666.. -> 71.667 (half up at the third decimal)
    assert second.raw == D("71.667")
    assert order(ranking) == [a.pk, b.pk]
    assert [(r.rank, r.unit_rank) for r in ranking.entries] == [(1, 1), (2, 2)]
    assert [c["key"] for c in ranking.criteria] == ["story", "craft"]
    assert ranking.criteria[0]["weight"] == D("60")


def test_the_round_method_is_the_default(judging_round, unit):
    judging_round.aggregation_method = "median"
    judging_round.save()
    (entry,) = listed(judging_round, unit, 1)
    for judge, value in zip(panel(judging_round, 3), (2, 9, 10), strict=True):
        give(judging_round, entry, judge, value)

    ranking = compute_ranking(judging_round)

    # median of 20, 90, 100 = 90 (the mean would be 70)
    assert ranking.method == "median"
    assert ranking.entries[0].score == D("90.000")
    with pytest.raises(ValueError):
        compute_ranking(judging_round, method="mode")


def test_median_odd_count_per_total_and_per_criterion(judging_round, unit):
    (entry,) = listed(judging_round, unit, 1)
    j1, j2, j3 = panel(judging_round, 3)
    give(judging_round, entry, j1, 10, 0)  # 60 + 0 = 60
    give(judging_round, entry, j2, 5, 10)  # 30 + 40 = 70
    give(judging_round, entry, j3, 9, 9)  # 54 + 36 = 90

    result = compute_ranking(judging_round, method="median").entries[0]

    # totals sorted 60, 70, 90 -> 70; each criterion on its own: story 5, 9, 10 -> 9; craft 0, 9, 10 -> 9
    assert result.raw == result.score == D("70.000")
    assert result.criteria["story"]["raw"] == D("9.000")
    assert result.criteria["craft"]["raw"] == D("9.000")


def test_median_even_count_is_the_mean_of_the_two_middle_totals(judging_round, unit):
    (entry,) = listed(judging_round, unit, 1)
    for judge, value in zip(panel(judging_round, 4), (6, 9.5, 7, 8), strict=True):
        give(judging_round, entry, judge, value)  # totals 60, 95, 70, 80

    result = compute_ranking(judging_round, method="median").entries[0]

    # sorted 60, 70, 80, 95 -> (70 + 80) / 2 = 75; story 6, 7, 8, 9.5 -> (7 + 8) / 2 = 7.5
    assert result.score == D("75.000")
    assert result.criteria["story"]["raw"] == D("7.500")


def test_trimmed_mean_with_four_judges_is_the_plain_mean(judging_round, unit):
    (entry,) = listed(judging_round, unit, 1)
    for judge, value in zip(panel(judging_round, 4), (5, 6, 7, 10), strict=True):
        give(judging_round, entry, judge, value)  # 50, 60, 70, 100

    result = compute_ranking(judging_round, method="trimmed").entries[0]

    # fewer than 5 judges: (50 + 60 + 70 + 100) / 4 = 280 / 4 = 70 (trimming would give 65)
    assert result.score == D("70.000")
    assert result.criteria["story"]["raw"] == D("7.000")


def test_trimmed_mean_with_five_judges_drops_one_highest_and_one_lowest(judging_round, unit):
    a, b = listed(judging_round, unit, 2)
    judges = panel(judging_round, 5)
    for judge, value in zip(judges, (5, 6, 7, 8, 10), strict=True):
        give(judging_round, a, judge, value)  # 50, 60, 70, 80, 100
    for judge, value in zip(judges, (6, 6, 7, 8, 8), strict=True):
        give(judging_round, b, judge, value)  # 60, 60, 70, 80, 80 (ties at both ends)

    ranking = compute_ranking(judging_round, method="trimmed")

    # a: drop 50 and 100 -> (60 + 70 + 80) / 3 = 70 (the mean would be 360 / 5 = 72)
    assert results(ranking)[a.pk].score == D("70.000")
    assert results(ranking)[a.pk].criteria["story"]["raw"] == D("7.000")
    # b: exactly one 60 and one 80 go -> (60 + 70 + 80) / 3 = 70 (not 70 alone)
    assert results(ranking)[b.pk].score == D("70.000")
    assert compute_ranking(judging_round, method="mean").entries[0].raw == D("72.000")


# --------------------------------------------------------------------------------------------- z-score


def test_zscore_with_a_fallback_judge_and_a_judge_with_no_spread(judging_round, unit):
    entries = listed(judging_round, unit, 5)
    steady, few, flat = panel(judging_round, 3)
    for entry, value in zip(entries, (5, 6, 7, 8, 9), strict=True):
        give(judging_round, entry, steady, value)  # 50, 60, 70, 80, 90: mean 70, sd sqrt(1000 / 5) = 14.142
        give(judging_round, entry, flat, 6)  # 60 five times: sd 0 -> raw
    give(judging_round, entries[0], few, 8)  # 80 \ only two scores -> raw
    give(judging_round, entries[1], few, 8)  # 80 /

    ranking = compute_ranking(judging_round, method="zscore")
    by_id = results(ranking)

    # Panel: the 12 totals 50, 60, 70, 80, 90, 80, 80, 60 x 5: sum 810, mean 67.5;
    #   sum of squares 25500 + 12800 + 18000 = 56300; variance 56300 / 12 - 67.5^2 = 4691.667 - 4556.25 = 135.417;
    #   sd = 11.6369.
    # steady's z: -sqrt(2), -sqrt(0.5), 0, +sqrt(0.5), +sqrt(2); rescaled 67.5 + z * 11.6369:
    #   51.0430, 59.2715, 67.5, 75.7285, 83.9570.
    # Entry means (normalised): e1 (51.0430 + 80 + 60) / 3 = 63.681; e2 (59.2715 + 80 + 60) / 3 = 66.424;
    #   e3 (67.5 + 60) / 2 = 63.75; e4 (75.7285 + 60) / 2 = 67.864; e5 (83.9570 + 60) / 2 = 71.979.
    expected = ["63.681", "66.424", "63.750", "67.864", "71.979"]
    assert [str(by_id[entry.pk].normalised) for entry in entries] == expected
    assert all(by_id[entry.pk].score == by_id[entry.pk].normalised for entry in entries)
    # raw side by side is the plain mean: e1 (50 + 80 + 60) / 3 = 63.333; e3 (70 + 60) / 2 = 65
    assert by_id[entries[0].pk].raw == D("63.333")
    assert by_id[entries[2].pk].raw == D("65.000")
    # few (2 scores) and flat (sd 0) stood in with raw totals
    assert [by_id[entry.pk].fallback_judges for entry in entries] == [2, 2, 1, 1, 1]
    # per criterion the same with values / 10 (story = craft = total / 10): e1 6.3681 -> 6.368
    assert by_id[entries[0].pk].criteria["story"] == {"raw": D("6.333"), "normalised": D("6.368")}
    assert by_id[entries[4].pk].criteria["craft"]["normalised"] == D("7.198")
    # ranked by the normalised score: 71.979, 67.864, 66.424, 63.750, 63.681
    assert order(ranking) == [entries[4].pk, entries[3].pk, entries[1].pk, entries[2].pk, entries[0].pk]
    judges = {stats.judge_id: stats for stats in ranking.judges}
    assert (judges[steady.pk].count, judges[steady.pk].mean, judges[steady.pk].stdev) == (5, D("70.000"), D("14.142"))
    assert judges[steady.pk].normalised is True
    assert judges[few.pk].normalised is False and judges[few.pk].count == 2
    assert judges[flat.pk].normalised is False and judges[flat.pk].stdev == D("0.000")


def test_zscore_is_clamped_to_the_total_and_criterion_ranges(judging_round, unit):
    entries = listed(judging_round, unit, 5)
    high, low, zero = panel(judging_round, 3)
    for entry, value in zip(entries, (5, 5, 5, 5, 10), strict=True):
        give(judging_round, entry, high, value)  # 50 x 4, 100: mean 60, sd sqrt(2000 / 5) = 20
    for entry, value in zip(entries, (10, 10, 10, 10, 0), strict=True):
        give(judging_round, entry, low, value)  # 100 x 4, 0: mean 80, sd sqrt(8000 / 5) = 40
    give(judging_round, entries[0], zero, 0)  # 0 \ two scores: raw
    give(judging_round, entries[1], zero, 0)  # 0 /

    by_id = results(compute_ranking(judging_round, method="zscore"))

    # Panel: 50 x 4, 100, 100 x 4, 0, 0, 0: sum 700, n 12, mean 58.333; squares 10000 + 10000 + 40000 = 60000;
    #   variance 5000 - 3402.778 = 1597.222; sd 39.965.
    # e5: high's z = (100 - 60) / 20 = +2 -> 58.333 + 79.931 = 138.26 -> clamped to 100;
    #     low's z = (0 - 80) / 40 = -2 -> 58.333 - 79.931 = -21.60 -> clamped to 0. Mean (100 + 0) / 2 = 50
    #     (unclamped it would be (138.264 - 21.597) / 2 = 58.333).
    assert by_id[entries[4].pk].normalised == D("50.000")
    assert by_id[entries[4].pk].criteria["story"]["normalised"] == D("5.000")  # 10 and 0 on the 0–10 range
    # e1: high z -0.5 -> 58.333 - 19.983 = 38.351; low z +0.5 -> 78.316; zero raw 0 -> 116.667 / 3 = 38.889
    assert by_id[entries[0].pk].normalised == D("38.889")
    assert by_id[entries[0].pk].fallback_judges == 1


# --------------------------------------------------------------------------------------------- ties


def test_ties_by_weighted_criterion_then_judge_count_then_entry_number(judging_round, unit):
    by_craft, by_story, one_judge, two_judges, first, second = listed(judging_round, unit, 6)
    j1, j2 = panel(judging_round, 2)
    give(judging_round, by_craft, j1, 6, 8)  # 36 + 32 = 68, story 6
    give(judging_round, by_story, j1, 8, 5)  # 48 + 20 = 68, story 8 (weight 60) -> ahead despite a later number
    give(judging_round, one_judge, j1, 7)  # 70 by one judge
    give(judging_round, two_judges, j1, 7)  # 70 and 70 by two judges: same score and criteria -> ahead
    give(judging_round, two_judges, j2, 7)
    give(judging_round, first, j1, 5)  # 50, identical to `second`: the lower entry number goes first
    give(judging_round, second, j1, 5)

    for method in ("mean", "median", "trimmed"):
        ranking = compute_ranking(judging_round, method=method)
        assert order(ranking) == [two_judges.pk, one_judge.pk, by_story.pk, by_craft.pk, first.pk, second.pk], method
        assert [result.rank for result in ranking.entries] == [1, 2, 3, 4, 5, 6]
        assert results(ranking)[by_story.pk].score == results(ranking)[by_craft.pk].score == D("68.000")

    # z-score: j1 has 6 scores, so its totals are rescaled. Its two 68s stay equal, and its story values 8 and 6
    # are rescaled the same way (8 > 6 stays so), so the normalised story value still decides; likewise 50 = 50.
    ranking = compute_ranking(judging_round, method="zscore")
    by_id = results(ranking)
    assert by_id[by_story.pk].score == by_id[by_craft.pk].score
    assert by_id[by_story.pk].criteria["story"]["normalised"] > by_id[by_craft.pk].criteria["story"]["normalised"]
    assert by_id[by_story.pk].criteria["story"]["raw"] > by_id[by_craft.pk].criteria["story"]["raw"]
    assert order(ranking)[2:] == [by_story.pk, by_craft.pk, first.pk, second.pk]


def test_ranks_per_unit(judging_round, unit, competition):
    other = UnitFactory(competition=competition)
    (a_high, a_low), (b_high, b_low) = listed(judging_round, unit, 2), listed(judging_round, other, 2)
    (judge,) = panel(judging_round, 1)
    give(judging_round, a_high, judge, 9)  # 90
    give(judging_round, a_low, judge, 7)  # 70
    give(judging_round, b_high, judge, 8)  # 80
    give(judging_round, b_low, judge, 6)  # 60

    ranking = compute_ranking(judging_round)

    assert [(r.entry_id, r.rank, r.unit_rank) for r in ranking.entries] == [
        (a_high.pk, 1, 1),
        (b_high.pk, 2, 1),
        (a_low.pk, 3, 2),
        (b_low.pk, 4, 2),
    ]
    assert {r.entry_id: r.unit_id for r in ranking.entries}[b_low.pk] == other.pk


# --------------------------------------------------------------------------------------------- what counts


def test_conflicted_and_draft_scores_never_count(judging_round, unit, competition):
    entry, only_conflicted, off_list = listed(judging_round, unit, 2) + [eligible_entry(unit)]
    fair, other, conflicted, drafting, waived = panel(judging_round, 5)
    give(judging_round, entry, fair, 8)  # 80
    give(judging_round, entry, other, 6)  # 60
    give(judging_round, entry, conflicted, 1)  # 10, but a declared conflict
    Conflict.objects.create(competition=competition, judge=conflicted, entry=entry, source="declared", basis="friend")
    give(judging_round, entry, waived, 10)  # 100, a detected conflict that was waived: counts
    Conflict.objects.create(
        competition=competition,
        judge=waived,
        entry=entry,
        source="detected",
        basis="same school",
        waived_at=entry.submitted_at,
        waiver_reason="long ago",
    )
    Score.objects.create(
        round=judging_round,
        entry=entry,
        judge=drafting,
        rubric=judging_round.rubrics.get(),
        status="draft",
        total=D("0.000"),
    )
    give(judging_round, only_conflicted, conflicted, 9)  # its only score does not count either
    Conflict.objects.create(
        competition=competition, judge=conflicted, entry=only_conflicted, source="detected", basis="same name"
    )
    give(judging_round, off_list, fair, 10)  # not on the round's entry list

    ranking = compute_ranking(judging_round)

    assert order(ranking) == [entry.pk]
    result = ranking.entries[0]
    # (80 + 60 + 100) / 3 = 80; story (8 + 6 + 10) / 3 = 8
    assert (result.judge_count, result.score, result.criteria["story"]["raw"]) == (3, D("80.000"), D("8.000"))
    assert {stats.judge_id for stats in ranking.judges} == {fair.pk, other.pk, waived.pk}
    # fair: entry only (the off-list score does not count) -> 80
    assert {stats.judge_id: stats for stats in ranking.judges}[fair.pk].mean == D("80.000")
    assert unscored_entries(judging_round) == [only_conflicted]


def test_entries_of_a_track_with_another_rubric_keep_their_own_criteria(judging_round, unit, competition):
    story_track = competition.tracks.get(kind=TrackKind.STORY)
    rubric = RubricFactory(round=judging_round, track=story_track, criteria=False)
    Criterion.objects.create(
        rubric=rubric,
        position=1,
        key="premise",
        name_zh="创意",
        name_en="Premise",
        weight=30,
        min_score=1,
        max_score=5,
        step=1,
    )
    Criterion.objects.create(
        rubric=rubric,
        position=2,
        key="dialogue",
        name_zh="对白",
        name_en="Dialogue",
        weight=70,
        min_score=0,
        max_score=10,
        step=1,
    )
    (work,) = listed(judging_round, unit, 1)
    script = eligible_entry(unit, track=story_track)
    RoundEntry.objects.create(round=judging_round, entry=script)
    (judge,) = panel(judging_round, 1)
    give(judging_round, work, judge, 7)  # 70
    # premise 4 on 1..5 -> 3/4 * 30 = 22.5; dialogue 5 on 0..10 -> 1/2 * 70 = 35; total 57.5
    submitted_score(round=judging_round, entry=script, judge=judge, values={"premise": 4, "dialogue": 5})

    ranking = compute_ranking(judging_round)

    by_id = results(ranking)
    assert by_id[script.pk].score == D("57.500")
    # keyed within the entry's rubric, in its tie-break order: dialogue (70) before premise (30)
    assert list(by_id[script.pk].criteria) == ["dialogue", "premise"]
    assert by_id[script.pk].criteria["premise"] == {"raw": D("4.000"), "normalised": D("4.000")}
    assert set(by_id[work.pk].criteria) == {"story", "craft"}
    assert [c["key"] for c in ranking.criteria] == ["dialogue", "story", "craft", "premise"]


def test_rubric_versions_of_a_track_share_their_keys(judging_round, unit):
    (entry,) = listed(judging_round, unit, 1)
    first, second = panel(judging_round, 2)
    give(judging_round, entry, first, 8, 6)  # version 1: 6 * 8 + 4 * 6 = 72
    newer = RubricFactory(round=judging_round, version=2, criteria=False)
    for position, (key, weight) in enumerate([("story", 50), ("craft", 30), ("pace", 20)], start=1):
        Criterion.objects.create(rubric=newer, position=position, key=key, name_zh=key, weight=weight)
    # version 2: story 6 -> 30, craft 8 -> 24, pace 10 -> 20; total 74
    submitted_score(round=judging_round, entry=entry, judge=second, values={"story": 6, "craft": 8, "pace": 10})

    result = compute_ranking(judging_round).entries[0]

    # (72 + 74) / 2 = 73; story (8 + 6) / 2 = 7, craft (6 + 8) / 2 = 7, pace only in version 2: 10
    assert result.score == D("73.000")
    assert {key: values["raw"] for key, values in result.criteria.items()} == {
        "story": D("7.000"),
        "craft": D("7.000"),
        "pace": D("10.000"),
    }
    assert list(result.criteria) == ["story", "craft", "pace"]  # the current version's order (50, 30, 20)


def test_a_round_without_scores_or_criteria_ranks_nothing(judging_round, unit, competition):
    listed(judging_round, unit, 2)
    ranking = compute_ranking(judging_round)
    assert (ranking.entries, ranking.judges, ranking.as_json()) == ([], [], [])
    assert len(unscored_entries(judging_round)) == 2

    bare = RoundFactory(competition=competition)  # no rubric at all
    assert compute_ranking(bare).entries == []
    assert take_snapshot(bare)["criteria"] == []


# --------------------------------------------------------------------------------------------- flags


def test_disagreement_and_judge_severity(judging_round, unit):
    # Defaults: disagreement above a spread of 25 or an sd of 12; severity above 10 points.
    p, q, r, s, t = listed(judging_round, unit, 5)
    generous, neutral, severe = panel(judging_round, 3)
    give(judging_round, p, generous, 8)  # 80 \ spread 30 > 25, sd 15 > 12: flagged
    give(judging_round, p, severe, 5)  # 50 /
    give(judging_round, q, generous, 8)  # 80 \ spread 20, sd 10: not flagged
    give(judging_round, q, neutral, 6)  # 60 /
    give(judging_round, r, neutral, 7.5)  # 75 \ spread 25 (not above), sd 12.5 > 12: flagged by the sd alone
    give(judging_round, r, severe, 5)  # 50 /
    give(judging_round, s, generous, 9)  # 90 \
    give(judging_round, s, neutral, 7)  # 70  | spread 40: flagged
    give(judging_round, s, severe, 5)  # 50 /
    give(judging_round, t, neutral, 10)  # 100 alone: no other judge to compare with, left out of severity

    ranking = compute_ranking(judging_round)
    by_id = results(ranking)

    assert (by_id[p.pk].spread, by_id[p.pk].stdev, by_id[p.pk].disagreement) == (D("30.000"), D("15.000"), True)
    assert (by_id[q.pk].spread, by_id[q.pk].stdev, by_id[q.pk].disagreement) == (D("20.000"), D("10.000"), False)
    assert (by_id[r.pk].spread, by_id[r.pk].stdev, by_id[r.pk].disagreement) == (D("25.000"), D("12.500"), True)
    assert by_id[s.pk].disagreement is True
    assert by_id[t.pk].disagreement is False
    judges = {stats.judge_id: stats for stats in ranking.judges}
    # generous: p 80 - 50 = 30; q 80 - 60 = 20; s 90 - (70 + 50) / 2 = 30 -> 80 / 3 = 26.667
    assert (judges[generous.pk].severity, judges[generous.pk].flagged) == (D("26.667"), True)
    # neutral: q 60 - 80 = -20; r 75 - 50 = 25; s 70 - (90 + 50) / 2 = 0 -> 5 / 3 = 1.667 (t is alone)
    assert (judges[neutral.pk].severity, judges[neutral.pk].flagged) == (D("1.667"), False)
    # severe: p 50 - 80 = -30; r 50 - 75 = -25; s 50 - (90 + 70) / 2 = -30 -> -85 / 3 = -28.333
    assert (judges[severe.pk].severity, judges[severe.pk].flagged) == (D("-28.333"), True)
    # generous: totals 80, 80, 90 -> mean 83.333; deviations -3.333, -3.333, 6.667 -> sqrt(66.667 / 3) = 4.714
    assert (judges[generous.pk].count, judges[generous.pk].mean, judges[generous.pk].stdev) == (
        3,
        D("83.333"),
        D("4.714"),
    )
    assert judges[neutral.pk].count == 4

    judging_round.severity_threshold = D("30")
    judging_round.disagreement_range = D("40")
    judging_round.disagreement_stdev = D("20")
    again = compute_ranking(judging_round)
    assert not any(stats.flagged for stats in again.judges)
    assert not any(result.disagreement for result in again.entries)


# --------------------------------------------------------------------------------------------- output


def test_as_json_has_three_decimal_strings(judging_round, unit):
    (entry,) = listed(judging_round, unit, 1)
    j1, j2, j3 = panel(judging_round, 3)
    give(judging_round, entry, j1, 7)
    give(judging_round, entry, j2, 7)
    give(judging_round, entry, j3, 7.5)

    (row,) = compute_ranking(judging_round).as_json()

    # (70 + 70 + 75) / 3 = 71.667; story (7 + 7 + 7.5) / 3 = 7.1666.. -> 7.167
    assert row["entry_id"] == entry.pk and row["number"] == entry.number and row["title"] == entry.title
    assert (row["raw"], row["normalised"], row["score"]) == ("71.667", "71.667", "71.667")
    assert row["criteria"]["story"] == {"raw": "7.167", "normalised": "7.167"}
    assert (row["spread"], row["rank"], row["unit_rank"], row["disagreement"]) == ("5.000", 1, 1, False)
    assert ResultVersion.digest(row)  # JSON-safe


def test_snapshot_is_deterministic_and_holds_only_counting_scores(judging_round, unit, competition):
    a, b = listed(judging_round, unit, 2)
    j1, j2 = panel(judging_round, 2)
    first = give(judging_round, b, j1, 8, 6.5)
    second = give(judging_round, a, j1, 7)
    give(judging_round, a, j2, 3)
    Conflict.objects.create(competition=competition, judge=j2, entry=a, source="declared", basis="cousin")
    Score.objects.create(round=judging_round, entry=b, judge=j2, rubric=judging_round.rubrics.get(), status="draft")

    snapshot = take_snapshot(judging_round)

    assert snapshot == take_snapshot(judging_round)
    assert ResultVersion.digest(snapshot) == ResultVersion.digest(take_snapshot(judging_round))
    assert snapshot["round"] == judging_round.pk and snapshot["method"] == "mean"
    assert snapshot["thresholds"] == {
        "disagreement_range": "25.00",
        "disagreement_stdev": "12.00",
        "severity_threshold": "10.00",
    }
    rubric = judging_round.rubrics.get()
    assert snapshot["criteria"] == [
        {
            "rubric": rubric.pk,
            "track": rubric.track_id,
            "version": 1,
            "key": "story",
            "weight": "60.00",
            "min": "0.00",
            "max": "10.00",
            "position": 1,
        },
        {
            "rubric": rubric.pk,
            "track": rubric.track_id,
            "version": 1,
            "key": "craft",
            "weight": "40.00",
            "min": "0.00",
            "max": "10.00",
            "position": 2,
        },
    ]
    assert [row["entry"] for row in snapshot["entries"]] == sorted([a.pk, b.pk])
    # 6 * 8 + 4 * 6.5 = 74; ordered by score id; values by key
    assert snapshot["scores"] == [
        {
            "score": first.pk,
            "entry": b.pk,
            "judge": j1.pk,
            "total": "74.000",
            "values": {"craft": "6.50", "story": "8.00"},
        },
        {
            "score": second.pk,
            "entry": a.pk,
            "judge": j1.pk,
            "total": "70.000",
            "values": {"craft": "7.00", "story": "7.00"},
        },
    ]
