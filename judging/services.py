"""Business actions on rounds, their entry lists and the live final. Keyword-only, one transaction each;
organizer changes go to portal's ActionLog. A new round gets its default rubrics from judging.rubrics.

Errors a user can fix are raised as django.core.exceptions.ValidationError with translated messages.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Exists, Max, OuterRef
from django.utils.translation import gettext as _

from judging.models import (
    Assignment,
    CriterionScore,
    PeerScores,
    Round,
    RoundEntry,
    RoundEntrySource,
    RoundKind,
    Rubric,
    Score,
    ScoreStatus,
)
from judging.rubrics import create_default_rubric
from portal.models import LoggedAction, Track
from portal.services import log_action
from submissions.models import Entry, EntryStatus


class NotReady(Exception):
    """An action that must wait (e.g. revealing a live result before every judge has scored). str() is translated."""


ROUND_OPTIONS = frozenset(
    {"judges_per_entry", "blind", "peer_scores", "required_watch_share", "live_final", "share_feedback"}
)


# --------------------------------------------------------------------------------------------- rounds


def _check_units(competition, units):
    units = list(units)
    if any(unit.competition_id != competition.pk for unit in units):
        raise ValidationError(_("Choose units of this competition only."), code="unit")
    return units


def _round_options(options):
    unknown = set(options) - ROUND_OPTIONS
    if unknown:
        raise TypeError(f"unknown round options: {', '.join(sorted(unknown))}")
    return options


@transaction.atomic
def create_round(*, competition, actor, kind, name_zh, name_en="", opens_at, closes_at, units=(), **options) -> Round:
    """A new round at the end of the competition's list, with a version-1 rubric per track (default criteria).
    `options` are Round settings: judges_per_entry, blind, peer_scores, required_watch_share, live_final,
    share_feedback."""
    _round_options(options)
    units = _check_units(competition, units)
    # Lock the competition so two rounds created at once do not take the same position.
    type(competition).objects.select_for_update().filter(pk=competition.pk).first()
    position = (Round.objects.filter(competition=competition).aggregate(last=Max("position"))["last"] or 0) + 1
    round = Round(
        competition=competition,
        position=position,
        kind=kind,
        name_zh=name_zh,
        name_en=name_en,
        opens_at=opens_at,
        closes_at=closes_at,
        **options,
    )
    round.full_clean()
    round.save()
    if units:
        round.units.set(units)
    for track in Track.objects.filter(competition=competition):
        create_default_rubric(round=round, track=track, actor=actor)
    log_action(
        competition=competition,
        actor=actor,
        action=LoggedAction.ROUND_CREATED,
        subject=round,
        data={"kind": str(kind), "position": position, "units": [unit.slug for unit in units]},
    )
    return round


# (kind, zh, en, judges per entry, extra settings) of the default rounds.
DEFAULT_ROUNDS = (
    (RoundKind.PRELIMINARY, "初评", "Preliminary round", 3, {}),
    (RoundKind.SEMI_FINAL, "复评", "Semi-final", 5, {}),
    (RoundKind.FINAL, "终评", "Final", 7, {"live_final": True, "peer_scores": PeerScores.NEVER}),
)
ROUND_LENGTH = timedelta(weeks=2)
ROUND_GAP = timedelta(weeks=1)


@transaction.atomic
def create_default_rounds(*, competition, actor) -> list[Round]:
    """初评, 复评, 终评 with windows after the submission deadline (2 weeks each, a week apart); the final is a
    live final with 7 judges per entry and peer scores never shown. Refused if the competition has rounds."""
    type(competition).objects.select_for_update().filter(pk=competition.pk).first()
    if Round.objects.filter(competition=competition).exists():
        raise ValidationError(
            _("This competition already has rounds: add further rounds one by one."), code="has_rounds"
        )
    rounds = []
    # The first round opens a week after the deadline, leaving time to check eligibility.
    opens_at = competition.submission_closes_at + ROUND_GAP
    for kind, name_zh, name_en, per_entry, extra in DEFAULT_ROUNDS:
        rounds.append(
            create_round(
                competition=competition,
                actor=actor,
                kind=kind,
                name_zh=name_zh,
                name_en=name_en,
                opens_at=opens_at,
                closes_at=opens_at + ROUND_LENGTH,
                judges_per_entry=per_entry,
                **extra,
            )
        )
        opens_at = opens_at + ROUND_LENGTH + ROUND_GAP
    return rounds


@transaction.atomic
def update_round(*, round, actor, changed_fields, units=None) -> Round:
    """Save an edited round (`units` replaces the unit set when given); logged with the changed field names."""
    round.full_clean()
    round.save()
    fields = sorted(set(changed_fields))
    if units is not None:
        units = _check_units(round.competition, units)
        before = set(round.units.values_list("pk", flat=True))
        if before != {unit.pk for unit in units}:
            round.units.set(units)
            if "units" not in fields:
                fields = sorted([*fields, "units"])
    if fields:
        log_action(
            competition=round.competition,
            actor=actor,
            action=LoggedAction.ROUND_CHANGED,
            subject=round,
            data={"fields": fields},
        )
    return round


def _lock_round(round):
    return Round.objects.select_for_update().get(pk=round.pk)


def _covered_units(round):
    """The unit ids the round covers, or None for every unit of the competition."""
    unit_ids = list(round.units.values_list("pk", flat=True))
    return unit_ids or None


@transaction.atomic
def populate_round(*, round, actor) -> int:
    """Add every eligible entry of the round's units not yet in it (round 1's list). Returns the number added."""
    _lock_round(round)
    entries = Entry.objects.filter(competition_id=round.competition_id, status=EntryStatus.ELIGIBLE).exclude(
        Exists(RoundEntry.objects.filter(round=round, entry=OuterRef("pk")))
    )
    unit_ids = _covered_units(round)
    if unit_ids is not None:
        entries = entries.filter(unit_id__in=unit_ids)
    entry_ids = list(entries.order_by("sequence", "pk").values_list("pk", flat=True))
    RoundEntry.objects.bulk_create(
        [RoundEntry(round=round, entry_id=pk, source=RoundEntrySource.ELIGIBLE, added_by=actor) for pk in entry_ids]
    )
    if entry_ids:
        log_action(
            competition=round.competition,
            actor=actor,
            action=LoggedAction.ROUND_ENTRIES_CHANGED,
            subject=round,
            data={"added": len(entry_ids), "source": RoundEntrySource.ELIGIBLE.value},
        )
    return len(entry_ids)


@transaction.atomic
def add_round_entry(*, round, entry, actor, source="added"):
    """Put one entry on the round's list (idempotent: an entry already there is returned as it is). Only
    eligible entries of the competition, in a unit the round covers."""
    if entry.competition_id != round.competition_id:
        raise ValidationError(_("This entry belongs to another competition."), code="competition")
    if entry.status != EntryStatus.ELIGIBLE:
        raise ValidationError(_("Only eligible entries can be judged."), code="not_eligible")
    unit_ids = _covered_units(round)
    if unit_ids is not None and entry.unit_id not in unit_ids:
        raise ValidationError(_("This round does not judge the entry's unit."), code="unit")
    _lock_round(round)
    round_entry, created = RoundEntry.objects.get_or_create(
        round=round, entry=entry, defaults={"source": source, "added_by": actor}
    )
    if created:
        log_action(
            competition=round.competition,
            actor=actor,
            action=LoggedAction.ROUND_ENTRIES_CHANGED,
            subject=round,
            data={"added": [entry.number], "source": str(source)},
        )
    return round_entry


@transaction.atomic
def remove_round_entry(*, round, entry, actor) -> None:
    """Refused (ValidationError) once any judge has scored the entry in the round."""
    _lock_round(round)
    if Score.objects.filter(round=round, entry=entry).exists():
        raise ValidationError(
            _("A judge has already scored this entry in this round, so it stays on the list."), code="scored"
        )
    deleted, _rows = RoundEntry.objects.filter(round=round, entry=entry).delete()
    # Its assignments go with it: nobody should find an entry in their queue that is no longer judged.
    assignments, _rows = Assignment.objects.filter(round=round, entry=entry).delete()
    if deleted:
        log_action(
            competition=round.competition,
            actor=actor,
            action=LoggedAction.ROUND_ENTRIES_CHANGED,
            subject=round,
            data={"removed": [entry.number], "assignments_removed": assignments},
        )


# --------------------------------------------------------------------------------------------- live final


@transaction.atomic
def set_live_entry(*, round, entry, actor) -> Round:
    """The entry being pitched now in a live final (must be in the round); clears the reveal."""
    locked = _lock_round(round)
    if not locked.live_final:
        raise ValidationError(_("This round is not a live final."), code="not_live")
    if entry is not None and not RoundEntry.objects.filter(round=locked, entry=entry).exists():
        raise ValidationError(_("This entry is not in the round."), code="not_in_round")
    locked.live_entry = entry
    locked.live_revealed = False
    locked.save(update_fields=["live_entry", "live_revealed"])
    log_action(
        competition=locked.competition,
        actor=actor,
        action=LoggedAction.LIVE_CHANGED,
        subject=locked,
        data={"entry": entry.number if entry else None, "revealed": False},
    )
    round.live_entry, round.live_revealed = locked.live_entry, False
    return locked


def _live_judges(round, entry):
    """[(judge, submitted)] of the active judges assigned to the entry, by name."""
    assignments = list(
        Assignment.objects.active().filter(round=round, entry=entry).select_related("judge").order_by("judge_id")
    )
    submitted = set(
        Score.objects.filter(round=round, entry=entry, status=ScoreStatus.SUBMITTED).values_list("judge_id", flat=True)
    )
    rows = [(assignment.judge, assignment.judge_id in submitted) for assignment in assignments]
    rows.sort(key=lambda row: (str(row[0]).casefold(), row[0].pk))
    return rows


@transaction.atomic
def reveal_live_result(*, round, actor) -> Round:
    """Show the current entry's result on the organizer's screen; NotReady unless every active judge assigned
    to the entry has submitted."""
    locked = _lock_round(round)
    if not locked.live_final:
        raise ValidationError(_("This round is not a live final."), code="not_live")
    if locked.live_entry_id is None:
        raise ValidationError(_("Choose the entry being pitched first."), code="no_entry")
    judges = _live_judges(locked, locked.live_entry_id)
    if not judges:
        raise NotReady(_("No judge is assigned to this entry yet."))
    done = sum(1 for _judge, submitted in judges if submitted)
    if done < len(judges):
        raise NotReady(
            _("%(done)s of %(total)s judges have submitted their scores; the result can be shown when all have.")
            % {"done": done, "total": len(judges)}
        )
    locked.live_revealed = True
    locked.save(update_fields=["live_revealed"])
    log_action(
        competition=locked.competition,
        actor=actor,
        action=LoggedAction.LIVE_CHANGED,
        subject=locked,
        data={"entry": locked.live_entry.number, "revealed": True},
    )
    round.live_revealed = True
    return locked


THOUSANDTH = Decimal("0.001")


def _mean(value):
    return None if value is None else Decimal(str(value)).quantize(THOUSANDTH)


def live_result(round, entry) -> dict:
    """Mean total and per-criterion means over the counting scores of the entry (the reveal's numbers)."""
    scores = Score.objects.counting().filter(round=round, entry=entry)
    summary = scores.aggregate(mean_total=Avg("total"), count=Count("pk"))
    means = {
        row["criterion__key"]: row["mean"]
        for row in CriterionScore.objects.filter(score__in=scores.values("pk"))
        .values("criterion__key")
        .annotate(mean=Avg("value"))
        .order_by()
    }
    criteria = []
    rubric = Rubric.objects.filter(round=round, track_id=entry.track_id).order_by("-version").first()
    if rubric is not None:
        criteria = [
            {"criterion": criterion, "mean": _mean(means.get(criterion.key))} for criterion in rubric.criteria.all()
        ]
    return {"mean_total": _mean(summary["mean_total"]), "criteria": criteria, "count": summary["count"]}


def live_status(round) -> dict:
    """For the live screens: {"entry", "judges": [{"judge", "submitted": bool}], "all_in", "revealed",
    "result": {"mean_total", "criteria": [{"criterion", "mean"}], "count"} or None until revealed}.
    Never includes any judge's score before the reveal."""
    entry = round.live_entry
    if entry is None:
        return {"entry": None, "judges": [], "all_in": False, "revealed": False, "result": None}
    judges = _live_judges(round, entry)
    all_in = bool(judges) and all(submitted for _judge, submitted in judges)
    revealed = bool(round.live_revealed)
    return {
        "entry": entry,
        "judges": [{"judge": judge, "submitted": submitted} for judge, submitted in judges],
        "all_in": all_in,
        "revealed": revealed,
        "result": live_result(round, entry) if revealed else None,
    }
