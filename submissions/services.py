"""Business actions on entries: keyword-only, one transaction each, side effects queued on commit.

Status changes go through `change_status` only, which checks the transition, records an EntryEvent and
notifies the entrant.

Entries are locked with `select_for_update(of=("self",))`: without `of`, PostgreSQL would also lock the joined
competition and unit rows, and every upload and save in a competition would queue behind every other.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import CompetitionStatus, MaterialKind
from submissions import tasks
from submissions.materials import MAX_STILLS, clean_filename, inspect_material, random_name
from submissions.models import (
    CoOwner,
    Credit,
    CreditRole,
    Entry,
    EntryCounter,
    EntryEvent,
    EntryStatus,
    Material,
    ThumbnailStatus,
)
from submissions.redact import redacted_name
from submissions.videos import missing_videos

logger = logging.getLogger(__name__)

TRANSITIONS = {
    EntryStatus.DRAFT: {EntryStatus.SUBMITTED, EntryStatus.WITHDRAWN},
    EntryStatus.SUBMITTED: {EntryStatus.ELIGIBLE, EntryStatus.INELIGIBLE, EntryStatus.WITHDRAWN},
    EntryStatus.ELIGIBLE: {EntryStatus.INELIGIBLE},
    EntryStatus.INELIGIBLE: {EntryStatus.ELIGIBLE},
    EntryStatus.WITHDRAWN: set(),
}
# Which email the entrant gets when an entry reaches a status.
NOTIFICATIONS = {
    EntryStatus.SUBMITTED: "submissions/email/entry_submitted",
    EntryStatus.ELIGIBLE: "submissions/email/entry_decided",
    EntryStatus.INELIGIBLE: "submissions/email/entry_decided",
    EntryStatus.WITHDRAWN: "submissions/email/entry_withdrawn",
}
EDITABLE_STATUSES = {EntryStatus.DRAFT, EntryStatus.SUBMITTED}
# Fields only the lifecycle (change_status) or the database set; update_entry refuses to write them.
LIFECYCLE_FIELDS = frozenset(
    {"id", "competition", "owner", "status", "sequence", "number", "version", "submitted_at", "eligibility_reason",
     "created_at", "updated_at"}
)
VIDEO_KINDS = {MaterialKind.TRAILER, MaterialKind.EPISODES}
STORY_MAX_WRITERS = 5


class EntryError(Exception):
    """A business rule refused the action; the message is for the user."""

    def __init__(self, message, missing=None):
        super().__init__(message)
        self.message = message
        self.missing = missing or []


class EntryLocked(EntryError):
    pass


class ConcurrentEdit(EntryError):
    pass


# ---------------------------------------------------------------- state and deadlines


def _lock_entry(pk, *related):
    """The entry's row, locked until the transaction ends; only its own row (see the module docstring)."""
    return Entry.objects.select_for_update(of=("self",)).select_related(*related).get(pk=pk)


def lock_reason(entry, now=None):
    """Why an entrant may not change the entry now, or None if they may."""
    now = now or timezone.now()
    if entry.status == EntryStatus.WITHDRAWN:
        return _("This entry has been withdrawn and can no longer be changed.")
    if entry.status not in EDITABLE_STATUSES:
        return _("The organizers have decided on this entry; it can no longer be changed.")
    if entry.competition.status != CompetitionStatus.OPEN:
        return _("This competition is not accepting entries now.")
    if now < entry.competition.submission_opens_at:
        return _("Submissions have not opened yet.")
    if now >= entry.unit.deadline:
        return _("The deadline for this unit has passed; the entry is locked.")
    return None


def ensure_editable(entry, now=None):
    reason = lock_reason(entry, now)
    if reason:
        raise EntryLocked(reason)


@dataclass(frozen=True)
class MissingItem:
    code: str
    label: str
    step: str  # the form step where the entrant fixes it


