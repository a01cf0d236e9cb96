"""The multi-step entry form: its steps, their forms and the view that shows and saves them.

Thin views: parse the request, call submissions.services, render. Entries are reached only through
submissions.access, which answers 404 to everyone but the entry's owner and co-owners.
"""

import copy
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import MaterialKind
from submissions import forms, services
from submissions.access import get_entry_for_entrant
from submissions.materials import MAX_STILLS, accepted_types_label, html_accept, max_bytes_for
from submissions.models import (
    FILE_MATERIAL_KINDS,
)
from submissions.views import videos as video_views

# The form's steps, in order. "story" exists only for the story track.
STEPS = [
    ("basics", gettext_lazy("Basics")),
    ("details", gettext_lazy("Details")),
    ("story", gettext_lazy("Story")),
    ("credits", gettext_lazy("Credits")),
    ("aigc", gettext_lazy("AI disclosure")),
    ("materials", gettext_lazy("Materials")),
    ("videos", gettext_lazy("Videos")),  # finished works only
    ("declarations", gettext_lazy("Declarations")),
]
# Materials each track offers besides the ones the organizers made required (which are always offered).
OFFERED_MATERIALS = {
    "work": {
        MaterialKind.POSTER_VERTICAL, MaterialKind.POSTER_HORIZONTAL, MaterialKind.STILLS,
        MaterialKind.ENTRY_FORM, MaterialKind.RIGHTS_LETTER,
    },
    "story": {MaterialKind.SCRIPT, MaterialKind.ENTRY_FORM, MaterialKind.RIGHTS_LETTER},
}
MATERIAL_TAG = "material-"


def step_list(entry, missing, current=None):
    pending = {item.step for item in missing}
    steps = []
    for slug, label in STEPS:
        if slug == "story" and not entry.is_story or slug == "videos" and entry.is_story:
            continue
        if slug == "credits" and entry.is_story:
            label = gettext_lazy("Writers")
        steps.append({
            "slug": slug,
            "label": label,
            "done": slug not in pending,
            "current": slug == current,
            "url": reverse("submissions:entry_step", args=[entry.pk, slug]),
        })
    for number, step in enumerate(steps, start=1):
        step["number"] = number
    return steps


def open_units(competition, now):
    """Units still taking entries (each may have its own deadline)."""
    return [unit for unit in competition.units.select_related("competition") if unit.deadline > now]


def entry_context(entry, now, **extra):
    return {"entry": entry, "competition": entry.competition, "now": now, **extra}


# ------------------------------------------------------------------------------------------- the steps


class Step:
    """One page of the entry form: which forms it shows and which service saves them."""

    template = None

    def __init__(self, request, entry, now):
        self.request, self.entry, self.now = request, entry, now

    def build(self, data=None):
        raise NotImplementedError

    def save(self, forms_):
        raise NotImplementedError


class ModelStep(Step):
    form_class = None

    def build(self, data=None):
        return {"form": self.form_class(data, instance=copy.copy(self.entry), entry=self.entry)}

    def fields(self, forms_):
        return forms_["form"].model_fields()

    def save(self, forms_):
        form = forms_["form"]
        services.update_entry(
            entry=form.instance, actor=self.request.user, fields=self.fields(forms_),
            expected_version=form.cleaned_data["version"],
        )


class BasicsStep(ModelStep):
    template = "submissions/entrant/step_basics.html"
    form_class = forms.BasicsForm

    def build(self, data=None):
        units = open_units(self.entry.competition, self.now)
        return {"form": self.form_class(data, instance=copy.copy(self.entry), entry=self.entry, units=units)}


class DetailsStep(ModelStep):
    template = "submissions/entrant/step_details.html"
    form_class = forms.DetailsForm

    def build(self, data=None):
        built = super().build(data)
        if not self.entry.is_story:
            built["platforms"] = forms.platform_formset(self.entry, data)
        return built

    def save(self, forms_):
        form = forms_["form"]
        fields = form.model_fields()
        if "platforms" in forms_:
            form.instance.platforms = forms_["platforms"].rows()
            fields.append("platforms")
        services.update_entry(
            entry=form.instance, actor=self.request.user, fields=fields, expected_version=form.cleaned_data["version"]
        )


