"""The SQL behind judging.aggregation: the round's criterion groups, the one ranking statement (built as text with
its parameters) and the decoding of its rows into a Ranking. Private to judging.aggregation (see its docstring
for what is computed and how); nothing else imports this module."""

import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import connections

from judging.models import AggregationMethod, Criterion, CriterionScore, RoundEntry, Score
from submissions.models import Entry

if TYPE_CHECKING:
    from judging.aggregation import Ranking

THOUSANDTH = Decimal("0.001")
MIN_SCORES_FOR_ZSCORE = 5
MIN_JUDGES_FOR_TRIMMING = 5


# --------------------------------------------------------------------------------------------- numbers

MILLI = 1000  # numbers travel as integer counts of thousandths: totals and criterion values alike


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (ROUND_HALF_UP), in exact integer arithmetic."""
    if numerator < 0:
        return -_half_up(-numerator, denominator)
    return (2 * numerator + denominator) // (2 * denominator)


def _population_sd(count: int, total: int, squares: int) -> int:
    """round_half_up(sqrt(count * squares - total^2) / count): the population sd of integers, exactly.
    With D = count * squares - total^2, it is the largest k with (2k - 1) * count <= 2 * sqrt(D)."""
    spread = count * squares - total * total
    if spread <= 0:
        return 0
    return (math.isqrt(4 * spread) // count + 1) // 2


@contextmanager
def _no_gc_pauses():
    """Shaping a ranking allocates a few hundred thousand small objects, none of them cyclic garbage; the cyclic
    collector would scan the whole heap several times meanwhile (~0.1 s at 30,000 entries). Restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Decimals(dict):
    """Thousandths -> Decimal with 3 places (72000 -> 72.000), memoised: rankings repeat the same few values."""

    def __missing__(self, thousandths):
        value = self[thousandths] = Decimal(thousandths).scaleb(-3)
        return value


# --------------------------------------------------------------------------------------------- criteria


@dataclass
class _Group:
    """A criterion key within a track, over every rubric version of the round (keys are stable across versions):
    one column of the statement. Bounds in thousandths, the widest over the versions."""

    track_id: int
    key: str
    criterion_ids: list
    low: int
    high: int
    column: int = 0


def _criteria(round):
    """One query: every criterion of every rubric version of the round. Returns the groups (columns 1..n, by
    track and key), the current rubric's groups per track in tie-break order {track_id: [_Group]}, and the
    ranking's criteria list (one dict per key, in tie-break order)."""
    rows = list(
        Criterion.objects.filter(rubric__round_id=round.pk)
        .order_by("rubric__track_id", "-rubric__version", "-weight", "position", "key", "pk")
        .values_list(
            "pk",
            "rubric__track_id",
            "rubric__version",
            "key",
            "name_zh",
            "name_en",
            "weight",
            "position",
            "min_score",
            "max_score",
        )
    )
    groups = {}
    current_version = {}
    per_track = {}
    listed = {}
    for pk, track_id, version, key, name_zh, name_en, weight, position, low, high in rows:
        low, high = int(low * MILLI), int(high * MILLI)
        group = groups.get((track_id, key))
        if group is None:
            group = groups[(track_id, key)] = _Group(track_id=track_id, key=key, criterion_ids=[], low=low, high=high)
        group.criterion_ids.append(pk)
        group.low, group.high = min(group.low, low), max(group.high, high)
        if current_version.setdefault(track_id, version) != version:
            continue  # an older version: its values count in the group, but the current version orders ties
        per_track.setdefault(track_id, []).append(group)
        order = (-weight, position, key)
        item = listed.get(key)
        if item is None:
            listed[key] = {
                "key": key,
                "name_zh": name_zh,
                "name_en": name_en,
                "weight": Decimal(weight),
                "tracks": [track_id],
                "_order": order,
            }
        else:
            item["tracks"].append(track_id)
            item["weight"] = max(item["weight"], Decimal(weight))
            item["_order"] = min(item["_order"], order)
    columns = sorted(groups.values(), key=lambda group: (group.track_id, group.key))
    for number, group in enumerate(columns, start=1):
        group.column = number
    criteria = sorted(listed.values(), key=lambda item: item["_order"])
    for item in criteria:
        del item["_order"]
    return columns, per_track, criteria


# --------------------------------------------------------------------------------------------- SQL


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


