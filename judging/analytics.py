"""Organizer analytics of a round: score distributions per judge and per criterion (computed in the database)
and their rendering as inline SVG on the server (no chart library, no script).

The database does the counting: one aggregate query gives each judge's count, lowest, highest and mean total;
one windowed query (ROW_NUMBER and COUNT over each judge's totals) returns only the few rows that the quartiles
are interpolated from (at most two per quartile), so no judge's scores are ever loaded in full. Criterion
histograms are bucketed in SQL (CASE WHEN on the share of the criterion's range). Both run on PostgreSQL and
SQLite.

Quartiles use linear interpolation between the closest ranks (numpy's default, Excel's QUARTILE.INC): for n
sorted totals v[0..n-1], the q-th quartile is at position p = q/4 * (n - 1), v[floor p] + (v[ceil p] -
v[floor p]) * (p - floor p).

The SVG is accessible (role="img", <title>, <desc> with every number), escapes every text with
django.utils.html.escape, and uses presentation attributes only (fill, stroke, font-size): no style attribute,
no script, so it passes a strict Content-Security-Policy.
"""

import hashlib
from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils.html import escape
from django.utils.translation import gettext as _

from judging.models import Criterion, CriterionScore, Score
from portal.models import pick_language

CENT = Decimal("0.01")
QUARTILES = (1, 2, 3)  # q/4


def _counting(round):
    return Score.objects.counting().filter(round=round, total__isnull=False)


def _decimal(value):
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT)


def _quartile(values, n, q):
    """The q/4 quantile from {0-based index: total} holding the indices it needs (see the module docstring)."""
    position = q * (n - 1)  # four times the real position, kept whole
    low, high = position // 4, -(-position // 4)
    fraction = Decimal(position - 4 * low) / 4
    lower, upper = Decimal(values[low]), Decimal(values[high])
    return (lower + (upper - lower) * fraction).quantize(CENT)


def judge_distribution(round) -> list[dict]:
    """Per judge: {"judge_id", "name", "count", "min", "q1", "median", "q3", "max", "mean"} of their counting
    totals; a fixed number of queries."""
    scores = _counting(round)
    stats = list(
        scores.order_by()
        .values("judge_id", "judge__display_name", "judge__email")
        .annotate(count=Count("pk"), low=Min("total"), high=Max("total"), mean=Avg("total"))
    )
    if not stats:
        return []
    # Only the rows the quartiles need: index i (0-based) with |4i - q(n - 1)| < 4 for q in 1, 2, 3.
    per_judge = [F("judge_id")]
    offset = 4 * (F("row") - 1)
    needed = Q()
    for q in QUARTILES:
        name = f"d{q}"
        needed |= Q(**{f"{name}__gt": -4, f"{name}__lt": 4})
    rows = (
        scores.order_by()
        .annotate(
            row=Window(RowNumber(), partition_by=per_judge, order_by=[F("total").asc(), F("pk").asc()]),
            n=Window(Count("pk"), partition_by=per_judge),
        )
        .annotate(
            **{f"d{q}": ExpressionWrapper(offset - q * (F("n") - 1), output_field=IntegerField()) for q in QUARTILES}
        )
        .filter(needed)
        .values_list("judge_id", "row", "total")
    )
    picked = {}
    for judge_id, row, total in rows:
        picked.setdefault(judge_id, {})[row - 1] = total
    result = []
    for stat in stats:
        n = stat["count"]
        values = picked.get(stat["judge_id"], {})
        quartiles = [_quartile(values, n, q) for q in QUARTILES]
        result.append(
            {
                "judge_id": stat["judge_id"],
                "name": stat["judge__display_name"] or stat["judge__email"],
                "email": stat["judge__email"],
                "count": n,
                "min": _decimal(stat["low"]),
                "q1": quartiles[0],
                "median": quartiles[1],
                "q3": quartiles[2],
                "max": _decimal(stat["high"]),
                "mean": _decimal(stat["mean"]),
            }
        )
    result.sort(key=lambda row: (row["name"].lower(), row["judge_id"]))
    return result


