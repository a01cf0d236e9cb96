"""Results of a round: advancement decisions, result versions from frozen snapshots, scheduled publication
into a public notice (公示), objections and their answers, finalisation, and the entrants' result emails.

Keyword-only actions, one transaction each, logged (portal ActionLog); user-fixable errors raise ValidationError
with translated messages. Published versions are immutable: a changed result is a new version.

Rules this module follows (beyond the docstrings below):
- A version's content (snapshot, ranking, decisions, awards) is written only while it is a DRAFT or SCHEDULED;
  decisions and awards are re-read from the tables when it is published, then never again (`_write_content`
  refuses any other status). Changing decisions is refused while a scheduled or published version of the round
  exists and no revision draft is open.
- Only one draft/scheduled/published version per round may exist (a database constraint). So revising a
  PUBLISHED version marks it SUPERSEDED at once (it keeps its published_at and stays readable: `public()`);
  the newest public version of the round is the one to show until the revision is published. A FINAL version
  stays FINAL until the revision is published, then it becomes SUPERSEDED.
- Publishing the result of the competition's last round sets the competition's status to "published": that is
  when the competition's results are out. Earlier rounds leave the status alone.
- Advancement: an entry goes on when it is among the top K of its unit OR at/above the threshold (either rule
  alone, or both). Only eligible entries go on; entries without a counting score do not (unless overridden).
"""

import hashlib
import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from judging.models import (
    Assignment,
    Criterion,
    CriterionScore,
    Decision,
    Nomination,
    NotificationKind,
    NotificationStatus,
    Objection,
    ObjectionStatus,
    Outcome,
    ResultNotification,
    ResultVersion,
    Round,
    RoundEntry,
    RoundEntrySource,
    RoundState,
    Score,
    ScoreStatus,
    VersionStatus,
)
from portal.mail import send_bilingual
from portal.models import CompetitionRole, CompetitionStatus, LoggedAction, MaterialKind, Role, pick_language
from portal.services import log_action
from submissions import materials
from submissions.models import CoOwner, Entry, EntryStatus

logger = logging.getLogger(__name__)

NOTICE_DAYS_DEFAULT = 7
NOTIFICATION_BATCH = 50
NOTIFICATION_MAX_ATTEMPTS = 5
UNSCORED_LINES = 20
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
EVIDENCE_FOLDER = "objections"
OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.SCHEDULED, VersionStatus.PUBLISHED)
MUTABLE_STATUSES = (VersionStatus.DRAFT, VersionStatus.SCHEDULED)


class NotificationsFailed(Exception):
    """Some result emails of a batch failed and will be tried again (the task retries the batch)."""


class Bilingual:
    """A text in two languages that renders in the active one (emails render Chinese, then English)."""

    def __init__(self, zh, en=""):
        self.zh = zh or ""
        self.en = en or ""

    def __str__(self):
        return pick_language(self.zh, self.en)

    def __eq__(self, other):
        return isinstance(other, Bilingual) and (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self):
        return hash((self.zh, self.en))

    def __repr__(self):
        return f"Bilingual({self.zh!r}, {self.en!r})"


# --------------------------------------------------------------------------------------------- helpers


def _local(moment, competition):
    return date_format(timezone.localtime(moment, competition.tzinfo), "Y-m-d H:i")


def _lock_round(round):
    return Round.objects.select_for_update(of=("self",)).select_related("competition").get(pk=round.pk)


def _lock_version(version):
    return ResultVersion.objects.select_for_update(of=("self",)).select_related("round__competition").get(pk=version.pk)


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


def _row_entry_id(row):
    """The entry id of a ranking / decisions / awards JSON row."""
    for key in ("entry_id", "entry"):
        value = row.get(key)
        if isinstance(value, dict):
            value = value.get("id")
        if value is not None:
            return int(value)
    return None


def version_entry_ids(version) -> list[int]:
    """Every entry the version lists (ranking, decisions, awards), in ranking order first."""
    seen = {}
    for rows in (version.ranking, version.decisions, version.awards):
        for row in rows or []:
            if isinstance(row, dict):
                entry_id = _row_entry_id(row)
                if entry_id is not None:
                    seen.setdefault(entry_id, None)
    return list(seen)


def _decisions_locked(round):
    """Whether the round's decisions are frozen: a scheduled or published version exists and no draft."""
    statuses = set(ResultVersion.objects.filter(round=round, status__in=OPEN_STATUSES).values_list("status", flat=True))
    return bool(statuses) and VersionStatus.DRAFT not in statuses


def _refuse_if_decisions_locked(round):
    if _decisions_locked(round):
        raise ValidationError(
            _(
                "A result of this round has been scheduled or published, so its decisions cannot change now. "
                "Revise the published result first; the change then goes into the new version."
            ),
            code="published",
        )


