"""Judging: rounds with their entry lists, rubrics, panels and invitations, conflicts, assignments, scores,
watching records and the hash-chained score ledger.

Everything here reads entries through `submissions`; nothing in `submissions` or `portal` imports this app.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Competition, Track, Unit, pick_language
from submissions.models import Entry, VideoFile


class RoundKind(models.TextChoices):
    PRELIMINARY = "preliminary", _("Preliminary round (初评)")
    SEMI_FINAL = "semi_final", _("Semi-final (复评)")
    FINAL = "final", _("Final (终评)")


class PeerScores(models.TextChoices):
    """Whether a judge sees the other judges' scores of an entry."""

    NEVER = "never", _("Never")
    AFTER_OWN = "after_own", _("After submitting their own")


class AggregationMethod(models.TextChoices):
    MEAN = "mean", _("Mean")
    MEDIAN = "median", _("Median")
    TRIMMED_MEAN = "trimmed", _("Trimmed mean (drop the highest and the lowest, from 5 judges)")
    ZSCORE = "zscore", _("Per-judge z-score normalisation")


class RoundState(models.TextChoices):
    """Derived from the scoring window; not stored."""

    UPCOMING = "upcoming", _("Not open yet")
    OPEN = "open", _("Open for scoring")
    CLOSED = "closed", _("Closed")


class RoundQuerySet(models.QuerySet):
    def open_at(self, now=None):
        now = now or timezone.now()
        return self.filter(opens_at__lte=now, closes_at__gt=now)


class Round(models.Model):
    """One stage of judging (初评, 复评, 终评) of a competition: a scoring window, units, entries and settings."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="rounds")
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=16, choices=RoundKind)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    opens_at = models.DateTimeField(_("scoring opens"))
    closes_at = models.DateTimeField(_("scoring closes"))
    # Empty means every unit of the competition.
    units = models.ManyToManyField(Unit, blank=True, related_name="+", verbose_name=_("units"))
    judges_per_entry = models.PositiveSmallIntegerField(
        _("judges per entry"), default=3, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    blind = models.BooleanField(
        _("blind judging"), default=True, help_text=_("Judges never see who made a work: no names, credits or owners.")
    )
    peer_scores = models.CharField(
        _("judges see other judges' scores"), max_length=12, choices=PeerScores, default=PeerScores.NEVER
    )
    required_watch_share = models.PositiveSmallIntegerField(
        _("required watch share (%)"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("Share of each episode a judge must have played before scoring; 0 turns the check off."),
    )
    live_final = models.BooleanField(
        _("live final (路演)"),
        default=False,
        help_text=_("The jury scores on their phones during the pitch session while your screen shows who has scored."),
    )
    share_feedback = models.BooleanField(
        _("share feedback with entrants"),
        default=False,
        help_text=_("Entrants receive per-criterion averages and anonymised comments with the results."),
    )
    # Results (judging.aggregation): how judges' totals become an entry's score, and when to flag a spread.
    aggregation_method = models.CharField(
        _("aggregation"), max_length=12, choices=AggregationMethod, default=AggregationMethod.MEAN
    )
    disagreement_range = models.DecimalField(
        _("flag a spread (highest - lowest total) above"), max_digits=5, decimal_places=2, default=Decimal("25"),
        help_text=_("Points on the 0–100 total."),
    )
    disagreement_stdev = models.DecimalField(
        _("flag a standard deviation above"), max_digits=5, decimal_places=2, default=Decimal("12")
    )
    severity_threshold = models.DecimalField(
        _("flag a judge whose mean differs from the panel's by more than"), max_digits=5, decimal_places=2,
        default=Decimal("10"), help_text=_("Points on the 0–100 total, over the entries that judge scored."),
    )
    # Live final: the entry being pitched now, and whether its result is shown on the organizer's screen.
    live_entry = models.ForeignKey(Entry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    live_revealed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["competition", "position"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "position"], name="round_position_unique"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="round_window_closes_after_it_opens",
                violation_error_message=_("Scoring must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(required_watch_share__lte=100), name="round_watch_share_is_a_percentage"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return pick_language(self.name_zh, self.name_en)

    def state(self, now=None) -> str:
        now = now or timezone.now()
        if now < self.opens_at:
            return RoundState.UPCOMING
        if now >= self.closes_at:
            return RoundState.CLOSED
        return RoundState.OPEN

    def is_open(self, now=None) -> bool:
        return self.state(now) == RoundState.OPEN

    def get_state_display(self):
        return RoundState(self.state()).label


class RoundEntrySource(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible entry")
    ADVANCED = "advanced", _("Advanced from the previous round")
    ADDED = "added", _("Added by an organizer")


class RoundEntry(models.Model):
    """An entry in a round's list: every eligible entry in round 1, the advanced shortlist later."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="round_entries")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="round_entries")
    source = models.CharField(max_length=12, choices=RoundEntrySource, default=RoundEntrySource.ELIGIBLE)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("entry in round")
        verbose_name_plural = _("entries in round")
        constraints = [models.UniqueConstraint(fields=["round", "entry"], name="round_entry_unique")]

    def __str__(self):
        return f"{self.round} · {self.entry}"


