"""A judge's score of an entry, and the record of what they watched. The score form and the live final both
save through save_score; every change that alters a score appends one row to the ledger."""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from judging import ledger
from judging.models import (
    Assignment,
    CriterionScore,
    LedgerKind,
    PanelMembership,
    PeerScores,
    Round,
    Rubric,
    Score,
    ScoreStatus,
    WatchProgress,
)
from judging.rubrics import current_rubric
from submissions.models import VideoFile, VideoStatus
from submissions.videos import slot_label

THOUSANDTH = Decimal("0.001")
CENT = Decimal("0.01")
MERGE_GAP = 1.0  # seconds: intervals this close together are one stretch of watching
MIN_INTERVAL = 0.2  # seconds: shorter reports (a seek, a stray event) are ignored
MAX_INTERVALS = 500  # a merged list never grows past this; further scattered reports are ignored
UNKNOWN_DURATION_CAP = 24 * 3600.0  # clamp for videos whose duration the probe did not read
WATCH_TOLERANCE = 0.5  # seconds a player may lose at the very end of a video


class ScoreRefused(Exception):
    """The score cannot be saved at all now (window closed, not assigned, conflicted). str() is translated."""


@dataclass(frozen=True)
class CriterionInput:
    value: Decimal | None
    comment: str = ""


def _number(value) -> str:
    text = format(Decimal(value).normalize(), "f")
    return "0" if text == "-0" else text


def _local(moment, competition):
    return date_format(timezone.localtime(moment, competition.tzinfo), "Y-m-d H:i")


def _refuse_unless_open(round, now):
    if now < round.opens_at:
        raise ScoreRefused(
            _("Scoring in this round opens at %(time)s.") % {"time": _local(round.opens_at, round.competition)}
        )
    if now >= round.closes_at:
        raise ScoreRefused(
            _("Scoring in this round closed at %(time)s: scores can no longer be saved or changed.")
            % {"time": _local(round.closes_at, round.competition)}
        )


def _refuse_unless_active(assignment):
    if Assignment.objects.active().filter(pk=assignment.pk).exists():
        return
    on_panel = PanelMembership.objects.filter(round_id=assignment.round_id, judge_id=assignment.judge_id, active=True)
    if not on_panel.exists():
        raise ScoreRefused(_("You are no longer on this round's panel, so you cannot score in it."))
    # A conflicted judge hears the same as an unassigned one: the reason could say who made the entry.
    raise ScoreRefused(_("This entry is no longer assigned to you, so you cannot score it."))


def _parse_value(raw):
    """Decimal, None for empty, or raise ValueError."""
    if isinstance(raw, CriterionInput):
        raw = raw.value
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        value = Decimal(str(raw).strip()) if not isinstance(raw, Decimal) else raw
    except (InvalidOperation, ValueError, TypeError) as error:
        raise ValueError(raw) from error
    if not value.is_finite():
        raise ValueError(raw)
    return value


def _clean_inputs(*, criteria, values, comment, submit):
    """{criterion id: (Decimal or None, comment)} and the overall comment, or ValidationError keyed by
    criterion id (and NON_FIELD_ERRORS)."""
    by_id = {criterion.pk: criterion for criterion in criteria}
    inputs = {}
    for raw_key, raw in (values or {}).items():
        try:
            key = int(raw_key)
        except (TypeError, ValueError):
            key = None
        if key not in by_id:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: [
                        _(
                            "The rubric of this round was changed while you were scoring. Reload the page to see "
                            "the current criteria; what you typed is kept below."
                        )
                    ]
                },
                code="rubric_changed",
            )
        inputs[key] = raw
    errors = {}
    cleaned = {}
    for criterion in criteria:
        raw = inputs.get(criterion.pk)
        text = (raw.comment if isinstance(raw, CriterionInput) else "") or ""
        text = str(text).strip()
        messages = []
        try:
            value = _parse_value(raw)
        except ValueError:
            value = None
            messages.append(_("%(name)s: enter a number.") % {"name": criterion.name})
        if value is not None and (
            value < criterion.min_score
            or value > criterion.max_score
            or (value - criterion.min_score) % criterion.step != 0
        ):
            messages.append(
                _("%(name)s: enter a score between %(min)s and %(max)s in steps of %(step)s.")
                % {
                    "name": criterion.name,
                    "min": _number(criterion.min_score),
                    "max": _number(criterion.max_score),
                    "step": _number(criterion.step),
                }
            )
        if len(text) > 2000:
            messages.append(_("%(name)s: keep the comment under 2,000 characters.") % {"name": criterion.name})
        if submit and value is None and not messages:
            messages.append(_("%(name)s: give a score before submitting.") % {"name": criterion.name})
        if submit and criterion.comment_required and not text:
            messages.append(_("%(name)s: a comment is required for this criterion.") % {"name": criterion.name})
        if messages:
            errors[criterion.pk] = messages
        cleaned[criterion.pk] = (value.quantize(CENT) if value is not None and not messages else value, text)
    comment = str(comment or "").strip()
    if len(comment) > 5000:
        errors[NON_FIELD_ERRORS] = [_("Keep the overall comment under 5,000 characters.")]
    return cleaned, comment, errors