# --------------------------------------------------------------------------------------------- advancement


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
    entries = Entry.objects.in_bulk(set(ranked) | listed)

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
        .order_by(F("rank").asc(nulls_last=True), "entry__sequence")
    )


@transaction.atomic
def override_decision(*, decision, outcome, reason, actor) -> Decision:
    """Set one entry's outcome against the rule (reason required); keeps the next round's list in step. Refused
    once a published version of the round exists (then revise the version)."""
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


# --------------------------------------------------------------------------------------------- versions


def unscored_assignments(round):
    """Active assignments of the round without a submitted score (for the refusal message): queryset with
    entry and judge selected."""
    submitted = Score.objects.filter(
        round=OuterRef("round"), entry=OuterRef("entry"), judge=OuterRef("judge"), status=ScoreStatus.SUBMITTED
    )
    return (
        Assignment.objects.active()
        .filter(round=round)
        .exclude(Exists(submitted))
        .select_related("entry", "judge")
        .order_by("entry__sequence", "entry_id", "judge__display_name", "judge_id")
    )


def _refuse_if_unscored(round):
    missing = list(unscored_assignments(round)[: UNSCORED_LINES + 1])
    if not missing:
        return
    total = len(missing) if len(missing) <= UNSCORED_LINES else unscored_assignments(round).count()
    lines = [
        ngettext(
            "%(count)s assigned entry has no submitted score yet, so the result cannot be prepared:",
            "%(count)s assigned entries have no submitted score yet, so the result cannot be prepared:",
            total,
        )
        % {"count": total}
    ]
    lines += [f"{item.entry.number or item.entry.title} — {item.judge}" for item in missing[:UNSCORED_LINES]]
    if total > UNSCORED_LINES:
        lines.append(_("and %(count)s more") % {"count": total - UNSCORED_LINES})
    raise ValidationError(lines, code="unscored")


def _decisions_json(round) -> list:
    rows = (
        Decision.objects.filter(round=round)
        .select_related("entry")
        .order_by(F("rank").asc(nulls_last=True), "entry__sequence", "entry_id")
    )
    return [
        {
            "entry": decision.entry_id,
            "number": decision.entry.number,
            "title": decision.entry.title,
            "title_en": decision.entry.title_en,
            "unit": decision.entry.unit_id,
            "rank": decision.rank,
            "outcome": decision.outcome,
            "overridden": decision.overridden,
            "reason": decision.reason,
        }
        for decision in rows
    ]


def _awards_json(round) -> list:
    rows = (
        Nomination.objects.filter(round=round)
        .select_related("category", "entry", "credit")
        .order_by("category__position", "category_id", "-is_winner", "entry__sequence", "pk")
    )
    return [
        {
            "category": item.category_id,
            "slug": item.category.slug,
            "name_zh": item.category.name_zh,
            "name_en": item.category.name_en,
            "for_person": item.category.for_person,
            "entry": item.entry_id,
            "number": item.entry.number,
            "title": item.entry.title,
            "title_en": item.entry.title_en,
            "credit": item.credit.name if item.credit else "",
            "credit_role": item.credit.role if item.credit else "",
            "winner": item.is_winner,
            "citation_zh": item.citation_zh if item.is_winner else "",
            "citation_en": item.citation_en if item.is_winner else "",
        }
        for item in rows
    ]


def _write_content(version, **content):
    """The only place a version's content changes: refused unless it is still a draft or scheduled."""
    if version.status not in MUTABLE_STATUSES or version.published_at is not None:
        raise ValidationError(
            _("Version %(number)s has been published and cannot change; revise it instead.")
            % {"number": version.number},
            code="immutable",
        )
    for field, value in content.items():
        setattr(version, field, value)
    return list(content)


def _refresh_draft(round):
    """Keep an unpublished (draft) version's decisions and awards in step with the tables."""
    draft = ResultVersion.objects.select_for_update().filter(round=round, status=VersionStatus.DRAFT).first()
    if draft is None:
        return
    fields = _write_content(draft, decisions=_decisions_json(round), awards=_awards_json(round))
    draft.save(update_fields=fields)


def _build_version(*, round, actor, reason, number) -> ResultVersion:
    from judging.aggregation import compute_ranking, take_snapshot

    snapshot = take_snapshot(round)
    method = round.aggregation_method
    version = ResultVersion(
        round=round, number=number, status=VersionStatus.DRAFT, method=method, reason=reason, created_by=actor
    )
    _write_content(
        version,
        snapshot=snapshot,
        snapshot_sha256=ResultVersion.digest(snapshot),
        ranking=compute_ranking(round, method=method).as_json(),
        decisions=_decisions_json(round),
        awards=_awards_json(round),
    )
    version.save()
    return version


