"""The competition frame: accounts, competitions with their tracks and units, and who organizes or judges them."""

import zoneinfo
from functools import cached_property

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def pick_language(zh, en):
    """The English text on English pages when there is one, otherwise the Chinese text."""
    language = get_language() or settings.LANGUAGE_CODE
    if language.startswith("en") and en:
        return en
    return zh or en


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """An account, identified by email. Everyone who signs up may enter; judge and organizer are roles."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    # Display name and language sit on the user row, not the profile, because every page needs them.
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    language = models.CharField(_("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case")]

    def __str__(self):
        return self.display_name or self.email

    def get_full_name(self):
        return self.display_name or self.email

    def get_short_name(self):
        return self.display_name or self.email.split("@")[0]


phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 \-()]{4,24}$", _("Enter a phone number of digits, optionally starting with + and a country code.")
)


class Profile(models.Model):
    """What a creator tells the organizers about themselves. Private to the user and organizers."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    real_name = models.CharField(_("real name"), max_length=100, blank=True)
    organisation = models.CharField(_("organisation or studio"), max_length=150, blank=True)
    country = models.CharField(_("country or region"), max_length=80, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[phone_validator])
    bio = models.TextField(_("short bio"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self):
        return str(self.user)


def validate_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value}, code="timezone")


class CompetitionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for entries")
    CLOSED = "closed", _("Entries closed")
    JUDGING = "judging", _("Judging")
    PUBLISHED = "published", _("Results published")


