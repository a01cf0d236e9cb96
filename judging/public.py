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

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404

from judging.models import Outcome, ResultVersion
from portal.models import Competition, MaterialKind, pick_language
from submissions.models import Entry, Material

# The big frozen inputs and outputs are never needed by public pages (a snapshot may hold 100,000+ scores).
HEAVY_FIELDS = ("snapshot", "ranking")


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


def listed_entry_ids(version) -> set[int]:
    """The entries a version makes public: advanced ones, and every nominee and winner."""
    ids = {decision.entry_id for decision in decisions_of(version) if decision.advanced}
    ids.update(award.entry_id for award in awards_of(version))
    return ids


# ------------------------------------------------------------------------------------------ the getters


def get_public_competition(slug) -> Competition:
    """A competition whose results may be public: any but a draft."""
    return get_object_or_404(Competition.objects.public(), slug=slug)


def public_versions(competition):
    """Every public version of the competition's rounds (superseded ones too), round by round, newest first."""
    return (
        ResultVersion.objects.public()
        .filter(round__competition=competition)
        .defer(*HEAVY_FIELDS)
        .select_related("round")
        .order_by("round__position", "-number")
    )


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
    for version in versions:
        ids |= listed_entry_ids(version)
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
    for version in entry.public_versions:
        if any(d.entry_id == entry.pk and d.advanced for d in decisions_of(version)):
            result.advanced_from.append(version)
        for award in sorted(awards_of(version), key=lambda award: award.position):
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
