"""Entrant forms. They validate input only; saving goes through submissions.services."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from submissions.models import AIGCPart, CreditRole, Entry, Genre, SpokenLanguage, SubtitleLanguage

SYNOPSIS_MAX = 300
MAX_PLATFORMS = 10
MAX_CREDITS = 40
STORY_MAX_WRITERS = 5


CONTROL_RUN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def single_line(value):
    """Line breaks, tabs and other control characters in a one-line text become one space. A browser's text box
    cannot send them, a crafted request can; a title with a line break in it would break every email subject that
    names the entry (Django refuses such a header, so the email would never be sent)."""
    return CONTROL_RUN.sub(" ", value).strip()


class SingleLineMixin(forms.Form):
    """Every text field that is not a textarea is cleaned with `single_line`."""

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            value = data.get(name)
            one_line = isinstance(field, forms.CharField) and not isinstance(field.widget, forms.Textarea)
            if one_line and isinstance(value, str):
                data[name] = single_line(value)
        return data


class VersionMixin(SingleLineMixin):
    """Every editing form carries the entry version it was loaded at, for the optimistic check."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TextAreaField(forms.CharField):
    """A textarea whose line breaks count once, as the browser counts them for `maxlength`."""

    def __init__(self, *, rows=4, **kwargs):
        attrs = {"rows": rows}
        if kwargs.get("max_length"):
            attrs["maxlength"] = kwargs["max_length"]
        kwargs.setdefault("widget", forms.Textarea(attrs=attrs))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return super().to_python(value)


RUNTIME_RE = re.compile(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d+)$")


def format_runtime(seconds):
    if seconds in (None, ""):
        return ""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class RuntimeField(forms.Field):
    """A runtime typed as seconds (95), minutes:seconds (1:35) or hours:minutes:seconds (1:02:00)."""

    default_error_messages = {
        "invalid": _("Enter the runtime as minutes:seconds, e.g. 2:30, or as seconds, e.g. 150."),
        "max": _("That runtime is longer than this portal accepts."),
    }

    def __init__(self, *, max_seconds, placeholder="2:30", **kwargs):
        self.max_seconds = max_seconds
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": placeholder, "autocomplete": "off"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_runtime(value)
        return value

    def to_python(self, value):
        value = (value or "").strip().replace("：", ":")
        if not value:
            return None
        match = RUNTIME_RE.match(value)
        if not match:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
        if (minutes or hours) and seconds >= 60:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        total = hours * 3600 + minutes * 60 + seconds
        if total < 1:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if total > self.max_seconds:
            raise ValidationError(self.error_messages["max"], code="max")
        return total


def checkbox_list(choices, label, help_text=""):
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple, help_text=help_text
    )


# ------------------------------------------------------------------------------------------- creating


