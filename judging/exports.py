"""Organizer exports of a round: scores, ranking and judge progress as CSV or XLSX, streamed in flat memory and
safe against formula injection (submissions.exports.neutralise on every text cell).

Done the way submissions.exports does it: CSV is a StreamingHttpResponse fed row by row (UTF-8 BOM first, the
request's language set again inside the stream); XLSX is an openpyxl write-only workbook written to a temporary
file that FileResponse sends and closes. Rows are read with `.iterator(chunk_size=...)`, their criterion values
prefetched per chunk, so an export makes a few queries per chunk, never one per row. File names read like
`LCP2026-round1-scores.xlsx`.
"""


from django.db.models import F, Prefetch
from django.http import FileResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from judging.analytics import round_criteria
from judging.models import CriterionScore, Decision, Score, ScoreStatus, effective_conflict_exists
from judging.models.results import Outcome
from judging.panels import judge_progress_rows
from portal.models import Track, Unit
from submissions.exports import CHUNK_SIZE, XLSX_CONTENT_TYPE, stream_csv, write_rows_xlsx

FORMATS = ("csv", "xlsx")
JOINER = "; "

SCORE_COLUMNS = [
    (gettext_lazy("Entry number"), 16),
    (gettext_lazy("Title"), 28),
    (gettext_lazy("Unit"), 18),
    (gettext_lazy("Track"), 14),
    (gettext_lazy("Judge"), 18),
    (gettext_lazy("Judge email"), 26),
    (gettext_lazy("Status"), 12),
    (gettext_lazy("Counts"), 10),
    (gettext_lazy("Total (0–100)"), 12),
]
SCORE_TAIL_COLUMNS = [
    (gettext_lazy("Overall comment"), 40),
    (gettext_lazy("Comments per criterion"), 50),
    (gettext_lazy("Submitted at"), 26),
]
RANKING_COLUMNS = [
    (gettext_lazy("Rank"), 8),
    (gettext_lazy("Rank in unit"), 10),
    (gettext_lazy("Entry number"), 16),
    (gettext_lazy("Title"), 28),
    (gettext_lazy("Unit"), 18),
    (gettext_lazy("Track"), 14),
    (gettext_lazy("Judges"), 8),
    (gettext_lazy("Raw score"), 10),
    (gettext_lazy("Normalised score"), 12),
    (gettext_lazy("Score"), 10),
    (gettext_lazy("Spread"), 10),
    (gettext_lazy("Standard deviation"), 12),
    (gettext_lazy("Judges disagree"), 10),
    (gettext_lazy("Decision"), 16),
    (gettext_lazy("Reason for the override"), 30),
]
PROGRESS_COLUMNS = [
    (gettext_lazy("Judge"), 18),
    (gettext_lazy("Email"), 26),
    (gettext_lazy("On the panel"), 10),
    (gettext_lazy("Assigned"), 10),
    (gettext_lazy("Submitted"), 10),
    (gettext_lazy("Drafts"), 10),
    (gettext_lazy("Last active"), 26),
    (gettext_lazy("Last reminded"), 26),
]


def export_filename(round, what, fmt):
    prefix = round.competition.entry_prefix or round.competition.slug
    return f"{prefix}-round{round.position}-{what}.{fmt}"


def _moment(value, tz):
    return value.astimezone(tz).isoformat(timespec="seconds") if value else ""


def _yes_no(value):
    return _("Yes") if value else _("No")


# ---------------------------------------------------------------- Rows (call with the language active)


def score_rows(round):
    """The header, then one row per score of the round (drafts too), in entry-number order."""
    tz = round.competition.tzinfo
    criteria = list(round_criteria(round).values())
    statuses = {value: str(label) for value, label in ScoreStatus.choices}
    yield (
        [str(header) for header, _width in SCORE_COLUMNS]
        + [f"{criterion['name']} ({criterion['key']})" for criterion in criteria]
        + [str(header) for header, _width in SCORE_TAIL_COLUMNS]
    )
    scores = (
        Score.objects.filter(round=round)
        .select_related("entry__unit", "entry__track", "judge")
        .annotate(conflicted=effective_conflict_exists())
        .prefetch_related(Prefetch("values", queryset=CriterionScore.objects.select_related("criterion")))
        .order_by(F("entry__sequence").asc(nulls_last=True), "entry_id", "judge__email", "pk")
    )
    for score in scores.iterator(chunk_size=CHUNK_SIZE):
        values = {value.criterion.key: value for value in score.values.all()}
        counts = score.status == ScoreStatus.SUBMITTED and not score.conflicted
        comments = JOINER.join(f"{value.criterion.name}: {value.comment}" for value in values.values() if value.comment)
        entry = score.entry
        yield [
            entry.number,
            entry.title,
            entry.unit.name,
            entry.track.name,
            score.judge.display_name,
            score.judge.email,
            statuses.get(score.status, score.status),
            _yes_no(counts),
            score.total,
            *[getattr(values.get(criterion["key"]), "value", None) for criterion in criteria],
            score.comment,
            comments,
            _moment(score.submitted_at, tz),
        ]