def _clean_reason(reason, required):
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError(
            _("Say why this result is being changed (it is shown with the new version)."), code="reason"
        )
    if len(reason) > 300:
        raise ValidationError(_("Keep the reason under 300 characters."), code="long")
    return reason


def _refuse_without_decisions(round):
    if next_round(round) is not None and not Decision.objects.filter(round=round).exists():
        raise ValidationError(
            _("Decide which entries go on to the next round before preparing the result."), code="no_decisions"
        )


@transaction.atomic
def prepare_version(*, round, actor, reason="") -> ResultVersion:
    """A DRAFT version: snapshot (aggregation.take_snapshot), its sha256, ranking (compute_ranking as_json),
    decisions and awards (winners and nominations of this round) as JSON. Refused while the round is open, if
    unscored active assignments exist (ValidationError listing "LCP2026-0007 — Judge name" lines), or if a
    draft/scheduled/published version already exists (revise that instead). A reason is required for
    number > 1."""
    round = _lock_round(round)
    _refuse_unless_closed(round, _("prepare the result after it closes"))
    live = ResultVersion.objects.filter(round=round, status__in=OPEN_STATUSES).first()
    if live is not None:
        raise ValidationError(
            _("This round already has version %(number)s (%(status)s): publish or revise that one instead.")
            % {"number": live.number, "status": live.get_status_display()},
            code="exists",
        )
    number = (ResultVersion.objects.filter(round=round).aggregate(last=Max("number"))["last"] or 0) + 1
    reason = _clean_reason(reason, required=number > 1)
    _refuse_without_decisions(round)
    _refuse_if_unscored(round)
    version = _build_version(round=round, actor=actor, reason=reason, number=number)
    log_action(
        competition=round.competition,
        actor=actor,
        action=LoggedAction.RESULT_PREPARED,
        subject=version,
        data={
            "round": round.pk,
            "version": version.number,
            "method": version.method,
            "entries": len(version.ranking),
            "snapshot_sha256": version.snapshot_sha256,
            "reason": reason,
        },
    )
    return version


@transaction.atomic
def schedule_publication(*, version, publish_at, notice_ends_at, actor) -> ResultVersion:
    """DRAFT -> SCHEDULED: publish_at (>= now - 1 min) and notice_ends_at (> publish_at). Queues
    tasks.publish_due_versions with eta=publish_at after commit; a periodic beat task catches any missed one."""
    from judging import tasks

    version = _lock_version(version)
    if version.status not in MUTABLE_STATUSES:
        raise ValidationError(
            _("Version %(number)s is %(status)s; only a draft can be scheduled.")
            % {"number": version.number, "status": version.get_status_display()},
            code="status",
        )
    if publish_at is None or notice_ends_at is None:
        raise ValidationError(_("Give both the publication time and the end of the public notice."), code="required")
    now = timezone.now()
    if publish_at < now - timezone.timedelta(minutes=1):
        raise ValidationError(_("The publication time has already passed; choose a later one."), code="past")
    if notice_ends_at <= publish_at:
        raise ValidationError(_("The public notice must end after the result is published."), code="notice")
    version.publish_at = publish_at
    version.notice_ends_at = notice_ends_at
    version.status = VersionStatus.SCHEDULED
    version.save(update_fields=["publish_at", "notice_ends_at", "status"])
    competition = version.round.competition
    log_action(
        competition=competition,
        actor=actor,
        action=LoggedAction.RESULT_SCHEDULED,
        subject=version,
        data={
            "round": version.round_id,
            "version": version.number,
            "publish_at": publish_at.isoformat(),
            "notice_ends_at": notice_ends_at.isoformat(),
        },
    )
    transaction.on_commit(lambda: tasks.publish_due_versions.apply_async(eta=publish_at))
    return version