def _watch_message(round, shortfall):
    videos = ", ".join(
        _("%(video)s (%(share)s%% watched)") % {"video": slot_label(video.slot), "share": math.floor(share * 100)}
        for video, share in shortfall
    )
    return _("Watch at least %(share)s%% of each episode before submitting. Not watched enough yet: %(videos)s.") % {
        "share": round.required_watch_share,
        "videos": videos,
    }


def _stale(score, expected_version):
    """Whether the form was filled in from another version of the score. None skips the check; 0 means the
    form was opened before any score existed."""
    if expected_version is None or expected_version == "":
        return False
    expected = int(expected_version)
    current = score.version if score is not None else 0
    return expected != current


def _state(score):
    """What a save would change, to compare: rubric, status, overall comment, {criterion id: (value, comment)}."""
    values = {row.criterion_id: (row.value, row.comment) for row in score.values.all()}
    return score.rubric_id, score.status, score.comment, values


def _ledger_content(*, score, entry, rubric, criteria, cleaned):
    return {
        "score": score.pk,
        "round": score.round_id,
        "entry": entry.pk,
        "entry_number": entry.number,
        "judge": score.judge_id,
        "rubric": rubric.pk,
        "rubric_version": rubric.version,
        "status": score.status,
        "version": score.version,
        "total": str(score.total) if score.total is not None else None,
        "values": {c.key: (_number(cleaned[c.pk][0]) if cleaned[c.pk][0] is not None else None) for c in criteria},
        "comments": {c.key: cleaned[c.pk][1] for c in criteria if cleaned[c.pk][1]},
        "comment": score.comment,
    }


def _freeze(rubric, now):
    """Freeze the rubric on its first score. The row is locked first, so an organizer's edit in flight either
    finishes before (and its criteria are the ones read below) or is refused afterwards."""
    if rubric.frozen_at is not None:
        return rubric
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if rubric.frozen_at is None:
        rubric.frozen_at = now
        rubric.save(update_fields=["frozen_at"])
    return rubric