def missing_items(entry, *, materials=None, credits=None, videos=None):
    """Everything the entry still needs before it can be submitted, in form order."""
    missing = []

    def need(condition, code, label, step):
        if not condition:
            missing.append(MissingItem(code, str(label), step))

    is_story = entry.track.kind == "story"
    need(entry.title, "title", gettext_lazy("Title"), "basics")
    need(entry.logline, "logline", gettext_lazy("Logline"), "basics")
    need(entry.synopsis, "synopsis", gettext_lazy("Short synopsis"), "basics")
    need(entry.genres, "genres", gettext_lazy("Genre"), "details")
    need(entry.languages, "languages", gettext_lazy("Language"), "details")
    need(entry.country, "country", gettext_lazy("Country or region of production"), "details")
    if is_story:
        need(entry.outline, "outline", gettext_lazy("Outline"), "story")
        need(entry.episode_plan, "episode_plan", gettext_lazy("Episode plan"), "story")
    else:
        need(entry.completion_date, "completion_date", gettext_lazy("Completion date"), "details")
        need(entry.episode_count, "episode_count", gettext_lazy("Number of episodes"), "details")
        need(entry.episode_runtime_seconds, "episode_runtime", gettext_lazy("Runtime per episode"), "details")
        need(entry.subtitle_languages, "subtitles", gettext_lazy("Subtitles"), "details")
        if entry.competition.filing_number_required:
            need(entry.filing_number, "filing_number", gettext_lazy("Filing number (备案号)"), "details")
    credits = list(entry.credits.all()) if credits is None else credits
    if is_story:
        need(any(c.role == CreditRole.SCREENWRITER for c in credits), "writers", gettext_lazy("Writers"), "credits")
    else:
        need(any(c.role == CreditRole.DIRECTOR for c in credits), "director", gettext_lazy("Director"), "credits")
    need(entry.aigc_used is not None, "aigc", gettext_lazy("AIGC disclosure"), "aigc")
    if entry.aigc_used:
        need(entry.aigc_tools and entry.aigc_parts, "aigc_details", gettext_lazy("Which AI tools, for which parts"),
             "aigc")
    materials = list(entry.materials.all()) if materials is None else materials
    present = {material.kind for material in materials}
    labels = dict(MaterialKind.choices)
    for code in entry.track.required_materials:
        if code in VIDEO_KINDS:
            # Videos arrive through the resumable upload; a failed file or a failed technical check leaves a gap.
            videos = list(entry.videos.all()) if videos is None else videos
            for label in missing_videos(entry, code, videos):
                missing.append(MissingItem(code, str(label), "videos"))
        else:
            need(code in present, code, labels.get(code, code), "materials")
    declared = entry.declared_originality_at and entry.declared_rights_at and entry.declared_terms_at
    need(declared and entry.terms_version == entry.competition.terms_version, "declarations",
         gettext_lazy("Declarations"), "declarations")
    return missing


# ---------------------------------------------------------------- creating and editing


@transaction.atomic
def create_entry(*, competition, track, unit, owner, title, title_en="") -> Entry:
    if track.competition_id != competition.pk or unit.competition_id != competition.pk:
        raise EntryError(_("That track or unit does not belong to this competition."))
    entry = Entry(competition=competition, track=track, unit=unit, owner=owner, title=title, title_en=title_en)
    ensure_editable(entry)
    entry.full_clean()
    entry.save()
    return entry


def _bump_version(entry, expected_version, fields):
    """Save `fields` only if nobody saved the entry since `expected_version` was read."""
    expected_version = int(expected_version)  # a form may hand it over as text
    values = {name: getattr(entry, name) for name in fields}
    updated = Entry.objects.filter(pk=entry.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **values
    )
    if not updated:
        current = Entry.objects.get(pk=entry.pk)
        changed = [
            str(Entry._meta.get_field(name).verbose_name)
            for name in fields
            if getattr(current, name) != values[name] and name in values
        ]
        raise ConcurrentEdit(
            _("Someone else saved this entry while you were editing it. Your changes were not saved; "
              "they are still in the form below. Check the entry and save again."),
            missing=changed,
        )
    entry.version = expected_version + 1


@transaction.atomic
def update_entry(*, entry, actor, fields, expected_version) -> Entry:
    """Save the named fields of an entry that `actor` edited from version `expected_version`."""
    if LIFECYCLE_FIELDS.intersection(fields):
        raise ValueError(f"update_entry cannot write {sorted(LIFECYCLE_FIELDS.intersection(fields))}")
    locked = _lock_entry(entry.pk, "competition", "unit")
    ensure_editable(locked)
    if "track" in fields or "unit" in fields:
        if entry.track.competition_id != locked.competition_id or entry.unit.competition_id != locked.competition_id:
            raise EntryError(_("That track or unit does not belong to this competition."))
        if entry.track_id != locked.track_id and locked.status != EntryStatus.DRAFT:
            raise EntryError(_("The track of a submitted entry cannot change; withdraw it and enter again."))
        ensure_editable(entry)  # the new unit's deadline counts
    entry.full_clean(exclude=[f.name for f in Entry._meta.fields if f.name not in fields])
    names = [name if name not in ("track", "unit") else f"{name}_id" for name in fields]
    _bump_version(entry, expected_version, names)
    return entry


