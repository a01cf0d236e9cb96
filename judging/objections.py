"""Objections to a published result during its public notice (公示): lodging one (its evidence checked by content),
answering it, and the emails to the organizers and to the author.

Keyword-only actions, one transaction each, logged (portal ActionLog); user-fixable errors raise ValidationError
with translated messages.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from judging import public
from judging.advancement import _local
from judging.models import (
    Objection,
    ObjectionStatus,
    ResultVersion,
    VersionStatus,
)
from judging.notifications import public_version_url, version_entry_ids
from portal.mail import send_bilingual
from portal.models import CompetitionRole, LoggedAction, MaterialKind, Role
from portal.services import log_action
from submissions import materials

logger = logging.getLogger(__name__)
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
EVIDENCE_FOLDER = "objections"


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
        public.forget_freshness(competition)
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
    public.forget_freshness(competition)
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
