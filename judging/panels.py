"""Judges on panels: membership (adding a judge of the competition directly, unit expertise, dropping out, the
judge profile), progress, and reminders. Invitations by email and their acceptance are in judging.invitations.

Reminder emails go out through Celery (judging.tasks), queued on commit; the task calls `deliver_reminder`
here, which tests can call directly.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, FloatField, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from judging.models import Assignment, JudgeProfile, PanelMembership, RoundState, Score, ScoreStatus
from portal.mail import send_bilingual
from portal.models import Competition, CompetitionRole, LoggedAction, Role
from portal.services import log_action

REMINDER_INTERVAL = timedelta(hours=12)
AFFILIATIONS_MAX_LENGTH = JudgeProfile._meta.get_field("affiliations").max_length
BIO_MAX_LENGTH = JudgeProfile._meta.get_field("bio").max_length


def _check_units(round, units):
    units = list(units)
    if any(unit.competition_id != round.competition_id for unit in units):
        raise ValidationError(_("Choose units of this competition only."), code="unit")
    return units


def clean_affiliations(text: str) -> str:
    """One affiliation a line: trimmed, empty lines and repeats dropped. ValidationError when too long."""
    lines = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line and line not in lines:
            lines.append(line)
    cleaned = "\n".join(lines)
    if len(cleaned) > AFFILIATIONS_MAX_LENGTH:
        raise ValidationError(
            _("Keep the affiliations under %(count)s characters."),
            params={"count": AFFILIATIONS_MAX_LENGTH},
            code="max_length",
        )
    return cleaned


# --- Membership -------------------------------------------------------------------------------------------------


@transaction.atomic
def add_judge(*, round, user, actor, expertise=()) -> PanelMembership:
    """Put an existing judge of the competition (who accepted terms before) directly onto another round's panel.
    A judge who left this panel earlier comes back."""
    from judging.conflicts import detect_conflicts

    expertise = _check_units(round, expertise)
    if not CompetitionRole.objects.filter(competition_id=round.competition_id, user=user, role=Role.JUDGE).exists():
        raise ValidationError(_("Only judges of this competition can be added; invite others by email."), code="role")
    accepted = (
        PanelMembership.objects.filter(
            round__competition_id=round.competition_id, judge=user, terms_accepted_at__isnull=False
        )
        .order_by("-terms_accepted_at")
        .first()
    )
    if accepted is None:
        raise ValidationError(
            _("%(judge)s has not accepted the judging terms yet; invite them by email instead.") % {"judge": user},
            code="terms",
        )
    membership = PanelMembership.objects.select_for_update().filter(round=round, judge=user).first()
    if membership is not None and membership.active:
        raise ValidationError(_("%(judge)s is already on this panel.") % {"judge": user}, code="member")
    if membership is None:
        membership = PanelMembership(round=round, judge=user)
    membership.terms_accepted_at = accepted.terms_accepted_at
    membership.terms_version = accepted.terms_version
    membership.active = True
    membership.dropped_at = None
    membership.save()
    if expertise:
        membership.expertise.set(expertise)
    log_action(
        competition=round.competition,
        actor=actor,
        action=LoggedAction.JUDGE_JOINED,
        subject=user.email,
        data={"round": round.pk, "added_by_organizer": True, "expertise": [unit.pk for unit in expertise]},
    )
    detect_conflicts(competition=round.competition, judges=[user])
    return membership


@transaction.atomic
def set_expertise(*, membership, units, actor) -> PanelMembership:
    round = membership.round
    units = _check_units(round, units)
    membership.expertise.set(units)
    log_action(
        competition=round.competition,
        actor=actor,
        action=LoggedAction.ROUND_CHANGED,
        subject=membership.judge.email,
        data={"round": round.pk, "judge": membership.judge_id, "expertise": [unit.pk for unit in units]},
    )
    return membership


@transaction.atomic
def drop_judge(*, membership, actor, reason="") -> PanelMembership:
    """The judge leaves the panel: inactive, their unscored assignments no longer count (re-run the automatic
    assignment to move those entries); scores already given stay. Logged."""
    membership = (
        PanelMembership.objects.select_for_update().select_related("round__competition", "judge").get(pk=membership.pk)
    )
    if not membership.active:
        return membership
    round = membership.round
    unscored = (
        Assignment.objects.filter(round=round, judge_id=membership.judge_id)
        .exclude(entry__in=Score.objects.filter(round=round, judge_id=membership.judge_id).values("entry"))
        .count()
    )
    membership.active = False
    membership.dropped_at = timezone.now()
    membership.save(update_fields=["active", "dropped_at"])
    log_action(
        competition=round.competition,
        actor=actor,
        action=LoggedAction.JUDGE_DROPPED,
        subject=membership.judge.email,
        data={"round": round.pk, "reason": (reason or "").strip()[:300], "unscored_assignments": unscored},
    )
    return membership


@transaction.atomic
def update_judge_profile(*, user, affiliations: str, bio: str = "") -> JudgeProfile:
    """Save the profile and re-run conflict detection in every competition the user judges."""
    from judging.conflicts import detect_conflicts

    affiliations = clean_affiliations(affiliations)
    bio = (bio or "").strip()
    if len(bio) > BIO_MAX_LENGTH:
        raise ValidationError(
            _("Keep the bio under %(count)s characters."), params={"count": BIO_MAX_LENGTH}, code="max_length"
        )
    profile, _created = JudgeProfile.objects.get_or_create(user=user)
    profile.affiliations = affiliations
    profile.bio = bio
    profile.save()
    competitions = Competition.objects.filter(
        Q(roles__user=user, roles__role=Role.JUDGE) | Q(rounds__panel__judge=user)
    ).distinct()
    for competition in competitions:
        detect_conflicts(competition=competition, judges=[user])
    return profile


# --- Progress and reminders -------------------------------------------------------------------------------------


def _count(queryset):
    """A correlated count of `queryset` (filtered on one judge through OuterRef), 0 when there are no rows."""
    counted = queryset.order_by().values("judge").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def judge_progress(round):
    """PanelMembership rows of the round annotated with `assigned` (active assignments), `scored` (submitted
    scores among them), `drafts`, ordered by least progress first; select_related judge. Constant query count.

    Also `remaining` (assigned - scored) and `share` (scored / assigned, None without assignments). Active
    members come first."""
    active = Assignment.objects.active().filter(round=OuterRef("round"), judge=OuterRef("judge"))
    on_active_assignment = Assignment.objects.active().filter(
        round=OuterRef("round"), judge=OuterRef("judge"), entry=OuterRef("entry")
    )
    scores = Score.objects.filter(round=OuterRef("round"), judge=OuterRef("judge")).filter(Exists(on_active_assignment))
    return (
        PanelMembership.objects.filter(round=round)
        .select_related("judge")
        .annotate(
            assigned=_count(active),
            scored=_count(scores.filter(status=ScoreStatus.SUBMITTED)),
            drafts=_count(scores.filter(status=ScoreStatus.DRAFT)),
        )
        .annotate(
            remaining=F("assigned") - F("scored"),
            share=Cast(F("scored"), FloatField()) / NullIf(Cast(F("assigned"), FloatField()), 0.0),
        )
        .order_by("-active", F("share").asc(nulls_last=True), "-remaining", "judge__email", "pk")
    )


def judge_progress_rows(round) -> list:
    """judge_progress as a list, in the same order and with the same attributes, in three grouped queries.

    For pages and exports: the queryset's correlated counts run once per judge and again for every annotation
    built on them (remaining, share, the ordering), ~1 s for a round of 60 judges and 14,000 assignments; these
    group the round's assignments and scores once each."""
    active = Assignment.objects.active().filter(round=round)
    assigned = dict(active.order_by().values("judge").annotate(n=Count("pk")).values_list("judge", "n"))
    on_active_assignment = Assignment.objects.active().filter(
        round=OuterRef("round"), judge=OuterRef("judge"), entry=OuterRef("entry")
    )
    counts = {
        judge_id: (scored, drafts)
        for judge_id, scored, drafts in Score.objects.filter(round=round)
        .filter(Exists(on_active_assignment))
        .order_by()
        .values("judge")
        .annotate(
            scored=Count("pk", filter=Q(status=ScoreStatus.SUBMITTED)),
            drafts=Count("pk", filter=Q(status=ScoreStatus.DRAFT)),
        )
        .values_list("judge", "scored", "drafts")
    }
    members = list(PanelMembership.objects.filter(round=round).select_related("judge"))
    for member in members:
        member.assigned = assigned.get(member.judge_id, 0)
        member.scored, member.drafts = counts.get(member.judge_id, (0, 0))
        member.remaining = member.assigned - member.scored
        member.share = member.scored / member.assigned if member.assigned else None
    members.sort(
        key=lambda member: (
            not member.active,
            member.share is None,
            member.share or 0,
            -member.remaining,
            member.judge.email,
            member.pk,
        )
    )
    return members