class Rubric(models.Model):
    """The criteria of one round for one track. Frozen by the first score; later changes make a new version."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="rubrics")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveSmallIntegerField(default=1)
    frozen_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        ordering = ["round", "track", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["round", "track", "version"], name="rubric_version_unique")
        ]

    def __str__(self):
        return f"{self.round} · {self.track} · v{self.version}"

    @property
    def is_frozen(self):
        return self.frozen_at is not None


class Criterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Stable across rubric versions, so a score can follow its criterion into a new version.
    key = models.SlugField(_("key"), max_length=40)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    guidance_low_zh = models.CharField(_("a low score means (Chinese)"), max_length=300, blank=True)
    guidance_low_en = models.CharField(_("a low score means (English)"), max_length=300, blank=True)
    guidance_mid_zh = models.CharField(_("a middle score means (Chinese)"), max_length=300, blank=True)
    guidance_mid_en = models.CharField(_("a middle score means (English)"), max_length=300, blank=True)
    guidance_high_zh = models.CharField(_("a high score means (Chinese)"), max_length=300, blank=True)
    guidance_high_en = models.CharField(_("a high score means (English)"), max_length=300, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=Decimal("25"))
    min_score = models.DecimalField(_("lowest score"), max_digits=5, decimal_places=2, default=Decimal("0"))
    max_score = models.DecimalField(_("highest score"), max_digits=5, decimal_places=2, default=Decimal("10"))
    step = models.DecimalField(_("step"), max_digits=4, decimal_places=2, default=Decimal("0.5"))
    comment_required = models.BooleanField(_("comment required"), default=False)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["rubric", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "key"], name="criterion_key_unique_per_rubric"),
            models.CheckConstraint(
                condition=Q(max_score__gt=models.F("min_score")),
                name="criterion_range_ordered",
                violation_error_message=_("The highest score must be above the lowest."),
            ),
            models.CheckConstraint(
                condition=Q(step__gt=0), name="criterion_step_positive",
                violation_error_message=_("The step must be above zero."),
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0), name="criterion_weight_positive",
                violation_error_message=_("The weight must be above zero."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return pick_language(self.name_zh, self.name_en)

    @property
    def guidance_low(self):
        return pick_language(self.guidance_low_zh, self.guidance_low_en)

    @property
    def guidance_mid(self):
        return pick_language(self.guidance_mid_zh, self.guidance_mid_en)

    @property
    def guidance_high(self):
        return pick_language(self.guidance_high_zh, self.guidance_high_en)


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
        indexes = [models.Index(fields=["round", "entry"], name="score_round_entry")]

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