def _placeholders(values):
    return ", ".join(["%s"] * len(values))


# One statement (the common subset of PostgreSQL 15 and SQLite 3.35+). Numbers are integer thousandths, so sums
# are exact; only the z-score line is floating point. One row per counting score ("wide"): x0 = its total and
# x1..xn its criterion values, one column per criterion group (track and key), NULL outside the score's track.
#   pivot    criterion values of the round's criteria, one row per score (MAX(CASE ...) per group);
#   wide     the counting scores (the compiled Score.objects.counting() query) with their values;
#   judge    per judge and column: n, sum, sum of squares; panel: the same over all judges;
#   line     per judge and column: the z-score line pm + (x - jm) * a, with a NULL when the judge has fewer than
#            5 values there or their sd is 0 (their raw value then stands in);
#   coef     the same line as b + x * a, and the values of x below / above which it leaves the column's range
#            (so that each score's normalised value is computed once, already clamped);
#   agg      per entry and column: the raw value by the method (r) and the mean of the clamped normalised values
#            (z), both rounded half up to whole thousandths; the median's middle values come from ROW_NUMBER and
#            COUNT over the entry; for the total also n, sum, sum of squares, min, max and how many judges stood
#            in with raw totals;
#   ranked   the entries with their tie-break keys (t1..: the k-th criterion of the entry's rubric as a share of
#            its range, in integers over a common denominator) and their rank (ROW_NUMBER over that order);
#   severity per judge: the mean over shared entries of (total - the mean of the other judges' totals there).
# The result has 'e' rows (one per entry, with its rank) and 'j' rows (one per judge). Python puts the entries in
# rank order and counts ranks within each unit as it goes (one pass; a second window sort costs more).
_STATEMENT = """
WITH counting (id, entry_id, judge_id, total) AS ({counting}),
{pivot}wide AS MATERIALIZED (
    SELECT c.id, c.entry_id, c.judge_id, CAST(ROUND(c.total * 1000) AS INTEGER) AS x0{wide_columns}
    FROM counting c{pivot_join}
),
judge AS MATERIALIZED (SELECT judge_id, {judge_columns} FROM wide GROUP BY judge_id),
panel AS MATERIALIZED (SELECT {panel_columns} FROM judge),
line AS MATERIALIZED (SELECT j.judge_id, {line_columns} FROM judge j CROSS JOIN panel p),
coef AS MATERIALIZED (SELECT judge_id, CASE WHEN a0 IS NULL THEN 1 ELSE 0 END AS fb, {coef_columns} FROM line),
{placed}scored AS (
    SELECT w.entry_id, c.fb, {scored_columns}
    FROM {placed_source} w JOIN coef c ON c.judge_id = w.judge_id
),
agg AS MATERIALIZED (
    SELECT entry_id, COUNT(x0) AS n0, SUM(x0) AS s0, SUM(CAST(x0 AS DOUBLE PRECISION) * x0) AS q0, MIN(x0) AS lo0,
        MAX(x0) AS hi0, SUM(fb) AS fb, {agg_columns}
    FROM scored GROUP BY entry_id
),
keyed AS (
    SELECT a.*, e.number, e.title, e.unit_id, e.track_id, e.sequence, a.{score} AS score{tie_columns}
    FROM agg a JOIN {entry} e ON e.competition_id = %s AND e.id + 0 = a.entry_id
),
ranked AS (SELECT k.*, ROW_NUMBER() OVER (ORDER BY {order}) AS rank FROM keyed k),
severity AS (
    SELECT w.judge_id,
        AVG(w.x0 - CAST(a.s0 - w.x0 AS DOUBLE PRECISION) / CAST(a.n0 - 1 AS DOUBLE PRECISION)) AS severity
    FROM wide w JOIN agg a ON a.entry_id = w.entry_id
    WHERE a.n0 > 1
    GROUP BY w.judge_id
)
SELECT 'e', r.entry_id, r.number, r.title, r.unit_id, r.track_id, r.rank, NULL, r.n0, r.hi0 - r.lo0,
    CAST(FLOOR(SQRT(r.n0 * r.q0 - CAST(r.s0 AS DOUBLE PRECISION) * r.s0) / r.n0 + 0.5) AS BIGINT), r.fb,
    {entry_output}
FROM ranked r
UNION ALL
SELECT 'j', j.judge_id, u.display_name, u.email, NULL, NULL, NULL, s.severity, j.n0, j.s0, j.q0, NULL,
    {judge_output}
FROM judge j JOIN {user} u ON u.id = j.judge_id LEFT JOIN severity s ON s.judge_id = j.judge_id
"""
_PLACED = "placed AS (SELECT w.*, {columns} FROM wide w),\n"
# kind, id, number / name, title / email, unit, track, rank, severity, then n, spread, sd, fallback judges (an
# entry's totals) or n, sum, sum of squares, NULL (a judge's totals); then the raw and the normalised value
# (thousandths, rounded half up) of each column from the total (0) on. An entry's sd is computed in floating point
# from exact integers (n * squares - sum^2 < 2^53 for an entry's handful of totals), where the correctly rounded
# SQRT rounds half up exactly as the integer square root would; a judge's, over many more totals, is computed
# from the exact sums in Python.
_FIXED_COLUMNS = 12


