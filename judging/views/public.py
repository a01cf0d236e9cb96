"""The public results pages: a competition's results (winners by award, the shortlist per unit, the public notice
and how to object), a version's page (the history, superseded versions included), the winners' gallery, a page
per public entry with its poster, trailer and laurels, and objections during the notice.

What is public is decided in judging.public only (published versions; entries they advance, nominate or award);
everything else answers 404. Files go out through submissions.views.files under names the portal makes.
"""

import posixpath
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from judging import laurels
from judging import objections as objection_services
from judging import public as access
from judging.models import Objection, VersionStatus
from judging.objection_forms import ObjectionForm
from portal.models import MaterialKind
from portal.rules import staff_mfa_satisfied
from submissions.models import AIGCPart, Genre, SpokenLanguage, ThumbnailStatus, VideoStatus
from submissions.views.files import SAFE_EXTENSIONS, download_name, serve_file, serve_video_range

TRAILER_SLOT = "trailer"


# --------------------------------------------------------------------------------------------- helpers


def _render(request, competition, template, context, status=200):
    context = {"competition": competition, **context}
    with timezone.override(competition.tzinfo):
        return render(request, template, context, status=status)


def _poster_url(competition, entry):
    posters = getattr(entry, "vertical_posters", None)
    if posters is None:
        posters = list(entry.materials.filter(kind=MaterialKind.POSTER_VERTICAL)[:1])
    if not posters:
        return ""
    return reverse("judging:public_poster", args=[competition.slug, entry.number])


def _card(competition, entry, *, linked=True):
    """An entry as the public lists show it."""
    entry.poster_url = _poster_url(competition, entry)
    entry.public_url = reverse("judging:public_entry", args=[competition.slug, entry.number]) if linked else ""
    return entry


def _award_groups(competition, version, entries, public_ids):
    """The version's awards in their order, each with its winners and its other nominees (entries attached)."""
    by_slug = {}
    for award in sorted(access.awards_of(version), key=lambda award: award.position):
        if award.entry_id not in entries:
            continue
        award.entry = _card(competition, entries[award.entry_id], linked=award.entry_id in public_ids)
        award.laurel_url = (
            reverse("judging:laurel", args=[competition.slug, award.entry.number, award.slug])
            if award.winner and award.entry.public_url
            else ""
        )
        by_slug.setdefault(award.slug, []).append(award)
    return [
        {
            "slug": slug,
            "name": items[0].name,
            "name_zh": items[0].name_zh,
            "name_en": items[0].name_en,
            "winners": [award for award in items if award.winner],
            "nominees": [award for award in items if not award.winner],
        }
        for slug, items in by_slug.items()
    ]


def _shortlist(competition, version, entries, public_ids):
    """The version's advanced entries grouped by unit (units in their order, entries by number)."""
    advanced = [
        entries[decision.entry_id]
        for decision in access.decisions_of(version)
        if decision.advanced and decision.entry_id in entries
    ]
    advanced.sort(key=lambda entry: (entry.unit.position, entry.unit_id, entry.number))
    units = []
    for _unit_id, items in groupby(advanced, key=lambda entry: entry.unit_id):
        items = [_card(competition, entry, linked=entry.pk in public_ids) for entry in items]
        units.append({"unit": items[0].unit, "entries": items})
    return units


def _round_block(competition, version, entries, public_ids, history, *, is_current=True):
    now = timezone.now()
    superseded = version.status == VersionStatus.SUPERSEDED
    return {
        "version": version,
        "round": version.round,
        "awards": _award_groups(competition, version, entries, public_ids),
        "units": _shortlist(competition, version, entries, public_ids),
        "in_notice": version.in_notice(now),
        "notice_over": version.status == VersionStatus.PUBLISHED and not version.in_notice(now),
        "final": version.status == VersionStatus.FINAL,
        "superseded": superseded and not is_current,
        "revising": superseded and is_current,  # a revision is being prepared; this stays the result until then
        "history": [item for item in history if item.round_id == version.round_id],
    }


def _my_objections(request, competition):
    if not request.user.is_authenticated:
        return []
    return list(
        Objection.objects.filter(author=request.user, version__round__competition=competition)
        .select_related("entry", "version__round")
        .order_by("-created_at")
    )


def _labels(codes, choices):
    labels = dict(choices)
    return [str(labels.get(code, code)) for code in codes] if isinstance(codes, list) else []


# ------------------------------------------------------------------------------------------ the pages


@require_safe
def results(request, slug):
    competition = access.get_public_competition(slug)
    history = list(access.public_versions(competition))
    current = access.newest_per_round(history)
    public_ids = access.public_entry_ids(current)
    entries = access.entries_by_id(competition, public_ids)
    # The latest stage first: the awards of the final round, then the shortlists that led to it.
    blocks = [_round_block(competition, version, entries, public_ids, history) for version in reversed(current)]
    context = {
        "blocks": blocks,
        "any_in_notice": any(block["in_notice"] for block in blocks),
        "my_objections": _my_objections(request, competition),
    }
    return _render(request, competition, "judging/public/results.html", context)


@require_safe
def version(request, slug, version_id):
    competition = access.get_public_competition(slug)
    version = access.get_public_version(competition, version_id)
    history = list(access.public_versions(competition).filter(round=version.round))
    current = access.current_versions(competition)
    public_ids = access.public_entry_ids(current)
    entries = access.entries_by_id(competition, access.listed_entry_ids(version))
    newest = history[0]
    is_current = newest.pk == version.pk
    context = {
        # Not "block": inside {% block %} that name is Django's own (block.super).
        "round_block": _round_block(competition, version, entries, public_ids, history, is_current=is_current),
        "current": None if is_current else newest,
    }
    return _render(request, competition, "judging/public/version.html", context)


@require_safe
def winners(request, slug):
    competition = access.get_public_competition(slug)
    current = access.current_versions(competition)
    public_ids = access.public_entry_ids(current)
    entries = access.entries_by_id(competition, public_ids)
    groups = []
    for version in current:
        for group in _award_groups(competition, version, entries, public_ids):
            if group["winners"]:
                group["version"] = version
                groups.append(group)
    context = {"groups": groups, "in_notice": any(group["version"].in_notice() for group in groups)}
    return _render(request, competition, "judging/public/winners.html", context)


@require_safe
def entry(request, slug, number):
    entry = access.get_public_entry(slug, number)
    competition = entry.competition
    standing = access.standing(entry)
    won = []
    for version, award in standing.won:
        award.laurel_url = reverse("judging:laurel", args=[slug, entry.number, award.slug])
        award.version = version
        won.append(award)
    for version, award in standing.nominated:
        award.version = version
    objectable = [version for version in entry.public_versions if version.in_notice()]
    has_trailer = entry.videos.filter(slot=TRAILER_SLOT, status=VideoStatus.READY).exclude(preview="").exists()
    context = {
        "entry": entry,
        "poster_url": _poster_url(competition, entry),
        "trailer_url": reverse("judging:public_trailer", args=[slug, entry.number]) if has_trailer else "",
        "credits": list(entry.credits.all()),
        "won": won,
        "nominated": [award for _version, award in standing.nominated],
        "advanced_from": standing.advanced_from,
        "objectable": objectable,
        "genres": _labels(entry.genres, Genre.choices),
        "languages": _labels(entry.languages, SpokenLanguage.choices),
        "aigc_parts": _labels(entry.aigc_parts, AIGCPart.choices),
    }
    return _render(request, competition, "judging/public/entry.html", context)