@transaction.atomic
def publish_version(*, version, actor=None, now=None) -> ResultVersion:
    """SCHEDULED (due) or DRAFT ("publish now", needs notice_ends_at set) -> PUBLISHED: published_at = now; the
    previous public version of the round becomes SUPERSEDED; result emails are queued after commit; the
    competition's public results page shows it. Idempotent for an already published version.

    An organizer (`actor` given) may also publish a scheduled version before its time; the beat task
    (`actor` None) publishes only due ones."""
    now = now or timezone.now()
    version = _lock_version(version)
    if version.published_at is not None:
        return version
    round = version.round
    competition = round.competition
    if version.status not in MUTABLE_STATUSES:  # pragma: no cover - every other status has published_at
        raise ValidationError(_("This version cannot be published."), code="status")
    if version.status == VersionStatus.SCHEDULED and actor is None and version.publish_at and version.publish_at > now:
        raise ValidationError(
            _("This version is scheduled for %(time)s.") % {"time": _local(version.publish_at, competition)},
            code="not_due",
        )
    if version.notice_ends_at is None:
        raise ValidationError(_("Set when the public notice ends before publishing."), code="notice")
    if version.notice_ends_at <= now:
        raise ValidationError(
            _("The public notice would already have ended (%(time)s); set a later end first.")
            % {"time": _local(version.notice_ends_at, competition)},
            code="notice_over",
        )
    # What is published follows the current decisions and nominations; from now on it never changes.
    fields = _write_content(version, decisions=_decisions_json(round), awards=_awards_json(round))
    previous = list(
        ResultVersion.objects.public()
        .filter(round=round)
        .exclude(pk=version.pk)
        .exclude(status=VersionStatus.SUPERSEDED)
        .values_list("number", flat=True)
    )
    ResultVersion.objects.public().filter(round=round).exclude(pk=version.pk).exclude(
        status=VersionStatus.SUPERSEDED
    ).update(status=VersionStatus.SUPERSEDED)
    version.status = VersionStatus.PUBLISHED
    version.published_at = now
    if version.publish_at is None or version.publish_at > now:
        version.publish_at = now
    version.save(update_fields=[*fields, "status", "published_at", "publish_at"])
    if next_round(round) is None and competition.status != CompetitionStatus.PUBLISHED:
        type(competition).objects.filter(pk=competition.pk).update(status=CompetitionStatus.PUBLISHED)
        competition.status = CompetitionStatus.PUBLISHED
    log_action(
        competition=competition,
        actor=actor,
        action=LoggedAction.RESULT_PUBLISHED,
        subject=version,
        data={
            "round": round.pk,
            "version": version.number,
            "published_at": now.isoformat(),
            "notice_ends_at": version.notice_ends_at.isoformat(),
            "superseded": previous,
            "scheduled": actor is None,
        },
    )
    transaction.on_commit(lambda: queue_notifications(version))
    return version


def publish_due_versions(now=None) -> int:
    """Publish every SCHEDULED version whose publish_at has passed (row-locked, so two workers never publish
    one twice). Returns how many."""
    now = now or timezone.now()
    due = list(
        ResultVersion.objects.filter(status=VersionStatus.SCHEDULED, publish_at__lte=now)
        .order_by("publish_at", "pk")
        .values_list("pk", flat=True)
    )
    published = 0
    for pk in due:
        try:
            with transaction.atomic():
                rows = ResultVersion.objects.filter(pk=pk, status=VersionStatus.SCHEDULED, publish_at__lte=now)
                if connection.features.has_select_for_update_skip_locked:
                    rows = rows.select_for_update(skip_locked=True)
                else:
                    rows = rows.select_for_update()
                version = rows.first()
                if version is None:  # another worker has it, or it changed meanwhile
                    continue
                publish_version(version=version, actor=None, now=now)
                published += 1
        except ValidationError as error:
            logger.warning("scheduled result version %s not published: %s", pk, "; ".join(error.messages))
    return published


# --------------------------------------------------------------------------------------------- objections


def inspect_evidence(upload) -> materials.InspectedFile:
    """Check an objection's evidence by content (submissions.materials): a PDF or DOCX document or a JPEG, PNG
    or WebP image, at most 20 MB. ValidationError otherwise."""
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1024 / 1024, 1), "limit": EVIDENCE_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    # A ZIP container can only be a Word document here; anything else is a PDF or an image (or refused).
    kind = MaterialKind.SCRIPT if head.startswith(b"PK\x03\x04") else MaterialKind.ENTRY_FORM
    try:
        return materials.inspect_material(upload, kind)
    except ValidationError as error:
        if getattr(error, "code", None) == "type" and kind == MaterialKind.ENTRY_FORM:
            raise ValidationError(
                _("This file is not a PDF, DOCX, JPEG, PNG or WebP file (judged by its content, not its name)."),
                code="type",
            ) from None
        raise


def _organizer_emails(competition):
    return sorted(
        set(
            CompetitionRole.objects.filter(competition=competition, role=Role.ORGANIZER).values_list(
                "user__email", flat=True
            )
        )
    )


def _version_admin_url(version):
    round = version.round
    return settings.SITE_URL + reverse("judging:version_detail", args=[round.competition.slug, round.pk, version.pk])


def results_url(competition):
    return settings.SITE_URL + reverse("judging:results", args=[competition.slug])


def public_version_url(version):
    return settings.SITE_URL + reverse("judging:public_version", args=[version.round.competition.slug, version.pk])


def _send_safely(**kwargs):
    """For emails sent after commit outside Celery: a failure is logged, the stored row is what counts."""
    try:
        send_bilingual(**kwargs)
    except Exception:  # noqa: BLE001 - the objection is saved and shown on the organizers' page regardless
        logger.exception("email %s to %s failed", kwargs.get("template_prefix"), kwargs.get("to"))


