"""From judges' scores to an entry's score, ranks and flags — computed in the database.

Inputs are the round's counting scores (`Score.objects.counting()`: submitted, never a conflicted judge's) and
their criterion values. Each judge's weighted total is `Score.total` (0–100). An entry's score is, by the
round's method:
- mean, median: of its judges' totals;
- trimmed: the mean after dropping one highest and one lowest total, when at least 5 judges scored (else mean);
- zscore: each judge's totals standardised over the entries that judge scored (z = (t - mean_j) / sd_j), then
  rescaled to the 0–100 range as panel_mean + z * panel_sd (clamped to 0..100); a judge with fewer than 5
  scores (or sd 0) contributes the raw total instead, and the entry says so (`fallback_judges`).
The same is done per criterion (criterion values on the criterion's own range).
Rank: by score descending; ties broken by the per-criterion scores in order of weight (highest first; equal
weights by criterion position), then by the number of judges (more first), then by entry number (ascending) so
the order is total. Equal after all of that is impossible because entry numbers are unique. Ranks are
computed overall and per unit.
Flags: disagreement when (max - min) of an entry's totals > round.disagreement_range or their population
standard deviation > round.disagreement_stdev; severity of a judge = mean over their entries of
(their total - the mean of the other judges' totals on that entry), flagged when |severity| >
round.severity_threshold.
All aggregation is SQL (aggregates, window functions, subqueries) that runs on PostgreSQL and SQLite
(Django registers SQRT/POWER/STDDEV for SQLite); Python only shapes the per-entry rows.

Details of the implementation (covered by tests/judging/test_aggregation*.py; timed by `make bench-results`):
- Two queries per ranking, whatever the row count: the round's criteria, then one statement (the common subset
  of PostgreSQL 15 and SQLite 3.35+, see _STATEMENT in judging.aggregation_sql) that returns one row per entry,
  already ranked, and one per judge. Python only turns those rows into EntryResult / JudgeStats
  (O(entries + judges)).
- The counting rule lives in one place: the SQL of `Score.objects.counting()`, restricted to the round and to
  its RoundEntry list, is compiled by Django and used as the statement's first CTE.
- Numbers travel as integer thousandths, so sums, means, medians and trimmed means are exact and identical on
  both databases; only the z-score line (and severity) is floating point. Every output is rounded half up to
  0.001. Standard deviations are population ones: a judge's over their counting values in this round, the
  panel's over all counting values of the round, an entry's over its totals.
- Per criterion, values are grouped by key within a track: all rubric versions of a track share a key (keys
  are stable across versions), tracks never share one (they may have different rubrics). Judge statistics
  for a criterion are over that judge's values of it; rescaled values are clamped to its min..max (the widest
  over versions). An entry's `criteria` holds the keys of its own rubric, in tie-break order.
- Ties compare the per-criterion value of the method in use (raw for mean / median / trimmed, normalised for
  zscore) as rounded, each as its share of the criterion's range, (value - min) / (max - min) in exact
  integers: this orders entries of one track exactly as the values do and keeps entries of different tracks
  (compared by the place of the criterion in each rubric's order) comparable. Then more judges first, then
  the lower entry number (its sequence), then the entry id.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef

from judging.aggregation_sql import (  # noqa: F401 (the thresholds stay readable here)
    MIN_JUDGES_FOR_TRIMMING,
    MIN_SCORES_FOR_ZSCORE,
    THOUSANDTH,
    _compiled,
    _counting,
    _criteria,
    _no_gc_pauses,
    _shape,
    _statement,
)
from judging.models import AggregationMethod, Criterion, RoundEntry, Score
from submissions.models import Entry

CENT = Decimal("0.01")
SNAPSHOT_CHUNK = 2000


@dataclass
class EntryResult:
    entry_id: int
    number: str
    title: str
    unit_id: int
    track_id: int
    judge_count: int
    raw: Decimal  # the method applied to raw totals (for zscore: the mean of raw totals)
    normalised: Decimal  # the z-score normalised mean (always computed, shown side by side)
    score: Decimal  # what ranks: raw for mean/median/trimmed, normalised for zscore
    criteria: dict = field(default_factory=dict)  # key -> {"raw": Decimal, "normalised": Decimal}
    spread: Decimal = Decimal(0)  # max - min of totals
    stdev: Decimal = Decimal(0)
    disagreement: bool = False
    fallback_judges: int = 0  # judges whose raw total stood in for a z-score
    rank: int = 0
    unit_rank: int = 0


@dataclass
class JudgeStats:
    judge_id: int
    name: str
    count: int
    mean: Decimal
    stdev: Decimal
    severity: Decimal  # mean of (their total - others' mean) on the same entries; + generous, - severe
    flagged: bool
    normalised: bool  # False when fewer than 5 scores: their raw totals are used


def _text(value: Decimal) -> str:
    return format(value.quantize(THOUSANDTH, rounding=ROUND_HALF_UP), "f")


@dataclass
class Ranking:
    round_id: int
    method: str
    entries: list  # [EntryResult], ranked
    judges: list  # [JudgeStats]
    criteria: list  # [{"key", "name_zh", "name_en", "weight"}] in tie-break order

    def as_json(self) -> list:
        """The entries as JSON-safe dicts (Decimals as strings with 3 decimals), as stored in a ResultVersion."""
        return [
            {
                "entry_id": result.entry_id,
                "number": result.number,
                "title": result.title,
                "unit_id": result.unit_id,
                "track_id": result.track_id,
                "judge_count": result.judge_count,
                "raw": _text(result.raw),
                "normalised": _text(result.normalised),
                "score": _text(result.score),
                "criteria": {
                    key: {"raw": _text(values["raw"]), "normalised": _text(values["normalised"])}
                    for key, values in result.criteria.items()
                },
                "spread": _text(result.spread),
                "stdev": _text(result.stdev),
                "disagreement": result.disagreement,
                "fallback_judges": result.fallback_judges,
                "rank": result.rank,
                "unit_rank": result.unit_rank,
            }
            for result in self.entries
        ]


# --------------------------------------------------------------------------------------------- public API


def compute_ranking(round, *, method=None) -> Ranking:
    """The ranking of the round's entries that have at least one counting score (`unscored_entries` lists the
    others). `method` defaults to round.aggregation_method. A fixed number of queries, whatever the row count."""
    method = method or round.aggregation_method
    if method not in AggregationMethod.values:
        raise ValueError(f"Unknown aggregation method {method!r}")
    groups, per_track, criteria_list = _criteria(round)
    connection, counting_sql, counting_params = _compiled(_counting(round))
    sql, params = _statement(
        connection, counting_sql, counting_params, groups, per_track, method=method, competition_id=round.competition_id
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    with _no_gc_pauses():
        return _shape(round, method, rows, groups, per_track, criteria_list)


def unscored_entries(round) -> list:
    """RoundEntry entries of the round that have no counting score (for warnings)."""
    scored = Score.objects.counting().filter(round_id=round.pk, entry_id=OuterRef("pk"), total__isnull=False)
    return list(
        Entry.objects.filter(round_entries__round_id=round.pk)
        .exclude(Exists(scored))
        .select_related("unit", "track")
        .order_by("sequence", "number", "pk")
    )


def take_snapshot(round) -> dict:
    """The frozen inputs: {"round": id, "method": ..., "thresholds": {...}, "criteria": [...], "scores":
    [{"score", "entry", "judge", "total", "values": {key: str}}] ordered by score id}. Streams rows.

    Also "entries": the round's entry list ([{"entry", "number", "unit", "track"}] by entry id), which unit
    ranks depend on. "criteria" has every criterion of every rubric version of the round:
    [{"rubric", "track", "version", "key", "weight", "min", "max", "position"}]. Numbers are strings."""
    criteria = [
        {
            "rubric": rubric_id,
            "track": track_id,
            "version": version,
            "key": key,
            "weight": format(weight, "f"),
            "min": format(low, "f"),
            "max": format(high, "f"),
            "position": position,
        }
        for rubric_id, track_id, version, key, weight, low, high, position in (
            Criterion.objects.filter(rubric__round_id=round.pk)
            .order_by("rubric__track_id", "rubric__version", "position", "key", "pk")
            .values_list(
                "rubric_id",
                "rubric__track_id",
                "rubric__version",
                "key",
                "weight",
                "min_score",
                "max_score",
                "position",
            )
            .iterator(chunk_size=SNAPSHOT_CHUNK)
        )
    ]
    entries = [
        {"entry": entry_id, "number": number, "unit": unit_id, "track": track_id}
        for entry_id, number, unit_id, track_id in (
            RoundEntry.objects.filter(round_id=round.pk)
            .order_by("entry_id")
            .values_list("entry_id", "entry__number", "entry__unit_id", "entry__track_id")
            .iterator(chunk_size=SNAPSHOT_CHUNK)
        )
    ]
    scores = []
    current = None
    rows = (
        Score.objects.filter(pk__in=_counting(round).values("id"))
        .order_by("pk", "values__criterion__key")
        .values_list("pk", "entry_id", "judge_id", "total", "values__criterion__key", "values__value")
        .iterator(chunk_size=SNAPSHOT_CHUNK)
    )
    for score_id, entry_id, judge_id, total, key, value in rows:
        if current is None or current["score"] != score_id:
            current = {"score": score_id, "entry": entry_id, "judge": judge_id, "total": _text(total), "values": {}}
            scores.append(current)
        if key is not None and value is not None:
            current["values"][key] = format(value, "f")
    return {
        "round": round.pk,
        "method": round.aggregation_method,
        "thresholds": {
            # As stored (2 decimals), whether the round was loaded or is a fresh instance with its defaults.
            name: format(Decimal(getattr(round, name)).quantize(CENT, rounding=ROUND_HALF_UP), "f")
            for name in ("disagreement_range", "disagreement_stdev", "severity_threshold")
        },
        "criteria": criteria,
        "entries": entries,
        "scores": scores,
    }
