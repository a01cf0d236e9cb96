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

import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef

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
from judging.models import AggregationMethod, Conflict, Criterion, RoundEntry, Score
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
    return _rank(round, _method(round, method), _criteria(round))


def _method(round, method):
    method = method or round.aggregation_method
    if method not in AggregationMethod.values:
        raise ValueError(f"Unknown aggregation method {method!r}")
    return method


def _rank(round, method, criteria) -> Ranking:
    groups, per_track, criteria_list = criteria
    connection, counting_sql, counting_params = _compiled(_counting(round))
    sql, params = _statement(
        connection, counting_sql, counting_params, groups, per_track, method=method, competition_id=round.competition_id
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    with _no_gc_pauses():
        return _shape(round, method, rows, groups, per_track, criteria_list)


# Only a bound on how long judges' display names (shown with their severity) may lag behind: every input that can
# change a ranking is part of the key below, so a changed score, conflict, list or entry never reads a stale one.
RANKING_CACHE_SECONDS = 600


def _inputs_key(round, method, criteria) -> str:
    """A digest of everything a ranking is computed from, in four aggregate queries over indexed columns: the
    round's settings, its criteria (every rubric version), its scores (any save moves updated_at; a deletion
    the count), its entry list, the competition's conflicts (created, waived, unwaived or deleted) and entries
    (titles, units and numbers are shown; any save moves updated_at)."""
    round_settings = [(field.attname, getattr(round, field.attname)) for field in round._meta.concrete_fields]
    scores = Score.objects.filter(round_id=round.pk).aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("pk"))
    listed = RoundEntry.objects.filter(round_id=round.pk).aggregate(n=Count("pk"), top=Max("pk"))
    conflicts = Conflict.objects.filter(competition_id=round.competition_id).aggregate(
        n=Count("pk"), top=Max("pk"), waived=Count("waived_at"), last_waived=Max("waived_at")
    )
    entries = Entry.objects.filter(competition_id=round.competition_id).aggregate(last=Max("updated_at"))
    groups, per_track, criteria_list = criteria
    columns = [(group.track_id, group.key, group.criterion_ids, group.low, group.high) for group in groups]
    orders = sorted((track_id, [group.key for group in items]) for track_id, items in per_track.items())
    inputs = repr((method, round_settings, criteria_list, columns, orders, scores, listed, conflicts, entries))
    return f"judging:ranking:{round.pk}:{hashlib.sha256(inputs.encode()).hexdigest()}"


@dataclass
class RankingSummary:
    """What the ranking page needs of a whole ranking, small enough to read from the cache on every request: the
    order overall and per unit as entry ids, the counts, the criteria and the judges. The entries themselves are
    cached one by one (`rows`), so a page reads its 50, never 20,000 (unpickling a whole ranking takes ~0.5 s)."""

    key: str
    round_id: int
    method: str
    criteria: list
    judges: list
    order: list  # entry ids by rank
    unit_order: dict  # unit id -> entry ids by unit rank
    disagreements: int
    fallbacks: int
    listed: int  # entries on the round's list; those not ranked have no counting score

    @property
    def unscored(self):
        return self.listed - len(self.order)

    @property
    def ranked(self):
        return len(self.order)

    def rows(self, entry_ids, round) -> list:
        """The EntryResult of each id, in that order; from the cache, or (after an eviction) computed again."""
        computed = getattr(self, "computed", None)  # set on the summary just computed, never cached
        if computed is None:
            found = cache.get_many([f"{self.key}:{entry_id}" for entry_id in entry_ids])
            if len(found) == len(entry_ids):
                return [found[f"{self.key}:{entry_id}"] for entry_id in entry_ids]
            computed = _cache_ranking(round, self.method, _criteria(round), self.key).computed
        return [computed[entry_id] for entry_id in entry_ids]


def _cache_holds(count):
    """Whether the default cache can keep `count` rows: the in-process LocMemCache of the embedded mode keeps 300
    keys and would evict them as fast as they are written, so there large rankings are computed per request."""
    backend = settings.CACHES["default"]["BACKEND"]
    limit = settings.CACHES["default"].get("OPTIONS", {}).get("MAX_ENTRIES", 300)
    return not backend.endswith("LocMemCache") or count + 10 < limit


def _cache_ranking(round, method, criteria, key):
    ranking = _rank(round, method, criteria)
    by_id = {result.entry_id: result for result in ranking.entries}
    unit_order = {}
    for result in sorted(ranking.entries, key=lambda result: (result.unit_id, result.unit_rank)):
        unit_order.setdefault(result.unit_id, []).append(result.entry_id)
    summary = RankingSummary(
        key=key,
        round_id=round.pk,
        method=method,
        criteria=ranking.criteria,
        judges=ranking.judges,
        order=[result.entry_id for result in ranking.entries],
        unit_order=unit_order,
        disagreements=sum(1 for result in ranking.entries if result.disagreement),
        fallbacks=sum(1 for result in ranking.entries if result.fallback_judges),
        listed=RoundEntry.objects.filter(round_id=round.pk).count(),
    )
    if _cache_holds(len(by_id)):
        # Rows first: a summary in the cache promises its rows (and `rows` copes with evicted ones).
        cache.set_many({f"{key}:{entry_id}": result for entry_id, result in by_id.items()}, RANKING_CACHE_SECONDS)
        cache.set(f"{key}:summary", summary, RANKING_CACHE_SECONDS)
    summary.computed = by_id  # after caching: this request reads its rows from here
    return summary


def ranking_summary(round, *, method=None) -> RankingSummary:
    """The round's ranking by `method` for the ranking page, from the cache under a digest of its inputs
    (`_inputs_key`): five small queries and one cache read, plus one read of the rows a page shows. Any change
    to the inputs is a new key, so it is never stale."""
    method = _method(round, method)
    criteria = _criteria(round)
    key = _inputs_key(round, method, criteria)
    summary = cache.get(f"{key}:summary")
    if summary is None:
        summary = _cache_ranking(round, method, criteria, key)
    return summary


def cached_ranking(round, *, method=None) -> Ranking:
    """compute_ranking for a page that shows it again and again (the organizer's ranking, paged and per unit):
    the ranking is kept in the cache under a digest of its inputs (`_inputs_key`), so a page costs five small
    queries instead of the whole aggregation, and any change to the inputs is a new key."""
    method = _method(round, method)
    criteria = _criteria(round)
    key = _inputs_key(round, method, criteria)
    ranking = cache.get(key)
    if ranking is None:
        ranking = _rank(round, method, criteria)
        cache.set(key, ranking, RANKING_CACHE_SECONDS)
    return ranking


def unscored_entries(round) -> list:
    """RoundEntry entries of the round that have no counting score (for warnings)."""
    return list(unscored_queryset(round))


def unscored_queryset(round):
    """unscored_entries as a queryset, for pages that count them and show only the first few."""
    scored = Score.objects.counting().filter(round_id=round.pk, entry_id=OuterRef("pk"), total__isnull=False)
    return (
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