def send_reminders(*, round, actor, membership_ids=None) -> int:
    """Email judges with unscored assignments (all laggards, or those given) a bilingual reminder with their
    progress and the deadline; skips anyone reminded in the last 12 hours. Returns the number queued. Logged."""
    from judging import tasks

    if round.state() == RoundState.CLOSED:
        raise ValidationError(_("Scoring in this round has closed; reminders are no longer sent."), code="closed")
    now = timezone.now()
    with transaction.atomic():
        laggards = judge_progress(round).filter(active=True, terms_accepted_at__isnull=False, remaining__gt=0)
        if membership_ids is not None:
            laggards = laggards.filter(pk__in=list(membership_ids))
        ids = list(laggards.values_list("pk", flat=True))
        # Claimed under a row lock with the throttle re-checked, so two clicks never remind anyone twice.
        due = list(
            PanelMembership.objects.select_for_update()
            .filter(pk__in=ids)
            .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - REMINDER_INTERVAL))
            .values_list("pk", flat=True)
        )
        if not due:
            return 0
        PanelMembership.objects.filter(pk__in=due).update(last_reminded_at=now)
        for membership_id in due:
            transaction.on_commit(lambda membership_id=membership_id: tasks.send_reminder.delay(membership_id))
        log_action(
            competition=round.competition,
            actor=actor,
            action=LoggedAction.REMINDERS_SENT,
            subject=round.name_zh,
            data={"round": round.pk, "count": len(due), "memberships": due},
        )
    return len(due)


def deliver_reminder(membership) -> bool:
    """Email one judge their progress in the round ("12 / 40"), the deadline in the competition's time zone and
    a link to their queue; set last_reminded_at. Skipped (False) when they left, finished or the round closed."""
    progress = judge_progress(membership.round).filter(pk=membership.pk).first()
    round = membership.round
    if progress is None or not progress.active or progress.remaining <= 0 or round.state() == RoundState.CLOSED:
        return False
    send_bilingual(
        template_prefix="judging/email/reminder",
        context={
            "judge": membership.judge,
            "round": round,
            "competition": round.competition,
            "assigned": progress.assigned,
            "scored": progress.scored,
            "remaining": progress.remaining,
            "progress": f"{progress.scored} / {progress.assigned}",
            "deadline": round.closes_at,
            "url": settings.SITE_URL + reverse("judging:queue", args=[round.pk]),
            "site_url": settings.SITE_URL,
        },
        to=[membership.judge.email],
    )
    PanelMembership.objects.filter(pk=membership.pk).update(last_reminded_at=timezone.now())
    return True