class EntryCreateForm(SingleLineMixin):
    track = forms.ModelChoiceField(label=_("Track"), queryset=None, widget=forms.RadioSelect, empty_label=None)
    unit = forms.ModelChoiceField(label=_("Thematic unit"), queryset=None, empty_label=_("Choose a unit"))
    title = forms.CharField(label=_("Title (Chinese)"), max_length=120)
    title_en = forms.CharField(label=_("Original or English title"), max_length=160, required=False)

    def __init__(self, *args, competition, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["track"].queryset = competition.tracks.all()
        # Units whose own deadline has passed are not offered; the service checks again on save.
        self.fields["unit"].queryset = competition.units.filter(pk__in=[unit.pk for unit in units])


# ------------------------------------------------------------------------------------------- steps


class StepForm(VersionMixin, forms.ModelForm):
    """A ModelForm on a copy of the entry: a refused value never shows up in the page around the form."""

    class Meta:
        model = Entry
        fields = []

    def __init__(self, *args, entry, **kwargs):
        self.entry = entry
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", entry.version)
        super().__init__(*args, **kwargs)

    def model_fields(self):
        return [name for name in self.fields if name != "version"]


class BasicsForm(StepForm):
    title = forms.CharField(label=_("Title (Chinese)"), max_length=120)
    title_en = forms.CharField(label=_("Original or English title"), max_length=160, required=False)
    logline = forms.CharField(
        label=_("Logline (Chinese)"), max_length=200, required=False,
        help_text=_("One sentence that tells what the story is about."),
    )
    logline_en = forms.CharField(label=_("Logline (English)"), max_length=300, required=False)
    synopsis = TextAreaField(
        label=_("Short synopsis (Chinese)"), max_length=SYNOPSIS_MAX, rows=5,
        help_text=_("At most 300 characters."),
    )
    synopsis_en = TextAreaField(
        label=_("Short synopsis (English)"), max_length=SYNOPSIS_MAX, rows=5,
        help_text=_("At most 300 characters."),
    )
    synopsis_long = TextAreaField(label=_("Long synopsis (Chinese)"), max_length=5000, rows=10)
    synopsis_long_en = TextAreaField(label=_("Long synopsis (English)"), max_length=8000, rows=10)

    class Meta:
        model = Entry
        fields = [
            "track", "unit", "title", "title_en", "logline", "logline_en",
            "synopsis", "synopsis_en", "synopsis_long", "synopsis_long_en",
        ]
        widgets = {"track": forms.RadioSelect}

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        entry = self.entry
        if entry.status == "draft":
            self.fields["track"].queryset = entry.competition.tracks.all()
            self.fields["track"].empty_label = None
            self.fields["track"].label = _("Track")
            unit_ids = {unit.pk for unit in units} | {entry.unit_id}
            self.fields["unit"].queryset = entry.competition.units.filter(pk__in=unit_ids)
            self.fields["unit"].empty_label = None
            self.fields["unit"].label = _("Thematic unit")
        else:
            # Only a draft may move between tracks and units.
            del self.fields["track"]
            del self.fields["unit"]


class DetailsForm(StepForm):
    genres = checkbox_list(Genre.choices, _("Genres"))
    languages = checkbox_list(SpokenLanguage.choices, _("Spoken languages"))
    subtitle_languages = checkbox_list(SubtitleLanguage.choices, _("Subtitles"))
    country = forms.CharField(
        label=_("Country or region of production"), max_length=80, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "country-name"}),
    )
    completion_date = forms.DateField(
        label=_("Completion date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"],
    )
    episode_count = forms.IntegerField(
        label=_("Number of episodes"), required=False, min_value=1, max_value=500,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    episode_runtime_seconds = RuntimeField(
        label=_("Runtime per episode"), max_seconds=3 * 3600,
        help_text=_("Minutes:seconds, e.g. 2:30. If episodes differ, give the typical length."),
    )
    total_runtime_seconds = RuntimeField(
        label=_("Total runtime"),
        max_seconds=500 * 3600,
        placeholder="1:15:00",
        help_text=_("Hours:minutes:seconds or minutes:seconds."),
    )
    filing_number = forms.CharField(label=_("Filing number (备案号)"), max_length=64, required=False)

    WORK_ONLY = [
        "subtitle_languages", "completion_date", "episode_count", "episode_runtime_seconds",
        "total_runtime_seconds", "filing_number",
    ]

    class Meta:
        model = Entry
        fields = [
            "genres", "languages", "subtitle_languages", "country", "completion_date", "episode_count",
            "episode_runtime_seconds", "total_runtime_seconds", "filing_number",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.entry.is_story:
            for name in self.WORK_ONLY:
                del self.fields[name]
        elif self.entry.competition.filing_number_required:
            self.fields["filing_number"].help_text = _(
                "This competition requires a filing number for finished works; you can save the draft without it."
            )
        else:
            self.fields["filing_number"].help_text = _("Optional in this competition; give it if the work has one.")


class HttpURLField(forms.URLField):
    """A web link: only http and https, so nothing like `javascript:` ever becomes a link on a page."""

    default_validators = [URLValidator(schemes=["http", "https"])]
    default_error_messages = {"invalid": _("Enter a web link that starts with http:// or https://.")}


class PlatformForm(SingleLineMixin):
    name = forms.CharField(label=_("Platform"), max_length=60, required=False)
    url = HttpURLField(
        label=_("Link"), max_length=500, required=False, assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )

    def clean(self):
        data = super().clean()
        name, url = data.get("name"), data.get("url")
        if url and not name:
            self.add_error("name", _("Name the platform this link is on."))
        if name and not url and "url" not in self.errors:
            self.add_error("url", _("Add the link to the work on this platform."))
        return data


class BasePlatformFormSet(forms.BaseFormSet):
    def rows(self):
        return [
            {"name": form.cleaned_data["name"], "url": form.cleaned_data["url"]}
            for form in self.forms
            if form.cleaned_data.get("name") and form.cleaned_data.get("url")
        ]


PlatformFormSet = forms.formset_factory(
    PlatformForm, formset=BasePlatformFormSet, extra=2, max_num=MAX_PLATFORMS, validate_max=True,
    absolute_max=MAX_PLATFORMS + 2,
)


def platform_formset(entry, data=None):
    initial = [{"name": row.get("name", ""), "url": row.get("url", "")} for row in entry.platforms or []]
    return PlatformFormSet(data, initial=initial, prefix="platforms")


class StoryForm(StepForm):
    outline = TextAreaField(
        label=_("Outline"), max_length=20000, rows=12,
        help_text=_("The whole story from beginning to end: characters, conflict, turning points, ending."),
    )
    episode_plan = TextAreaField(
        label=_("Episode plan"), max_length=50000, rows=14, help_text=_("A few lines per episode.")
    )

    class Meta:
        model = Entry
        fields = ["outline", "episode_plan"]


class CreditForm(SingleLineMixin):
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—")] + list(CreditRole.choices), required=False)
    role_other = forms.CharField(label=_("Role, if other"), max_length=60, required=False)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)

    def __init__(self, *args, story=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.story = story
        if story:
            # A story names its writers only.
            self.fields["role"].widget = forms.HiddenInput()
            self.fields["role"].initial = CreditRole.SCREENWRITER
            self.fields["name"].label = _("Writer")
            del self.fields["role_other"]

    def has_changed(self):
        # A story row's role is fixed, so only a typed name makes a blank row count.
        if self.story:
            return "name" in self.changed_data
        return super().has_changed()

    def clean(self):
        data = super().clean()
        if self.story:
            data["role"] = CreditRole.SCREENWRITER
            data["role_other"] = ""
        role, name = data.get("role"), (data.get("name") or "").strip()
        if data.get("DELETE"):
            return data
        if not name and (role or data.get("role_other")):
            self.add_error("name", _("Enter the name."))
        if name and not role:
            self.add_error("role", _("Choose the role."))
        if role == CreditRole.OTHER and not data.get("role_other"):
            self.add_error("role_other", _("Say which role."))
        if role != CreditRole.OTHER:
            data["role_other"] = ""
        return data


class BaseCreditFormSet(forms.BaseFormSet):
    def __init__(self, *args, story=False, **kwargs):
        self.story = story
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "story": self.story}

    def credits(self):
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            if not data or data.get("DELETE") or not (data.get("name") or "").strip():
                continue
            rows.append({"role": data["role"], "role_other": data.get("role_other", ""), "name": data["name"].strip()})
        return rows

    def clean(self):
        if any(self.errors):
            return
        if self.story and len(self.credits()) > STORY_MAX_WRITERS:
            raise ValidationError(
                _("A story can name at most %(count)s writers."), params={"count": STORY_MAX_WRITERS}, code="max"
            )


def credit_formset(entry, credits, data=None):
    story = entry.is_story
    limit = STORY_MAX_WRITERS if story else MAX_CREDITS
    formset_class = forms.formset_factory(
        CreditForm, formset=BaseCreditFormSet, extra=2 if not story else max(0, min(2, limit - len(credits))),
        can_delete=True, max_num=limit, validate_max=True, absolute_max=limit + 5,
    )
    initial = [{"role": c.role, "role_other": c.role_other, "name": c.name} for c in credits]
    return formset_class(data, initial=initial, prefix="credits", story=story)


class AIGCForm(StepForm):
    aigc_used = forms.TypedChoiceField(
        label=_("Were AI tools used to make this entry?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        required=True,
        error_messages={"required": _("Answer yes or no.")},
    )
    aigc_tools = forms.CharField(
        label=_("Which AI tools"), max_length=300, required=False,
        help_text=_("Names and versions, e.g. “Kling 1.6, Suno v4”."),
    )
    aigc_parts = checkbox_list(AIGCPart.choices, _("Parts made with AI"))
    aigc_statement = TextAreaField(
        label=_("Statement"), max_length=1000, rows=4,
        help_text=_("Briefly, how AI was used and what people made themselves."),
    )

    class Meta:
        model = Entry
        fields = ["aigc_used", "aigc_tools", "aigc_parts", "aigc_statement"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.entry.aigc_used is not None:
            self.initial["aigc_used"] = "yes" if self.entry.aigc_used else "no"

    def clean(self):
        data = super().clean()
        if data.get("aigc_used") is True:
            if not (data.get("aigc_tools") or "").strip():
                self.add_error("aigc_tools", _("Name the AI tools you used."))
            if not data.get("aigc_parts"):
                self.add_error("aigc_parts", _("Tick the parts made with AI."))
        elif data.get("aigc_used") is False:
            data["aigc_tools"] = ""
            data["aigc_parts"] = []
        return data


class DeclarationsForm(VersionMixin, forms.Form):
    originality = forms.BooleanField(
        label=_("This entry is our own original work."),
        error_messages={"required": _("Confirm that the entry is original.")},
    )
    rights = forms.BooleanField(
        label=_("We hold the rights to everything in it (story, footage, music, images, likeness) or have written "
                "permission to use it."),
        error_messages={"required": _("Confirm that you hold the rights.")},
    )
    terms = forms.BooleanField(error_messages={"required": _("Accept the competition terms to go on.")})

    def __init__(self, *args, entry, **kwargs):
        self.entry = entry
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", entry.version)
        current = (
            entry.declared_originality_at and entry.declared_rights_at and entry.declared_terms_at
            and entry.terms_version == entry.competition.terms_version
        )
        if current:
            kwargs["initial"].update(originality=True, rights=True, terms=True)
        super().__init__(*args, **kwargs)
        self.fields["terms"].label = _("We accept the competition terms, version %(version)s.") % {
            "version": entry.competition.terms_version
        }


class MaterialUploadForm(forms.Form):
    file = forms.FileField(label=_("File"), error_messages={"required": _("Choose a file to upload.")})


class CoOwnerForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), max_length=254,
        help_text=_("They can edit this entry with you once they sign in with this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that a withdrawn entry cannot be changed or entered again."),
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )
