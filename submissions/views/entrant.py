"""The entrant's pages: their entries, the multi-step entry form, materials, co-owners, submit and withdraw.

Thin views: parse the request, call submissions.services, render. Entries are reached only through
submissions.access, which answers 404 to everyone but the entry's owner and co-owners.
"""

import copy
from collections import defaultdict
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.access import get_competition_for_user
from portal.models import Competition, CompetitionStatus, MaterialKind
from submissions import forms, services
from submissions.access import get_entry_for_entrant
from submissions.materials import MAX_STILLS, accepted_types_label, html_accept, max_bytes_for
from submissions.models import (
    FILE_MATERIAL_KINDS,
    AIGCPart,
    Entry,
    EntryStatus,
    Genre,
    SpokenLanguage,
    SubtitleLanguage,
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


def _entry_context(entry, now, **extra):
    return {"entry": entry, "competition": entry.competition, "now": now, **extra}


# ------------------------------------------------------------------------------------------- dashboard


@login_required
def dashboard(request):
    now = timezone.now()
    entries = (
        Entry.objects.editable_by(request.user)
        .select_related("competition", "track", "unit__competition", "owner")
        .prefetch_related("materials", "credits", "videos")
    )
    rows = []
    for entry in entries:
        missing = services.missing_items(
            entry,
            materials=list(entry.materials.all()),
            credits=list(entry.credits.all()),
            videos=list(entry.videos.all()),
        )
        rows.append({
            "entry": entry,
            "missing": missing,
            "first_step": missing[0].step if missing else "basics",
            "lock_reason": services.lock_reason(entry, now),
            "is_owner": entry.owner_id == request.user.pk,
        })
    open_competitions = []
    if not rows:
        open_competitions = list(
            Competition.objects.visible_to(request.user).filter(
                status=CompetitionStatus.OPEN, submission_opens_at__lte=now, submission_closes_at__gt=now
            ).order_by("submission_closes_at")[:6]
        )
    return render(
        request,
        "submissions/entrant/dashboard.html",
        {"rows": rows, "open_competitions": open_competitions, "now": now},
    )


# ------------------------------------------------------------------------------------------- creating


@login_required
def entry_create(request, slug):
    competition = get_competition_for_user(request.user, slug)
    now = timezone.now()
    units = open_units(competition, now)
    tracks = list(competition.tracks.all())
    closed_reason = None
    if competition.status != CompetitionStatus.OPEN or now >= competition.submission_closes_at:
        closed_reason = _("This competition is not accepting entries now.")
    elif now < competition.submission_opens_at:
        closed_reason = _("Submissions have not opened yet.")
    elif not units or not tracks:
        closed_reason = _("No unit of this competition is taking entries now.")

    form = forms.EntryCreateForm(request.POST or None, competition=competition, units=units)
    if request.method == "POST" and closed_reason:
        messages.error(request, closed_reason)
    elif request.method == "POST" and form.is_valid():
        try:
            entry = services.create_entry(
                competition=competition,
                track=form.cleaned_data["track"],
                unit=form.cleaned_data["unit"],
                owner=request.user,
                title=form.cleaned_data["title"],
                title_en=form.cleaned_data["title_en"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        except services.EntryError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your entry has been created as a draft. Fill in the steps at your own pace."))
            return redirect("submissions:entry_step", entry_id=entry.pk, step="basics")
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "submissions/entrant/create.html",
            {
                "competition": competition,
                "form": form,
                "tracks": tracks,
                "units": units,
                "closed_reason": closed_reason,
                "now": now,
            },
        )


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
    context = _entry_context(
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


# ------------------------------------------------------------------------------------------- overview, submit


def _labels(codes, choices):
    names = dict(choices)
    return [str(names.get(code, code)) for code in codes or []]


def _render_overview(request, entry, *, submit_error=None, withdraw_form=None, status=200):
    now = timezone.now()
    materials = list(entry.materials.all())
    credits = list(entry.credits.all())
    videos = video_views.entry_videos(entry, now)
    missing = services.missing_items(entry, materials=materials, credits=credits, videos=videos)
    lock = services.lock_reason(entry, now)
    coowners_ = list(entry.coowners.select_related("user"))
    events = list(entry.events.select_related("actor"))
    entrants = {entry.owner_id} | {coowner.user_id for coowner in coowners_ if coowner.user_id}
    for event in events:
        # Entrants see who of them acted; decisions are signed by "the organizers", not by a person.
        event.by = str(event.actor) if event.actor_id in entrants else _("the organizers")
    labels = dict(MaterialKind.choices)
    grouped = defaultdict(list)
    for material in materials:
        grouped[material.kind].append(material)
    context = _entry_context(
        entry,
        now,
        materials=[{"label": labels.get(kind, kind), "files": grouped[kind]} for kind in FILE_MATERIAL_KINDS
                   if grouped[kind]],
        credits=credits,
        videos=videos,
        platforms=[
            platform for platform in entry.platforms or []
            if urlsplit(str(platform.get("url", ""))).scheme in ("http", "https")
        ],
        missing=missing,
        steps=step_list(entry, missing),
        lock_reason=lock,
        coowners=coowners_,
        events=events,
        can_submit=lock is None and entry.status == EntryStatus.DRAFT,
        can_withdraw=lock is None and entry.status in services.EDITABLE_STATUSES,
        can_manage_coowners=request.user.has_perm("submissions.manage_coowners", entry),
        submit_error=submit_error,
        withdraw_form=withdraw_form or forms.WithdrawForm(),
        terms_current=entry.terms_version == entry.competition.terms_version and entry.declared_terms_at,
        labels={
            "genres": _labels(entry.genres, Genre.choices),
            "languages": _labels(entry.languages, SpokenLanguage.choices),
            "subtitles": _labels(entry.subtitle_languages, SubtitleLanguage.choices),
            "aigc_parts": _labels(entry.aigc_parts, AIGCPart.choices),
            "episode_runtime": forms.format_runtime(entry.episode_runtime_seconds),
            "total_runtime": forms.format_runtime(entry.total_runtime_seconds),
        },
    )
    with timezone.override(entry.competition.tzinfo):
        return render(request, "submissions/entrant/overview.html", context, status=status)


@login_required
def entry_overview(request, entry_id):
    entry = get_entry_for_entrant(request.user, entry_id)
    return _render_overview(request, entry)


@login_required
@require_POST
def entry_submit(request, entry_id):
    entry = get_entry_for_entrant(request.user, entry_id)
    try:
        entry = services.submit_entry(entry=entry, actor=request.user)
    except services.EntryError as error:
        entry = get_entry_for_entrant(request.user, entry_id)
        return _render_overview(request, entry, submit_error=error)
    messages.success(
        request,
        _("Your entry has been submitted with the number %(number)s. A confirmation email is on its way.")
        % {"number": entry.number},
    )
    return redirect("submissions:entry_overview", entry_id=entry.pk)


@login_required
@require_POST
def entry_withdraw(request, entry_id):
    entry = get_entry_for_entrant(request.user, entry_id)
    form = forms.WithdrawForm(request.POST)
    if not form.is_valid():
        return _render_overview(request, entry, withdraw_form=form)
    try:
        services.withdraw_entry(entry=entry, actor=request.user)
    except services.EntryError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The entry has been withdrawn."))
    return redirect("submissions:entry_overview", entry_id=entry.pk)


# ------------------------------------------------------------------------------------------- materials


def _materials_url(entry, kind):
    return reverse("submissions:entry_step", args=[entry.pk, "materials"]) + f"#material-{kind}"


@login_required
@require_POST
def material_upload(request, entry_id, kind):
    entry = get_entry_for_entrant(request.user, entry_id)
    if kind not in {k.value for k in FILE_MATERIAL_KINDS}:
        raise Http404  # unknown kinds, and videos, which have their own upload
    tag = MATERIAL_TAG + kind
    form = forms.MaterialUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["file"]), extra_tags=tag)
        return redirect(_materials_url(entry, kind))
    try:
        material = services.add_material(entry=entry, kind=kind, upload=form.cleaned_data["file"], actor=request.user)
    except ValidationError as error:
        messages.error(request, _("The file was not accepted: %(reason)s") % {"reason": " ".join(error.messages)},
                       extra_tags=tag)
    except services.EntryError as error:
        messages.error(request, error.message, extra_tags=tag)
    else:
        name = material.original_name or material.get_kind_display()
        messages.success(request, _("“%(name)s” has been uploaded.") % {"name": name}, extra_tags=tag)
    return redirect(_materials_url(entry, kind))


@login_required
@require_POST
def material_delete(request, entry_id, material_id):
    entry = get_entry_for_entrant(request.user, entry_id)
    material = get_object_or_404(entry.materials, pk=material_id)
    tag = MATERIAL_TAG + material.kind
    try:
        services.delete_material(material=material, actor=request.user)
    except services.EntryError as error:
        messages.error(request, error.message, extra_tags=tag)
    else:
        messages.success(request, _("The file has been removed."), extra_tags=tag)
    return redirect(_materials_url(entry, material.kind))


# ------------------------------------------------------------------------------------------- co-owners


@login_required
def coowners(request, entry_id):
    entry = get_entry_for_entrant(request.user, entry_id)
    can_manage = request.user.has_perm("submissions.manage_coowners", entry)
    lock = services.lock_reason(entry)
    form = forms.CoOwnerForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                coowner = services.invite_coowner(entry=entry, email=form.cleaned_data["email"], actor=request.user)
            except services.EntryError as error:
                form.add_error("email", error.message)
            else:
                messages.success(
                    request,
                    _("%(email)s has been invited. They can edit the entry once they sign in with that address.")
                    % {"email": coowner.email},
                )
                return redirect("submissions:coowners", entry_id=entry.pk)
    with timezone.override(entry.competition.tzinfo):
        return render(
            request,
            "submissions/entrant/coowners.html",
            _entry_context(
                entry,
                timezone.now(),
                form=form,
                coowners=list(entry.coowners.select_related("user")),
                can_manage=can_manage,
                lock_reason=lock,
            ),
        )


@login_required
@require_POST
def coowner_remove(request, entry_id, coowner_id):
    entry = get_entry_for_entrant(request.user, entry_id)
    if not request.user.has_perm("submissions.manage_coowners", entry):
        raise PermissionDenied
    coowner = get_object_or_404(entry.coowners, pk=coowner_id)
    try:
        services.remove_coowner(coowner=coowner, actor=request.user)
    except services.EntryError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(email)s is no longer a co-owner.") % {"email": coowner.email})
    return redirect("submissions:coowners", entry_id=entry.pk)
