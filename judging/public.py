"""What the public may see of a competition's results, decided in this one place.

Public means: a result version that has been published (`ResultVersion.objects.public()`), and of those the
current one per round — the newest published one (`current_public()`, in notice or final; see current_versions
for a revision in progress). A superseded version stays readable on its own page but is never "the result".
An entry is public when a current public version advanced it, nominated it or awarded it, as written in that
version's frozen `decisions` / `awards` JSON — never from the live Decision or Nomination tables, which
organizers may be changing for a draft. Everything else (drafts, scheduled versions, entries not advanced,
unpublished rounds) answers 404, so a guessed id learns nothing.

Views reach competitions, versions and entries only through the getters below.
"""

import hashlib
import os
import secrets
import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from judging.models import Outcome, ResultVersion
from portal.models import Competition, MaterialKind, pick_language
from submissions.models import Entry, Material

# The big frozen inputs and outputs are never needed by public pages (a snapshot may hold 100,000+ scores).
HEAVY_FIELDS = ("snapshot", "ranking")
# decisions/awards are read once per published version and kept in the cache (content_of); the list of versions
# every page starts from leaves them out too (at 20,000 entries the decisions of round 1 are ~2 MB of JSON).
CONTENT_FIELDS = ("decisions", "awards")
# What the cache keeps is keyed by the published versions' ids and states, so a new version, a revision, a
# finalisation or the end of a notice is a new key (never a stale page). Entries' own fields (title, poster) are
# read live when a page is built; the time-to-live bounds how long an edit to them may take to show.
CACHE_SECONDS = 300
CONTENT_CACHE_SECONDS = 24 * 3600
# The freshness state (see freshness) is deleted by every service that changes it; the time-to-live only bounds
# a change made around them (a raw UPDATE, the admin).
FRESHNESS_SECONDS = 60


# ------------------------------------------------------------------------------------ the frozen JSON, read


def _first(item, *keys, default=None):
    for key in keys:
        if isinstance(item, dict) and item.get(key) not in (None, ""):
            return item[key]
    return default


def _language_pair(item, base):
    """(zh, en) of `base` from {"base_zh", "base_en"} or {"base": {"zh", "en"}} or {"base": "text"}."""
    zh = _first(item, f"{base}_zh", default="")
    en = _first(item, f"{base}_en", default="")
    nested = item.get(base) if isinstance(item, dict) else None
    if isinstance(nested, dict):
        zh = zh or nested.get("zh") or ""
        en = en or nested.get("en") or ""
    elif isinstance(nested, str):
        zh = zh or nested
    return str(zh or ""), str(en or "")


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class PublicDecision:
    entry_id: int
    number: str
    outcome: str

    @property
    def advanced(self):
        return self.outcome == Outcome.ADVANCED


@dataclass
class PublicAward:
    """One nomination or win as the version published it."""

    slug: str
    name_zh: str
    name_en: str
    entry_id: int
    number: str
    winner: bool
    credit_name: str = ""
    citation_zh: str = ""
    citation_en: str = ""
    position: int = 0

    @property
    def name(self):
        return pick_language(self.name_zh, self.name_en)

    @property
    def citation(self):
        return pick_language(self.citation_zh, self.citation_en)


def decisions_of(version) -> list[PublicDecision]:
    rows = []
    for item in version.decisions or []:
        entry_id = _as_int(_first(item, "entry_id", "entry"))
        if entry_id is None:
            continue
        rows.append(
            PublicDecision(
                entry_id=entry_id,
                number=str(_first(item, "number", "entry_number", default="")),
                outcome=str(_first(item, "outcome", default="")),
            )
        )
    return rows


def awards_of(version) -> list[PublicAward]:
    rows = []
    for index, item in enumerate(version.awards or []):
        entry_id = _as_int(_first(item, "entry_id", "entry"))
        slug = _first(item, "slug", "category_slug", default="")
        if entry_id is None or not slug:
            continue
        name_zh, name_en = _language_pair(item, "name")
        if not (name_zh or name_en):
            name_zh, name_en = _language_pair(item, "names")
        citation_zh, citation_en = _language_pair(item, "citation")
        credit = _first(item, "credit_name", "credit", default="")
        rows.append(
            PublicAward(
                slug=str(slug),
                name_zh=name_zh,
                name_en=name_en,
                entry_id=entry_id,
                number=str(_first(item, "number", "entry_number", default="")),
                winner=bool(_first(item, "winner", "is_winner", default=False)),
                credit_name=credit if isinstance(credit, str) else "",
                citation_zh=citation_zh,
                citation_en=citation_en,
                position=_as_int(_first(item, "position", "category_position")) or index,
            )
        )
    return rows


