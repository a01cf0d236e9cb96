"""A judge's score of an entry, and the record of what they watched. The score form and the live final both
save through save_score; every change that alters a score appends one row to the ledger."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError  # noqa: F401 (raised with per-field messages)
from django.db import transaction

from judging.models import Score, WatchProgress


class ScoreRefused(Exception):
    """The score cannot be saved at all now (window closed, not assigned, conflicted). str() is translated."""


@dataclass(frozen=True)
class CriterionInput:
    value: Decimal | None
    comment: str = ""


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
    Updates the judge's PanelMembership.last_active_at."""
    raise NotImplementedError


def weighted_total(criteria, values) -> Decimal | None:
    """0–100: sum((v - min) / (max - min) * weight) / sum(weight) * 100; None if any value is missing."""
    raise NotImplementedError


@transaction.atomic
def record_watch(*, judge, video, start: float, end: float) -> WatchProgress:
    """Merge a played interval [start, end] (seconds) into the judge's progress on the video. Clamped to the
    video's probed duration; intervals shorter than 0.2 s, reversed or beyond the end are ignored."""
    raise NotImplementedError


def watch_shortfall(*, judge, round, entry) -> list[tuple]:
    """[(VideoFile, share 0..1)] of the entry's ready episode and full-length videos the judge has played less
    than the round's required share of (empty when the requirement is 0 or the entry has no video)."""
    raise NotImplementedError


def peer_scores(*, assignment) -> list[dict] | None:
    """Other judges' submitted totals for the entry ("Judge A", "Judge B" — never names), or None when the
    round never shows them or the judge has not submitted yet."""
    raise NotImplementedError
