"""Business actions on rounds, their entry lists, rubrics and the live final. Keyword-only, one transaction each;
organizer changes go to portal's ActionLog, rubric changes also to the score ledger (judging.ledger).

Errors a user can fix are raised as django.core.exceptions.ValidationError with translated messages.
"""

from django.db import transaction

from judging.models import Round, Rubric


class NotReady(Exception):
    """An action that must wait (e.g. revealing a live result before every judge has scored). str() is translated."""


def default_criteria(track_kind) -> list[dict]:
    """The demo rubric (../shared/domain.md): social value 30, artistic depth 30, production quality 25,
    innovation 15, 0–10 in steps of 0.5, with guidance for 2, 5 and 8; a story-track variant for scripts.
    Each dict has the Criterion field names (key, name_zh, name_en, guidance_*_zh/en, weight, min_score,
    max_score, step, comment_required)."""
    raise NotImplementedError


@transaction.atomic
def create_round(*, competition, actor, kind, name_zh, name_en="", opens_at, closes_at, units=(), **options) -> Round:
    """A new round at the end of the competition's list, with a version-1 rubric per track (default criteria).
    `options` are Round settings: judges_per_entry, blind, peer_scores, required_watch_share, live_final,
    share_feedback."""
    raise NotImplementedError


@transaction.atomic
def create_default_rounds(*, competition, actor) -> list[Round]:
    """初评, 复评, 终评 with windows after the submission deadline (2 weeks each, a week apart); the final is a
    live final with 7 judges per entry and peer scores never shown. Refused if the competition has rounds."""
    raise NotImplementedError


@transaction.atomic
def update_round(*, round, actor, changed_fields, units=None) -> Round:
    """Save an edited round (`units` replaces the unit set when given); logged with the changed field names."""
    raise NotImplementedError


@transaction.atomic
def populate_round(*, round, actor) -> int:
    """Add every eligible entry of the round's units not yet in it (round 1's list). Returns the number added."""
    raise NotImplementedError


@transaction.atomic
def add_round_entry(*, round, entry, actor, source="added"):
    raise NotImplementedError


@transaction.atomic
def remove_round_entry(*, round, entry, actor) -> None:
    """Refused (ValidationError) once any judge has scored the entry in the round."""
    raise NotImplementedError


def current_rubric(round, track) -> Rubric:
    """The highest version of the round's rubric for the track (created from the defaults if missing)."""
    raise NotImplementedError


def current_rubrics(round) -> dict:
    """{track_id: Rubric with criteria prefetched} for every track of the competition; two queries."""
    raise NotImplementedError


@transaction.atomic
def save_rubric(*, rubric, actor, criteria: list[dict]) -> Rubric:
    """Replace an unfrozen rubric's criteria (validated: >= 1 criterion, unique keys, range, step, weight).
    A frozen rubric (a score exists) is refused: use new_rubric_version. Ledger row RUBRIC_CHANGED."""
    raise NotImplementedError


@transaction.atomic
def new_rubric_version(*, rubric, actor, criteria: list[dict], reason) -> Rubric:
    """A new version after scoring began; existing scores keep their version. Ledger row RUBRIC_VERSIONED,
    ActionLog row with the reason."""
    raise NotImplementedError


@transaction.atomic
def set_live_entry(*, round, entry, actor) -> Round:
    """The entry being pitched now in a live final (must be in the round); clears the reveal."""
    raise NotImplementedError


@transaction.atomic
def reveal_live_result(*, round, actor) -> Round:
    """Show the current entry's result on the organizer's screen; NotReady unless every active judge assigned
    to the entry has submitted."""
    raise NotImplementedError


def live_status(round) -> dict:
    """For the live screens: {"entry", "judges": [{"judge", "submitted": bool}], "all_in", "revealed",
    "result": {"mean_total", "criteria": [{"criterion", "mean"}], "count"} or None until revealed}.
    Never includes any judge's score before the reveal."""
    raise NotImplementedError
