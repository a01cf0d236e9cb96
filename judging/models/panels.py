"""Judging's panels: judge profiles, panel memberships and invitations, and conflicts of interest (declared by
judges or detected by the portal) with the Exists() that tells whether one is in effect."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from judging.models.rounds import Round
from portal.models import Competition, Unit
from submissions.models import Entry


class JudgeProfile(models.Model):
    """What a judge tells the organizers: affiliations (for conflict detection) and accepted judging terms."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="judge_profile")
    # One per line: companies, studios, schools. Matched against entrants' organisations.
    affiliations = models.TextField(_("affiliations"), blank=True, max_length=2000,
                                    help_text=_("Companies, studios and schools you work or worked for, one per line."))
    bio = models.TextField(_("short bio"), blank=True, max_length=1000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("judge profile")
        verbose_name_plural = _("judge profiles")

    def __str__(self):
        return str(self.user)

    @property
    def affiliation_list(self):
        return [line.strip() for line in self.affiliations.splitlines() if line.strip()]


class PanelMembership(models.Model):
    """A judge on a round's panel. Dropping out keeps the row (scores stay) and frees unscored assignments."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="panel")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="panel_memberships")
    expertise = models.ManyToManyField(Unit, blank=True, related_name="+", verbose_name=_("unit expertise"))
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    terms_version = models.CharField(max_length=20, blank=True)
    active = models.BooleanField(default=True)
    dropped_at = models.DateTimeField(null=True, blank=True)
    last_active_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        constraints = [models.UniqueConstraint(fields=["round", "judge"], name="panel_membership_unique")]

    def __str__(self):
        return f"{self.judge} · {self.round}"


def new_invitation_token():
    return secrets.token_urlsafe(32)


class InvitationQuerySet(models.QuerySet):
    def pending(self, now=None):
        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """An email invitation into a round's panel; the token in the link is the only credential it carries."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            # One live invitation per address and round; a revoked one may be followed by a new one.
            models.UniqueConstraint(
                "round", Lower("email"), condition=Q(revoked_at__isnull=True), name="invitation_unique_live_per_round"
            )
        ]

    def __str__(self):
        return f"{self.email} · {self.round}"


class DeclarationKind(models.TextChoices):
    ENTRY = "entry", _("A specific entry")
    PERSON = "person", _("A person")
    ORGANISATION = "organisation", _("An organisation")


class ConflictDeclaration(models.Model):
    """A judge's own declaration of a conflict (回避): an entry, a person or an organisation."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="+")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflict_declarations")
    kind = models.CharField(_("kind"), max_length=16, choices=DeclarationKind)
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    value = models.CharField(_("name"), max_length=150, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="entry") & Q(entry__isnull=False)) | (~Q(kind="entry") & ~Q(value="")),
                name="conflict_declaration_has_a_subject",
            )
        ]

    def __str__(self):
        return f"{self.judge} · {self.get_kind_display()}: {self.entry or self.value}"


class ConflictSource(models.TextChoices):
    DECLARED = "declared", _("Declared by the judge")
    DETECTED = "detected", _("Detected by the portal")


class ConflictQuerySet(models.QuerySet):
    def effective(self):
        """Conflicts that bar the judge from the entry: declared ones always, detected ones unless waived."""
        return self.filter(Q(source=ConflictSource.DECLARED) | Q(waived_at__isnull=True))


class Conflict(models.Model):
    """One judge barred from one entry. Detected rows are kept (and may be waived with a reason, logged)."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="+")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="conflicts")
    source = models.CharField(_("source"), max_length=12, choices=ConflictSource)
    # What matched, for organizers only, e.g. "Affiliation 北京电影学院 = entrant's organisation".
    basis = models.CharField(_("basis"), max_length=300)
    declaration = models.ForeignKey(ConflictDeclaration, on_delete=models.CASCADE, null=True, blank=True)
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    waiver_reason = models.CharField(_("reason for the waiver"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConflictQuerySet.as_manager()

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["judge", "entry", "source"], name="conflict_unique_per_source"),
            models.CheckConstraint(
                condition=Q(source="detected") | Q(waived_at__isnull=True), name="only_detected_conflicts_are_waived"
            ),
        ]
        indexes = [models.Index(fields=["entry", "judge"], name="conflict_entry_judge")]

    def __str__(self):
        return f"{self.judge} · {self.entry}"


def effective_conflict_exists(judge_ref="judge", entry_ref="entry"):
    """An Exists() for annotating or filtering rows that carry a judge and an entry (assignments, scores)."""
    return Exists(
        Conflict.objects.effective().filter(judge=OuterRef(judge_ref), entry=OuterRef(entry_ref))
    )