@transaction.atomic
def save_score(
    *, assignment, values: dict, comment: str = "", submit: bool, expected_version: int | None = None, now=None
) -> Score:
    """Create or update the judge's score for the assignment's entry in its round.

    `values` maps criterion id -> CriterionInput for the current rubric of the entry's track. Checks, each a
    translated message: window open (else ScoreRefused; also for direct POSTs), assignment still active
    (ScoreRefused), every value within range and on the step (ValidationError keyed by criterion id);
    on submit also every value present, required comments present, and the round's watch share reached
    (ValidationError with the videos short of it). A draft may leave values empty. A stale
    `expected_version` raises ValidationError (someone else — another tab — saved in between).
    Freezes the rubric on the first score. One ledger row per change of content (none for an identical
    resave); the database constraint keeps one score per judge and entry even under parallel requests.
    Updates the judge's PanelMembership.last_active_at.

    Saving a draft of a submitted score takes it back to a draft (it stops counting until submitted again).
    `expected_version` 0 means "there was no score when the form was opened"."""
    now = now or timezone.now()
    # Read the round afresh: the window may have moved since the caller loaded it.
    round = Round.objects.select_related("competition").get(pk=assignment.round_id)
    _refuse_unless_open(round, now)
    _refuse_unless_active(assignment)
    entry = assignment.entry

    rubric = _freeze(current_rubric(round, entry.track), now)
    criteria = list(rubric.criteria.all())
    cleaned, comment, errors = _clean_inputs(criteria=criteria, values=values, comment=comment, submit=submit)
    if submit and round.required_watch_share:
        shortfall = watch_shortfall(judge=assignment.judge, round=round, entry=entry)
        if shortfall:
            errors.setdefault(NON_FIELD_ERRORS, []).append(_watch_message(round, shortfall))
    if errors:
        raise ValidationError(errors)

    status = ScoreStatus.SUBMITTED if submit else ScoreStatus.DRAFT
    total = weighted_total(criteria, {pk: value for pk, (value, _text) in cleaned.items()})
    lookup = {"round_id": round.pk, "entry_id": entry.pk, "judge_id": assignment.judge_id}

    for _attempt in range(2):
        score = _lock_score(lookup)
        if _stale(score, expected_version):
            raise ValidationError(
                _(
                    "This score was changed in another window since you opened this page. Reload the page to see "
                    "the saved version, then make your changes again."
                ),
                code="stale",
            )
        if score is None:
            try:
                with transaction.atomic():  # a savepoint: a parallel request may have created the row
                    score = Score.objects.create(
                        **lookup,
                        rubric=rubric,
                        status=status,
                        total=total,
                        comment=comment,
                        submitted_at=now if submit else None,
                    )
            except IntegrityError:
                continue  # the other request won; save over its row as an update
            kind = LedgerKind.SCORE_SUBMITTED if submit else LedgerKind.SCORE_CREATED
            break
        if _state(score) == (rubric.pk, status, comment, cleaned):
            _touch(round, assignment.judge_id, now)
            return score  # nothing changed: no new version, no ledger row
        was_submitted = score.status == ScoreStatus.SUBMITTED
        score.rubric = rubric
        score.status = status
        score.total = total
        score.comment = comment
        if not submit:
            score.submitted_at = None
        elif not was_submitted:
            score.submitted_at = now
        score.version += 1
        score.save()
        score.values.all().delete()
        kind = LedgerKind.SCORE_SUBMITTED if submit and not was_submitted else LedgerKind.SCORE_CHANGED
        break
    else:  # pragma: no cover - the row exists after an IntegrityError, so the second pass finds it
        raise RuntimeError("could not create or lock the score row")

    CriterionScore.objects.bulk_create(
        [CriterionScore(score=score, criterion=c, value=cleaned[c.pk][0], comment=cleaned[c.pk][1]) for c in criteria]
    )
    ledger.append(
        competition=round.competition,
        kind=kind,
        actor=assignment.judge_id,
        content=_ledger_content(score=score, entry=entry, rubric=rubric, criteria=criteria, cleaned=cleaned),
    )
    _touch(round, assignment.judge_id, now)
    return score


def _lock_score(lookup):
    """The judge's score row, locked until the transaction ends, or None."""
    return Score.objects.select_for_update().filter(**lookup).first()


def _touch(round, judge_id, now):
    PanelMembership.objects.filter(round=round, judge_id=judge_id).update(last_active_at=now)


def weighted_total(criteria, values) -> Decimal | None:
    """0–100: sum((v - min) / (max - min) * weight) / sum(weight) * 100; None if any value is missing.

    `values` maps criterion id -> Decimal (or CriterionInput); the result is quantized to 0.001."""
    criteria = list(criteria)
    if not criteria:
        return None
    weights = sum((Decimal(criterion.weight) for criterion in criteria), Decimal(0))
    if weights <= 0:
        return None
    accumulated = Decimal(0)
    for criterion in criteria:
        value = values.get(criterion.pk)
        if isinstance(value, CriterionInput):
            value = value.value
        if value is None:
            return None
        span = Decimal(criterion.max_score) - Decimal(criterion.min_score)
        accumulated += (Decimal(value) - Decimal(criterion.min_score)) / span * Decimal(criterion.weight)
    return (accumulated / weights * 100).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------- watching


def video_duration(video) -> float:
    """Seconds, from the probe (submissions.media.probe stores "duration"); 0 when unknown."""
    try:
        duration = float((video.probe or {}).get("duration") or 0)
    except (TypeError, ValueError):
        return 0.0
    return duration if math.isfinite(duration) and duration > 0 else 0.0


def merge_intervals(intervals, gap=MERGE_GAP) -> list[list[float]]:
    """Sorted, with overlapping or nearly touching (within `gap` seconds) intervals joined."""
    merged = []
    for start, end in sorted((float(s), float(e)) for s, e in intervals):
        if merged and start <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [[round(start, 3), round(end, 3)] for start, end in merged]


