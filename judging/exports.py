"""Organizer exports of a round: scores, ranking and judge progress as CSV or XLSX, streamed in flat memory and
safe against formula injection (submissions.exports.neutralise on every text cell)."""


def export_scores(round, fmt):
    """An HttpResponse (StreamingHttpResponse for CSV) of every score of the round: entry number, title, unit,
    judge, status, counting (yes/no), total, one column per criterion key, comments."""
    raise NotImplementedError


def export_ranking(round, fmt):
    """Rank, unit rank, entry number, title, unit, track, judges, raw, normalised, score, spread, stdev,
    disagreement, decision."""
    raise NotImplementedError


def export_progress(round, fmt):
    """Per judge: name, email, assigned, submitted, drafts, last active, last reminded."""
    raise NotImplementedError