def _statement(connection, counting_sql, counting_params, groups, per_track, *, method, competition_id):
    """The SQL and its parameters for the round's criterion groups and the method."""
    median = method == AggregationMethod.MEDIAN
    columns = range(len(groups) + 1)
    params = list(counting_params)
    pivot = pivot_join = wide_columns = ""
    if groups:
        ids = [pk for group in groups for pk in group.criterion_ids]
        selects = []
        for group in groups:
            test = "= %s" if len(group.criterion_ids) == 1 else f"IN ({_placeholders(group.criterion_ids)})"
            selects.append(
                f"MAX(CASE WHEN v.criterion_id {test} THEN CAST(ROUND(v.value * 1000) AS INTEGER) END) "
                f"AS x{group.column}"
            )
            params += group.criterion_ids
        params += ids
        # Identifiers and placeholders only: every value goes in params (why S608/B608 are accepted here).
        pivot = (
            f"pivot AS (\n    SELECT v.score_id, {', '.join(selects)}\n"  # noqa: S608  # nosec B608
            f"    FROM {_table(connection, CriterionScore)} v\n"
            f"    WHERE v.criterion_id IN ({_placeholders(ids)}) AND v.value IS NOT NULL\n"
            "    GROUP BY v.score_id\n),\n"
        )
        pivot_join = " LEFT JOIN pivot p ON p.score_id = c.id"
        wide_columns = "".join(f", p.x{group.column}" for group in groups)
    judge_columns = ", ".join(
        f"COUNT(x{i}) AS n{i}, SUM(x{i}) AS s{i}, SUM(CAST(x{i} AS DOUBLE PRECISION) * x{i}) AS q{i}" for i in columns
    )
    panel_columns = ", ".join(
        f"CAST(SUM(n{i}) AS DOUBLE PRECISION) AS n{i}, CAST(SUM(s{i}) AS DOUBLE PRECISION) AS s{i}, SUM(q{i}) AS q{i}"
        for i in columns
    )
    bounds = [(0, 100 * MILLI)] + [(group.low, group.high) for group in groups]
    line_columns = []
    for i in columns:
        judge_d = f"(j.n{i} * j.q{i} - CAST(j.s{i} AS DOUBLE PRECISION) * j.s{i})"
        panel_d = f"(p.n{i} * p.q{i} - p.s{i} * p.s{i})"
        line_columns.append(
            f"CASE WHEN j.n{i} >= %s AND {judge_d} > 0 AND {panel_d} > 0 "
            f"THEN SQRT({panel_d}) / p.n{i} * j.n{i} / SQRT({judge_d}) END AS a{i}, "
            f"p.s{i} / NULLIF(p.n{i}, 0) AS pm{i}, CAST(j.s{i} AS DOUBLE PRECISION) / NULLIF(j.n{i}, 0) AS jm{i}"
        )
        params.append(MIN_SCORES_FOR_ZSCORE)
    coef_columns = []
    for i, (low, high) in zip(columns, bounds, strict=True):
        coef_columns.append(
            f"a{i}, pm{i} - jm{i} * a{i} AS b{i}, jm{i} + (%s - pm{i}) / a{i} AS xl{i}, "
            f"jm{i} + (%s - pm{i}) / a{i} AS xh{i}"
        )
        params += [low, high]
    scored_columns = []
    placed_columns = []
    for i, (low, high) in zip(columns, bounds, strict=True):
        scored_columns.append(
            f"w.x{i}, CASE WHEN c.a{i} IS NULL THEN w.x{i} WHEN w.x{i} <= c.xl{i} THEN %s "
            f"WHEN w.x{i} >= c.xh{i} THEN %s ELSE c.b{i} + w.x{i} * c.a{i} END AS z{i}"
        )
        params += [low, high]
        if median:  # the place of each value among the entry's values of the column (NULLs last on both)
            # One window per column (the whole entry as its frame, so that COUNT counts all of it and shares the
            # sort with ROW_NUMBER).
            window = (
                f"(PARTITION BY w.entry_id ORDER BY CASE WHEN w.x{i} IS NULL THEN 1 ELSE 0 END, w.x{i} "
                "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
            )
            placed_columns.append(f"ROW_NUMBER() OVER {window} AS r{i}, COUNT(w.x{i}) OVER {window} AS c{i}")
            scored_columns.append(f"w.r{i}, w.c{i}")
    # Median: the windows run over the narrow score rows, before the z-score columns widen them.
    placed = _PLACED.format(columns=", ".join(placed_columns)) if median else ""
    # Rounded in SQL to whole thousandths, half up: values are never negative (rubrics refuse a negative lowest
    # score), so (2 * sum + n) / (2 * n) in integer division is sum / n rounded half up, on both databases.
    agg_columns = []
    for i in columns:
        n, total = f"COUNT(x{i})", f"SUM(x{i})"
        mean = f"(2 * {total} + {n}) / NULLIF(2 * {n}, 0)"
        if median:
            middle = f"x{i} IS NOT NULL AND r{i} IN ((c{i} + 1) / 2, (c{i} + 2) / 2)"
            middle_sum, middle_n = f"SUM(CASE WHEN {middle} THEN x{i} END)", f"SUM(CASE WHEN {middle} THEN 1 END)"
            raw = f"(2 * {middle_sum} + {middle_n}) / NULLIF(2 * {middle_n}, 0)"
        elif method == AggregationMethod.TRIMMED_MEAN:
            trimmed = f"{total} - MIN(x{i}) - MAX(x{i})"
            raw = f"CASE WHEN {n} >= %s THEN (2 * ({trimmed}) + {n} - 2) / (2 * ({n} - 2)) ELSE {mean} END"
            params.append(MIN_JUDGES_FOR_TRIMMING)
        else:
            raw = mean
        normalised = f"CAST(SUM(z{i}) AS DOUBLE PRECISION) / NULLIF({n}, 0)"
        agg_columns.append(f"{raw} AS r{i}, CAST(FLOOR({normalised} + 0.5) AS BIGINT) AS z{i}")
    # Ties: the criteria of the entry's rubric in tie-break order, compared on the value of the method in use as
    # shares of their ranges ((value - min) * (common / (max - min)) with `common` the least common multiple of
    # the ranges: exact integers that compare entries of different tracks fairly; none sorts last), then more
    # judges, then the lower entry number (its sequence; the number text too, for completeness), then the id.
    which = "z" if method == AggregationMethod.ZSCORE else "r"
    spans = {group.high - group.low for track_groups in per_track.values() for group in track_groups}
    common = math.lcm(*spans) if spans else 1
    tie_columns = []
    order = ["score DESC"]
    for place in range(max((len(track_groups) for track_groups in per_track.values()), default=0)):
        whens = []
        for track_id, track_groups in sorted(per_track.items()):
            if place < len(track_groups):
                group = track_groups[place]
                whens.append(f"WHEN %s THEN (a.{which}{group.column} - %s) * %s")
                params += [track_id, group.low, common // (group.high - group.low)]
        tie_columns.append(f", COALESCE(CASE e.track_id {' '.join(whens)} END, -1) AS t{place + 1}")
        order.append(f"t{place + 1} DESC")
    # Entries are joined on e.id + 0 (within the competition): the planner cannot know how many rows `agg` has
    # (a CTE) and would otherwise look each entry up by its primary key, several times slower than hashing them.
    params.append(competition_id)
    order += ["n0 DESC", "CASE WHEN sequence IS NULL THEN 1 ELSE 0 END", "sequence", "number", "entry_id"]
    entry_output = ", ".join(f"r.r{i}, r.z{i}" for i in columns)
    judge_output = ", ".join(["NULL"] * (2 * len(columns)))
    sql = _STATEMENT.format(
        counting=counting_sql,
        pivot=pivot,
        pivot_join=pivot_join,
        wide_columns=wide_columns,
        judge_columns=judge_columns,
        panel_columns=panel_columns,
        line_columns=", ".join(line_columns),
        coef_columns=", ".join(coef_columns),
        placed=placed,
        placed_source="placed" if median else "wide",
        scored_columns=", ".join(scored_columns),
        agg_columns=", ".join(agg_columns),
        score=f"{which}0",
        tie_columns="".join(tie_columns),
        order=", ".join(order),
        entry_output=entry_output,
        judge_output=judge_output,
        entry=_table(connection, Entry),
        user=_table(connection, Score._meta.get_field("judge").related_model),
    )
    return sql, params


# --------------------------------------------------------------------------------------------- rows


def _shape(round, method, rows, groups, per_track, criteria_list) -> "Ranking":
    """The Ranking from the statement's rows, which come ranked: Decimals from thousandths, criteria in the
    rubric's tie-break order, ranks within units counted in rank order."""
    from judging.aggregation import EntryResult, JudgeStats, Ranking  # the public types (no import cycle)

    zscore = method == AggregationMethod.ZSCORE
    decimal = _Decimals()
    # Thresholds have 2 decimals: in thousandths they compare exactly with the integer spread and sd.
    disagreement_range = int(Decimal(round.disagreement_range) * MILLI)
    disagreement_stdev = int(Decimal(round.disagreement_stdev) * MILLI)
    # Per track: the current rubric's criteria in tie-break order, then keys only older versions had (by key).
    criteria_order = {}
    for track_id, track_groups in per_track.items():
        older = sorted(
            (group for group in groups if group.track_id == track_id and group not in track_groups),
            key=lambda group: group.key,
        )
        criteria_order[track_id] = [(group.key, _FIXED_COLUMNS + 2 * group.column) for group in track_groups + older]
    ranked = [None] * len(rows)
    judge_rows = []
    for row in rows:
        if row[0] == "j":
            judge_rows.append(row)
            continue
        (
            _kind,
            entry_id,
            number,
            title,
            unit_id,
            track_id,
            rank,
            _severity,
            n,
            spread,
            stdev,
            fallback,
            raw,
            normalised,
        ) = row[: _FIXED_COLUMNS + 2]
        criteria = {
            key: {"raw": decimal[row[start]], "normalised": decimal[row[start + 1]]}
            for key, start in criteria_order.get(track_id, ())
            if row[start] is not None
        }
        # Positional, in EntryResult's field order (30,000 of these: keyword arguments cost a third more).
        ranked[rank - 1] = EntryResult(
            entry_id,
            number,
            title,
            unit_id,
            track_id,
            n,
            decimal[raw],
            decimal[normalised],
            decimal[normalised if zscore else raw],
            criteria,
            decimal[spread],
            decimal[stdev],
            spread > disagreement_range or stdev > disagreement_stdev,
            fallback,
            rank,
        )
    results = ranked[: len(rows) - len(judge_rows)]
    unit_counts = {}
    for result in results:
        result.unit_rank = unit_counts[result.unit_id] = unit_counts.get(result.unit_id, 0) + 1

    severity_threshold = Decimal(round.severity_threshold)
    judges = []
    for row in judge_rows:
        _kind, judge_id, name, email, _unit, _track, _rank, severity, n, s, squares = row[:11]
        name, n, s, squares = name or email, int(n), int(s), int(squares)
        # Severity is a mean of fractions (floating point in SQL): read by its shortest repr, then rounded.
        severity = (
            Decimal(repr(severity)).scaleb(-3).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)
            if severity is not None
            else decimal[0]
        )
        judges.append(
            JudgeStats(
                judge_id=judge_id,
                name=name,
                count=n,
                mean=decimal[_half_up(s, n)],
                stdev=decimal[_population_sd(n, s, squares)],
                severity=severity,
                flagged=abs(severity) > severity_threshold,
                normalised=n >= MIN_SCORES_FOR_ZSCORE and n * squares - s * s > 0,
            )
        )
    judges.sort(key=lambda stats: (stats.name.casefold(), stats.judge_id))
    return Ranking(round_id=round.pk, method=method, entries=results, judges=judges, criteria=criteria_list)