def watched_seconds(intervals, duration=None) -> float:
    """Total length of the intervals, each cut at `duration` when given."""
    total = 0.0
    for start, end in intervals:
        if duration:
            start, end = min(start, duration), min(end, duration)
        total += max(0.0, end - start)
    return round(total, 3)


def _seconds(value, name):
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a number of seconds") from error
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite, non-negative number of seconds")
    return number


@transaction.atomic
def record_watch(*, judge, video, start: float, end: float) -> WatchProgress:
    """Merge a played interval [start, end] (seconds) into the judge's progress on the video. Clamped to the
    video's probed duration; intervals shorter than 0.2 s, reversed or beyond the end are ignored.

    Nonsense (not a number, infinite, negative, end before start) raises ValueError: a player never sends it."""
    start = _seconds(start, "start")
    end = _seconds(end, "end")
    if end < start:
        raise ValueError("end must not be before start")
    duration = video_duration(video)
    limit = duration or UNKNOWN_DURATION_CAP

    WatchProgress.objects.get_or_create(judge=judge, video=video)
    progress = WatchProgress.objects.select_for_update().get(judge=judge, video=video)
    intervals = [
        [min(float(s), limit), min(float(e), limit)] for s, e in (progress.intervals or []) if float(s) < limit
    ]
    start, end = min(start, limit), min(end, limit)
    if end - start >= MIN_INTERVAL:
        candidate = merge_intervals([*intervals, [start, end]])
        if len(candidate) <= MAX_INTERVALS:
            intervals = candidate
    else:
        intervals = merge_intervals(intervals)
    progress.intervals = intervals
    progress.duration = duration
    progress.watched_seconds = watched_seconds(intervals)
    progress.save()
    return progress


def _required_videos(entry):
    return (
        VideoFile.objects.filter(entry=entry, status=VideoStatus.READY)
        .filter(Q(slot="full") | Q(slot__startswith="episode-"))
        .order_by("episode", "slot")
    )


def watch_shortfall(*, judge, round, entry) -> list[tuple]:
    """[(VideoFile, share 0..1)] of the entry's ready episode and full-length videos the judge has played less
    than the round's required share of (empty when the requirement is 0 or the entry has no video).

    Shares are computed from the merged intervals cut at the video's probed duration; a video whose duration
    is unknown cannot be measured and is not required. Two queries."""
    if not round.required_watch_share:
        return []
    videos = list(_required_videos(entry))
    if not videos:
        return []
    progress = {
        row.video_id: row for row in WatchProgress.objects.filter(judge=judge, video_id__in=[v.pk for v in videos])
    }
    required = round.required_watch_share / 100
    shortfall = []
    for video in videos:
        duration = video_duration(video)
        if not duration:
            continue
        row = progress.get(video.pk)
        watched = watched_seconds(row.intervals, duration) if row else 0.0
        if watched + WATCH_TOLERANCE < required * duration:
            shortfall.append((video, min(1.0, watched / duration)))
    return shortfall


# --------------------------------------------------------------------------------------------- peers


def judge_label(index) -> str:
    """0 -> "Judge A", 25 -> "Judge Z", 26 -> "Judge AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return _("Judge %(letter)s") % {"letter": letters}


def peer_scores(*, assignment) -> list[dict] | None:
    """Other judges' submitted totals for the entry ("Judge A", "Judge B" — never names), or None when the
    round never shows them or the judge has not submitted yet.

    [{"label", "total"}] in the order the scores were submitted; conflicted judges' scores never appear."""
    round = assignment.round
    if round.peer_scores != PeerScores.AFTER_OWN:
        return None
    own = Score.objects.filter(
        round_id=assignment.round_id,
        entry_id=assignment.entry_id,
        judge_id=assignment.judge_id,
        status=ScoreStatus.SUBMITTED,
    )
    if not own.exists():
        return None
    others = (
        Score.objects.counting()
        .filter(round_id=assignment.round_id, entry_id=assignment.entry_id)
        .exclude(judge_id=assignment.judge_id)
        .order_by("submitted_at", "pk")
        .values_list("total", flat=True)
    )
    return [{"label": judge_label(index), "total": total} for index, total in enumerate(others)]
