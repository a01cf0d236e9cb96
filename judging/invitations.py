"""Invitations to a round's panel: inviting judges by email, resending, revoking and finding an invitation,
emailing it (deliver_invitation, called by the Celery task judging.tasks.send_invitation, which tests can call
directly), and accepting it: the judge agrees to the judging terms (JUDGING_TERMS_VERSION), gets the judge
role and joins the panel. Membership itself, progress and reminders are in judging.panels.
"""

import re
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from judging.models import Invitation, JudgeProfile, PanelMembership
from judging.panels import _check_units, clean_affiliations
from portal.mail import send_bilingual
from portal.models import ActionLog, LoggedAction, Role, Unit, User
from portal.services import grant_role, log_action

INVITATION_DAYS = 30
JUDGING_TERMS_VERSION = "1"
# Addresses may be separated by new lines, spaces, commas or semicolons (also the Chinese ones, and 、).
EMAIL_SEPARATORS = re.compile(r"[\s,;，；、]+")


class InvitationError(Exception):
    """The invitation cannot be used (expired, revoked, for another address, already used). str() is translated."""


def parse_emails(emails) -> list[str]:
    """Addresses from a string or a list of strings (each may hold several, separated by commas, semicolons,
    spaces or new lines), lower-cased and deduplicated in their first order. ValidationError naming every
    address that is not one; nothing is returned then."""
    if isinstance(emails, str):
        emails = [emails]
    addresses, bad = {}, []
    for chunk in emails:
        for part in EMAIL_SEPARATORS.split(chunk or ""):
            if not part:
                continue
            try:
                validate_email(part)
            except ValidationError:
                bad.append(part)
                continue
            addresses.setdefault(part.lower(), None)
    if bad:
        raise ValidationError(
            _("These are not email addresses: %(addresses)s"), params={"addresses": ", ".join(bad)}, code="invalid"
        )
    return list(addresses)


def invitation_url(invitation) -> str:
    return settings.SITE_URL + reverse("judging:invitation", args=[invitation.token])


def _panel_addresses(round) -> set[str]:
    """Lower-cased addresses (account and verified ones) of the round's active panel members."""
    members = PanelMembership.objects.filter(round=round, active=True).values("judge")
    addresses = {email.lower() for email in User.objects.filter(pk__in=members).values_list("email", flat=True)}
    addresses |= {
        email.lower()
        for email in EmailAddress.objects.filter(user__in=members, verified=True).values_list("email", flat=True)
    }
    return addresses


def _queue_invitation(invitation):
    from judging import tasks

    transaction.on_commit(lambda: tasks.send_invitation.delay(invitation.pk))


@transaction.atomic
def invite_judges(*, round, emails: list[str], actor, expertise=()) -> list[Invitation]:
    """Invite each address (deduplicated, case-insensitive) to the round's panel; addresses already on the
    panel or with a live invitation are skipped. Each invitation is emailed (bilingual) after commit by a
    Celery task; sent_at is set when it went out. Logged.

    `emails` may also be one string, or hold strings of several addresses; any invalid address raises a
    ValidationError naming them, and nothing is created. An expired (never accepted) invitation to an address
    is renewed instead of duplicated. The unit expertise is kept in the log and given on acceptance."""
    addresses = parse_emails(emails)
    if not addresses:
        raise ValidationError(_("Enter at least one email address."), code="required")
    expertise = _check_units(round, expertise)
    on_panel = _panel_addresses(round)
    now = timezone.now()
    expires_at = now + timedelta(days=INVITATION_DAYS)
    existing = {}
    for invitation in Invitation.objects.select_for_update().filter(round=round, revoked_at__isnull=True):
        existing[invitation.email.lower()] = invitation

    invited = []
    for address in addresses:
        if address in on_panel:
            continue
        invitation = existing.get(address)
        if invitation is not None:
            if invitation.accepted_at is not None or invitation.expires_at > now:
                continue  # accepted (a judge who left comes back through "add judge") or still live
            invitation.token = Invitation._meta.get_field("token").default()
            invitation.expires_at = expires_at
            invitation.sent_at = None
            invitation.invited_by = actor
            invitation.save(update_fields=["token", "expires_at", "sent_at", "invited_by"])
        else:
            invitation = Invitation.objects.create(round=round, email=address, invited_by=actor, expires_at=expires_at)
        invited.append(invitation)
        _queue_invitation(invitation)

    if invited:
        log_action(
            competition=round.competition,
            actor=actor,
            action=LoggedAction.JUDGES_INVITED,
            subject=", ".join(invitation.email for invitation in invited),
            data={
                "round": round.pk,
                "emails": [invitation.email for invitation in invited],
                "expertise": [unit.pk for unit in expertise],
            },
        )
    return invited


@transaction.atomic
def resend_invitation(*, invitation, actor) -> Invitation:
    """A fresh token and expiry, emailed again."""
    invitation = Invitation.objects.select_for_update().select_related("round__competition").get(pk=invitation.pk)
    if invitation.revoked_at is not None:
        raise ValidationError(_("This invitation was revoked; invite the address again instead."), code="revoked")
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been accepted."), code="accepted")
    invitation.token = Invitation._meta.get_field("token").default()
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
    invitation.sent_at = None
    invitation.save(update_fields=["token", "expires_at", "sent_at"])
    _queue_invitation(invitation)
    log_action(
        competition=invitation.round.competition,
        actor=actor,
        action=LoggedAction.JUDGES_INVITED,
        subject=invitation.email,
        data={"round": invitation.round_id, "emails": [invitation.email], "resent": True},
    )
    return invitation