@transaction.atomic
def declare(*, entry, actor, expected_version) -> Entry:
    """Record the three declarations, each with the time and the competition's current terms version."""
    now = timezone.now()
    entry.declared_originality_at = entry.declared_rights_at = entry.declared_terms_at = now
    entry.terms_version = entry.competition.terms_version
    return update_entry(
        entry=entry,
        actor=actor,
        fields=["declared_originality_at", "declared_rights_at", "declared_terms_at", "terms_version"],
        expected_version=expected_version,
    )


@transaction.atomic
def replace_credits(*, entry, actor, credits, expected_version) -> list[Credit]:
    """Replace the entry's credits with `credits`, a list of dicts (role, role_other, name, user)."""
    locked = _lock_entry(entry.pk, "competition", "unit", "track")
    ensure_editable(locked)
    if locked.track.kind == "story":
        if any(credit["role"] != CreditRole.SCREENWRITER for credit in credits):
            raise EntryError(_("A story lists its writers only."))
        if len(credits) > STORY_MAX_WRITERS:
            raise EntryError(_("A story can name at most %(count)s writers.") % {"count": STORY_MAX_WRITERS})
    _bump_version(locked, expected_version, [])
    entry.version = locked.version
    entry.credits.all().delete()
    rows = [Credit(entry=entry, position=index, **credit) for index, credit in enumerate(credits)]
    return Credit.objects.bulk_create(rows)


# ---------------------------------------------------------------- materials


def delete_file_after_commit(name):
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


def delete_material_files_after_commit(material):
    """The file, its thumbnail and the copy redacted for judges (if one was made)."""
    delete_file_after_commit(material.file.name)
    delete_file_after_commit(material.thumbnail.name)
    delete_file_after_commit(redacted_name(material.file.name))