@dataclass
class VersionContent:
    """What a published version's frozen JSON says, parsed once: the advanced entries in published order and
    the awards."""

    advanced: list[int]
    awards: list[PublicAward]

    @property
    def listed(self) -> set[int]:
        return set(self.advanced) | {award.entry_id for award in self.awards}


def _content_key(version) -> str:
    # published_at too: the content is written when a version is published and never after, so (id, publication
    # time) names it for good even if ids were reused (a restored database).
    stamp = version.published_at.isoformat() if version.published_at else "draft"
    return f"judging:public:content:v1:{version.pk}:{stamp}"


def _parse_content(decisions, awards) -> VersionContent:
    # Only the advanced rows are read (a tenth of round 1's 20,000): what decisions_of does for each, faster.
    advanced = []
    for item in decisions or []:
        if isinstance(item, dict) and str(_first(item, "outcome", default="")) == Outcome.ADVANCED:
            entry_id = _as_int(_first(item, "entry_id", "entry"))
            if entry_id is not None:
                advanced.append(entry_id)
    return VersionContent(advanced=advanced, awards=awards_of(ResultVersion(awards=awards)))


def contents_of(versions) -> dict[int, VersionContent]:
    """{version id: VersionContent} for published versions, from the cache or in one query for those missing.

    Works with versions loaded without their decisions/awards (public_versions defers them)."""
    versions = [version for version in versions if version.published_at is not None]
    keys = {_content_key(version): version for version in versions}
    found = cache.get_many(list(keys)) if keys else {}
    result = {keys[key].pk: content for key, content in found.items()}
    missing = [version for key, version in keys.items() if key not in found]
    if missing:
        rows = ResultVersion.objects.filter(pk__in=[version.pk for version in missing]).values_list(
            "pk", *CONTENT_FIELDS
        )
        fresh = {pk: _parse_content(decisions, awards) for pk, decisions, awards in rows}
        cache.set_many(
            {_content_key(version): fresh[version.pk] for version in missing if version.pk in fresh},
            CONTENT_CACHE_SECONDS,
        )
        result.update(fresh)
    return result


def content_of(version) -> VersionContent:
    """One version's content; a draft (not cached: it may still change) is parsed from its own fields."""
    if version.published_at is None:
        return _parse_content(version.decisions, version.awards)
    return contents_of([version]).get(version.pk) or VersionContent(advanced=[], awards=[])


def listed_entry_ids(version) -> set[int]:
    """The entries a version makes public: advanced ones, and every nominee and winner."""
    return content_of(version).listed


def versions_stamp(versions, now=None) -> str:
    """A short digest of everything about these versions that changes what the public sees: which versions,
    their status, publication, notice (and whether it is running now), finalisation. Part of every cache key."""
    now = now or timezone.now()
    parts = [
        "|".join(
            str(value)
            for value in (
                version.pk,
                version.round_id,
                version.number,
                version.status,
                version.published_at and version.published_at.isoformat(),
                version.notice_ends_at and version.notice_ends_at.isoformat(),
                version.finalised_at and version.finalised_at.isoformat(),
                version.in_notice(now),
            )
        )
        for version in versions
    ]
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:24]


# ------------------------------------------------------------------------------------------ freshness


def freshness_key(slug) -> str:
    """The cache key of freshness(slug): a page may fetch it together with its own stored copy (one round trip)."""
    return f"judging:public:freshness:v1:{slug}"


def freshness_stamp(competition, versions, now=None) -> str:
    """Everything the public pages of a competition depend on apart from entries' own fields: the competition's
    state and every public version's (versions_stamp)."""
    parts = (
        competition.pk,
        competition.status,
        competition.updated_at.isoformat() if competition.updated_at else "",
        versions_stamp(versions, now),
    )
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:24]


_UNREAD = object()
_redis_clients = {}
# Each process also keeps the state it read for a second: the Redis round trip was the largest part of a stored
# page's time (ratio to /healthz 0.47 with it on every request, 0.6 without). So a change made in another
# process shows here within a second; in the process that made it (forget_freshness) and at a notice's end, at
# once. 0 turns it off.
MEMO_SECONDS = 1
_memo = {}


def forget_local_state():
    """Drop what this process keeps (for tests, which clear the shared cache between them)."""
    _memo.clear()


def _read(key):
    """cache.get(key), for the one read every anonymous public page makes: Django's Redis backend builds a new
    redis client for each call, which was a third of a stored page's time; this keeps one per process (the
    connection pool is Django's own). Any other backend (the tests' local memory) is read as usual."""
    backend = getattr(cache, "_cache", None)
    if type(backend).__name__ != "RedisCacheClient":
        return cache.get(key)
    try:
        full_key = cache.make_and_validate_key(key)
        client = _redis_clients.get(os.getpid())
        if client is None:
            client = _redis_clients[os.getpid()] = backend.get_client(full_key)
        value = client.get(full_key)
        return None if value is None else backend._serializer.loads(value)
    except AttributeError:  # Django's private client API changed (an upgrade): the plain, slower read
        return cache.get(key)


def freshness_state(slug, now=None, cached=_UNREAD) -> dict:
    """{"stamp", "until", "generation"} of the public competition `slug` (404 like get_public_competition), from
    the cache (or from `cached`, what the caller already read under freshness_key(slug)).

    The stamp (freshness_stamp) is kept with the earliest future moment it changes by itself (a notice ending:
    nothing in the database changes then, only the clock) and treated as expired from then on; every other
    change deletes it (forget_freshness). The generation is new each time the state is read from the database:
    what a web process keeps in its own memory is valid only for the generation it was made under, so a deleted
    state (or a cleared cache) reaches every process at once."""
    now = now or timezone.now()
    key = freshness_key(slug)
    if cached is _UNREAD:
        memo = _memo.get(key)
        if memo is not None and memo[0] > time.monotonic() and (memo[1]["until"] is None or now < memo[1]["until"]):
            return memo[1]
    state = _read(key) if cached is _UNREAD else cached
    if isinstance(state, dict) and (state["until"] is None or now < state["until"]):
        _memo[key] = (time.monotonic() + MEMO_SECONDS, state)
        return state
    competition, versions = get_competition_and_versions(slug)
    until = min(
        (version.notice_ends_at for version in versions if version.notice_ends_at and version.notice_ends_at > now),
        default=None,
    )
    state = {"stamp": freshness_stamp(competition, versions, now), "until": until, "generation": secrets.token_hex(8)}
    cache.set(key, state, FRESHNESS_SECONDS)
    _memo[key] = (time.monotonic() + MEMO_SECONDS, state)
    return state


def freshness(slug, now=None) -> str:
    """The freshness stamp of the public competition `slug`: what its public pages' stored copies are valid for.
    A repeated anonymous page needs no query for it."""
    return freshness_state(slug, now)["stamp"]


def forget_freshness(competition) -> None:
    """For every service that changes what the public sees of `competition` (a version published, superseded,
    revised or finalised, an objection, the competition's own fields): the next page reads the state afresh.

    Deleted now (so the rest of the same transaction reads its own change) and again after commit: a reader
    between the two may have cached the state from before the commit."""
    key = freshness_key(competition.slug)
    _memo.pop(key, None)
    cache.delete(key)
    transaction.on_commit(lambda: (_memo.pop(key, None), cache.delete(key)))


# ------------------------------------------------------------------------------------------ the getters


def get_public_competition(slug) -> Competition:
    """A competition whose results may be public: any but a draft."""
    return get_object_or_404(Competition.objects.public(), slug=slug)


def public_versions(competition):
    """Every public version of the competition's rounds (superseded ones too), round by round, newest first."""
    return (
        ResultVersion.objects.public()
        .filter(round__competition=competition)
        .defer(*HEAVY_FIELDS, *CONTENT_FIELDS)
        .select_related("round")
        .order_by("round__position", "-number")
    )


def get_competition_and_versions(slug) -> tuple[Competition, list[ResultVersion]]:
    """(competition, public_versions(competition) as a list) in one query when the competition has results (the
    pages' every request: the versions' states are what their cache keys are made of); 404 like
    get_public_competition."""
    versions = list(
        ResultVersion.objects.public()
        .filter(round__competition__in=Competition.objects.public().filter(slug=slug))
        .defer(*HEAVY_FIELDS, *CONTENT_FIELDS)
        .select_related("round__competition")
        .order_by("round__position", "-number")
    )
    if not versions:
        return get_public_competition(slug), []
    competition = versions[0].round.competition
    return competition, versions


def newest_per_round(versions) -> list[ResultVersion]:
    """The first version of each round from versions ordered by round, newest first."""
    seen, current = set(), []
    for version in versions:
        if version.round_id not in seen:
            seen.add(version.round_id)
            current.append(version)
    return current


