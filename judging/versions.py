"""Result versions of a round: a draft built from a frozen snapshot (ranking, decisions and awards as JSON),
scheduled or published into a public notice (公示), revised into a new version, and finalised once the notice has
ended and every objection is answered.

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
"""

import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from judging import public
from judging.advancement import _local, _lock_round, _refuse_unless_closed, next_round
from judging.models import (
    Assignment,
    Decision,
    Nomination,
    Objection,
    ObjectionStatus,
    ResultVersion,
    Score,
    ScoreStatus,
    VersionStatus,
)
from judging.notifications import queue_notifications
from portal.models import CompetitionStatus, LoggedAction
from portal.services import log_action

logger = logging.getLogger(__name__)
NOTICE_DAYS_DEFAULT = 7
UNSCORED_LINES = 20
OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.SCHEDULED, VersionStatus.PUBLISHED)
MUTABLE_STATUSES = (VersionStatus.DRAFT, VersionStatus.SCHEDULED)


def _lock_version(version):
    return ResultVersion.objects.select_for_update(of=("self",)).select_related("round__competition").get(pk=version.pk)


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
    # Plain rows, no model instances: a round of 20,000 entries took ~10 s building whole Entry objects here.
    keys = ("entry", "number", "title", "title_en", "unit", "rank", "outcome", "overridden", "reason")
    rows = (
        Decision.objects.filter(round=round)
        .order_by(F("rank").asc(nulls_last=True), "entry__sequence", "entry_id")
        .values_list(
            "entry_id", "entry__number", "entry__title", "entry__title_en", "entry__unit_id", "rank", "outcome",
            "overridden", "reason",
        )
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


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


def _next_number(round) -> int:
    """Versions of a round are numbered 1, 2, … in the order they are prepared (revisions included)."""
    return (ResultVersion.objects.filter(round=round).aggregate(last=Max("number"))["last"] or 0) + 1


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
    number = _next_number(round)
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
    public.forget_freshness(competition)
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
        public.forget_freshness(round.competition)
    number = _next_number(round)
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
    public.forget_freshness(competition)
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
