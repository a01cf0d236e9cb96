"""Results: what a round decided (advancement), the versions published from frozen snapshots, awards, the
objections lodged during the public notice (公示), and the notification emails that go out with a version."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from judging.models.rounds import AggregationMethod, Round
from portal.models import Competition, Track, pick_language
from submissions.models import Credit, Entry


class Outcome(models.TextChoices):
    ADVANCED = "advanced", _("Advanced")
    NOT_ADVANCED = "not_advanced", _("Not advanced")


class Decision(models.Model):
    """Whether an entry goes on from a round: by the advancement rule, or overridden by an organizer (reason)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="decisions")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome)
    rank = models.PositiveIntegerField(null=True, blank=True)  # overall rank when decided
    # True when an organizer set the outcome against the rule; a reason is then required (DB constraint).
    overridden = models.BooleanField(default=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.UniqueConstraint(fields=["round", "entry"], name="decision_unique_per_round_entry"),
            models.CheckConstraint(condition=Q(overridden=False) | ~Q(reason=""), name="override_has_a_reason"),
        ]

    def __str__(self):
        return f"{self.round} · {self.entry} · {self.outcome}"


class AwardCategory(models.Model):
    """An award of the competition (best work, best director, …); editable by organizers."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="award_categories")
    slug = models.SlugField(_("short name in web addresses"), max_length=60)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    max_winners = models.PositiveSmallIntegerField(_("most winners"), default=1)
    # Awards to a person (best director, best actress) name a credit of the winning entry.
    for_person = models.BooleanField(_("awarded to a person"), default=False)
    track = models.ForeignKey(
        Track, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("track only")
    )

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["competition", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "slug"], name="award_slug_unique_per_competition")
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return pick_language(self.name_zh, self.name_en)


class Nomination(models.Model):
    """An entry nominated for an award from the final round; a winner carries a citation."""

    category = models.ForeignKey(AwardCategory, on_delete=models.CASCADE, related_name="nominations")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="nominations")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="nominations")
    credit = models.ForeignKey(Credit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    is_winner = models.BooleanField(_("winner"), default=False)
    citation_zh = models.TextField(_("citation (Chinese)"), blank=True, max_length=1000)
    citation_en = models.TextField(_("citation (English)"), blank=True, max_length=1000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        constraints = [
            models.UniqueConstraint(fields=["category", "entry", "credit"], name="nomination_unique"),
            models.CheckConstraint(
                condition=Q(is_winner=False) | ~Q(citation_zh="") | ~Q(citation_en=""),
                name="winner_has_a_citation",
            ),
        ]

    def __str__(self):
        return f"{self.category} · {self.entry}"

    @property
    def citation(self):
        return pick_language(self.citation_zh, self.citation_en)


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published (public notice)")
    FINAL = "final", _("Final")
    SUPERSEDED = "superseded", _("Superseded by a later version")


class ResultVersionQuerySet(models.QuerySet):
    def public(self):
        """Versions anyone may see: published (in notice), final, or superseded after having been published."""
        return self.filter(published_at__isnull=False)

    def current_public(self):
        """The newest public version of each round."""
        return self.public().exclude(status=VersionStatus.SUPERSEDED)


class ResultVersion(models.Model):
    """One published (or to-be-published) result of a round, computed from a frozen snapshot of its scores.

    Immutable once published: a change after publication is a new version with a reason; the old one becomes
    SUPERSEDED but stays readable. `snapshot` holds every counting score with its criterion values, so
    `recompute_results` can reproduce `ranking` exactly.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="result_versions")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(_("status"), max_length=12, choices=VersionStatus, default=VersionStatus.DRAFT)
    method = models.CharField(_("aggregation"), max_length=12, choices=AggregationMethod)
    # Frozen inputs and outputs (see judging.aggregation for their shapes).
    snapshot = models.JSONField(default=dict)
    snapshot_sha256 = models.CharField(max_length=64)
    ranking = models.JSONField(default=list)
    decisions = models.JSONField(default=list)  # [{entry id, number, outcome, overridden, reason}]
    awards = models.JSONField(default=list)  # [{category id, slug, names, entry id, credit name, winner, citation}]
    reason = models.CharField(_("reason for this version"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    notice_ends_at = models.DateTimeField(_("public notice ends"), null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    objects = ResultVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("result version")
        verbose_name_plural = _("result versions")
        ordering = ["round", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="result_version_number_unique"),
            # At most one live (draft, scheduled or published) version per round at a time.
            models.UniqueConstraint(
                fields=["round"],
                condition=Q(status__in=["draft", "scheduled", "published"]),
                name="one_open_result_version_per_round",
            ),
            models.CheckConstraint(
                condition=Q(notice_ends_at__isnull=True)
                | Q(publish_at__isnull=True)
                | Q(notice_ends_at__gt=models.F("publish_at")),
                name="notice_ends_after_publication",
            ),
        ]

    def __str__(self):
        return f"{self.round} · v{self.number}"

    @staticmethod
    def digest(snapshot) -> str:
        import json

        canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def is_public(self):
        return self.published_at is not None

    def in_notice(self, now=None):
        now = now or timezone.now()
        return (
            self.status == VersionStatus.PUBLISHED
            and self.notice_ends_at is not None
            and self.published_at is not None
            and self.published_at <= now < self.notice_ends_at
        )


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("Awaiting an answer")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class Objection(models.Model):
    """An objection lodged during the public notice against one entry's result, answered by an organizer."""

    version = models.ForeignKey(ResultVersion, on_delete=models.PROTECT, related_name="objections")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="objections")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="objections")
    text = models.TextField(_("objection"), max_length=5000)
    evidence = models.FileField(max_length=200, blank=True)
    evidence_type = models.CharField(max_length=100, blank=True)
    evidence_size = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ObjectionStatus, default=ObjectionStatus.OPEN)
    answer = models.TextField(_("answer"), blank=True, max_length=5000)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(answer=""), name="answered_objection_has_a_reason"
            ),
        ]

    def __str__(self):
        return f"{self.entry} · {self.get_status_display()}"


class NotificationKind(models.TextChoices):
    ADVANCED = "advanced", _("Advanced")
    NOT_ADVANCED = "not_advanced", _("Not advanced")
    NOMINATED = "nominated", _("Nominated")
    AWARDED = "awarded", _("Awarded")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Not delivered after several attempts")


class ResultNotification(models.Model):
    """One result email to one entrant for one version: queued in batches, retried, never silently lost."""

    version = models.ForeignKey(ResultVersion, on_delete=models.CASCADE, related_name="notifications")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+")
    recipient = models.EmailField()
    kind = models.CharField(max_length=16, choices=NotificationKind)
    status = models.CharField(max_length=10, choices=NotificationStatus, default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "entry", "recipient"], name="one_result_email_per_version_entry_recipient"
            )
        ]
        indexes = [models.Index(fields=["version", "status"], name="notification_version_status")]

    def __str__(self):
        return f"{self.recipient} · {self.kind} · {self.status}"
