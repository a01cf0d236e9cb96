"""The organizer's entry pages: the filtered list, one entry in full with the eligibility decision, exports.

Every view is a staff page (sign-in, staff role, MFA) and finds its competition and entry through
submissions.access, which answers 404 to anyone who does not organize the competition.
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import get_competition_for_organizer, staff_page
from portal.models import MaterialKind, Profile
from submissions import exports, services
from submissions.access import get_entry_for_organizer
from submissions.filters import filter_form_for, status_counts
from submissions.models import (
    FILE_MATERIAL_KINDS,
    AIGCPart,
    Entry,
    EntryStatus,
    Genre,
    SpokenLanguage,
    SubtitleLanguage,
    ThumbnailStatus,
)
from submissions.organizer_forms import DecisionForm
from submissions.views.videos import entry_videos

PAGE_SIZE = 50
DECISIONS = (EntryStatus.ELIGIBLE, EntryStatus.INELIGIBLE)


def _filtered(competition, request):
    form = filter_form_for(competition, request.GET)
    return form, form.filter(Entry.objects.filter(competition=competition))


@staff_page
def entry_list(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    form, entries = _filtered(competition, request)
    # Counts per status under the other filters, so each count says what clicking it would show.
    counts = status_counts(form.filter(Entry.objects.filter(competition=competition), skip=("status",)))
    entries = entries.select_related("track", "unit", "owner").order_by("-updated_at", "-id")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    if page.object_list or not form.is_filtered:
        has_entries = bool(page.object_list)
    else:
        has_entries = Entry.objects.filter(competition=competition).exists()
    current_status = form.values.get("status", "")
    status_links = [
        {
            "value": "",
            "label": _("All"),
            "count": sum(counts.values()),
            "query": form.querystring(status=""),
            "current": not current_status,
        }
    ] + [
        {
            "value": value,
            "label": label,
            "count": counts[value],
            "query": form.querystring(status=value),
            "current": current_status == value,
        }
        for value, label in EntryStatus.choices
    ]
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "submissions/organizer/entry_list.html",
            {
                "competition": competition,
                "form": form,
                "page": page,
                "status_links": status_links,
                "has_entries": has_entries,
                "filter_query": form.querystring(),
            },
        )


def _platform_links(platforms):
    """The entrant's release platforms; only http(s) addresses become links."""
    links = []
    for platform in platforms if isinstance(platforms, list) else []:
        if not isinstance(platform, dict):
            continue
        name = str(platform.get("name") or "").strip()
        url = str(platform.get("url") or "").strip()
        safe = url if urlsplit(url).scheme in ("http", "https") else ""
        if name or url:
            links.append({"name": name or url, "url": safe, "text": url})
    return links


def _labels(codes, choices):
    labels = dict(choices)
    return [labels.get(code, code) for code in codes] if isinstance(codes, list) else []


def _duration(seconds):
    """120 -> "2:00", 3723 -> "1:02:03"; the seconds themselves are shown next to it."""
    if seconds is None:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _render_detail(request, competition, entry, form):
    credits = list(entry.credits.select_related("user"))
    materials = list(entry.materials.all())
    videos = entry_videos(entry)
    required = set(entry.track.required_materials)
    kind_labels = dict(MaterialKind.choices)
    material_groups = [
        {
            "kind": kind,
            "label": kind_labels[kind],
            "required": kind in required,
            "materials": [material for material in materials if material.kind == kind],
        }
        for kind in FILE_MATERIAL_KINDS
        if kind in required or any(material.kind == kind for material in materials)
    ]
    allowed = [to for to in DECISIONS if to in services.TRANSITIONS[EntryStatus(entry.status)]]
    context = {
        "competition": competition,
        "entry": entry,
        "owner": entry.owner,
        "profile": Profile.objects.filter(user_id=entry.owner_id).first(),
        "coowners": list(entry.coowners.select_related("user").order_by("created_at", "id")),
        "credits": credits,
        "material_groups": material_groups,
        "video_kinds": [kind_labels[kind] for kind in entry.track.required_materials if kind in services.VIDEO_KINDS],
        "missing": services.missing_items(entry, materials=materials, credits=credits, videos=videos),
        "videos": videos,
        "events": list(entry.events.select_related("actor")),
        "genres": _labels(entry.genres, Genre.choices),
        "languages": _labels(entry.languages, SpokenLanguage.choices),
        "subtitle_languages": _labels(entry.subtitle_languages, SubtitleLanguage.choices),
        "aigc_parts": _labels(entry.aigc_parts, AIGCPart.choices),
        "platforms": _platform_links(entry.platforms),
        "episode_runtime": _duration(entry.episode_runtime_seconds),
        "total_runtime": _duration(entry.total_runtime_seconds),
        "form": form,
        "allowed_decisions": [to.value for to in allowed],
        "thumbnail_ready": ThumbnailStatus.READY,
        "terms_current": entry.terms_version == competition.terms_version,
    }
    with timezone.override(competition.tzinfo):
        return render(request, "submissions/organizer/entry_detail.html", context)


@staff_page
def entry_detail(request, slug, entry_id):
    competition, entry = get_entry_for_organizer(request.user, slug, entry_id)
    return _render_detail(request, competition, entry, DecisionForm())


@staff_page
@require_POST
def entry_decide(request, slug, entry_id):
    competition, entry = get_entry_for_organizer(request.user, slug, entry_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        seen_version = form.cleaned_data["version"]
        if seen_version is not None and seen_version != entry.version:
            form.add_error(
                None,
                _("This entry changed after you opened it. Check it again below, then decide; your reason is kept."),
            )
        else:
            try:
                entry = services.decide_eligibility(
                    entry=entry, actor=request.user, eligible=form.eligible, reason=form.cleaned_data["reason"]
                )
            except services.EntryError as error:
                form.add_error(None, error.message)
            else:
                if entry.status == EntryStatus.ELIGIBLE:
                    text = _("%(entry)s is eligible. The entrant will be notified by email.")
                else:
                    text = _("%(entry)s is ineligible. The entrant will be notified by email, with your reason.")
                messages.success(request, text % {"entry": entry.number or entry.title})
                return redirect("submissions:organizer_entry_detail", slug=competition.slug, entry_id=entry.pk)
    # The page is shown again with the typed reason; the entry is read afresh so it shows the current state.
    _competition, entry = get_entry_for_organizer(request.user, slug, entry_id)
    return _render_detail(request, competition, entry, form)


@staff_page
def export_csv(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    _form, entries = _filtered(competition, request)
    response = StreamingHttpResponse(
        exports.csv_stream(entries, competition, get_language()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, exports.export_filename(competition, "csv"))
    response["Cache-Control"] = "private, no-store"
    return response


@staff_page
def export_xlsx(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    _form, entries = _filtered(competition, request)
    response = FileResponse(
        exports.write_xlsx(entries, competition),
        as_attachment=True,
        filename=exports.export_filename(competition, "xlsx"),
        content_type=exports.XLSX_CONTENT_TYPE,
    )
    response["Cache-Control"] = "private, no-store"
    return response
