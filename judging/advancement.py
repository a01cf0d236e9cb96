"""Advancement after a round: which entries go on to the next round (a rule per unit and/or a threshold, plus
overrides with reasons), with the next round's list kept in step; also the round helpers the other results modules
share (the next round, locking a round, refusing while it is open, local times).

Keyword-only actions, one transaction each, logged (portal ActionLog); user-fixable errors raise ValidationError
with translated messages.

Rules this module follows (beyond the docstrings below):
- Advancement: an entry goes on when it is among the top K of its unit OR at/above the threshold (either rule
  alone, or both). Only eligible entries go on; entries without a counting score do not (unless overridden).
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from judging.models import (
    Assignment,
    Decision,
    Outcome,
    Round,
    RoundEntry,
    RoundEntrySource,
    RoundState,
    Score,
)
from portal.models import LoggedAction
from portal.services import log_action
from submissions.models import Entry, EntryStatus

# The entry fields advancing reads and hands back with the decisions (callers count outcomes and show numbers).
DECIDING_FIELDS = ("competition_id", "unit_id", "track_id", "status", "sequence", "number", "title", "title_en")
DECISION_FIELDS = ("round_id", "entry_id", "outcome", "rank", "overridden", "reason", "decided_by_id", "decided_at")


def _local(moment, competition):
    return date_format(timezone.localtime(moment, competition.tzinfo), "Y-m-d H:i")


def _lock_round(round):
    return Round.objects.select_for_update(of=("self",)).select_related("competition").get(pk=round.pk)


def _refuse_unless_closed(round, action, now=None):
    """`action` finishes the sentence, e.g. "advance after it closes"."""
    state = round.state(now)
    if state == RoundState.CLOSED:
        return
    when = _local(round.closes_at, round.competition)
    if state == RoundState.OPEN:
        message = _("Scoring in this round is still open until %(time)s; %(action)s.")
    else:
        message = _("Scoring in this round has not started yet (it runs until %(time)s); %(action)s.")
    raise ValidationError(message % {"time": when, "action": action}, code="round_open")


def next_round(round):
    """The competition's round after this one by position, or None."""
    return (
        Round.objects.filter(competition_id=round.competition_id, position__gt=round.position)
        .order_by("position")
        .first()
    )


def _clean_rule(top_k_per_unit, threshold):
    if top_k_per_unit in ("", None):
        top_k_per_unit = None
    if threshold in ("", None):
        threshold = None
    if top_k_per_unit is None and threshold is None:
        raise ValidationError(
            _("Give a rule: how many entries per unit go on, or the lowest score that goes on (or both)."),
            code="no_rule",
        )
    if top_k_per_unit is not None:
        try:
            top_k_per_unit = int(top_k_per_unit)
        except (TypeError, ValueError):
            top_k_per_unit = 0
        if top_k_per_unit < 1:
            raise ValidationError(_("The number of entries per unit must be a whole number of at least 1."), code="k")
    if threshold is not None:
        try:
            threshold = Decimal(str(threshold).strip())
        except (InvalidOperation, ValueError):
            threshold = None
        if threshold is None or not threshold.is_finite() or not Decimal(0) <= threshold <= Decimal(100):
            raise ValidationError(_("The lowest score that goes on must be a number from 0 to 100."), code="threshold")
    return top_k_per_unit, threshold


def _clean_override(entry, outcome, reason):
    """(outcome, reason) for one entry, or ValidationError naming it."""
    label = entry.number or entry.title
    if outcome not in Outcome.values:
        raise ValidationError(
            _("%(entry)s: choose whether the entry goes on or not.") % {"entry": label}, code="outcome"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("%(entry)s: give a reason for deciding against the rule.") % {"entry": label}, code="reason"
        )
    if len(reason) > 300:
        raise ValidationError(_("%(entry)s: keep the reason under 300 characters.") % {"entry": label}, code="long")
    if outcome == Outcome.ADVANCED and entry.status != EntryStatus.ELIGIBLE:
        raise ValidationError(
            _("%(entry)s: only eligible entries can go on to the next round.") % {"entry": label}, code="eligible"
        )
    return outcome, reason