class StoryStep(ModelStep):
    template = "submissions/entrant/step_story.html"
    form_class = forms.StoryForm


class AIGCStep(ModelStep):
    template = "submissions/entrant/step_aigc.html"
    form_class = forms.AIGCForm


class CreditsStep(Step):
    template = "submissions/entrant/step_credits.html"

    def build(self, data=None):
        credits = list(self.entry.credits.all())
        return {
            "form": forms.VersionMixin(data, initial={"version": self.entry.version}),
            "formset": forms.credit_formset(self.entry, credits, data),
        }

    def save(self, forms_):
        services.replace_credits(
            entry=self.entry, actor=self.request.user, credits=forms_["formset"].credits(),
            expected_version=forms_["form"].cleaned_data["version"],
        )


class DeclarationsStep(Step):
    template = "submissions/entrant/step_declarations.html"

    def build(self, data=None):
        return {"form": forms.DeclarationsForm(data, entry=self.entry)}

    def save(self, forms_):
        services.declare(
            entry=copy.copy(self.entry),
            actor=self.request.user,
            expected_version=forms_["form"].cleaned_data["version"],
        )


class MaterialsStep(Step):
    template = "submissions/entrant/step_materials.html"

    def build(self, data=None):
        return {}


class VideosStep(Step):
    """Videos go to the tus endpoint from the page's script; the page itself saves nothing."""

    template = "submissions/entrant/step_videos.html"

    def build(self, data=None):
        return {}


STEP_CLASSES = {
    "basics": BasicsStep,
    "details": DetailsStep,
    "story": StoryStep,
    "credits": CreditsStep,
    "aigc": AIGCStep,
    "materials": MaterialsStep,
    "videos": VideosStep,
    "declarations": DeclarationsStep,
}


def _all_valid(forms_):
    results = [form.is_valid() for form in forms_.values()]  # every form validates, so each shows its errors
    return all(results)


def _disable(forms_):
    """Show the saved values without letting anyone change them."""
    for form in forms_.values():
        for inner in getattr(form, "forms", [form]):
            for field in inner.fields.values():
                field.disabled = True
                field.widget.attrs.pop("placeholder", None)  # an example value must not look like a saved one


def _split_material_messages(request):
    """Messages about one material kind are shown next to its upload box, the rest at the top."""
    general, by_kind = [], defaultdict(list)
    for message in messages.get_messages(request):
        tags = (message.extra_tags or "").split()
        kind = next((tag[len(MATERIAL_TAG):] for tag in tags if tag.startswith(MATERIAL_TAG)), None)
        if kind:
            by_kind[kind].append(message)
        else:
            general.append(message)
    return general, by_kind


def _material_slots(entry, materials, by_kind):
    required = set(entry.track.required_materials)
    offered = required | OFFERED_MATERIALS.get(entry.track.kind, set())
    present = defaultdict(list)
    for material in materials:
        present[material.kind].append(material)
    labels = dict(MaterialKind.choices)
    slots = []
    for kind in FILE_MATERIAL_KINDS:
        if kind not in offered and not present[kind]:
            continue
        files = present[kind]
        slots.append({
            "kind": kind.value,
            "label": labels[kind],
            "required": kind in required,
            "files": files,
            "multiple": kind == MaterialKind.STILLS,
            "full": kind == MaterialKind.STILLS and len(files) >= MAX_STILLS,
            "max": MAX_STILLS,
            "accept": html_accept(kind),
            "types": accepted_types_label(kind),
            "max_mb": max_bytes_for(kind) // (1024 * 1024),
            "messages": by_kind.get(kind.value, []),
            "upload_url": reverse("submissions:material_upload", args=[entry.pk, kind.value]),
        })
    videos_url = reverse("submissions:entry_step", args=[entry.pk, "videos"]) if not entry.is_story else ""
    video_slots = [
        {"kind": kind, "label": labels[kind], "url": videos_url}
        for kind in entry.track.required_materials if kind in services.VIDEO_KINDS
    ]
    return slots, video_slots