def ranking_rows(round, ranking):
    """The header, then one row per ranked entry of `ranking` (judging.aggregation.compute_ranking)."""
    units = {unit.pk: unit.name for unit in Unit.objects.filter(competition_id=round.competition_id)}
    tracks = {track.pk: track.name for track in Track.objects.filter(competition_id=round.competition_id)}
    decisions = {decision.entry_id: decision for decision in Decision.objects.filter(round=round)}
    outcomes = {value: str(label) for value, label in Outcome.choices}
    yield [str(header) for header, _width in RANKING_COLUMNS]
    for result in ranking.entries:
        decision = decisions.get(result.entry_id)
        yield [
            result.rank,
            result.unit_rank,
            result.number,
            result.title,
            units.get(result.unit_id, ""),
            tracks.get(result.track_id, ""),
            result.judge_count,
            result.raw,
            result.normalised,
            result.score,
            result.spread,
            result.stdev,
            _yes_no(result.disagreement),
            outcomes.get(decision.outcome, decision.outcome) if decision else "",
            decision.reason if decision and decision.overridden else "",
        ]


def progress_rows(round):
    tz = round.competition.tzinfo
    yield [str(header) for header, _width in PROGRESS_COLUMNS]
    for member in judge_progress_rows(round):
        yield [
            member.judge.display_name,
            member.judge.email,
            _yes_no(member.active),
            member.assigned,
            member.scored,
            member.drafts,
            _moment(member.last_active_at, tz),
            _moment(member.last_reminded_at, tz),
        ]


# ---------------------------------------------------------------- Responses


def _respond(*, round, what, fmt, rows, sheet_title, widths):
    filename = export_filename(round, what, fmt)
    if fmt == "csv":
        response = StreamingHttpResponse(
            stream_csv(rows, translation.get_language()), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(True, filename)
    elif fmt == "xlsx":
        response = FileResponse(
            write_rows_xlsx(rows(), sheet_title=sheet_title, widths=widths),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_CONTENT_TYPE,
        )
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response["Cache-Control"] = "private, no-store"
    return response


def export_scores(round, fmt):
    """An HttpResponse (StreamingHttpResponse for CSV) of every score of the round: entry number, title, unit,
    judge, status, counting (yes/no), total, one column per criterion key, comments."""
    widths = [width for _header, width in SCORE_COLUMNS]
    widths += [12] * len(round_criteria(round)) + [width for _header, width in SCORE_TAIL_COLUMNS]
    return _respond(
        round=round, what="scores", fmt=fmt, rows=lambda: score_rows(round), sheet_title=_("Scores"), widths=widths
    )


def export_ranking(round, fmt):
    """Rank, unit rank, entry number, title, unit, track, judges, raw, normalised, score, spread, stdev,
    disagreement, decision."""
    from judging.aggregation import compute_ranking

    ranking = compute_ranking(round)  # computed now, so a failure is an error page rather than a cut-off file
    return _respond(
        round=round,
        what="ranking",
        fmt=fmt,
        rows=lambda: ranking_rows(round, ranking),
        sheet_title=_("Ranking"),
        widths=[width for _header, width in RANKING_COLUMNS],
    )


def export_progress(round, fmt):
    """Per judge: name, email, assigned, submitted, drafts, last active, last reminded."""
    return _respond(
        round=round,
        what="progress",
        fmt=fmt,
        rows=lambda: progress_rows(round),
        sheet_title=_("Judge progress"),
        widths=[width for _header, width in PROGRESS_COLUMNS],
    )


EXPORTS = {"scores": export_scores, "ranking": export_ranking, "progress": export_progress}
