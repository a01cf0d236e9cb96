"""Judging's scoring: assignments of entries to judges, scores with their criterion values, watching records
and the hash-chained score ledger."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from judging.models.panels import PanelMembership, effective_conflict_exists
from judging.models.rounds import Criterion, Round, Rubric
from portal.models import Competition
from submissions.models import Entry, VideoFile


class AssignmentQuerySet(models.QuerySet):
    def active(self):
        """Assignments a judge can work on: the judge is still on the panel and has no effective conflict."""
        return self.filter(
            Exists(PanelMembership.objects.filter(round=OuterRef("round"), judge=OuterRef("judge"), active=True))
        ).exclude(effective_conflict_exists())


class AssignmentMethod(models.TextChoices):
    AUTO = "auto", _("Automatic")
    MANUAL = "manual", _("By an organizer")


class Assignment(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="assignments")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="assignments")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    method = models.CharField(max_length=8, choices=AssignmentMethod, default=AssignmentMethod.AUTO)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["round", "entry", "judge"], name="assignment_unique")
        ]
        indexes = [
            # The judge's queue: one judge's assignments in a round.
            models.Index(fields=["judge", "round"], name="assignment_judge_round"),
        ]

    def __str__(self):
        return f"{self.judge} · {self.entry} · {self.round}"


class ScoreStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class ScoreQuerySet(models.QuerySet):
    def counting(self):
        """Submitted scores that count: never a score by a judge with an effective conflict on the entry."""
        return self.filter(status=ScoreStatus.SUBMITTED).exclude(effective_conflict_exists())


class Score(models.Model):
    """One judge's score of one entry in one round; its criterion values hang below it."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="scores")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="scores")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scores")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="scores")
    status = models.CharField(_("status"), max_length=12, choices=ScoreStatus, default=ScoreStatus.DRAFT)
    # Weighted total on a 0–100 scale: sum of (value - min) / (max - min) * weight, over the sum of weights.
    total = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    comment = models.TextField(_("overall comment"), blank=True, max_length=5000)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["round", "entry", "judge"], name="score_unique_per_judge_and_entry")
        ]
        indexes = [
            models.Index(fields=["round", "entry"], name="score_round_entry"),
            # The ranking cache's key (judging.aggregation._inputs_key): MAX(updated_at) of a round's scores.
            models.Index(fields=["round", "updated_at"], name="score_round_updated"),
        ]

    def __str__(self):
        return f"{self.judge} · {self.entry} · {self.round}"


class CriterionScore(models.Model):
    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="values")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)  # empty in a draft
    comment = models.TextField(blank=True, max_length=2000)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["score", "criterion"], name="criterion_score_unique")
        ]

    def __str__(self):
        return f"{self.criterion_id}: {self.value}"


class WatchProgress(models.Model):
    """Which seconds of a video a judge has played: merged [start, end] intervals, so skipping does not count."""

    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    video = models.ForeignKey(VideoFile, on_delete=models.CASCADE, related_name="+")
    intervals = models.JSONField(default=list)
    duration = models.FloatField(default=0)
    watched_seconds = models.FloatField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["judge", "video"], name="watch_progress_unique")]

    def __str__(self):
        return f"{self.judge} · {self.video_id}: {self.watched_seconds:.0f}/{self.duration:.0f} s"

    @property
    def share(self) -> float:
        """0..1"""
        return min(1.0, self.watched_seconds / self.duration) if self.duration else 0.0


class LedgerKind(models.TextChoices):
    SCORE_CREATED = "score_created", _("Score created")
    SCORE_CHANGED = "score_changed", _("Score changed")
    SCORE_SUBMITTED = "score_submitted", _("Score submitted")
    RUBRIC_CHANGED = "rubric_changed", _("Rubric changed")
    RUBRIC_VERSIONED = "rubric_versioned", _("Rubric version created")
    CONFLICT_WAIVED = "conflict_waived", _("Conflict waived")
    CONFLICT_WAIVER_REVOKED = "waiver_revoked", _("Conflict waiver revoked")


class LedgerHead(models.Model):
    """The end of one competition's chain; appenders lock this row so links are written one at a time."""

    competition = models.OneToOneField(Competition, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"{self.competition_id} @ {self.last_sequence}"


class LedgerEntry(models.Model):
    """An append-only, hash-chained record: hash = sha256(previous hash + canonical JSON of this row)."""

    competition = models.ForeignKey(Competition, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=20, choices=LedgerKind)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField()
    content = models.JSONField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["competition", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "sequence"], name="ledger_sequence_unique")
        ]

    def __str__(self):
        return f"{self.competition_id} #{self.sequence} {self.kind}"