def _sync_next_round(round, following, actor):
    """Put the advanced entries on the next round's list and take off earlier advanced ones no longer advanced
    (unless a judge has scored them there). Returns (added, removed, kept) entry ids."""
    advanced = set(Decision.objects.filter(round=round, outcome=Outcome.ADVANCED).values_list("entry_id", flat=True))
    present = dict(RoundEntry.objects.filter(round=following).values_list("entry_id", "source"))
    added = sorted(advanced - set(present))
    RoundEntry.objects.bulk_create(
        [RoundEntry(round=following, entry_id=pk, source=RoundEntrySource.ADVANCED, added_by=actor) for pk in added]
    )
    stale = {pk for pk, source in present.items() if source == RoundEntrySource.ADVANCED and pk not in advanced}
    kept = set(Score.objects.filter(round=following, entry_id__in=stale).values_list("entry_id", flat=True))
    removed = sorted(stale - kept)
    if removed:
        Assignment.objects.filter(round=following, entry_id__in=removed).delete()
        RoundEntry.objects.filter(round=following, entry_id__in=removed).delete()
    return added, removed, sorted(kept)


def _numbers(entry_ids):
    if not entry_ids:
        return []
    numbers = dict(Entry.objects.filter(pk__in=entry_ids).values_list("pk", "number"))
    return [numbers.get(pk, str(pk)) for pk in entry_ids]


@transaction.atomic
def advance(*, round, actor, top_k_per_unit=None, threshold=None, overrides=None) -> list[Decision]:
    """Decide which entries go on: the top K per unit (by unit rank) and/or every entry whose score is at or
    above `threshold`; `overrides` maps entry id -> (outcome, reason) and needs a reason each. Refused
    (ValidationError) while the round is open or not yet started, with no rule given, or when it is the
    last round. Replaces earlier decisions of the round; creates RoundEntry(source=advanced) in the next round
    for advanced entries and removes earlier advanced ones that are no longer advanced and have no score
    there. Logged."""
    from judging.aggregation import compute_ranking

    # judging.versions builds on this module (next_round, the round helpers), so it is imported here.
    from judging.versions import _refresh_draft, _refuse_if_decisions_locked

    round = _lock_round(round)
    _refuse_unless_closed(round, _("advance after it closes"))
    following = next_round(round)
    if following is None:
        raise ValidationError(
            _("This is the last round: nothing goes on from it. Choose the award winners instead."), code="last"
        )
    top_k_per_unit, threshold = _clean_rule(top_k_per_unit, threshold)
    _refuse_if_decisions_locked(round)

    ranking = compute_ranking(round)
    ranked = {result.entry_id: result for result in ranking.entries}
    listed = set(RoundEntry.objects.filter(round=round).values_list("entry_id", flat=True))
    # Only what deciding reads: whole entries (long texts, JSON fields) made this ~10 s at 20,000 entries.
    entries = Entry.objects.only(*DECIDING_FIELDS).in_bulk(set(ranked) | listed)

    cleaned = {}
    for raw_id, value in (overrides or {}).items():
        try:
            entry_id = int(raw_id)
        except (TypeError, ValueError):
            entry_id = None
        if entry_id not in entries:
            raise ValidationError(_("An override names an entry that is not in this round."), code="entry")
        outcome, reason = value if isinstance(value, (tuple, list)) else (value, "")
        cleaned[entry_id] = _clean_override(entries[entry_id], outcome, reason)

    now = timezone.now()
    decisions = []
    for entry_id, entry in entries.items():
        result = ranked.get(entry_id)
        by_rule = Outcome.NOT_ADVANCED
        if result is not None and entry.status == EntryStatus.ELIGIBLE:
            if top_k_per_unit is not None and result.unit_rank <= top_k_per_unit:
                by_rule = Outcome.ADVANCED
            if threshold is not None and Decimal(result.score) >= threshold:
                by_rule = Outcome.ADVANCED
        outcome, reason = cleaned.get(entry_id, (by_rule, ""))
        decisions.append(
            Decision(
                round=round,
                entry_id=entry_id,
                outcome=outcome,
                rank=result.rank if result is not None else None,
                overridden=entry_id in cleaned,
                reason=reason,
                decided_by=actor,
                decided_at=now,
            )
        )
    decisions.sort(key=lambda d: (d.rank is None, d.rank or 0, entries[d.entry_id].sequence or 0, d.entry_id))
    Decision.objects.filter(round=round).delete()
    Decision.objects.bulk_create(decisions)
    added, removed, kept = _sync_next_round(round, following, actor)
    _refresh_draft(round)

    advanced = [d.entry_id for d in decisions if d.outcome == Outcome.ADVANCED]
    log_action(
        competition=round.competition,
        actor=actor,
        action=LoggedAction.ENTRIES_ADVANCED,
        subject=round,
        data={
            "round": round.pk,
            "next_round": following.pk,
            "top_k_per_unit": top_k_per_unit,
            "threshold": str(threshold) if threshold is not None else None,
            "advanced": len(advanced),
            "not_advanced": len(decisions) - len(advanced),
            "overrides": {
                entries[pk].number: {"outcome": outcome, "reason": reason} for pk, (outcome, reason) in cleaned.items()
            },
            "added_to_next_round": _numbers(added),
            "removed_from_next_round": _numbers(removed),
            "kept_in_next_round_scored": _numbers(kept),
        },
    )
    for entry_id, (outcome, reason) in cleaned.items():
        log_action(
            competition=round.competition,
            actor=actor,
            action=LoggedAction.DECISION_OVERRIDDEN,
            subject=entries[entry_id].number,
            data={"round": round.pk, "entry": entry_id, "outcome": outcome, "reason": reason},
        )
    return list(
        Decision.objects.filter(round=round)
        .select_related("entry")
        .only(*DECISION_FIELDS, *(f"entry__{name}" for name in DECIDING_FIELDS))
        .order_by(F("rank").asc(nulls_last=True), "entry__sequence")
    )


