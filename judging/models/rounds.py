"""Judging's rounds: the stages of judging with their scoring windows and settings, the entries in each round,
and the rubrics (versioned per track) with their criteria.

Everything here reads entries through `submissions`; nothing in `submissions` or `portal` imports this app.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Competition, Track, Unit, pick_language
from submissions.models import Entry


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