def current_versions(competition) -> list[ResultVersion]:
    """The current public version of each round that has one, in round order: the newest published one.

    That is `current_public()` (in notice or final), except while an organizer prepares a revision: publishing
    supersedes the earlier version, and judging.versions.revise_version already marks it superseded when the
    draft is made (one open version per round), so until the revision is published the superseded version is
    still the round's public result (objections against it are refused by lodge_objection)."""
    return newest_per_round(public_versions(competition))


def has_public_results(competition) -> bool:
    return ResultVersion.objects.public().filter(round__competition=competition).exists()


def get_public_version(competition, version_id) -> ResultVersion:
    """Any public version of the competition (superseded included) — the history page. 404 otherwise."""
    return get_object_or_404(public_versions(competition), pk=version_id)


def get_current_version(competition, version_id) -> ResultVersion:
    """The current public version of its round (see current_versions); 404 for drafts, scheduled versions and
    versions a later one replaced."""
    version = get_public_version(competition, version_id)
    newest = public_versions(competition).filter(round_id=version.round_id).first()
    if newest is None or newest.pk != version.pk:
        raise Http404
    return version


def public_entry_ids(versions) -> set[int]:
    ids = set()
    for content in contents_of(versions).values():
        ids |= content.listed
    return ids


def entries_by_id(competition, ids) -> dict[int, Entry]:
    """Public entries with what their cards show (unit, track, vertical poster) in a fixed number of queries."""
    if not ids:
        return {}
    posters = Material.objects.filter(kind=MaterialKind.POSTER_VERTICAL).order_by("created_at", "pk")
    entries = (
        Entry.objects.filter(competition=competition, pk__in=ids)
        .exclude(number="")
        .select_related("unit", "track")
        .prefetch_related(Prefetch("materials", queryset=posters, to_attr="vertical_posters"))
    )
    return {entry.pk: entry for entry in entries}


def get_public_entry(slug, number) -> Entry:
    """The entry numbered `number` of the competition `slug` if a current public version lists it; else 404.

    The entry comes with `public_versions` (the current public versions) for the page to say what it won."""
    competition = get_public_competition(slug)
    versions = current_versions(competition)
    entry = (
        Entry.objects.filter(competition=competition, number=number, pk__in=public_entry_ids(versions) or [0])
        .exclude(number="")
        .select_related("competition", "unit", "track")
        .first()
    )
    if entry is None:
        raise Http404
    entry.public_versions = versions
    return entry


def entry_in_version(version, number) -> Entry:
    """An entry a current public version lists (for an objection against it); 404 otherwise."""
    entry = (
        Entry.objects.filter(competition_id=version.round.competition_id, number=number)
        .exclude(number="")
        .select_related("competition")
        .first()
    )
    if entry is None or entry.pk not in listed_entry_ids(version):
        raise Http404
    return entry


@dataclass
class EntryStanding:
    """What the current public versions say about one entry."""

    advanced_from: list = field(default_factory=list)  # [ResultVersion] whose round advanced it
    won: list = field(default_factory=list)  # [(ResultVersion, PublicAward)]
    nominated: list = field(default_factory=list)  # [(ResultVersion, PublicAward)] not (yet) won


def standing(entry) -> EntryStanding:
    result = EntryStanding()
    contents = contents_of(entry.public_versions)
    for version in entry.public_versions:
        content = contents.get(version.pk) or VersionContent(advanced=[], awards=[])
        if entry.pk in content.advanced:
            result.advanced_from.append(version)
        for award in sorted(content.awards, key=lambda award: award.position):
            if award.entry_id != entry.pk:
                continue
            (result.won if award.winner else result.nominated).append((version, award))
    return result


def get_won_award(entry, award_slug):
    """(version, award) for an award the public entry won in a current public version; 404 otherwise."""
    for version, award in standing(entry).won:
        if award.slug == award_slug:
            return version, award
    raise Http404


# ------------------------------------------------------------------------------------------ long shortlists


def shortlist_rows(competition, ids) -> dict[int, tuple[int, str]]:
    """{entry id: (unit id, number)} of the public entries among `ids`, in one narrow query: enough to group a
    shortlist of thousands by unit and pick one page of it before loading any card."""
    if not ids:
        return {}
    rows = (
        Entry.objects.filter(competition=competition, pk__in=ids)
        .exclude(number="")
        .values_list("pk", "unit_id", "number")
    )
    return {pk: (unit_id, number) for pk, unit_id, number in rows}


def units_by_id(competition, ids) -> dict:
    if not ids:
        return {}
    return {unit.pk: unit for unit in competition.units.filter(pk__in=ids)}
