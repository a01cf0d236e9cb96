"""Organizer analytics of a round: score distributions per judge and per criterion (computed in the database)
and their rendering as inline SVG on the server (no chart library, no script)."""


def judge_distribution(round) -> list[dict]:
    """Per judge: {"judge_id", "name", "count", "min", "q1", "median", "q3", "max", "mean"} of their counting
    totals; a fixed number of queries."""
    raise NotImplementedError


def criterion_distribution(round, *, buckets=10) -> list[dict]:
    """Per criterion key: {"key", "name", "min_score", "max_score", "counts": [n per bucket], "mean"}."""
    raise NotImplementedError


def svg_boxplots(rows, *, title) -> str:
    """An accessible SVG (role="img", <title>, <desc>) of box plots on a 0–100 axis; safe markup (escaped
    names). Returned as a string for `|safe` after escaping inside."""
    raise NotImplementedError


def svg_histogram(row, *, title) -> str:
    raise NotImplementedError
