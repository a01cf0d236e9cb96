import zoneinfo

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Competition, MaterialKind, Profile, Track, Unit, User

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class SignupForm(AllauthSignupForm):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        required=False,
        help_text=_("How the portal greets you. Judges never see it."),
    )
    field_order = ["email", "display_name", "password1", "password2"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def localized_datetime_field(label, required=True, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
    )


def reinterpret_in_zone(value, tz):
    """Django read `value` in the active time zone; re-read the same wall-clock time in `tz`."""
    if value is None:
        return None
    return timezone.make_aware(timezone.make_naive(value), tz)


class CompetitionForm(forms.ModelForm):
    """Dates are typed in the competition's own time zone; views render the form with that zone active."""

    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES, initial="Asia/Shanghai")
    submission_opens_at = localized_datetime_field(_("Submissions open"))
    submission_closes_at = localized_datetime_field(_("Submissions close"))

    class Meta:
        model = Competition
        fields = [
            "name_zh",
            "name_en",
            "slug",
            "edition_year",
            "entry_prefix",
            "timezone",
            "status",
            "terms_version",
            "filing_number_required",
            "submission_opens_at",
            "submission_closes_at",
            "description_zh",
            "description_en",
            "rules_zh",
            "rules_en",
        ]
        widgets = {
            "description_zh": forms.Textarea(attrs={"rows": 4}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "rules_zh": forms.Textarea(attrs={"rows": 8}),
            "rules_en": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terms_version"].required = False

    def clean_terms_version(self):
        # Entrants' declarations name this version; an emptied field keeps the current one.
        return self.cleaned_data.get("terms_version", "").strip() or self.instance.terms_version or "1"

    def clean_entry_prefix(self):
        return self.cleaned_data["entry_prefix"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        zone = cleaned.get("timezone")
        if zone:
            tz = zoneinfo.ZoneInfo(zone)
            for name in ("submission_opens_at", "submission_closes_at"):
                if cleaned.get(name):
                    cleaned[name] = reinterpret_in_zone(cleaned[name], tz)
                    setattr(self.instance, name, cleaned[name])
        opens, closes = cleaned.get("submission_opens_at"), cleaned.get("submission_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("submission_closes_at", _("The submission window must close after it opens."))
        return cleaned


class TrackForm(forms.ModelForm):
    required_materials = forms.MultipleChoiceField(
        label=_("Required materials"),
        choices=MaterialKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("An entry in this track cannot be submitted until it has all of these."),
    )

    class Meta:
        model = Track
        fields = [
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "required_materials",
            "video_orientation",
            "video_min_short_side",
            "video_min_long_side",
        ]
        widgets = {
            "description_zh": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }


class UnitForm(forms.ModelForm):
    closes_at = localized_datetime_field(
        _("Unit deadline"), required=False, help_text=_("Leave empty to use the competition's deadline.")
    )

    class Meta:
        model = Unit
        fields = [
            "name_zh",
            "name_en",
            "slug",
            "position",
            "description_zh",
            "description_en",
            "episode_min_seconds",
            "episode_max_seconds",
            "video_orientation",
            "closes_at",
        ]
        widgets = {
            "description_zh": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.competition = competition
        self.instance.competition = competition

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        clash = Unit.objects.filter(competition=self.competition, slug=slug).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("Another unit of this competition already uses “%(slug)s”. Choose a different short name."),
                params={"slug": slug},
                code="unique",
            )
        return slug

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("closes_at"):
            cleaned["closes_at"] = reinterpret_in_zone(cleaned["closes_at"], self.competition.tzinfo)
            self.instance.closes_at = cleaned["closes_at"]
            if cleaned["closes_at"] <= self.competition.submission_opens_at:
                self.add_error("closes_at", _("The unit deadline must be after submissions open."))
        shortest, longest = cleaned.get("episode_min_seconds"), cleaned.get("episode_max_seconds")
        if shortest is not None and longest is not None and longest < shortest:
            self.add_error("episode_max_seconds", _("The longest episode cannot be shorter than the shortest."))
        return cleaned


class AccountForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "language"]


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["real_name", "organisation", "country", "phone", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}


class AddOrganizerForm(forms.Form):
    email = forms.EmailField(label=_("Email of an existing account"))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("No account uses this email. Ask them to sign up first, then add them here."), code="unknown"
            )
        self.user = user
        return email