@require_safe
def poster(request, slug, number):
    """The vertical poster of a public entry: its thumbnail, or the image itself with ?size=full (or when there
    is no thumbnail)."""
    entry = access.get_public_entry(slug, number)
    material = entry.materials.filter(kind=MaterialKind.POSTER_VERTICAL).order_by("created_at", "pk").first()
    if material is None:
        raise Http404
    material.entry = entry
    thumbnail_ready = material.thumbnail_status == ThumbnailStatus.READY and material.thumbnail.name
    if thumbnail_ready and request.GET.get("size") != "full":
        return serve_file(
            material.thumbnail.name, "image/webp", download_name(material, suffix="-thumbnail"), inline=True
        )
    if not material.is_image:
        raise Http404
    return serve_file(material.file.name, material.content_type, download_name(material), inline=True)


@require_safe
def trailer(request, slug, number):
    """The trailer's web preview of a public entry, with Range for the player; 404 when there is none."""
    entry = access.get_public_entry(slug, number)
    video = entry.videos.filter(slot=TRAILER_SLOT, status=VideoStatus.READY).exclude(preview="").order_by("pk").first()
    if video is None:
        raise Http404
    video.entry = entry
    return serve_video_range(request, video, video.preview.name, f"{entry.number}-trailer.mp4")


@require_safe
def laurel(request, slug, number, award):
    """The laurel PNG of an award the public entry won, as a download (LCP2026-0007-best-director.png)."""
    entry = access.get_public_entry(slug, number)
    version, won = access.get_won_award(entry, award)
    name = laurels.laurel_for(version=version, entry=entry, award=won)
    return serve_file(name, "image/png", laurels.download_name(entry, won.slug), inline=False)


# ------------------------------------------------------------------------------------------ objections


TEXT_ERROR_CODES = {"text", "long"}
GENERAL_ERROR_CODES = {"sign_in", "not_public", "notice_over", "entry"}


def _add_errors(form, error):
    """lodge_objection's ValidationError on the form: about the text next to the text, about the file next to
    the file, about the notice or the entry at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return
    has_evidence = bool(form.cleaned_data.get("evidence"))
    for item in error.error_list:
        if item.code in TEXT_ERROR_CODES:
            form.add_error("text", item)
        elif item.code not in GENERAL_ERROR_CODES and has_evidence:
            form.add_error("evidence", item)
        else:
            form.add_error(None, item)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def objection_create(request, slug, version_id, number):
    competition = access.get_public_competition(slug)
    version = access.get_current_version(competition, version_id)
    entry = access.entry_in_version(version, number)
    if request.method == "POST":
        form = ObjectionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                objection_services.lodge_objection(
                    version=version,
                    entry=entry,
                    author=request.user,
                    text=form.cleaned_data["text"],
                    evidence=form.cleaned_data["evidence"] or None,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Your objection to %(number)s has been lodged. The organizers will answer it; you can follow "
                        "it below."
                    )
                    % {"number": entry.number},
                )
                return redirect(reverse("judging:results", args=[competition.slug]) + "#my-objections")
    else:
        form = ObjectionForm()
    context = {
        "version": version,
        "entry": entry,
        "form": form,
        "in_notice": version.in_notice(),
    }
    response = _render(request, competition, "judging/public/objection_form.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def objection_evidence(request, objection_id):
    """An objection's evidence file for its author or an organizer of the competition; 404 for anyone else."""
    objection = get_object_or_404(
        Objection.objects.select_related("version__round__competition", "entry"), pk=objection_id
    )
    competition = objection.version.round.competition
    is_author = objection.author_id == request.user.pk
    if not is_author:
        if not request.user.has_perm("portal.manage_competition", competition):
            raise Http404
        if not staff_mfa_satisfied(request.user):
            return redirect("mfa_activate_totp")
    if not objection.evidence.name:
        raise Http404
    extension = posixpath.splitext(objection.evidence.name)[1].lstrip(".").lower()
    extension = extension if extension in SAFE_EXTENSIONS else "bin"
    filename = f"objection-{objection.pk}-evidence.{extension}"
    content_type = objection.evidence_type or "application/octet-stream"
    response = serve_file(objection.evidence.name, content_type, filename, inline=False)
    response["Cache-Control"] = "private, no-store"
    return response