@login_required
def entry_step(request, entry_id, step):
    entry = get_entry_for_entrant(request.user, entry_id)
    if step not in STEP_CLASSES or (step == "story" and not entry.is_story) or (step == "videos" and entry.is_story):
        raise Http404
    if step in ("materials", "videos") and request.method == "POST":
        return HttpResponseNotAllowed(["GET"])  # files go to material_upload, videos to the tus endpoint
    now = timezone.now()
    handler = STEP_CLASSES[step](request, entry, now)
    lock = services.lock_reason(entry, now)
    conflict = None
    refused = False

    if request.method == "POST":
        forms_ = handler.build(request.POST)
        if lock:
            # Refused whatever was posted; the page says why, and the typed text stays so it can be copied.
            refused = True
        elif _all_valid(forms_):
            try:
                handler.save(forms_)
            except services.ConcurrentEdit as error:
                conflict = error
                entry = get_entry_for_entrant(request.user, entry_id)
                data = request.POST.copy()
                data["version"] = str(entry.version)  # saving again now knowingly replaces the other edit
                handler = STEP_CLASSES[step](request, entry, now)
                forms_ = handler.build(data)
                _all_valid(forms_)
            except services.EntryLocked as error:
                lock, refused = error.message, True
            except services.EntryError as error:
                forms_.get("form").add_error(None, error.message)
            except ValidationError as error:
                forms_.get("form").add_error(None, error.messages)
            else:
                steps = step_list(entry, [])
                slugs = [item["slug"] for item in steps]
                if request.POST.get("action") == "continue":
                    index = slugs.index(step)
                    messages.success(request, _("Saved."))
                    if index + 1 < len(slugs):
                        return redirect("submissions:entry_step", entry_id=entry.pk, step=slugs[index + 1])
                    return redirect("submissions:entry_overview", entry_id=entry.pk)
                messages.success(request, _("Your draft has been saved."))
                return redirect("submissions:entry_step", entry_id=entry.pk, step=step)
    else:
        forms_ = handler.build()
        if lock:
            _disable(forms_)

    entry = get_entry_for_entrant(request.user, entry_id) if request.method == "POST" else entry
    materials = list(entry.materials.all())
    credits = list(entry.credits.all())
    video_context = video_views.slots_context(entry, now, lock=lock) if step == "videos" else {}
    missing = services.missing_items(entry, materials=materials, credits=credits, videos=video_context.get("videos"))
    steps = step_list(entry, missing, current=step)
    index = [item["slug"] for item in steps].index(step)
    context = entry_context(
        entry,
        now,
        step=steps[index],
        steps=steps,
        previous_step=steps[index - 1] if index else None,
        next_step=steps[index + 1] if index + 1 < len(steps) else None,
        missing=missing,
        step_missing=[item for item in missing if item.step == step],
        lock_reason=lock,
        read_only=bool(lock) and not refused,  # a refused POST shows what was typed, not the saved values
        refused=refused,
        conflict=conflict,
        **forms_,
    )
    if step == "materials":
        general, by_kind = _split_material_messages(request)
        context["slots"], context["video_slots"] = _material_slots(entry, materials, by_kind)
        shown = {slot["kind"] for slot in context["slots"]}
        # A message about a kind this page has no box for still shows, at the top.
        leftovers = [message for kind, items in by_kind.items() if kind not in shown for message in items]
        for message in leftovers:
            message.extra_tags = ""
        context["messages"] = general + leftovers
    if step == "videos":
        context.update(video_context, upload=video_views.upload_config())
    with timezone.override(entry.competition.tzinfo):
        return render(request, handler.template, context)