@transaction.atomic
def override_decision(*, decision, outcome, reason, actor) -> Decision:
    """Set one entry's outcome against the rule (reason required); keeps the next round's list in step. Refused
    once a published version of the round exists (then revise the version)."""
    # judging.versions builds on this module (next_round, the round helpers), so it is imported here.
    from judging.versions import _refresh_draft, _refuse_if_decisions_locked

    decision = (
        Decision.objects.select_for_update(of=("self",))
        .select_related("entry", "round__competition")
        .get(pk=decision.pk)
    )
    round = _lock_round(decision.round)
    _refuse_if_decisions_locked(round)
    following = next_round(round)
    if following is None:  # pragma: no cover - advance() never decides in the last round
        raise ValidationError(_("This is the last round: nothing goes on from it."), code="last")
    outcome, reason = _clean_override(decision.entry, outcome, reason)
    before = decision.outcome
    decision.outcome = outcome
    decision.overridden = True
    decision.reason = reason
    decision.decided_by = actor
    decision.decided_at = timezone.now()
    decision.save(update_fields=["outcome", "overridden", "reason", "decided_by", "decided_at"])
    added, removed, kept = _sync_next_round(round, following, actor)
    _refresh_draft(round)
    log_action(
        competition=round.competition,
        actor=actor,
        action=LoggedAction.DECISION_OVERRIDDEN,
        subject=decision.entry.number,
        data={
            "round": round.pk,
            "entry": decision.entry_id,
            "before": before,
            "outcome": outcome,
            "reason": reason,
            "added_to_next_round": _numbers(added),
            "removed_from_next_round": _numbers(removed),
            "kept_in_next_round_scored": _numbers(kept),
        },
    )
    return decision
