"""Judges on panels: invitations by email, acceptance of the judging terms, dropping out, progress, reminders."""

from django.db import transaction

from judging.models import Invitation, JudgeProfile, PanelMembership

INVITATION_DAYS = 30
JUDGING_TERMS_VERSION = "1"


class InvitationError(Exception):
    """The invitation cannot be used (expired, revoked, for another address, already used). str() is translated."""


@transaction.atomic
def invite_judges(*, round, emails: list[str], actor, expertise=()) -> list[Invitation]:
    """Invite each address (deduplicated, case-insensitive) to the round's panel; addresses already on the
    panel or with a live invitation are skipped. Each invitation is emailed (bilingual) after commit by a
    Celery task; sent_at is set when it went out. Logged."""
    raise NotImplementedError


@transaction.atomic
def resend_invitation(*, invitation, actor) -> Invitation:
    """A fresh token and expiry, emailed again."""
    raise NotImplementedError


@transaction.atomic
def revoke_invitation(*, invitation, actor) -> None:
    raise NotImplementedError


def find_invitation(token) -> Invitation | None:
    raise NotImplementedError


@transaction.atomic
def accept_invitation(*, invitation, user, affiliations: str, accept_terms: bool) -> PanelMembership:
    """The signed-in user joins the panel. InvitationError unless the invitation is live and its address is
    one of the user's verified addresses; ValidationError unless the terms are accepted. Grants the judge role
    on the competition, records the terms version and time, saves affiliations on the JudgeProfile, and
    runs conflict detection for this judge."""
    raise NotImplementedError


@transaction.atomic
def add_judge(*, round, user, actor, expertise=()) -> PanelMembership:
    """Put an existing judge of the competition (who accepted terms before) directly onto another round's panel."""
    raise NotImplementedError


@transaction.atomic
def set_expertise(*, membership, units, actor) -> PanelMembership:
    raise NotImplementedError


@transaction.atomic
def drop_judge(*, membership, actor, reason="") -> PanelMembership:
    """The judge leaves the panel: inactive, their unscored assignments no longer count (re-run the automatic
    assignment to move those entries); scores already given stay. Logged."""
    raise NotImplementedError


@transaction.atomic
def update_judge_profile(*, user, affiliations: str, bio: str = "") -> JudgeProfile:
    """Save the profile and re-run conflict detection in every competition the user judges."""
    raise NotImplementedError


def judge_progress(round):
    """PanelMembership rows of the round annotated with `assigned` (active assignments), `scored` (submitted
    scores among them), `drafts`, ordered by least progress first; select_related judge. Constant query count."""
    raise NotImplementedError


def send_reminders(*, round, actor, membership_ids=None) -> int:
    """Email judges with unscored assignments (all laggards, or those given) a bilingual reminder with their
    progress and the deadline; skips anyone reminded in the last 12 hours. Returns the number queued. Logged."""
    raise NotImplementedError
