"""Business actions of the competition frame: keyword-only, one transaction each, every change logged."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from portal.models import (
    DEFAULT_REQUIRED_MATERIALS,
    ActionLog,
    Competition,
    CompetitionRole,
    LoggedAction,
    Profile,
    Track,
    TrackKind,
    Unit,
)

logger = logging.getLogger(__name__)

DEFAULT_TRACK_NAMES = {
    TrackKind.WORK: ("好作品", "Finished work"),
    TrackKind.STORY: ("好故事", "Story"),
}


def log_action(*, competition, actor, action, subject, data=None):
    logger.info("%s by %s on %s: %s", action, actor, competition, subject)
    return ActionLog.objects.create(
        competition=competition, actor=actor, action=action, subject=str(subject)[:300], data=data or {}
    )


@transaction.atomic
def create_competition(*, competition: Competition, creator) -> Competition:
    """Save a new competition with both tracks and make its creator an organizer."""
    competition.save()
    for kind, (name_zh, name_en) in DEFAULT_TRACK_NAMES.items():
        Track.objects.create(
            competition=competition,
            kind=kind,
            name_zh=name_zh,
            name_en=name_en,
            required_materials=[str(code) for code in DEFAULT_REQUIRED_MATERIALS[kind]],
        )
    CompetitionRole.objects.create(competition=competition, user=creator, role="organizer", granted_by=creator)
    log_action(competition=competition, actor=creator, action=LoggedAction.COMPETITION_CREATED, subject=competition)
    return competition


@transaction.atomic
def update_competition(*, competition: Competition, actor, changed_fields) -> Competition:
    """Save an edited competition; a status change is logged on its own so it can be found later."""
    previous_status = Competition.objects.filter(pk=competition.pk).values_list("status", flat=True).get()
    competition.save()
    if previous_status != competition.status:
        log_action(
            competition=competition,
            actor=actor,
            action=LoggedAction.STATUS_CHANGED,
            subject=competition,
            data={"from": previous_status, "to": competition.status},
        )
    other_fields = sorted(set(changed_fields) - {"status"})
    if other_fields:
        log_action(
            competition=competition,
            actor=actor,
            action=LoggedAction.COMPETITION_CHANGED,
            subject=competition,
            data={"fields": other_fields},
        )
    return competition


@transaction.atomic
def update_track(*, track: Track, actor, changed_fields) -> Track:
    track.save()
    log_action(
        competition=track.competition,
        actor=actor,
        action=LoggedAction.TRACK_CHANGED,
        subject=track.name_zh,
        data={"fields": sorted(changed_fields), "required_materials": track.required_materials},
    )
    return track


@transaction.atomic
def save_unit(*, unit: Unit, actor, changed_fields=()) -> Unit:
    created = unit.pk is None
    unit.save()
    log_action(
        competition=unit.competition,
        actor=actor,
        action=LoggedAction.UNIT_CREATED if created else LoggedAction.UNIT_CHANGED,
        subject=unit.name_zh,
        data={"slug": unit.slug, "fields": sorted(changed_fields)},
    )
    return unit


@transaction.atomic
def delete_unit(*, unit: Unit, actor) -> None:
    """Refused (ValidationError) once entries were made in the unit: they keep it (Entry.unit is PROTECT)."""
    try:
        with transaction.atomic():
            unit.delete()
    except ProtectedError:
        raise ValidationError(
            _("The unit “%(name)s” cannot be deleted: entries have been made in it.") % {"name": unit.name},
            code="has_entries",
        ) from None
    log_action(
        competition=unit.competition,
        actor=actor,
        action=LoggedAction.UNIT_DELETED,
        subject=unit.name_zh,
        data={"slug": unit.slug},
    )


@transaction.atomic
def grant_role(*, competition: Competition, user, role, granted_by) -> CompetitionRole:
    """Give `user` a role in `competition`; granting a role twice changes nothing."""
    membership, created = CompetitionRole.objects.get_or_create(
        competition=competition, user=user, role=role, defaults={"granted_by": granted_by}
    )
    if created:
        log_action(
            competition=competition,
            actor=granted_by,
            action=LoggedAction.ROLE_GRANTED,
            subject=user.email,
            data={"role": role},
        )
    return membership


@transaction.atomic
def revoke_role(*, membership: CompetitionRole, revoked_by) -> None:
    log_action(
        competition=membership.competition,
        actor=revoked_by,
        action=LoggedAction.ROLE_REVOKED,
        subject=membership.user.email,
        data={"role": membership.role},
    )
    membership.delete()


def get_profile(user) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def set_language(*, user, language) -> None:
    if user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