def round_criteria(round):
    """{key: {"key", "name", "min_score", "max_score"}} over the round's rubrics, in position order; the newest
    version of a key names it, and the range spans every version and track."""
    criteria = {}
    rows = Criterion.objects.filter(rubric__round=round).order_by("position", "-rubric__version", "rubric__track_id")
    for criterion in rows.values("key", "name_zh", "name_en", "min_score", "max_score"):
        known = criteria.get(criterion["key"])
        if known is None:
            criteria[criterion["key"]] = {
                "key": criterion["key"],
                "name": pick_language(criterion["name_zh"], criterion["name_en"]),
                "min_score": criterion["min_score"],
                "max_score": criterion["max_score"],
            }
        else:
            known["min_score"] = min(known["min_score"], criterion["min_score"])
            known["max_score"] = max(known["max_score"], criterion["max_score"])
    return criteria


def criterion_distribution(round, *, buckets=10) -> list[dict]:
    """Per criterion key: {"key", "name", "min_score", "max_score", "counts": [n per bucket], "mean"}.

    A value falls in bucket floor((value - min) / (max - min) * buckets) of its own criterion's range (the top
    of the range in the last bucket); "count" is the number of values and "mean" their mean. Three queries."""
    buckets = max(1, int(buckets))
    criteria = round_criteria(round)
    values = CriterionScore.objects.filter(score__in=_counting(round), value__isnull=False).order_by()
    span = ExpressionWrapper(F("criterion__max_score") - F("criterion__min_score"), output_field=DecimalField())
    scaled = ExpressionWrapper((F("value") - F("criterion__min_score")) * Value(buckets), output_field=DecimalField())
    bucket = Case(
        *[When(scaled__lt=F("span") * Value(index + 1), then=Value(index)) for index in range(buckets - 1)],
        default=Value(buckets - 1),
        output_field=IntegerField(),
    )
    counts = (
        values.annotate(span=span, scaled=scaled)
        .annotate(bucket=bucket)
        .values("criterion__key", "bucket")
        .annotate(n=Count("pk"))
        .values_list("criterion__key", "bucket", "n")
    )
    stats = {
        row["criterion__key"]: row
        for row in values.values("criterion__key").annotate(count=Count("pk"), mean=Avg("value"))
    }
    histogram = {}
    for key, index, n in counts:
        histogram.setdefault(key, [0] * buckets)[min(max(index, 0), buckets - 1)] += n
    result = []
    for key in list(criteria) + sorted(set(stats) - set(criteria)):
        meta = criteria.get(key) or {"key": key, "name": key, "min_score": Decimal(0), "max_score": Decimal(10)}
        stat = stats.get(key) or {}
        result.append(
            {
                **meta,
                "counts": histogram.get(key, [0] * buckets),
                "count": stat.get("count", 0),
                "mean": _decimal(stat.get("mean")),
            }
        )
    return result


# ---------------------------------------------------------------- SVG

INK = "#1f2328"
MUTED = "#6b7280"
GRID = "#d9dde3"
BOX_FILL = "#f6dcc0"
BOX_STROKE = "#a8561a"
BAR_FILL = "#c8702a"


def _number(value) -> str:
    """0.50 -> "0.5", 72.00 -> "72", None -> "—"."""
    if value is None:
        return "—"
    text = format(Decimal(str(value)).quantize(CENT).normalize(), "f")
    return "0" if text == "-0" else text


def _short(text, length=22):
    text = str(text)
    return text if len(text) <= length else text[: length - 1] + "…"


def _chart_id(kind, title, desc):
    digest = hashlib.sha256(f"{kind}\n{title}\n{desc}".encode()).hexdigest()[:10]
    return f"chart-{kind}-{digest}"


def _svg(*, kind, width, height, title, desc, body):
    chart_id = _chart_id(kind, title, desc)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f"{''.join(body)}</svg>"
    )


