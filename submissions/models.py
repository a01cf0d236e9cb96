"""Entries and what they carry: credits, co-owners, material files, and their history."""

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Competition, MaterialKind, Role, Track, Unit, pick_language


class EntryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Ineligible")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Genre(models.TextChoices):
    DRAMA = "drama", _("Drama")
    COMEDY = "comedy", _("Comedy")
    ROMANCE = "romance", _("Romance")
    SUSPENSE = "suspense", _("Suspense / mystery")
    SCIFI = "scifi", _("Science fiction")
    FANTASY = "fantasy", _("Fantasy")
    FAMILY = "family", _("Family")
    YOUTH = "youth", _("Youth")
    HISTORICAL = "historical", _("Historical")
    ACTION = "action", _("Action")
    ANIMATION = "animation", _("Animation")
    DOCUMENTARY = "documentary", _("Documentary style")
    OTHER = "other", _("Other")


class SpokenLanguage(models.TextChoices):
    MANDARIN = "zh", _("Mandarin")
    CANTONESE = "yue", _("Cantonese")
    OTHER_CHINESE = "zh-other", _("Other Chinese dialect")
    ENGLISH = "en", _("English")
    JAPANESE = "ja", _("Japanese")
    KOREAN = "ko", _("Korean")
    FRENCH = "fr", _("French")
    SPANISH = "es", _("Spanish")
    OTHER = "other", _("Other")


class SubtitleLanguage(models.TextChoices):
    CHINESE = "zh", _("Chinese")
    ENGLISH = "en", _("English")
    CHINESE_ENGLISH = "zh-en", _("Chinese and English")


class AIGCPart(models.TextChoices):
    SCRIPT = "script", _("Script")
    IMAGES = "images", _("Images")
    VIDEO = "video", _("Video")
    VOICE = "voice", _("Voice")
    MUSIC = "music", _("Music")


class EntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Entries a user may open: their own, those they co-own, and every entry of competitions they organize."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.is_superuser:
            return self.all()
        organized = Competition.objects.filter(roles__user=user, roles__role=Role.ORGANIZER).values("pk")
        return self.filter(
            Q(owner=user) | Q(pk__in=CoOwner.objects.filter(user=user).values("entry")) | Q(competition__in=organized)
        )

    def editable_by(self, user):
        """Entries a user may edit as an entrant: owned or co-owned (organizers decide, they do not edit)."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        # A union of two index scans: `owner = user OR pk IN (co-owned)` can use no index and reads every entry
        # of every competition (60 ms at 20,000 entries, for the entrant's dashboard).
        owned = self.model.objects.filter(owner=user).order_by().values("pk")
        return self.filter(pk__in=owned.union(CoOwner.objects.filter(user=user).order_by().values("entry")))


class Entry(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.PROTECT, related_name="entries")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="entries", verbose_name=_("track"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="entries", verbose_name=_("unit"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_entries")
    status = models.CharField(_("status"), max_length=16, choices=EntryStatus, default=EntryStatus.DRAFT)
    # Allocated on first submission from EntryCounter, so a number is never reused.
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    number = models.CharField(_("entry number"), max_length=24, blank=True, editable=False)
    # Bumped on every save through the services: two co-owners cannot silently overwrite each other.
    version = models.PositiveIntegerField(default=1, editable=False)

    title = models.CharField(_("title (Chinese)"), max_length=120)
    title_en = models.CharField(_("original or English title"), max_length=160, blank=True)
    logline = models.CharField(_("logline (Chinese)"), max_length=200, blank=True)
    logline_en = models.CharField(_("logline (English)"), max_length=300, blank=True)
    synopsis = models.TextField(_("short synopsis (Chinese)"), blank=True, validators=[MaxLengthValidator(300)])
    synopsis_en = models.TextField(_("short synopsis (English)"), blank=True, validators=[MaxLengthValidator(300)])
    synopsis_long = models.TextField(_("long synopsis (Chinese)"), blank=True, validators=[MaxLengthValidator(5000)])
    synopsis_long_en = models.TextField(
        _("long synopsis (English)"), blank=True, validators=[MaxLengthValidator(8000)]
    )
    genres = models.JSONField(_("genres"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    subtitle_languages = models.JSONField(_("subtitles"), default=list, blank=True)
    country = models.CharField(_("country or region of production"), max_length=80, blank=True)
    completion_date = models.DateField(_("completion date"), null=True, blank=True)

    # Finished works
    episode_count = models.PositiveSmallIntegerField(
        _("number of episodes"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    episode_runtime_seconds = models.PositiveIntegerField(
        _("runtime per episode (seconds)"), null=True, blank=True, validators=[MaxValueValidator(3 * 3600)]
    )
    total_runtime_seconds = models.PositiveIntegerField(
        _("total runtime (seconds)"), null=True, blank=True, validators=[MaxValueValidator(500 * 3600)]
    )
    filing_number = models.CharField(_("filing number (备案号)"), max_length=64, blank=True)
    # Where the work is released: [{"name": "Douyin", "url": "https://..."}]
    platforms = models.JSONField(_("release platforms"), default=list, blank=True)

    # Stories
    outline = models.TextField(_("outline"), blank=True, validators=[MaxLengthValidator(20000)])
    episode_plan = models.TextField(_("episode plan"), blank=True, validators=[MaxLengthValidator(50000)])

    # AIGC disclosure: None until the entrant answers.
    aigc_used = models.BooleanField(_("AI tools used"), null=True, blank=True)
    aigc_tools = models.CharField(_("AI tools"), max_length=300, blank=True)
    aigc_parts = models.JSONField(_("parts made with AI"), default=list, blank=True)
    aigc_statement = models.TextField(_("AIGC statement"), blank=True, validators=[MaxLengthValidator(1000)])

    # Declarations: when each was made and under which version of the rules.
    declared_originality_at = models.DateTimeField(null=True, blank=True)
    declared_rights_at = models.DateTimeField(null=True, blank=True)
    declared_terms_at = models.DateTimeField(null=True, blank=True)
    terms_version = models.CharField(max_length=20, blank=True)

    eligibility_reason = models.TextField(_("reason"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "sequence"], name="entry_sequence_unique_per_competition"
            ),
            models.UniqueConstraint(
                fields=["competition", "number"], condition=~Q(number=""), name="entry_number_unique_per_competition"
            ),
            # A draft withdrawn before it was ever submitted has no number; every other status has one.
            models.CheckConstraint(
                condition=Q(status__in=["draft", "withdrawn"]) | Q(sequence__isnull=False),
                name="entry_numbered_once_submitted",
            ),
        ]
        indexes = [
            # The organizer's entry list: one competition, filtered by status, newest first.
            models.Index(fields=["competition", "status", "-updated_at"], name="entry_competition_status"),
            # The organizer's entry list unfiltered (ORDER BY updated_at DESC, id DESC LIMIT 50 OFFSET n): read in
            # order instead of sorting 20,000 rows; also the ranking cache's MAX(updated_at) per competition.
            models.Index(fields=["competition", "-updated_at", "-id"], name="entry_competition_updated"),
            # The same list filtered by unit (a unit belongs to one competition).
            models.Index(fields=["unit", "-updated_at", "-id"], name="entry_unit_updated"),
            # The list's country filter choices: SELECT DISTINCT country ... WHERE competition_id = ... (index only).
            models.Index(fields=["competition", "country"], name="entry_competition_country"),
        ]

    def __str__(self):
        return self.number or self.title

    @property
    def display_title(self):
        return pick_language(self.title, self.title_en)

    @property
    def is_story(self):
        return self.track.kind == "story"

    @property
    def deadline(self):
        return self.unit.deadline


class EntryCounter(models.Model):
    """The last entry number handed out per competition. Rows are locked while a number is taken."""

    competition = models.OneToOneField(Competition, on_delete=models.CASCADE, primary_key=True)
    last_sequence = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.competition_id}: {self.last_sequence}"


class CoOwner(models.Model):
    """Someone the owner invited by email to edit the entry with them; bound to an account once it exists."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="coowners")
    email = models.EmailField(_("email"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="coowned_entries"
    )
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("co-owner")
        verbose_name_plural = _("co-owners")
        constraints = [models.UniqueConstraint(fields=["entry", "email"], name="coowner_unique_per_entry")]

    def __str__(self):
        return self.email


class CreditRole(models.TextChoices):
    DIRECTOR = "director", _("Director")
    SCREENWRITER = "screenwriter", _("Screenwriter")
    PRODUCER = "producer", _("Producer")
    DOP = "dop", _("Director of photography")
    EDITOR = "editor", _("Editor")
    LEAD_ACTOR = "lead_actor", _("Lead actor")
    LEAD_ACTRESS = "lead_actress", _("Lead actress")
    OTHER = "other", _("Other")


class Credit(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="credits")
    role = models.CharField(_("role"), max_length=16, choices=CreditRole)
    role_other = models.CharField(_("role, if other"), max_length=60, blank=True)
    name = models.CharField(_("name"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="credits",
        verbose_name=_("linked account"),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("credit")
        verbose_name_plural = _("credits")
        ordering = ["entry", "position", "id"]

    def __str__(self):
        return f"{self.get_role_display()}: {self.name}"


FILE_MATERIAL_KINDS = [
    MaterialKind.POSTER_VERTICAL,
    MaterialKind.POSTER_HORIZONTAL,
    MaterialKind.STILLS,
    MaterialKind.SCRIPT,
    MaterialKind.ENTRY_FORM,
    MaterialKind.RIGHTS_LETTER,
]


class ThumbnailStatus(models.TextChoices):
    NONE = "none", _("Not needed")
    PENDING = "pending", _("Being made")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Material(models.Model):
    """One uploaded file of an entry (posters, stills, documents). Videos are VideoFiles (the video pipeline)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField(
        _("kind"), max_length=24, choices=[(kind.value, kind.label) for kind in FILE_MATERIAL_KINDS]
    )
    # Stored under a random name; the entrant's own file name is kept for organizers only.
    file = models.FileField(max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    thumbnail = models.FileField(max_length=200, blank=True)
    thumbnail_status = models.CharField(max_length=8, choices=ThumbnailStatus, default=ThumbnailStatus.NONE)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["entry", "kind", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "kind"], condition=~Q(kind="stills"), name="material_one_per_kind_except_stills"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.entry_id})"

    @property
    def is_image(self):
        return self.content_type.startswith("image/")


class EntryEvent(models.Model):
    """The entry's history: every status change, with who made it and why."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    from_status = models.CharField(max_length=16, choices=EntryStatus)
    to_status = models.CharField(max_length=16, choices=EntryStatus)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.entry}: {self.from_status} → {self.to_status}"


class VideoStatus(models.TextChoices):
    """Where a video is in the pipeline. QC verdicts are separate (qc_level): a checked video can still fail QC."""

    UPLOADED = "uploaded", _("Uploaded, waiting")
    PROBING = "probing", _("Reading the file")
    CHECKING = "checking", _("Technical checks")
    THUMBNAILS = "thumbnails", _("Making thumbnails")
    TRANSCODING = "transcoding", _("Making the web preview")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be processed")


class QCLevel(models.TextChoices):
    PASS = "pass", _("Pass")
    WARN = "warn", _("Warning")
    FAIL = "fail", _("Fail")


PROCESSING_STATUSES = (
    VideoStatus.UPLOADED, VideoStatus.PROBING, VideoStatus.CHECKING, VideoStatus.THUMBNAILS, VideoStatus.TRANSCODING,
)


class VideoFile(models.Model):
    """One video of an entry in a slot: `episode-N`, `trailer` or `full`. The original upload is never modified."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="videos")
    slot = models.CharField(_("slot"), max_length=16)
    episode = models.PositiveSmallIntegerField(null=True, blank=True)  # N of `episode-N`, for ordering
    file = models.FileField(max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField()
    status = models.CharField(_("status"), max_length=12, choices=VideoStatus, default=VideoStatus.UPLOADED)
    # Set when a stage starts; a stage running far longer than this is "stalled" and is retried.
    stage_started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    # What PyAV read: container, codecs, duration, width/height, rotation, display aspect, fps, audio.
    probe = models.JSONField(default=dict, blank=True)
    qc_level = models.CharField(_("technical check"), max_length=4, choices=QCLevel, blank=True)
    # [{"rule": "aspect", "level": "fail", "params": {...}}]; the sentence is made at display time, translated.
    qc_checks = models.JSONField(default=list, blank=True)
    poster = models.FileField(max_length=200, blank=True)
    thumbnails = models.FileField(max_length=200, blank=True)  # one strip image of frames across the video
    preview = models.FileField(max_length=200, blank=True)  # H.264/AAC MP4, faststart, <= 720 px long side
    preview_size = models.PositiveBigIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("videos")
        ordering = ["entry", "episode", "slot"]
        constraints = [models.UniqueConstraint(fields=["entry", "slot"], name="video_one_per_slot")]
        indexes = [
            # The stall detector: videos still in the pipeline, oldest stage first.
            models.Index(fields=["status", "stage_started_at"], name="video_status_stage"),
        ]

    def __str__(self):
        return f"{self.entry_id} {self.slot}"

    @property
    def is_processing(self):
        return self.status in PROCESSING_STATUSES


class Upload(models.Model):
    """A resumable (tus) upload in progress. Its bytes sit in the staging folder until the last one arrives."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="uploads")
    slot = models.CharField(max_length=16)
    filename = models.CharField(max_length=200, blank=True)
    length = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    video = models.ForeignKey(VideoFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(offset__lte=models.F("length")), name="upload_offset_within_length"),
        ]

    def __str__(self):
        return f"{self.pk} ({self.offset}/{self.length})"
