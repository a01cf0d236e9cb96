"""Results of a round: advancement decisions, result versions from frozen snapshots, scheduled publication
into a public notice (公示), objections and their answers, finalisation, and the entrants' result emails.

Keyword-only actions, one transaction each, logged (portal ActionLog); user-fixable errors raise ValidationError
with translated messages. Published versions are immutable: a changed result is a new version.
"""

from django.db import transaction

from judging.models import Decision, Objection, ResultVersion

NOTICE_DAYS_DEFAULT = 7
NOTIFICATION_BATCH = 50
NOTIFICATION_MAX_ATTEMPTS = 5


def next_round(round):
    """The competition's round after this one by position, or None."""
    raise NotImplementedError


@transaction.atomic
def advance(*, round, actor, top_k_per_unit=None, threshold=None, overrides=None) -> list[Decision]:
    """Decide which entries go on: the top K per unit (by unit rank) and/or every entry whose score is at or
    above `threshold`; `overrides` maps entry id -> (outcome, reason) and needs a reason each. Refused
    (ValidationError) while the round is open or not yet started, with no rule given, or when it is the
    last round. Replaces earlier decisions of the round; creates RoundEntry(source=advanced) in the next round
    for advanced entries and removes earlier advanced ones that are no longer advanced and have no score
    there. Logged."""
    raise NotImplementedError


@transaction.atomic
def override_decision(*, decision, outcome, reason, actor) -> Decision:
    """Set one entry's outcome against the rule (reason required); keeps the next round's list in step. Refused
    once a published version of the round exists (then revise the version)."""
    raise NotImplementedError


def unscored_assignments(round):
    """Active assignments of the round without a submitted score (for the refusal message): queryset with
    entry and judge selected."""
    raise NotImplementedError


@transaction.atomic
def prepare_version(*, round, actor, reason="") -> ResultVersion:
    """A DRAFT version: snapshot (aggregation.take_snapshot), its sha256, ranking (compute_ranking as_json),
    decisions and awards (winners and nominations of this round) as JSON. Refused while the round is open, if
    unscored active assignments exist (ValidationError listing "LCP2026-0007 — Judge name" lines), or if a
    draft/scheduled/published version already exists (revise that instead). A reason is required for
    number > 1."""
    raise NotImplementedError


@transaction.atomic
def schedule_publication(*, version, publish_at, notice_ends_at, actor) -> ResultVersion:
    """DRAFT -> SCHEDULED: publish_at (>= now - 1 min) and notice_ends_at (> publish_at). Queues
    tasks.publish_due_versions with eta=publish_at after commit; a periodic beat task catches any missed one."""
    raise NotImplementedError


@transaction.atomic
def publish_version(*, version, actor=None, now=None) -> ResultVersion:
    """SCHEDULED (due) or DRAFT ("publish now", needs notice_ends_at set) -> PUBLISHED: published_at = now; the
    previous public version of the round becomes SUPERSEDED; result emails are queued after commit; the
    competition's public results page shows it. Idempotent for an already published version."""
    raise NotImplementedError


def publish_due_versions(now=None) -> int:
    """Publish every SCHEDULED version whose publish_at has passed (row-locked, so two workers never publish
    one twice). Returns how many."""
    raise NotImplementedError


@transaction.atomic
def lodge_objection(*, version, entry, author, text, evidence=None) -> Objection:
    """During the notice only (ValidationError after it ends or before publication), by a signed-in user
    (author required), against an entry listed in the version. `evidence` is an optional UploadedFile checked by
    content: a PDF/DOCX document or a JPEG/PNG/WebP image (submissions.materials does the checking), at most
    20 MB; anything else is refused with a clear message and nothing is stored. The organizers are emailed."""
    raise NotImplementedError


@transaction.atomic
def answer_objection(*, objection, actor, upheld: bool, answer) -> Objection:
    """Upheld or rejected with an answer (required). The author is emailed the answer. Upholding does not change
    the result by itself: the organizer then overrides decisions / awards and revises the version."""
    raise NotImplementedError


@transaction.atomic
def revise_version(*, version, actor, reason) -> ResultVersion:
    """After a published version: a new DRAFT version (number + 1) with a fresh snapshot and the current
    decisions and awards; the published one stays public until the new one is published. Reason required."""
    raise NotImplementedError


@transaction.atomic
def finalise_version(*, version, actor, now=None) -> ResultVersion:
    """PUBLISHED -> FINAL once the notice has ended and every objection against it is answered (ValidationError
    listing the open ones otherwise). Logged."""
    raise NotImplementedError


def queue_notifications(version) -> int:
    """One ResultNotification per entry in the version and recipient (owner + co-owners with an account), kind
    by outcome (awarded > nominated > advanced > not advanced), created in bulk; batches of NOTIFICATION_BATCH
    ids are queued to tasks.send_result_notifications after commit. Idempotent (unique constraint)."""
    raise NotImplementedError


def deliver_notifications(notification_ids) -> None:
    """Send each pending/failed notification (bilingual email; with the feedback dossier when
    round.share_feedback: per-criterion averages and anonymised judge comments). A failure marks it FAILED with
    the error and attempts + 1 (GAVE_UP after NOTIFICATION_MAX_ATTEMPTS) and raises so Celery retries the batch;
    SENT ones are never sent twice."""
    raise NotImplementedError


def retry_failed_notifications(*, version, actor) -> int:
    """Re-queue FAILED and GAVE_UP notifications of the version (attempts reset for GAVE_UP)."""
    raise NotImplementedError


def feedback_dossier(*, version, entry) -> dict:
    """{"criteria": [{"name", "average"}], "comments": ["…"]} from the version's snapshot and the scores'
    comments, never naming a judge; empty when the round does not share feedback."""
    raise NotImplementedError