@transaction.atomic
def lodge_objection(*, version, entry, author, text, evidence=None, notify=True) -> Objection:
    """During the notice only (ValidationError after it ends or before publication), by a signed-in user
    (author required), against an entry listed in the version. `evidence` is an optional UploadedFile checked by
    content: a PDF/DOCX document or a JPEG/PNG/WebP image (submissions.materials does the checking), at most
    20 MB; anything else is refused with a clear message and nothing is stored. The organizers are emailed
    (each in their own message; `notify=False` only for demo data)."""
    if author is None or not getattr(author, "is_authenticated", False):
        raise ValidationError(_("Sign in to lodge an objection."), code="sign_in")
    version = ResultVersion.objects.select_related("round__competition").get(pk=version.pk)
    competition = version.round.competition
    now = timezone.now()
    if not version.in_notice(now):
        if version.published_at is None or version.published_at > now:
            raise ValidationError(
                _("This result has not been published, so it cannot be objected to."), code="not_public"
            )
        if version.status == VersionStatus.PUBLISHED and version.notice_ends_at and version.notice_ends_at <= now:
            raise ValidationError(
                _("The public notice ended at %(time)s; objections can no longer be lodged.")
                % {"time": _local(version.notice_ends_at, competition)},
                code="notice_over",
            )
        raise ValidationError(
            _("This version of the result is no longer in its public notice; objections can no longer be lodged."),
            code="notice_over",
        )
    if entry is None or entry.pk not in set(version_entry_ids(version)):
        raise ValidationError(_("This entry is not part of this result."), code="entry")
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Say what you object to and why."), code="text")
    if len(text) > 5000:
        raise ValidationError(_("Keep the objection under 5,000 characters."), code="long")
    inspected = inspect_evidence(evidence) if evidence else None

    objection = Objection(version=version, entry=entry, author=author, text=text)
    stored = None
    try:
        if inspected is not None:
            # A random name: the uploader's file name (which may say who they are) is never kept.
            stored = objection.evidence.storage.save(
                materials.random_name(EVIDENCE_FOLDER, inspected.extension), inspected.content
            )
            objection.evidence.name = stored
            objection.evidence_type = inspected.content_type
            objection.evidence_size = inspected.size
        objection.save()
    except Exception:
        if stored:
            objection.evidence.storage.delete(stored)
        raise
    context = {
        "objection": objection,
        "version": version,
        "round": version.round,
        "competition": competition,
        "entry": entry,
        "author": author,
        "url": _version_admin_url(version),
        "site_url": settings.SITE_URL,
    }
    recipients = _organizer_emails(competition)

    def send_to_organizers():
        for address in recipients:
            _send_safely(template_prefix="judging/email/objection_received", context=context, to=[address])

    if notify:
        transaction.on_commit(send_to_organizers)
    return objection


@transaction.atomic
def answer_objection(*, objection, actor, upheld: bool, answer) -> Objection:
    """Upheld or rejected with an answer (required). The author is emailed the answer. Upholding does not change
    the result by itself: the organizer then overrides decisions / awards and revises the version."""
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("version__round__competition", "entry", "author")
        .get(pk=objection.pk)
    )
    if objection.status != ObjectionStatus.OPEN:
        raise ValidationError(_("This objection has already been answered."), code="answered")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError(_("Write the answer the author will receive."), code="answer")
    if len(answer) > 5000:
        raise ValidationError(_("Keep the answer under 5,000 characters."), code="long")
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED
    objection.answer = answer
    objection.answered_by = actor
    objection.answered_at = timezone.now()
    objection.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    version = objection.version
    competition = version.round.competition
    log_action(
        competition=competition,
        actor=actor,
        action=LoggedAction.OBJECTION_ANSWERED,
        subject=objection.entry.number,
        data={
            "round": version.round_id,
            "version": version.number,
            "objection": objection.pk,
            "entry": objection.entry_id,
            "status": objection.status,
        },
    )
    context = {
        "objection": objection,
        "version": version,
        "round": version.round,
        "competition": competition,
        "entry": objection.entry,
        "upheld": bool(upheld),
        "url": public_version_url(version),
        "site_url": settings.SITE_URL,
    }
    address = objection.author.email
    transaction.on_commit(
        lambda: _send_safely(template_prefix="judging/email/objection_answered", context=context, to=[address])
    )
    return objection