def _f(value) -> str:
    return f"{float(value):.1f}"


def boxplot_description(row) -> str:
    return _(
        "%(name)s: %(count)s scores; lowest %(min)s, first quartile %(q1)s, median %(median)s, third quartile "
        "%(q3)s, highest %(max)s, mean %(mean)s."
    ) % {
        "name": row["name"],
        "count": row["count"],
        "min": _number(row["min"]),
        "q1": _number(row["q1"]),
        "median": _number(row["median"]),
        "q3": _number(row["q3"]),
        "max": _number(row["max"]),
        "mean": _number(row["mean"]),
    }


def svg_boxplots(rows, *, title) -> str:
    """An accessible SVG (role="img", <title>, <desc>) of box plots on a 0–100 axis; safe markup (escaped
    names). Returned as a string for `|safe` after escaping inside."""
    rows = list(rows)
    width, left, right, top, row_height, bottom = 640, 180, 24, 12, 32, 34
    plot = width - left - right
    height = top + max(len(rows), 1) * row_height + bottom
    axis_y = top + max(len(rows), 1) * row_height

    def x(value):
        clamped = min(max(float(value), 0.0), 100.0)
        return left + plot * clamped / 100

    desc = " ".join(boxplot_description(row) for row in rows) if rows else _("No scores yet.")
    body = []
    for tick in (0, 25, 50, 75, 100):
        body.append(
            f'<line x1="{_f(x(tick))}" y1="{top}" x2="{_f(x(tick))}" y2="{axis_y}" stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{_f(x(tick))}" y="{axis_y + 18}" text-anchor="middle" font-size="12" fill="{MUTED}">'
            f"{tick}</text>"
        )
    body.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + plot}" y2="{axis_y}" stroke="{MUTED}" stroke-width="1"/>')
    if not rows:
        body.append(
            f'<text x="{_f(left + plot / 2)}" y="{top + row_height / 2 + 4}" text-anchor="middle" font-size="13" '
            f'fill="{MUTED}">{escape(_("No scores yet."))}</text>'
        )
    for index, row in enumerate(rows):
        middle = top + index * row_height + row_height / 2
        box_top, box_height = middle - 9, 18
        label = _("%(name)s (%(count)s)") % {"name": _short(row["name"]), "count": row["count"]}
        q1, q3 = x(row["q1"]), x(row["q3"])
        body.append(f'<g class="chart-row"><title>{escape(boxplot_description(row))}</title>')
        body.append(
            f'<text x="{left - 10}" y="{_f(middle + 4)}" text-anchor="end" font-size="13" fill="{INK}">'
            f"{escape(label)}</text>"
        )
        body.append(
            f'<line x1="{_f(x(row["min"]))}" y1="{_f(middle)}" x2="{_f(x(row["max"]))}" y2="{_f(middle)}" '
            f'stroke="{INK}" stroke-width="1.5"/>'
        )
        for end in (row["min"], row["max"]):
            body.append(
                f'<line x1="{_f(x(end))}" y1="{_f(middle - 6)}" x2="{_f(x(end))}" y2="{_f(middle + 6)}" '
                f'stroke="{INK}" stroke-width="1.5"/>'
            )
        body.append(
            f'<rect x="{_f(q1)}" y="{_f(box_top)}" width="{_f(max(q3 - q1, 1.0))}" height="{box_height}" '
            f'fill="{BOX_FILL}" stroke="{BOX_STROKE}" stroke-width="1.5"/>'
        )
        body.append(
            f'<line x1="{_f(x(row["median"]))}" y1="{_f(box_top)}" x2="{_f(x(row["median"]))}" '
            f'y2="{_f(box_top + box_height)}" stroke="{BOX_STROKE}" stroke-width="3"/>'
        )
        body.append(
            f'<circle cx="{_f(x(row["mean"]))}" cy="{_f(middle)}" r="3.5" fill="{INK}" stroke="#ffffff" '
            f'stroke-width="1"/>'
        )
        body.append("</g>")
    return _svg(kind="boxplot", width=width, height=height, title=title, desc=desc, body=body)


