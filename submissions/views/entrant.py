"""The entrant's pages: their entries, overview, submit and withdraw, materials and co-owners.

The multi-step form itself is in submissions/views/steps.py.

Thin views: parse the request, call submissions.services, render. Entries are reached only through
submissions.access, which answers 404 to everyone but the entry's owner and co-owners.
"""

from collections import defaultdict
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import get_competition_for_user
from portal.models import Competition, CompetitionStatus, MaterialKind
from submissions import forms, services
from submissions.access import get_entry_for_entrant
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
from submissions.views.steps import MATERIAL_TAG, entry_context, open_units, step_list

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
    context = entry_context(
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
            entry_context(
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