@transaction.atomic
def revise_version(*, version, actor, reason) -> ResultVersion:
    """After a published version: a new DRAFT version (number + 1) with a fresh snapshot and the current
    decisions and awards; the published one stays public until the new one is published. Reason required.

    The database allows one draft/scheduled/published version per round, so a PUBLISHED version becomes
    SUPERSEDED now (still public and readable); a FINAL one stays FINAL until the revision is published."""
    version = _lock_version(version)
    round = _lock_round(version.round)
    if version.published_at is None or version.status not in (VersionStatus.PUBLISHED, VersionStatus.FINAL):
        raise ValidationError(_("Only the current published result can be revised."), code="status")
    if ResultVersion.objects.filter(round=round, status__in=MUTABLE_STATUSES).exists():
        raise ValidationError(_("A revision of this result is already being prepared."), code="exists")
    reason = _clean_reason(reason, required=True)
    _refuse_if_unscored(round)
    if version.status == VersionStatus.PUBLISHED:
        version.status = VersionStatus.SUPERSEDED
        version.save(update_fields=["status"])
    number = (ResultVersion.objects.filter(round=round).aggregate(last=Max("number"))["last"] or 0) + 1
    revision = _build_version(round=round, actor=actor, reason=reason, number=number)
    log_action(
        competition=round.competition,
        actor=actor,
        action=LoggedAction.RESULT_PREPARED,
        subject=revision,
        data={
            "round": round.pk,
            "version": revision.number,
            "revises": version.number,
            "reason": reason,
            "snapshot_sha256": revision.snapshot_sha256,
        },
    )
    return revision


def open_objections(version):
    """Unanswered objections against this version or an earlier one of its round."""
    return (
        Objection.objects.filter(
            version__round_id=version.round_id, version__number__lte=version.number, status=ObjectionStatus.OPEN
        )
        .select_related("entry", "author")
        .order_by("created_at", "pk")
    )


@transaction.atomic
def finalise_version(*, version, actor, now=None) -> ResultVersion:
    """PUBLISHED -> FINAL once the notice has ended and every objection against it is answered (ValidationError
    listing the open ones otherwise). Logged."""
    now = now or timezone.now()
    version = _lock_version(version)
    competition = version.round.competition
    if version.status == VersionStatus.FINAL:
        return version
    if version.status != VersionStatus.PUBLISHED:
        raise ValidationError(_("Only a published result can be finalised."), code="status")
    if version.notice_ends_at and now < version.notice_ends_at:
        raise ValidationError(
            _("The public notice runs until %(time)s; finalise after it ends.")
            % {"time": _local(version.notice_ends_at, competition)},
            code="notice",
        )
    waiting = list(open_objections(version))
    if waiting:
        lines = [
            ngettext(
                "%(count)s objection still waits for an answer:",
                "%(count)s objections still wait for an answer:",
                len(waiting),
            )
            % {"count": len(waiting)}
        ]
        lines += [
            _("%(entry)s — lodged %(time)s")
            % {"entry": item.entry.number, "time": _local(item.created_at, competition)}
            for item in waiting[:UNSCORED_LINES]
        ]
        if len(waiting) > UNSCORED_LINES:
            lines.append(_("and %(count)s more") % {"count": len(waiting) - UNSCORED_LINES})
        raise ValidationError(lines, code="open_objections")
    version.status = VersionStatus.FINAL
    version.finalised_at = now
    version.finalised_by = actor
    version.save(update_fields=["status", "finalised_at", "finalised_by"])
    log_action(
        competition=competition,
        actor=actor,
        action=LoggedAction.RESULT_FINALISED,
        subject=version,
        data={
            "round": version.round_id,
            "version": version.number,
            "objections": Objection.objects.filter(version=version).count(),
        },
    )
    return version


# --------------------------------------------------------------------------------------------- notifications


def _kinds(version) -> dict:
    """entry id -> NotificationKind (awarded > nominated > advanced > not advanced)."""
    kinds = dict.fromkeys(version_entry_ids(version), NotificationKind.NOT_ADVANCED)
    for row in version.decisions or []:
        if row.get("outcome") == Outcome.ADVANCED:
            kinds[_row_entry_id(row)] = NotificationKind.ADVANCED
    for row in version.awards or []:
        entry_id = _row_entry_id(row)
        if row.get("winner"):
            kinds[entry_id] = NotificationKind.AWARDED
        elif kinds.get(entry_id) != NotificationKind.AWARDED:
            kinds[entry_id] = NotificationKind.NOMINATED
    return kinds


def _queue_batches(ids):
    from judging import tasks

    ids = sorted(ids)
    for start in range(0, len(ids), NOTIFICATION_BATCH):
        batch = ids[start : start + NOTIFICATION_BATCH]
        transaction.on_commit(lambda batch=batch: tasks.send_result_notifications.delay(batch))


def queue_notifications(version) -> int:
    """One ResultNotification per entry in the version and recipient (owner + co-owners with an account), kind
    by outcome (awarded > nominated > advanced > not advanced), created in bulk; batches of NOTIFICATION_BATCH
    ids are queued to tasks.send_result_notifications after commit. Idempotent (unique constraint).
    Returns how many were created (and queued)."""
    with transaction.atomic():
        ids = create_notifications(version)
        _queue_batches(ids)
    return len(ids)