def bucket_bounds(row):
    """[(lower, upper)] of each bucket of a criterion_distribution row, on the criterion's scale."""
    low, high = Decimal(row["min_score"]), Decimal(row["max_score"])
    buckets = len(row["counts"])
    size = (high - low) / buckets if buckets else Decimal(0)
    return [(low + size * index, low + size * (index + 1)) for index in range(buckets)]


def histogram_description(row) -> str:
    bounds = bucket_bounds(row)
    parts = [
        _("%(low)s to %(high)s: %(count)s") % {"low": _number(low), "high": _number(high), "count": count}
        for (low, high), count in zip(bounds, row["counts"], strict=True)
    ]
    summary = _("%(name)s, %(count)s scores from %(min)s to %(max)s, mean %(mean)s.") % {
        "name": row["name"],
        "count": row.get("count", sum(row["counts"])),
        "min": _number(row["min_score"]),
        "max": _number(row["max_score"]),
        "mean": _number(row.get("mean")),
    }
    return f"{summary} {'; '.join(parts)}."


def svg_histogram(row, *, title) -> str:
    """An accessible SVG histogram of one criterion_distribution row: one bar per bucket, its count above it,
    the bucket boundaries below; <desc> lists every bucket's range and count."""
    counts = list(row["counts"])
    buckets = max(len(counts), 1)
    width, left, right, top, bottom = 360, 34, 12, 18, 34
    height = 200
    plot_width, plot_height = width - left - right, height - top - bottom
    base = top + plot_height
    highest = max(counts, default=0)
    bar = plot_width / buckets
    body = [
        f'<line x1="{left}" y1="{base}" x2="{left + plot_width}" y2="{base}" stroke="{MUTED}" stroke-width="1"/>',
        f'<line x1="{left}" y1="{top}" x2="{left + plot_width}" y2="{top}" stroke="{GRID}" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{base + 4}" text-anchor="end" font-size="11" fill="{MUTED}">0</text>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="{MUTED}">{highest}</text>',
    ]
    bounds = bucket_bounds(row) if counts else []
    for index, count in enumerate(counts):
        bar_height = plot_height * count / highest if highest else 0
        x = left + index * bar
        low, high = bounds[index]
        tip = _("%(low)s to %(high)s: %(count)s") % {"low": _number(low), "high": _number(high), "count": count}
        body.append(f'<g class="chart-bar"><title>{escape(tip)}</title>')
        body.append(
            f'<rect x="{_f(x + 1)}" y="{_f(base - bar_height)}" width="{_f(max(bar - 2, 1))}" '
            f'height="{_f(bar_height)}" fill="{BAR_FILL}"/>'
        )
        if count:
            body.append(
                f'<text x="{_f(x + bar / 2)}" y="{_f(base - bar_height - 4)}" text-anchor="middle" font-size="11" '
                f'fill="{INK}">{count}</text>'
            )
        body.append("</g>")
    # Boundary labels: every one for up to 10 buckets, otherwise about ten of them.
    step = max(1, -(-buckets // 10))
    for index in range(0, buckets + 1, step):
        value = bounds[index][0] if index < len(bounds) else (bounds[-1][1] if bounds else row["max_score"])
        body.append(
            f'<text x="{_f(left + index * bar)}" y="{base + 16}" text-anchor="middle" font-size="11" '
            f'fill="{MUTED}">{escape(_number(value))}</text>'
        )
    if not highest:
        body.append(
            f'<text x="{_f(left + plot_width / 2)}" y="{_f(top + plot_height / 2)}" text-anchor="middle" '
            f'font-size="13" fill="{MUTED}">{escape(_("No scores yet."))}</text>'
        )
    return _svg(kind="histogram", width=width, height=height, title=title, desc=histogram_description(row), body=body)