@transaction.atomic
def revoke_invitation(*, invitation, actor) -> None:
    invitation = Invitation.objects.select_for_update().select_related("round__competition").get(pk=invitation.pk)
    if invitation.revoked_at is not None:
        return
    if invitation.accepted_at is not None:
        raise ValidationError(
            _("This invitation has already been accepted; take the judge off the panel instead."), code="accepted"
        )
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    log_action(
        competition=invitation.round.competition,
        actor=actor,
        action=LoggedAction.INVITATION_REVOKED,
        subject=invitation.email,
        data={"round": invitation.round_id, "invitation": invitation.pk},
    )


def find_invitation(token) -> Invitation | None:
    if not token or not isinstance(token, str) or len(token) > 64:
        return None
    return Invitation.objects.select_related("round__competition", "invited_by").filter(token=token).first()


def deliver_invitation(invitation) -> bool:
    """Email one invitation (Chinese, then English) unless it was accepted, revoked or has expired meanwhile;
    set sent_at. A failed send raises (the task retries). Returns whether it was sent."""
    if invitation.accepted_at or invitation.revoked_at or invitation.expires_at <= timezone.now():
        return False
    round = invitation.round
    send_bilingual(
        template_prefix="judging/email/invitation",
        context={
            "invitation": invitation,
            "round": round,
            "competition": round.competition,
            "inviter": invitation.invited_by,
            "url": invitation_url(invitation),
            "site_url": settings.SITE_URL,
        },
        to=[invitation.email],
    )
    # Only the token that was mailed is marked: a resend meanwhile is sent (and marked) by its own task.
    Invitation.objects.filter(pk=invitation.pk, token=invitation.token).update(sent_at=timezone.now())
    return True


def _invited_expertise(invitation) -> list[int]:
    """Unit ids the organizer chose when inviting this address (kept in the JUDGES_INVITED log entry)."""
    logs = ActionLog.objects.filter(
        competition_id=invitation.round.competition_id,
        action=LoggedAction.JUDGES_INVITED,
        data__round=invitation.round_id,
    ).order_by("-created_at", "-id")[:50]
    for log in logs.values_list("data", flat=True):
        if "expertise" in log and invitation.email.lower() in [email.lower() for email in log.get("emails", [])]:
            return [pk for pk in log["expertise"] if isinstance(pk, int)]
    return []


@transaction.atomic
def accept_invitation(*, invitation, user, affiliations: str, accept_terms: bool) -> PanelMembership:
    """The signed-in user joins the panel. InvitationError unless the invitation is live and its address is
    one of the user's verified addresses; ValidationError unless the terms are accepted. Grants the judge role
    on the competition, records the terms version and time, saves affiliations on the JudgeProfile, and
    runs conflict detection for this judge."""
    from judging.conflicts import detect_conflicts

    invitation = Invitation.objects.select_for_update().select_related("round__competition").get(pk=invitation.pk)
    round = invitation.round
    now = timezone.now()
    if invitation.accepted_at is not None:
        if invitation.accepted_by_id == user.pk:
            membership = PanelMembership.objects.filter(round=round, judge=user).first()
            if membership is not None:
                return membership
        raise InvitationError(_("This invitation has already been used."))
    if invitation.revoked_at is not None:
        raise InvitationError(_("This invitation has been withdrawn by the organizers."))
    if invitation.expires_at <= now:
        raise InvitationError(_("This invitation has expired. Ask the organizers to send you a new one."))
    if not EmailAddress.objects.filter(user=user, verified=True, email__iexact=invitation.email).exists():
        raise InvitationError(
            _(
                "This invitation was sent to %(email)s, which is not a verified address of the account you are "
                "signed in with. Sign in with %(email)s (or add and verify it in your account) to accept it."
            )
            % {"email": invitation.email}
        )
    if not accept_terms:
        raise ValidationError(
            _("Accept the confidentiality and conflict-of-interest terms to join the jury."), code="terms"
        )
    affiliations = clean_affiliations(affiliations)

    membership, created = PanelMembership.objects.select_for_update().get_or_create(round=round, judge=user)
    membership.terms_accepted_at = now
    membership.terms_version = JUDGING_TERMS_VERSION
    membership.active = True
    membership.dropped_at = None
    membership.save(update_fields=["terms_accepted_at", "terms_version", "active", "dropped_at"])
    expertise = _invited_expertise(invitation)
    if expertise:
        membership.expertise.add(*Unit.objects.filter(pk__in=expertise, competition_id=round.competition_id))

    grant_role(competition=round.competition, user=user, role=Role.JUDGE, granted_by=invitation.invited_by or user)
    profile, _created = JudgeProfile.objects.get_or_create(user=user)
    if profile.affiliations != affiliations:
        profile.affiliations = affiliations
        profile.save(update_fields=["affiliations", "updated_at"])

    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    log_action(
        competition=round.competition,
        actor=user,
        action=LoggedAction.JUDGE_JOINED,
        subject=user.email,
        data={"round": round.pk, "invitation": invitation.pk, "terms_version": JUDGING_TERMS_VERSION},
    )
    detect_conflicts(competition=round.competition, judges=[user])
    return membership
