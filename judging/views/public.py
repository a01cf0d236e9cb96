"""The public results pages: a competition's results (winners by award, the shortlist per unit, the public notice
and how to object), a version's page (the history, superseded versions included), the winners' gallery, a page
per public entry with its poster, trailer and laurels (objections: public_objections). Anonymous readers get
whole stored pages; see _whole_page.

What is public is decided in judging.public only (published versions; entries they advance, nominate or award);
everything else answers 404. Files go out through submissions.views.files under names the portal makes.
"""

import hashlib
import re
import time

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from judging import laurels
from judging import public as access
from judging.models import Objection, VersionStatus
from portal.models import MaterialKind
from submissions.models import AIGCPart, Genre, SpokenLanguage, ThumbnailStatus, VideoStatus
from submissions.views.files import download_name, serve_file, serve_video_range

TRAILER_SLOT = "trailer"


# --------------------------------------------------------------------------------------------- helpers

# A round-1 shortlist at 20,000 entries is ~2,000 works: the results page shows the first of each unit and links
# to the unit's pages on the version's page.
SHORTLIST_PREVIEW = 24
SHORTLIST_PAGE_SIZE = 60


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


def _award_groups(competition, content, entries, public_ids):
    """The version's awards in their order, each with its winners and its other nominees (entries attached)."""
    by_slug = {}
    for award in sorted(content.awards, key=lambda award: award.position):
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


def _shortlist_pages(competition, versions, contents, *, unit_id=None, page_number=None):
    """{version id: [{"unit", "ids", "total", "page"}]}: each version's advanced entries grouped by unit (units in
    their order, entries by number), cut to what one page shows: the first SHORTLIST_PREVIEW of every unit, or
    with `unit_id` one page of that unit only. Two narrow queries whatever the number of entries."""
    advanced = set()
    for version in versions:
        advanced.update(contents[version.pk].advanced)
    rows = access.shortlist_rows(competition, advanced)
    units = access.units_by_id(competition, {unit for unit, _number in rows.values()})
    result = {}
    for version in versions:
        groups = {}
        for entry_id in contents[version.pk].advanced:
            if entry_id in rows and rows[entry_id][0] in units:
                groups.setdefault(rows[entry_id][0], []).append((rows[entry_id][1], entry_id))
        ordered = sorted(groups, key=lambda pk: (units[pk].position, pk))
        shown = []
        for pk in ordered:
            items = [entry_id for _number, entry_id in sorted(groups[pk])]
            if unit_id is None:
                shown.append({"unit": units[pk], "ids": items[:SHORTLIST_PREVIEW], "total": len(items), "page": None})
            elif pk == unit_id:
                page = Paginator(items, SHORTLIST_PAGE_SIZE).get_page(page_number)
                shown.append({"unit": units[pk], "ids": list(page.object_list), "total": len(items), "page": page})
        result[version.pk] = shown
    return result


def _round_block(competition, version, content, groups, entries, public_ids, history, *, is_current=True):
    now = timezone.now()
    superseded = version.status == VersionStatus.SUPERSEDED
    version_url = reverse("judging:public_version", args=[competition.slug, version.pk])
    units = []
    for group in groups:
        cards = [_card(competition, entries[pk], linked=pk in public_ids) for pk in group["ids"] if pk in entries]
        units.append(
            {
                "unit": group["unit"],
                "entries": cards,
                "total": group["total"],
                "page": group["page"],
                "page_query": f"unit={group['unit'].pk}",
                "more_url": f"{version_url}?unit={group['unit'].pk}"
                if group["page"] is None and group["total"] > len(cards)
                else "",
            }
        )
    return {
        "version": version,
        "round": version.round,
        "awards": _award_groups(competition, content, entries, public_ids),
        "units": units,
        "in_notice": version.in_notice(now),
        "notice_over": version.status == VersionStatus.PUBLISHED and not version.in_notice(now),
        "final": version.status == VersionStatus.FINAL,
        "superseded": superseded and not is_current,
        "revising": superseded and is_current,  # a revision is being prepared; this stays the result until then
        "history": [item for item in history if item.round_id == version.round_id],
    }


def _blocks(competition, shown, history, public_ids, *, current_ids, unit_id=None, page_number=None):
    """The round blocks for the versions `shown`, with only the cards one page shows loaded (fixed queries)."""
    contents = access.contents_of(shown)
    pages = _shortlist_pages(competition, shown, contents, unit_id=unit_id, page_number=page_number)
    ids = set()
    for version in shown:
        ids.update(award.entry_id for award in contents[version.pk].awards)
        for group in pages[version.pk]:
            ids.update(group["ids"])
    entries = access.entries_by_id(competition, ids)
    return [
        _round_block(
            competition,
            version,
            contents[version.pk],
            pages[version.pk],
            entries,
            public_ids,
            history,
            is_current=version.pk in current_ids,
        )
        for version in shown
    ]