def create_notifications(version) -> list[int]:
    """The rows queue_notifications creates (without queueing anything): the ids of the new ones. A fixed number
    of queries whatever the number of entries. Must run in a transaction (the version row is locked)."""
    version = ResultVersion.objects.select_for_update().get(pk=version.pk)
    kinds = _kinds(version)
    if not kinds:
        return []
    recipients = {}
    for entry_id, email in Entry.objects.filter(pk__in=kinds).values_list("pk", "owner__email"):
        recipients.setdefault(entry_id, {})[email.lower()] = email
    coowners = CoOwner.objects.filter(entry_id__in=kinds, user__isnull=False).values_list("entry_id", "user__email")
    for entry_id, email in coowners:
        recipients.setdefault(entry_id, {}).setdefault(email.lower(), email)
    existing = {
        (entry_id, email.lower()): pk
        for pk, entry_id, email in ResultNotification.objects.filter(version=version).values_list(
            "pk", "entry_id", "recipient"
        )
    }
    rows = [
        ResultNotification(version=version, entry_id=entry_id, recipient=email, kind=kinds[entry_id])
        for entry_id in kinds
        for key, email in recipients.get(entry_id, {}).items()
        if (entry_id, key) not in existing
    ]
    if not rows:
        return []
    ResultNotification.objects.bulk_create(rows, batch_size=500)
    return list(
        ResultNotification.objects.filter(version=version, status=NotificationStatus.PENDING)
        .exclude(pk__in=list(existing.values()))
        .values_list("pk", flat=True)
    )


def _awards_of(version) -> dict:
    """entry id -> [{"name", "winner", "credit", "citation"}] from the version's awards."""
    awards = {}
    for row in version.awards or []:
        awards.setdefault(_row_entry_id(row), []).append(
            {
                "name": Bilingual(row.get("name_zh", ""), row.get("name_en", "")),
                "winner": bool(row.get("winner")),
                "credit": row.get("credit", ""),
                "citation": Bilingual(row.get("citation_zh", ""), row.get("citation_en", "")),
            }
        )
    return awards


def _lock_notification(pk):
    rows = ResultNotification.objects.filter(pk=pk)
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True).first()
    return rows.select_for_update().first()


def deliver_notifications(notification_ids) -> None:
    """Send each pending/failed notification (bilingual email; with the feedback dossier when
    round.share_feedback: per-criterion averages and anonymised judge comments). A failure marks it FAILED with
    the error and attempts + 1 (GAVE_UP after NOTIFICATION_MAX_ATTEMPTS) and raises so Celery retries the batch;
    SENT ones are never sent twice."""
    notifications = list(
        ResultNotification.objects.filter(
            pk__in=list(notification_ids), status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED]
        )
        .select_related("version__round__competition", "entry")
        .order_by("pk")
    )
    if not notifications:
        return
    per_version = {}
    for notification in notifications:
        version = notification.version
        if version.pk not in per_version:
            round = version.round
            entry_ids = {n.entry_id for n in notifications if n.version_id == version.pk}
            per_version[version.pk] = {
                "awards": _awards_of(version),
                "dossiers": _dossiers(version, entry_ids) if round.share_feedback else {},
                "next_round": next_round(round),
            }
    failed = 0
    for notification in notifications:
        version = notification.version
        round = version.round
        shared = per_version[version.pk]
        context = {
            "notification": notification,
            "kind": notification.kind,
            "entry": notification.entry,
            "round": round,
            "competition": round.competition,
            "version": version,
            "next_round": shared["next_round"],
            "is_last_round": shared["next_round"] is None,
            "awards": [item for item in shared["awards"].get(notification.entry_id, []) if item["winner"]],
            "nominations": shared["awards"].get(notification.entry_id, []),
            "dossier": shared["dossiers"].get(notification.entry_id),
            "results_url": results_url(round.competition),
            "version_url": public_version_url(version),
            "site_url": settings.SITE_URL,
        }
        with transaction.atomic():
            locked = _lock_notification(notification.pk)
            if locked is None or locked.status not in (NotificationStatus.PENDING, NotificationStatus.FAILED):
                continue  # sent meanwhile, or another worker is sending it
            locked.attempts += 1
            try:
                send_bilingual(template_prefix="judging/email/result", context=context, to=[locked.recipient])
            except Exception as error:  # noqa: BLE001 - any failure is recorded on the row and retried
                locked.last_error = f"{type(error).__name__}: {error}"[:300]
                if locked.attempts >= NOTIFICATION_MAX_ATTEMPTS:
                    locked.status = NotificationStatus.GAVE_UP
                else:
                    locked.status = NotificationStatus.FAILED
                    failed += 1
            else:
                locked.status = NotificationStatus.SENT
                locked.sent_at = timezone.now()
                locked.last_error = ""
            locked.save(update_fields=["status", "attempts", "last_error", "sent_at"])
    if failed:
        raise NotificationsFailed(f"{failed} result emails failed; they will be tried again")