@transaction.atomic
def add_material(*, entry, kind, upload, actor) -> Material:
    """Check `upload` by content, store it under a random name and queue its thumbnail.

    A poster or document replaces the previous one of its kind (the old file is deleted after commit).
    """
    locked = _lock_entry(entry.pk, "competition", "unit")
    ensure_editable(locked)
    inspected = inspect_material(upload, kind)
    existing = list(locked.materials.filter(kind=kind))
    if kind == MaterialKind.STILLS and len(existing) >= MAX_STILLS:
        raise EntryError(_("An entry can have at most %(count)s stills; remove one first.") % {"count": MAX_STILLS})
    replaced = existing[0] if existing and kind != MaterialKind.STILLS else None
    used = locked.materials.exclude(pk=getattr(replaced, "pk", None)).aggregate(total=Sum("size"))["total"] or 0
    if used + inspected.size > settings.ENTRY_MATERIALS_MAX_BYTES:
        raise EntryError(
            _("This file would take the entry's materials past %(limit)s MB. Remove or shrink other files first.")
            % {"limit": settings.ENTRY_MATERIALS_MAX_BYTES // (1024 * 1024)}
        )
    name = default_storage.save(random_name("materials", inspected.extension), inspected.content)
    try:
        if replaced is not None:
            delete_material_files_after_commit(replaced)
            replaced.delete()
        material = Material.objects.create(
            entry=locked,
            kind=kind,
            file=name,
            original_name=clean_filename(getattr(upload, "name", "")),
            content_type=inspected.content_type,
            size=inspected.size,
            width=inspected.width,
            height=inspected.height,
            thumbnail_status=ThumbnailStatus.PENDING if inspected.width else ThumbnailStatus.NONE,
            uploaded_by=actor,
        )
    except Exception:
        default_storage.delete(name)  # the row never existed, so neither may its file
        raise
    if material.thumbnail_status == ThumbnailStatus.PENDING:
        transaction.on_commit(lambda: tasks.make_material_thumbnail.delay(material.pk))
    return material


@transaction.atomic
def delete_material(*, material, actor) -> None:
    entry = _lock_entry(material.entry_id, "competition", "unit", "track")
    ensure_editable(entry)
    if (
        entry.status != EntryStatus.DRAFT
        and material.kind in entry.track.required_materials
        and not entry.materials.filter(kind=material.kind).exclude(pk=material.pk).exists()
    ):
        raise EntryError(
            _("This entry has been submitted and needs this file. Upload a replacement instead of removing it.")
        )
    delete_material_files_after_commit(material)
    material.delete()


# ---------------------------------------------------------------- co-owners


@transaction.atomic
def invite_coowner(*, entry, email, actor) -> CoOwner:
    from allauth.account.models import EmailAddress

    locked = _lock_entry(entry.pk, "competition", "unit")
    ensure_editable(locked)
    email = email.strip().lower()
    if email == locked.owner.email.lower():
        raise EntryError(_("That is the owner's own address."))
    if locked.coowners.filter(email=email).exists():
        raise EntryError(_("%(email)s is already a co-owner.") % {"email": email})
    address = EmailAddress.objects.filter(email__iexact=email, verified=True).select_related("user").first()
    coowner = CoOwner.objects.create(
        entry=locked, email=email, user=address.user if address else None, invited_by=actor
    )
    transaction.on_commit(lambda: tasks.send_coowner_invitation.delay(coowner.pk))
    return coowner


@transaction.atomic
def remove_coowner(*, coowner, actor) -> None:
    entry = _lock_entry(coowner.entry_id, "competition", "unit")
    ensure_editable(entry)
    coowner.delete()


def bind_coowner_invitations(*, user, email) -> int:
    """Once someone verifies an address, the invitations sent to it become theirs."""
    return CoOwner.objects.filter(email__iexact=email, user__isnull=True).update(user=user)


# ---------------------------------------------------------------- lifecycle


def _allocate_number(entry):
    counter, _created = EntryCounter.objects.select_for_update().get_or_create(competition=entry.competition)
    counter.last_sequence += 1
    counter.save(update_fields=["last_sequence"])
    entry.sequence = counter.last_sequence
    entry.number = f"{entry.competition.entry_prefix}-{counter.last_sequence:04d}"


@transaction.atomic
def change_status(*, entry, to, actor, reason="", notify=True) -> Entry:
    """The one place an entry's status changes: checks the transition, logs it, notifies the entrant.

    `notify=False` is for seeding demo data only: the change is logged like any other, but nobody is emailed.
    """
    entry = _lock_entry(entry.pk, "competition", "unit", "track", "owner")
    previous = entry.status
    if to not in EntryStatus.values:
        raise ValueError(f"{to!r} is not an entry status")
    if to not in TRANSITIONS[previous]:
        raise EntryError(
            _("An entry that is %(current)s cannot become %(new)s.")
            % {"current": EntryStatus(previous).label, "new": EntryStatus(to).label}
        )
    if to == EntryStatus.SUBMITTED and entry.sequence is None:
        _allocate_number(entry)
    entry.status = to
    if to == EntryStatus.SUBMITTED:
        entry.submitted_at = timezone.now()
    if to in (EntryStatus.ELIGIBLE, EntryStatus.INELIGIBLE):
        entry.eligibility_reason = reason
    entry.version += 1
    entry.save()
    EntryEvent.objects.create(entry=entry, actor=actor, from_status=previous, to_status=to, reason=reason)
    logger.info("entry %s: %s -> %s by %s", entry.pk, previous, to, actor)
    template = NOTIFICATIONS.get(to)
    if template and notify:
        transaction.on_commit(lambda: tasks.send_entry_notification.delay(entry.pk, template))
    return entry


@transaction.atomic
def submit_entry(*, entry, actor) -> Entry:
    locked = _lock_entry(entry.pk, "competition", "unit", "track")
    ensure_editable(locked)
    if locked.status != EntryStatus.DRAFT:
        raise EntryError(_("This entry has already been submitted."))
    missing = missing_items(locked)
    if missing:
        raise EntryError(_("The entry is not complete yet."), missing=missing)
    return change_status(entry=locked, to=EntryStatus.SUBMITTED, actor=actor)


@transaction.atomic
def withdraw_entry(*, entry, actor) -> Entry:
    locked = _lock_entry(entry.pk, "competition", "unit")
    ensure_editable(locked)
    return change_status(entry=locked, to=EntryStatus.WITHDRAWN, actor=actor)


@transaction.atomic
def decide_eligibility(*, entry, actor, eligible, reason="") -> Entry:
    reason = (reason or "").strip()
    if not eligible and not reason:
        raise EntryError(_("Give the reason the entry is ineligible; the entrant will read it."))
    return change_status(
        entry=entry, to=EntryStatus.ELIGIBLE if eligible else EntryStatus.INELIGIBLE, actor=actor, reason=reason
    )