def _fragment_digest(request, competition, name, versions, *params):
    """The name of a cached page part: everything it depends on — the page and its parameters, the language,
    whether a visitor is signed in (the only per-user thing such a part may show: a "sign in" link), the
    competition's own state and every public version's state (judging.public.versions_stamp). Never the user
    themselves, a CSRF token or a message: those stay in the per-request page around it. Also the page's ETag."""
    parts = [
        name,
        competition.pk,
        competition.updated_at.isoformat() if competition.updated_at else "",
        get_language() or "",
        int(request.user.is_authenticated),
        access.versions_stamp(versions),
        *params,
    ]
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:32]


def _cached_fragment(competition, name, digest, build):
    """The HTML `build()` renders, from the cache when a request with the same digest made it already."""
    key = f"judging:public:page:v1:{name}:{digest}"
    html = cache.get(key)
    if html is None:
        with timezone.override(competition.tzinfo):
            html = build()
        cache.set(key, html, access.CACHE_SECONDS)
    # Rendered by Django's templates (escaped there); the cache may hand back a plain str.
    return mark_safe(html)  # noqa: S308  # nosec B308 B703


def _not_modified(request, digest):
    """For anonymous readers with no message waiting: a 304 when their copy is current. Signed-in pages carry
    the user's own objections and are never answered from the browser's copy."""
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return None, ""
    etag = f'W/"{digest}"'
    sent = [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag in sent:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response, etag
    return None, etag


def _with_etag(response, etag):
    if etag:
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
    return response


# Whole pages for anonymous readers. A stored page never keeps a visitor's CSRF token: each form's token is
# replaced by this sentinel before storing and by the reader's own on every answer (get_token also makes
# CsrfViewMiddleware set the cookie for a new visitor).
CSRF_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
CSRF_SENTINEL = b"__zhuiguang_csrf_token__"
BETWEEN_TAGS = re.compile(rb">\s+<")
# The query parameters each page reads; a request with any other is answered the ordinary way, so made-up query
# strings cannot fill the cache.
WHOLE_PAGE_PARAMETERS = {"results": set(), "version": {"unit", "page"}, "winners": set(), "entry": set()}


# Each web process keeps the pages it served last in its own memory too (a results page is ~200 KB at 20,000
# entries: fetching it from Redis on every request was most of the request's time). Valid only under the
# freshness generation it was made under (judging.public.freshness_state, which every request reads; each
# process keeps it a second at most), so a change shows in every process within a second.
LOCAL_PAGES = 32
_local_pages = {}


def _stored_page(page_key, state):
    local = _local_pages.get(page_key)
    if local is not None and local["generation"] == state["generation"] and local["expires"] > time.monotonic():
        return local
    stored = cache.get(page_key)
    if isinstance(stored, dict) and stored.get("stamp") == state["stamp"]:
        _keep_local(page_key, stored, state)
        return stored
    return None


def _keep_local(page_key, stored, state):
    _local_pages.pop(page_key, None)
    _local_pages[page_key] = {**stored, "generation": state["generation"], "expires": time.monotonic() + 60}
    while len(_local_pages) > LOCAL_PAGES:
        try:
            _local_pages.pop(next(iter(_local_pages)), None)
        except (RuntimeError, StopIteration):  # another thread changed it meanwhile (runserver is threaded)
            break


def _whole_page(request, name, slug, render_page):
    """The page `render_page()` makes, stored whole for anonymous readers with no message waiting: one per page,
    full path (the language switch sends the reader back to it) and language, valid while the competition's
    freshness stamp (judging.public.freshness, cached itself) is the one it was made under: a repeated request
    reads no table and renders no template. Signed-in readers (their own objections, their name) get
    render_page() as it is."""
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return render_page()
    if set(request.GET) - WHOLE_PAGE_PARAMETERS[name]:
        return render_page()
    page = hashlib.sha256("|".join((name, request.get_full_path(), get_language() or "")).encode()).hexdigest()
    page_key = f"judging:public:response:v1:{page[:32]}"
    state = access.freshness_state(slug)
    digest = hashlib.sha256(f"{page}|{state['stamp']}".encode()).hexdigest()[:32]
    etag = f'W/"{digest}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        return _with_etag(HttpResponseNotModified(), etag)
    stored = _stored_page(page_key, state)
    if stored is None:
        response = render_page()
        if response.status_code != 200:
            return response
        body = CSRF_FIELD.sub(rb"\1" + CSRF_SENTINEL + rb"\2", response.content)
        # The templates' indentation between tags, a tenth of the page, sent on every request otherwise; one
        # whitespace stays, so nothing renders differently (no public page has preformatted text).
        body = BETWEEN_TAGS.sub(b">\n<", body)
        stored = {"stamp": state["stamp"], "body": body, "content_type": response["Content-Type"]}
        cache.set(page_key, stored, access.CACHE_SECONDS)
        _keep_local(page_key, stored, state)
    body = stored["body"].replace(CSRF_SENTINEL, get_token(request).encode())
    return _with_etag(HttpResponse(body, content_type=stored["content_type"]), etag)


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


def _positive_int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


# ------------------------------------------------------------------------------------------ the pages


@require_safe
def results(request, slug):
    return _whole_page(request, "results", slug, lambda: _results_page(request, slug))


def _results_page(request, slug):
    competition, history = access.get_competition_and_versions(slug)
    login_next = reverse("judging:results", args=[competition.slug])

    def build():
        current = access.newest_per_round(history)
        public_ids = access.public_entry_ids(current)
        # The latest stage first: the awards of the final round, then the shortlists that led to it.
        shown = list(reversed(current))
        blocks = _blocks(competition, shown, history, public_ids, current_ids={version.pk for version in current})
        context = {"competition": competition, "blocks": blocks, "login_next": login_next}
        return render_to_string("judging/public/_rounds.html", context, request=request)

    digest = _fragment_digest(request, competition, "results", history)
    not_modified, etag = _not_modified(request, digest)
    if not_modified:
        return not_modified
    context = {
        "rounds_html": _cached_fragment(competition, "results", digest, build),
        "my_objections": _my_objections(request, competition),
    }
    return _with_etag(_render(request, competition, "judging/public/results.html", context), etag)


@require_safe
def version(request, slug, version_id):
    return _whole_page(request, "version", slug, lambda: _version_page(request, slug, version_id))


def _version_page(request, slug, version_id):
    competition, every = access.get_competition_and_versions(slug)
    version = next((item for item in every if item.pk == version_id), None)
    if version is None:
        raise Http404
    history = [item for item in every if item.round_id == version.round_id]
    newest = history[0]
    is_current = newest.pk == version.pk
    unit_id = _positive_int(request.GET.get("unit"))
    page_number = _positive_int(request.GET.get("page")) or 1
    base_url = reverse("judging:public_version", args=[competition.slug, version.pk])
    login_next = f"{base_url}?unit={unit_id}&page={page_number}" if unit_id else base_url

    def build():
        current = access.newest_per_round(every)
        public_ids = access.public_entry_ids(current)
        (block,) = _blocks(
            competition,
            [version],
            every,
            public_ids,
            current_ids={item.pk for item in current},
            unit_id=unit_id,
            page_number=page_number,
        )
        context = {
            "competition": competition,
            "block": block,
            "show_history": True,
            "unit_filter": unit_id,
            "version_url": base_url,
            "login_next": login_next,
        }
        return render_to_string("judging/public/_round.html", context, request=request)

    digest = _fragment_digest(
        request, competition, "version", every, version.pk, unit_id, page_number if unit_id else 1
    )
    not_modified, etag = _not_modified(request, digest)
    if not_modified:
        return not_modified
    context = {
        "version": version,
        "round_html": _cached_fragment(competition, "version", digest, build),
        "current": None if is_current else newest,
    }
    return _with_etag(_render(request, competition, "judging/public/version.html", context), etag)


@require_safe
def winners(request, slug):
    return _whole_page(request, "winners", slug, lambda: _winners_page(request, slug))


def _winners_page(request, slug):
    competition, every = access.get_competition_and_versions(slug)

    def build():
        current = access.newest_per_round(every)
        contents = access.contents_of(current)
        public_ids = access.public_entry_ids(current)
        ids = {award.entry_id for content in contents.values() for award in content.awards if award.winner}
        entries = access.entries_by_id(competition, ids)
        groups = []
        for version in current:
            for group in _award_groups(competition, contents[version.pk], entries, public_ids):
                if group["winners"]:
                    group["version"] = version
                    groups.append(group)
        context = {
            "competition": competition,
            "groups": groups,
            "in_notice": any(group["version"].in_notice() for group in groups),
        }
        return render_to_string("judging/public/_winners.html", context, request=request)

    digest = _fragment_digest(request, competition, "winners", every)
    not_modified, etag = _not_modified(request, digest)
    if not_modified:
        return not_modified
    winners_html = _cached_fragment(competition, "winners", digest, build)
    response = _render(request, competition, "judging/public/winners.html", {"winners_html": winners_html})
    return _with_etag(response, etag)


@require_safe
def entry(request, slug, number):
    return _whole_page(request, "entry", slug, lambda: _entry_page(request, slug, number))


def _entry_page(request, slug, number):
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