@transaction.atomic
def retry_failed_notifications(*, version, actor) -> int:
    """Re-queue FAILED and GAVE_UP notifications of the version (attempts reset for GAVE_UP)."""
    version = ResultVersion.objects.select_related("round__competition").get(pk=version.pk)
    rows = ResultNotification.objects.select_for_update().filter(
        version=version, status__in=[NotificationStatus.FAILED, NotificationStatus.GAVE_UP]
    )
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return 0
    gave_up = ResultNotification.objects.filter(pk__in=ids, status=NotificationStatus.GAVE_UP).update(
        status=NotificationStatus.FAILED, attempts=0
    )
    _queue_batches(ids)
    log_action(
        competition=version.round.competition,
        actor=actor,
        action=LoggedAction.NOTIFICATIONS_RETRIED,
        subject=version,
        data={"round": version.round_id, "version": version.number, "count": len(ids), "gave_up": gave_up},
    )
    return len(ids)


# --------------------------------------------------------------------------------------------- feedback


def _score_order(score_id):
    """A fixed, meaningless order: the scores' ids hashed, so comments are not in judge order."""
    return hashlib.sha256(f"zhuiguang-feedback:{score_id}".encode()).hexdigest()


def _criteria_names(round) -> dict:
    """(track id, key) -> {"name_zh", "name_en", "position", "max"} from the round's rubrics (newest version wins;
    the snapshot stores keys and numbers only)."""
    names = {}
    rows = (
        Criterion.objects.filter(rubric__round=round)
        .order_by("rubric__version", "position", "pk")
        .values_list("rubric__track_id", "key", "name_zh", "name_en", "position", "max_score")
    )
    for track_id, key, name_zh, name_en, position, max_score in rows:
        names[(track_id, key)] = {"name_zh": name_zh, "name_en": name_en, "position": position, "max": max_score}
    return names


def _dossiers(version, entry_ids) -> dict:
    """entry id -> dossier for the given entries (three queries whatever their number)."""
    entry_ids = set(entry_ids)
    snapshot = version.snapshot or {}
    names = _criteria_names(version.round)
    tracks = {row.get("entry"): row.get("track") for row in snapshot.get("entries") or [] if isinstance(row, dict)}
    missing = entry_ids - set(tracks)
    if missing:
        tracks.update(Entry.objects.filter(pk__in=missing).values_list("pk", "track_id"))
    sums, score_ids = {}, {}
    for row in snapshot.get("scores") or []:
        entry_id = row.get("entry")
        if entry_id not in entry_ids:
            continue
        score_ids.setdefault(entry_id, []).append(row.get("score"))
        for key, value in (row.get("values") or {}).items():
            if value in (None, ""):
                continue
            total, count = sums.setdefault(entry_id, {}).get(key, (Decimal(0), 0))
            sums[entry_id][key] = (total + Decimal(str(value)), count + 1)
    all_ids = [pk for ids in score_ids.values() for pk in ids]
    overall = dict(Score.objects.filter(pk__in=all_ids).exclude(comment="").values_list("pk", "comment"))
    by_score = {}
    for score_id, text in (
        CriterionScore.objects.filter(score_id__in=all_ids)
        .exclude(comment="")
        .order_by("criterion__position", "criterion_id")
        .values_list("score_id", "comment")
    ):
        by_score.setdefault(score_id, []).append(text)

    dossiers = {}
    for entry_id in entry_ids:
        averages = []
        track_id = tracks.get(entry_id)
        for key, (total, count) in sorted(
            sums.get(entry_id, {}).items(),
            key=lambda item: (names.get((track_id, item[0]), {}).get("position", 999), item[0]),
        ):
            info = names.get((track_id, key), {})
            averages.append(
                {
                    "key": key,
                    "name": Bilingual(info.get("name_zh") or key, info.get("name_en", "")),
                    "average": (total / count).quantize(Decimal("0.01")),
                    "max": info.get("max"),
                    "judges": count,
                }
            )
        comments = []
        for score_id in sorted(score_ids.get(entry_id, []), key=_score_order):
            if score_id in overall:
                comments.append(overall[score_id])
            comments.extend(by_score.get(score_id, []))
        dossiers[entry_id] = {"criteria": averages, "comments": comments}
    return dossiers


def feedback_dossier(*, version, entry) -> dict:
    """{"criteria": [{"name", "average"}], "comments": ["…"]} from the version's snapshot and the scores'
    comments, never naming a judge; empty when the round does not share feedback."""
    if not version.round.share_feedback:
        return {"criteria": [], "comments": []}
    entry_id = entry.pk if hasattr(entry, "pk") else int(entry)
    return _dossiers(version, [entry_id])[entry_id]