class CompetitionQuerySet(models.QuerySet):
    def public(self):
        return self.exclude(status=CompetitionStatus.DRAFT)

    def organized_by(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(roles__user=user, roles__role=Role.ORGANIZER).distinct()

    def visible_to(self, user):
        """Public competitions, plus drafts for the people organizing them."""
        if user.is_authenticated and user.is_superuser:
            return self.all()
        if not user.is_authenticated:
            return self.public()
        return self.filter(
            ~Q(status=CompetitionStatus.DRAFT) | Q(roles__user=user, roles__role=Role.ORGANIZER)
        ).distinct()


class Competition(models.Model):
    slug = models.SlugField(_("short name in web addresses"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    edition_year = models.PositiveSmallIntegerField(
        _("edition year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    entry_prefix = models.CharField(
        _("entry number prefix"),
        max_length=16,
        validators=[RegexValidator(r"^[A-Z0-9]{2,16}$", _("Use 2–16 capital letters or digits, e.g. LCP2026."))],
        help_text=_("Entry numbers look like LCP2026-0123."),
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_timezone],
        help_text=_("Deadlines are shown and entered in this time zone."),
    )
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    rules_zh = models.TextField(_("rules (Chinese)"), blank=True)
    rules_en = models.TextField(_("rules (English)"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CompetitionStatus, default=CompetitionStatus.DRAFT)
    terms_version = models.CharField(
        _("terms version"), max_length=20, default="1",
        help_text=_("Entrants' declarations record which version of the rules they accepted."),
    )
    filing_number_required = models.BooleanField(
        _("filing number required"), default=False,
        help_text=_("Whether finished works must give a filing number (备案号)."),
    )
    submission_opens_at = models.DateTimeField(_("submissions open"))
    submission_closes_at = models.DateTimeField(_("submissions close"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompetitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")
        ordering = ["-edition_year", "-submission_closes_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(submission_closes_at__gt=models.F("submission_opens_at")),
                name="competition_window_closes_after_it_opens",
                violation_error_message=_("The submission window must close after it opens."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return pick_language(self.name_zh, self.name_en)

    @property
    def description(self):
        return pick_language(self.description_zh, self.description_en)

    @property
    def rules(self):
        return pick_language(self.rules_zh, self.rules_en)

    @cached_property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_public(self):
        return self.status != CompetitionStatus.DRAFT

    def is_accepting_entries(self, now=None):
        now = now or timezone.now()
        return (
            self.status == CompetitionStatus.OPEN and self.submission_opens_at <= now < self.submission_closes_at
        )


class TrackKind(models.TextChoices):
    WORK = "work", _("Finished work")
    STORY = "story", _("Story")


class MaterialKind(models.TextChoices):
    """Everything an entry may have to carry; each track requires a subset."""

    POSTER_VERTICAL = "poster_vertical", _("Vertical poster")
    POSTER_HORIZONTAL = "poster_horizontal", _("Horizontal poster")
    STILLS = "stills", _("Stills")
    TRAILER = "trailer", _("Trailer")
    EPISODES = "episodes", _("Episodes")
    SCRIPT = "script", _("Script (PDF or DOCX)")
    ENTRY_FORM = "entry_form", _("Signed entry form")
    RIGHTS_LETTER = "rights_letter", _("Rights and authorisation letter")


DEFAULT_REQUIRED_MATERIALS = {
    TrackKind.WORK: [
        MaterialKind.POSTER_VERTICAL,
        MaterialKind.POSTER_HORIZONTAL,
        MaterialKind.TRAILER,
        MaterialKind.EPISODES,
        MaterialKind.ENTRY_FORM,
        MaterialKind.RIGHTS_LETTER,
    ],
    TrackKind.STORY: [MaterialKind.SCRIPT, MaterialKind.ENTRY_FORM, MaterialKind.RIGHTS_LETTER],
}


class VideoOrientation(models.TextChoices):
    VERTICAL = "vertical", _("Vertical (9:16)")
    HORIZONTAL = "horizontal", _("Horizontal (16:9)")
    ANY = "any", _("Any")


class Track(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="tracks")
    kind = models.CharField(_("kind"), max_length=8, choices=TrackKind)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    required_materials = models.JSONField(_("required materials"), default=list, blank=True)
    # Technical checks of this track's videos; a unit may narrow the orientation and episode length.
    video_orientation = models.CharField(
        _("video orientation"), max_length=12, choices=VideoOrientation, default=VideoOrientation.VERTICAL
    )
    video_min_short_side = models.PositiveIntegerField(_("minimum video width (short side, px)"), default=1080)
    video_min_long_side = models.PositiveIntegerField(_("minimum video height (long side, px)"), default=1920)

    class Meta:
        verbose_name = _("track")
        verbose_name_plural = _("tracks")
        # "work" sorts after "story"; descending puts the finished-work track first, as the competition does.
        ordering = ["competition", "-kind"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "kind"], name="track_kind_unique_per_competition")
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return pick_language(self.name_zh, self.name_en)

    @property
    def description(self):
        return pick_language(self.description_zh, self.description_en)

    def get_required_materials_display(self):
        labels = dict(MaterialKind.choices)
        return [labels[code] for code in self.required_materials if code in labels]


class Unit(models.Model):
    """A thematic unit (单元); entries of both tracks are filed under one."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="units")
    slug = models.SlugField(_("short name in web addresses"), max_length=60)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    episode_min_seconds = models.PositiveIntegerField(_("shortest episode (seconds)"), null=True, blank=True)
    episode_max_seconds = models.PositiveIntegerField(_("longest episode (seconds)"), null=True, blank=True)
    closes_at = models.DateTimeField(
        _("unit deadline"), null=True, blank=True, help_text=_("Leave empty to use the competition's deadline.")
    )
    video_orientation = models.CharField(
        _("video orientation"), max_length=12, choices=VideoOrientation, blank=True,
        help_text=_("Leave empty to use the track's rule."),
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["competition", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "slug"], name="unit_slug_unique_per_competition"),
            models.CheckConstraint(
                condition=Q(episode_min_seconds__isnull=True)
                | Q(episode_max_seconds__isnull=True)
                | Q(episode_max_seconds__gte=models.F("episode_min_seconds")),
                name="unit_episode_range_ordered",
                violation_error_message=_("The longest episode cannot be shorter than the shortest."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return pick_language(self.name_zh, self.name_en)

    @property
    def description(self):
        return pick_language(self.description_zh, self.description_en)

    @property
    def deadline(self):
        return self.closes_at or self.competition.submission_closes_at


class Role(models.TextChoices):
    ORGANIZER = "organizer", _("Organizer")
    JUDGE = "judge", _("Judge")


class CompetitionRole(models.Model):
    """A user's role in one competition. Entrants need no row: anyone signed in may enter."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="competition_roles")
    role = models.CharField(_("role"), max_length=16, choices=Role)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("competition role")
        verbose_name_plural = _("competition roles")
        constraints = [
            models.UniqueConstraint(fields=["competition", "user", "role"], name="competition_role_unique")
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.competition}"


class LoggedAction(models.TextChoices):
    COMPETITION_CREATED = "competition_created", _("Competition created")
    COMPETITION_CHANGED = "competition_changed", _("Competition changed")
    STATUS_CHANGED = "status_changed", _("Status changed")
    TRACK_CHANGED = "track_changed", _("Track changed")
    UNIT_CREATED = "unit_created", _("Unit created")
    UNIT_CHANGED = "unit_changed", _("Unit changed")
    UNIT_DELETED = "unit_deleted", _("Unit deleted")
    ROLE_GRANTED = "role_granted", _("Role granted")
    ROLE_REVOKED = "role_revoked", _("Role revoked")
    # Judging (the judging app writes these; the score ledger is separate and hash-chained)
    ROUND_CREATED = "round_created", _("Round created")
    ROUND_CHANGED = "round_changed", _("Round changed")
    ROUND_ENTRIES_CHANGED = "round_entries_changed", _("Round entry list changed")
    RUBRIC_VERSIONED = "rubric_versioned", _("New rubric version")
    JUDGES_INVITED = "judges_invited", _("Judges invited")
    INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
    JUDGE_JOINED = "judge_joined", _("Judge joined a panel")
    JUDGE_DROPPED = "judge_dropped", _("Judge left a panel")
    ASSIGNMENTS_CHANGED = "assignments_changed", _("Assignments changed")
    CONFLICT_WAIVED = "conflict_waived", _("Conflict waived")
    CONFLICT_WAIVER_REVOKED = "conflict_waiver_revoked", _("Conflict waiver revoked")
    REMINDERS_SENT = "reminders_sent", _("Reminders sent")
    LIVE_CHANGED = "live_changed", _("Live final changed")
    # Results
    ENTRIES_ADVANCED = "entries_advanced", _("Shortlist decided")
    DECISION_OVERRIDDEN = "decision_overridden", _("Decision overridden")
    RESULT_PREPARED = "result_prepared", _("Result prepared")
    RESULT_SCHEDULED = "result_scheduled", _("Result publication scheduled")
    RESULT_PUBLISHED = "result_published", _("Result published")
    RESULT_FINALISED = "result_finalised", _("Result finalised")
    OBJECTION_ANSWERED = "objection_answered", _("Objection answered")
    AWARDS_CHANGED = "awards_changed", _("Awards changed")
    NOTIFICATIONS_RETRIED = "notifications_retried", _("Result emails sent again")


class ActionLog(models.Model):
    """Who changed what, when: the organizers' record for defending a decision later."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, null=True, related_name="log")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(_("action"), max_length=32, choices=LoggedAction)
    subject = models.CharField(_("subject"), max_length=300, help_text=_("The name of what was changed."))
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()}: {self.subject}"
