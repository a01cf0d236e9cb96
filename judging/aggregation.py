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

Details of the implementation (all of them covered by tests/judging/test_aggregation*.py):
- The counting rule lives in one place: the SQL of `Score.objects.counting()` (restricted to the round and to
  the round's RoundEntry list) is compiled by Django and used as the `counting` CTE of every statement here.
- Population standard deviations everywhere (STDDEV_POP): a judge's sd over their counting totals in this
  round, the panel's over all counting totals of the round, an entry's over its totals.
- Per criterion, values are grouped by criterion key within a track (rubric versions of one track keep their
  keys; tracks may have different rubrics, so a key is never mixed across tracks). A judge's criterion stats
  are over their values of that key; the rescaled value is clamped to the criterion's min..max.
- SQL returns sums, counts, minima, maxima and the middle rows (ROW_NUMBER / COUNT over the entry); the final
  division of a mean, a median (mean of the two middle totals when the count is even) or a trimmed mean
  happens on those Decimals, so results are exact and the same on PostgreSQL (numeric) and SQLite (float).
- Every output is quantized to 0.001 (ROUND_HALF_UP). Ties are compared on those quantized values; a
  criterion's value is compared as its share of the criterion's range (value - min) / (max - min), which
  orders entries of one track exactly as the values do and keeps entries of different tracks comparable.
  For entries of different tracks, criteria are compared by their place in each rubric's tie-break order.
- Two queries per ranking (the criteria; one statement for entries, criteria and judges), whatever the row count.
"""

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import groupby

from django.db import connections
from django.db.models import Exists, OuterRef

from judging.models import AggregationMethod, Criterion, CriterionScore, RoundEntry, Rubric, Score
from submissions.models import Entry

THOUSANDTH = Decimal("0.001")
CENT = Decimal("0.01")
MIN_SCORES_FOR_ZSCORE = 5
MIN_JUDGES_FOR_TRIMMING = 5
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


# --------------------------------------------------------------------------------------------- SQL

MILLI = 1000  # every number travels as an integer count of thousandths: totals and criterion values alike


def _milli(thousandths: int) -> Decimal:
    """An integer count of thousandths as a Decimal with 3 places (72000 -> 72.000)."""
    return Decimal(thousandths).scaleb(-3)


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (ROUND_HALF_UP), in exact integer arithmetic."""
    if numerator < 0:
        return -_half_up(-numerator, denominator)
    return (2 * numerator + denominator) // (2 * denominator)


def _float_half_up(value: float) -> int:
    # Exact for the values where it matters: a mean of integers (raw totals standing in) is k + 0.5 exactly.
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def _population_sd(count: int, total: int, squares: int) -> int:
    """round_half_up(sqrt(count * squares - total^2) / count): the population sd of integers, exactly.
    With D = count * squares - total^2, k is the largest integer with (2k - 1) * count <= 2 * sqrt(D)."""
    spread = count * squares - total * total
    if spread <= 0:
        return 0
    return (math.isqrt(4 * spread) // count + 1) // 2


def _int(value) -> int:
    """An integer aggregate: int on SQLite, int or Decimal (SUM of bigint is numeric) on PostgreSQL."""
    return int(value)


def _counting(round):
    """The round's counting scores of entries on its list, as (id, entry_id, judge_id, total) rows."""
    return (
        Score.objects.counting()
        .filter(round_id=round.pk, total__isnull=False)
        .filter(entry_id__in=RoundEntry.objects.filter(round_id=round.pk).values("entry_id"))
        .order_by()
        .values_list("id", "entry_id", "judge_id", "total")
    )


def _compiled(queryset):
    connection = connections[queryset.db]
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    return connection, sql, tuple(params)


def _table(connection, model):
    return connection.ops.quote_name(model._meta.db_table)


# One statement (PostgreSQL 15 and SQLite 3.35+), in integer thousandths (x) so that sums are exact and cheap:
#   vals    one row per counting total (grp 0, range 0..100) and per criterion value (grp = the lowest criterion
#           id of its track and key, so rubric versions of a track share a group), materialized once;
#   judge   per judge and group: n, sum, sum of squares; panel: the same summed over judges;
#   coef    per judge and group: the z-score line a * x + b (NULL a = fewer than 5 values or sd 0: raw);
#   agg     per entry and group: n, sum, sum of squares, min, max, the middle rows (median only), the sum of the
#           clamped normalised values, and how many judges stood in with raw values;
#   severity per judge: the mean over shared entries of (x - mean of the other judges' totals there).
# The result has 'e' rows (entry, group; entry columns on group 0) and 'j' rows (judge, on totals).
_SQL = """
WITH counting (id, entry_id, judge_id, total) AS ({counting}),
crit (id, grp, lo, hi) AS (
    SELECT cr.id, MIN(cr.id) OVER (PARTITION BY r.track_id, cr.key),
        CAST(ROUND(cr.min_score * 1000) AS INTEGER), CAST(ROUND(cr.max_score * 1000) AS INTEGER)
    FROM {criterion} cr JOIN {rubric} r ON r.id = cr.rubric_id
    WHERE r.round_id = %s
),
bounds (grp, lo, hi) AS (
    SELECT grp, MIN(lo), MAX(hi) FROM crit GROUP BY grp
    UNION ALL SELECT 0, 0, 100000
),
vals (entry_id, judge_id, grp, x) AS MATERIALIZED (
    SELECT entry_id, judge_id, 0, CAST(ROUND(total * 1000) AS INTEGER) FROM counting
    UNION ALL
    SELECT c.entry_id, c.judge_id, k.grp, CAST(ROUND(v.value * 1000) AS INTEGER)
    FROM counting c
    JOIN {criterion_score} v ON v.score_id = c.id
    JOIN crit k ON k.id = v.criterion_id
    WHERE v.value IS NOT NULL
),
judge (judge_id, grp, n, s, ss) AS (
    SELECT judge_id, grp, COUNT(*), SUM(x), SUM(CAST(x AS DOUBLE PRECISION) * x) FROM vals GROUP BY judge_id, grp
),
panel (grp, n, s, ss) AS (
    SELECT grp, CAST(SUM(n) AS DOUBLE PRECISION), CAST(SUM(s) AS DOUBLE PRECISION), SUM(ss) FROM judge GROUP BY grp
),
coef (judge_id, grp, a, pm, jm, lo, hi) AS MATERIALIZED (
    SELECT j.judge_id, j.grp,
        CASE WHEN j.n >= %s AND j.n * j.ss - CAST(j.s AS DOUBLE PRECISION) * j.s > 0 AND p.n * p.ss - p.s * p.s > 0
            THEN SQRT(p.n * p.ss - p.s * p.s) / p.n * j.n / SQRT(j.n * j.ss - CAST(j.s AS DOUBLE PRECISION) * j.s)
        END,
        p.s / p.n, CAST(j.s AS DOUBLE PRECISION) / j.n, b.lo, b.hi
    FROM judge j JOIN panel p ON p.grp = j.grp JOIN bounds b ON b.grp = j.grp
),
scored AS (
    SELECT v.entry_id, v.grp, v.x, c.lo, c.hi,
        CASE WHEN c.a IS NULL THEN 1 ELSE 0 END AS fb,
        CASE WHEN c.a IS NULL THEN v.x ELSE c.pm + (v.x - c.jm) * c.a END AS z{window}
    FROM vals v JOIN coef c ON c.judge_id = v.judge_id AND c.grp = v.grp
),
agg (entry_id, grp, n, s, ss, lo, hi, mid_s, mid_n, norm, fb) AS (
    SELECT entry_id, grp, COUNT(*), SUM(x), SUM(CAST(x AS DOUBLE PRECISION) * x), MIN(x), MAX(x), {middle},
        SUM(CASE WHEN z < lo THEN lo WHEN z > hi THEN hi ELSE z END), SUM(fb)
    FROM scored GROUP BY entry_id, grp
),
severity (judge_id, severity) AS (
    SELECT v.judge_id, AVG(v.x - CAST(e.s - v.x AS DOUBLE PRECISION) / CAST(e.n - 1 AS DOUBLE PRECISION))
    FROM vals v JOIN agg e ON e.entry_id = v.entry_id AND e.grp = 0
    WHERE v.grp = 0 AND e.n > 1
    GROUP BY v.judge_id
)
SELECT 'e', a.entry_id, a.grp, a.n, a.s, a.ss, a.lo, a.hi, a.mid_s, a.mid_n, a.norm, a.fb,
    e.number, e.title, e.unit_id, e.track_id, e.sequence
FROM agg a LEFT JOIN {entry} e ON a.grp = 0 AND e.id = a.entry_id
UNION ALL
SELECT 'j', j.judge_id, 0, j.n, j.s, j.ss, NULL, NULL, NULL, NULL, s.severity, NULL,
    u.display_name, u.email, NULL, NULL, NULL
FROM judge j JOIN {user} u ON u.id = j.judge_id LEFT JOIN severity s ON s.judge_id = j.judge_id
WHERE j.grp = 0
"""

# Median only: each value's place in its entry and group, and the middle row(s): rows (n + 1) / 2 and (n + 2) / 2
# (integer division on both databases), the same row twice when n is odd, matched once by IN. Other methods skip
# the window, which spares PostgreSQL a sort of every row.
_WINDOW = (
    ",\n        ROW_NUMBER() OVER (PARTITION BY v.entry_id, v.grp ORDER BY v.x) AS rn,"
    "\n        COUNT(*) OVER (PARTITION BY v.entry_id, v.grp) AS cnt"
)
_MIDDLE_ROW = "rn IN ((cnt + 1) / 2, (cnt + 2) / 2)"
_MIDDLE = f"SUM(CASE WHEN {_MIDDLE_ROW} THEN x END), SUM(CASE WHEN {_MIDDLE_ROW} THEN 1 ELSE 0 END)"


def _statement(connection, counting_sql, *, median):
    return _SQL.format(
        counting=counting_sql,
        window=_WINDOW if median else "",
        middle=_MIDDLE if median else "NULL, NULL",
        criterion=_table(connection, Criterion),
        rubric=_table(connection, Rubric),
        criterion_score=_table(connection, CriterionScore),
        entry=_table(connection, Entry),
        user=_table(connection, Score._meta.get_field("judge").related_model),
    )


def _raw_thousandths(method, n, s, lo, hi, mid_s, mid_n) -> int:
    """The raw aggregate (in thousandths, rounded half up) of one entry's totals or one criterion's values."""
    if method == AggregationMethod.MEDIAN:
        return _half_up(_int(mid_s), _int(mid_n))
    if method == AggregationMethod.TRIMMED_MEAN and n >= MIN_JUDGES_FOR_TRIMMING:
        return _half_up(s - lo - hi, n - 2)
    return _half_up(s, n)


# --------------------------------------------------------------------------------------------- criteria order


@dataclass
class _Group:
    """A criterion key within a track (all rubric versions), as ranked for ties."""

    key: str
    low: int  # thousandths
    high: int


def _criteria(round):
    """One query: every criterion of every rubric version of the round. Returns {group id: key}, the current
    rubric's groups per track in tie-break order {track_id: [_Group]}, and the ranking's criteria list (one dict
    per key, in tie-break order)."""
    rows = list(
        Criterion.objects.filter(rubric__round_id=round.pk)
        .order_by("rubric__track_id", "-rubric__version", "-weight", "position", "key", "pk")
        .values_list("pk", "rubric__track_id", "rubric__version", "key", "name_zh", "name_en", "weight", "position",
                     "min_score", "max_score")
    )
    group_of = {}  # (track, key) -> lowest criterion id
    for pk, track_id, _version, key, *_rest in rows:
        group_of[(track_id, key)] = min(pk, group_of.get((track_id, key), pk))
    keys = {group: key for (_track, key), group in group_of.items()}
    current_version = {}
    per_track = {}
    listed = {}
    for _pk, track_id, version, key, name_zh, name_en, weight, position, low, high in rows:
        if current_version.setdefault(track_id, version) != version:
            continue  # an older version: its keys still aggregate (by group), but the current one orders ties
        per_track.setdefault(track_id, []).append(
            _Group(key=key, low=int(Decimal(low) * MILLI), high=int(Decimal(high) * MILLI))
        )
        order = (-Decimal(weight), position, key)
        item = listed.get(key)
        if item is None:
            listed[key] = {"key": key, "name_zh": name_zh, "name_en": name_en, "weight": Decimal(weight),
                           "tracks": [track_id], "_order": order}
        else:
            item["tracks"].append(track_id)
            item["weight"] = max(item["weight"], Decimal(weight))
            item["_order"] = min(item["_order"], order)
    criteria = sorted(listed.values(), key=lambda item: item["_order"])
    for item in criteria:
        del item["_order"]
    return keys, per_track, criteria


def _tie_key(row, order):
    """For entries with equal scores: criteria by weight (as a share of their range, higher first), then more
    judges, then the lower entry number. `row` is the entry's working dict."""
    shares = []
    for group in order:
        value = row["criteria_ranked"].get(group.key)
        shares.append(-Fraction(value - group.low, group.high - group.low) if value is not None else _MISSING)
    sequence = row["sequence"]
    return (tuple(shares), -row["n"], sequence is None, sequence or 0, row["number"], row["entry_id"])


_MISSING = math.inf  # an entry without a value for the criterion comes after those with one


# --------------------------------------------------------------------------------------------- public API


def compute_ranking(round, *, method=None) -> Ranking:
    """The ranking of the round's entries that have at least one counting score (`unscored_entries` lists the
    others). `method` defaults to round.aggregation_method. A fixed number of queries, whatever the row count."""
    method = method or round.aggregation_method
    if method not in AggregationMethod.values:
        raise ValueError(f"Unknown aggregation method {method!r}")
    zscore = method == AggregationMethod.ZSCORE
    raw_method = AggregationMethod.MEAN if zscore else method
    keys, per_track, criteria_list = _criteria(round)
    connection, counting_sql, counting_params = _compiled(_counting(round))
    with connection.cursor() as cursor:
        cursor.execute(
            _statement(connection, counting_sql, median=method == AggregationMethod.MEDIAN),
            (*counting_params, round.pk, MIN_SCORES_FOR_ZSCORE),
        )
        rows = cursor.fetchall()

    # Shape the rows: one working dict per entry (thousandths as ints), criteria keyed within the entry's rubric.
    working = {}
    criteria_values = {}
    judge_rows = []
    for kind, ident, group, n, s, ss, low, high, mid_s, mid_n, norm, fallback, *details in rows:
        if kind == "j":
            judge_rows.append((ident, int(n), int(s), int(ss), norm, details[0] or details[1]))
            continue
        n, s = int(n), int(s)
        raw = _raw_thousandths(raw_method, n, s, low, high, mid_s, mid_n)
        normalised = _float_half_up(norm / n)
        if group:
            criteria_values.setdefault(ident, {})[keys[group]] = (raw, normalised)
            continue
        number, title, unit_id, track_id, sequence = details
        working[ident] = {
            "entry_id": ident, "number": number, "title": title, "unit_id": unit_id, "track_id": track_id,
            "sequence": sequence, "n": n, "raw": raw, "normalised": normalised,
            "score": normalised if zscore else raw, "spread": high - low,
            "stdev": _population_sd(n, s, int(ss)), "fallback": int(fallback),
        }

    which = 1 if zscore else 0
    for ident, row in working.items():
        values = criteria_values.get(ident, {})
        ordered = [group.key for group in per_track.get(row["track_id"], []) if group.key in values]
        row["criteria"] = {key: values[key] for key in ordered + sorted(set(values) - set(ordered))}
        row["criteria_ranked"] = {key: pair[which] for key, pair in values.items()}

    # Rank: score descending; only runs of equal scores need the tie-break key.
    ranked = []
    by_score = sorted(working.values(), key=lambda row: -row["score"])
    for _score, run in groupby(by_score, key=lambda row: row["score"]):
        run = list(run)
        if len(run) > 1:
            run.sort(key=lambda row: _tie_key(row, per_track.get(row["track_id"], [])))
        ranked.extend(run)

    disagreement_range = Decimal(round.disagreement_range)
    disagreement_stdev = Decimal(round.disagreement_stdev)
    results = []
    unit_counts = {}
    for position, row in enumerate(ranked, start=1):
        unit_counts[row["unit_id"]] = unit_counts.get(row["unit_id"], 0) + 1
        spread, stdev = _milli(row["spread"]), _milli(row["stdev"])
        results.append(
            EntryResult(
                entry_id=row["entry_id"], number=row["number"], title=row["title"], unit_id=row["unit_id"],
                track_id=row["track_id"], judge_count=row["n"], raw=_milli(row["raw"]),
                normalised=_milli(row["normalised"]), score=_milli(row["score"]),
                criteria={
                    key: {"raw": _milli(raw), "normalised": _milli(normalised)}
                    for key, (raw, normalised) in row["criteria"].items()
                },
                spread=spread, stdev=stdev,
                disagreement=spread > disagreement_range or stdev > disagreement_stdev,
                fallback_judges=row["fallback"], rank=position, unit_rank=unit_counts[row["unit_id"]],
            )
        )

    severity_threshold = Decimal(round.severity_threshold)
    judges = []
    for judge_id, n, s, ss, severity, name in judge_rows:
        severity = (
            Decimal(repr(severity)).scaleb(-3).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)
            if severity is not None else _milli(0)
        )
        judges.append(
            JudgeStats(
                judge_id=judge_id, name=name, count=n, mean=_milli(_half_up(s, n)),
                stdev=_milli(_population_sd(n, s, ss)), severity=severity,
                flagged=abs(severity) > severity_threshold,
                normalised=n >= MIN_SCORES_FOR_ZSCORE and n * ss - s * s > 0,
            )
        )
    judges.sort(key=lambda stats: (stats.name.casefold(), stats.judge_id))
    return Ranking(round_id=round.pk, method=method, entries=results, judges=judges, criteria=criteria_list)


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
            "rubric": rubric_id, "track": track_id, "version": version, "key": key, "weight": format(weight, "f"),
            "min": format(low, "f"), "max": format(high, "f"), "position": position,
        }
        for rubric_id, track_id, version, key, weight, low, high, position in (
            Criterion.objects.filter(rubric__round_id=round.pk)
            .order_by("rubric__track_id", "rubric__version", "position", "key", "pk")
            .values_list("rubric_id", "rubric__track_id", "rubric__version", "key", "weight", "min_score",
                         "max_score", "position")
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
