"""Award categories, nominations from the final round, and winners with citations."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils.translation import gettext as _

from judging.models import AwardCategory, Nomination, ResultVersion, Round, RoundEntry
from portal.models import Competition, LoggedAction
from portal.services import log_action
from submissions.models import Credit, Entry

# (slug, name_zh, name_en, for_person, max_winners)
DEFAULT_AWARDS = [
    ("best-work", "年度最佳作品", "Best Work", False, 1),
    ("best-director", "最佳导演", "Best Director", True, 1),
    ("best-screenplay", "最佳编剧", "Best Screenplay", True, 1),
    ("best-actor", "最佳男演员", "Best Actor", True, 1),
    ("best-actress", "最佳女演员", "Best Actress", True, 1),
    ("best-aigc", "最佳 AIGC 作品", "Best AIGC Work", False, 1),
    ("jury-special", "评审团特别奖", "Jury Special Prize", False, 2),
    ("outstanding-creators", "优秀创作者", "Outstanding Creators", True, 40),
]


def _log(*, competition, actor, subject, data):
    log_action(competition=competition, actor=actor, action=LoggedAction.AWARDS_CHANGED, subject=subject, data=data)


def _lock_competition(competition):
    Competition.objects.select_for_update().filter(pk=competition.pk).first()


def _lock_category(category) -> AwardCategory:
    """The category row, locked, so winners of one category are chosen one at a time."""
    return AwardCategory.objects.select_for_update().get(pk=category.pk)


@transaction.atomic
def create_default_awards(*, competition, actor) -> list[AwardCategory]:
    """The DEFAULT_AWARDS not yet present (by slug). Logged."""
    _lock_competition(competition)
    existing = set(AwardCategory.objects.filter(competition=competition).values_list("slug", flat=True))
    last = AwardCategory.objects.filter(competition=competition).aggregate(last=Max("position"))["last"] or 0
    created = []
    for index, (slug, name_zh, name_en, for_person, max_winners) in enumerate(DEFAULT_AWARDS, start=1):
        if slug in existing:
            continue
        created.append(
            AwardCategory.objects.create(
                competition=competition,
                slug=slug,
                name_zh=name_zh,
                name_en=name_en,
                for_person=for_person,
                max_winners=max_winners,
                position=last + index if existing else index,
            )
        )
    if created:
        _log(
            competition=competition,
            actor=actor,
            subject=_("Default awards"),
            data={"created": [category.slug for category in created]},
        )
    return created


def _check_category_change(category):
    """A saved category's changes must leave its nominations and winners valid."""
    if category.pk is None:
        return
    nominations = Nomination.objects.filter(category_id=category.pk)
    errors = {}
    winners = nominations.filter(is_winner=True).count()
    if category.max_winners is not None and winners > category.max_winners:
        errors["max_winners"] = _(
            "This award already has %(count)d winners: withdraw some before lowering the most winners."
        ) % {"count": winners}
    before = AwardCategory.objects.filter(pk=category.pk).values("for_person", "track_id").first()
    if before and nominations.exists():
        if before["for_person"] != category.for_person:
            errors["for_person"] = _(
                "This award already has nominations: withdraw them before changing whether it goes to a person."
            )
        if category.track_id and nominations.exclude(entry__track_id=category.track_id).exists():
            errors["track"] = _("Some nominations of this award are entries of another track: withdraw them first.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_category(*, category, actor) -> AwardCategory:
    """Create or update a category: unique slug per competition, a track of the competition, at least one
    winner, and no change that would leave existing nominations invalid. Logged."""
    created = category.pk is None
    if not created:
        _lock_category(category)
    if category.max_winners is not None and category.max_winners < 1:
        raise ValidationError({"max_winners": _("An award has at least one winner.")})
    if category.track_id and category.track.competition_id != category.competition_id:
        raise ValidationError({"track": _("Choose a track of this competition.")})
    _check_category_change(category)
    category.full_clean()
    category.save()
    _log(
        competition=category.competition,
        actor=actor,
        subject=category.name_zh,
        data={
            "category": category.pk,
            "slug": category.slug,
            "created": created,
            "for_person": category.for_person,
            "max_winners": category.max_winners,
            "track": category.track_id,
        },
    )
    return category


def _flag(item, *names):
    for name in names:
        if name in item:
            return item[name]
    return None


def has_published_winner(category) -> bool:
    """Whether a public result version of the competition names a winner of this category."""
    versions = ResultVersion.objects.public().filter(round__competition_id=category.competition_id)
    for awards in versions.values_list("awards", flat=True):
        for item in awards or []:
            if not isinstance(item, dict):
                continue
            category_id = _flag(item, "category", "category_id")
            if isinstance(category_id, dict):
                category_id = category_id.get("id")
            if str(category_id) == str(category.pk) and _flag(item, "winner", "is_winner"):
                return True
    return False


@transaction.atomic
def delete_category(*, category, actor) -> None:
    """Refused once it has a winner in a published version."""
    category = _lock_category(category)
    if has_published_winner(category):
        raise ValidationError(
            _(
                "“%(name)s” has a winner in published results, so it cannot be deleted. Publish a revised result "
                "without it first."
            )
            % {"name": category.name},
            code="published",
        )
    nominations = category.nominations.count()
    data = {"category": category.pk, "slug": category.slug, "deleted": True, "nominations": nominations}
    category.delete()
    _log(competition=category.competition, actor=actor, subject=category.name_zh, data=data)


def final_round(competition):
    """The competition's last round by position (where awards are chosen), or None."""
    return Round.objects.filter(competition=competition).order_by("-position").first()


def candidates(category, round) -> list:
    """The entries that may be nominated for the category from `round` (the final round), each with
    `rank` (its overall rank in the round's ranking, None when unranked) and `credit_list` (its credits).
    Ranked entries first by rank, then the others by entry number. A fixed number of queries."""
    from judging.aggregation import compute_ranking
    from judging.models import Score

    if round is None:
        return []
    entries = (
        Entry.objects.filter(round_entries__round=round)
        .select_related("unit", "track")
        .prefetch_related(
            Prefetch("credits", queryset=Credit.objects.order_by("position", "id"), to_attr="credit_list")
        )
        .order_by("sequence", "number", "pk")
    )
    if category.track_id:
        entries = entries.filter(track_id=category.track_id)
    entries = list(entries)
    ranks = {}
    if entries and Score.objects.counting().filter(round=round).exists():
        ranks = {result.entry_id: result.rank for result in compute_ranking(round).entries}
    for entry in entries:
        entry.rank = ranks.get(entry.pk)
    entries.sort(key=lambda entry: (entry.rank is None, entry.rank or 0))
    return entries


@transaction.atomic
def nominate(*, category, entry, actor, credit=None) -> Nomination:
    """The entry must be in the final round's list; person awards need a credit of that entry; a category's
    track restriction applies. ValidationError otherwise."""
    category = _lock_category(category)
    round = final_round(category.competition)
    if round is None:
        raise ValidationError(_("The competition has no rounds yet: nominations come from the final round."))
    if (
        entry.competition_id != category.competition_id
        or not RoundEntry.objects.filter(round=round, entry=entry).exists()
    ):
        raise ValidationError(
            {"entry": _("Only entries of the final round (%(round)s) can be nominated.") % {"round": round.name}}
        )
    if category.track_id and entry.track_id != category.track_id:
        raise ValidationError(
            {"entry": _("This award is for entries of the track “%(track)s” only.") % {"track": category.track.name}}
        )
    if category.for_person:
        if credit is None:
            raise ValidationError({"credit": _("This award goes to a person: choose one of the entry's credits.")})
        if credit.entry_id != entry.pk:
            raise ValidationError({"credit": _("Choose a credit of the nominated entry.")})
    elif credit is not None:
        raise ValidationError({"credit": _("This award goes to a work, not to a person: choose no credit.")})
    if Nomination.objects.filter(category=category, entry=entry, credit=credit).exists():
        raise ValidationError(_("This nomination exists already."), code="duplicate")
    nomination = Nomination.objects.create(category=category, round=round, entry=entry, credit=credit, created_by=actor)
    _log(
        competition=category.competition,
        actor=actor,
        subject=f"{category.name_zh} · {entry.number or entry.title}",
        data={
            "nominated": nomination.pk,
            "category": category.pk,
            "round": round.pk,
            "entry": entry.pk,
            "entry_number": entry.number,
            "credit": credit.pk if credit else None,
            "credit_name": credit.name if credit else "",
        },
    )
    return nomination


def _subject(nomination):
    entry = nomination.entry
    return f"{nomination.category.name_zh} · {entry.number or entry.title}"


@transaction.atomic
def choose_winner(*, nomination, actor, citation_zh="", citation_en="") -> Nomination:
    """Mark as winner with a citation (at least one language); refused beyond category.max_winners."""
    category = _lock_category(nomination.category)
    nomination = Nomination.objects.select_for_update().select_related("entry").get(pk=nomination.pk)
    citation_zh, citation_en = (citation_zh or "").strip(), (citation_en or "").strip()
    if not citation_zh and not citation_en:
        raise ValidationError(_("Write a citation for the winner, in Chinese or English."), code="citation")
    for text in (citation_zh, citation_en):
        if len(text) > 1000:
            raise ValidationError(_("Keep a citation under 1,000 characters."), code="citation_length")
    if not nomination.is_winner:
        winners = Nomination.objects.filter(category=category, is_winner=True).count()
        if winners >= category.max_winners:
            raise ValidationError(
                _("“%(name)s” has its %(count)d winners already: withdraw one first or raise the most winners.")
                % {"name": category.name, "count": category.max_winners},
                code="max_winners",
            )
    nomination.category = category
    nomination.is_winner = True
    nomination.citation_zh = citation_zh
    nomination.citation_en = citation_en
    nomination.save(update_fields=["is_winner", "citation_zh", "citation_en"])
    _log(
        competition=category.competition,
        actor=actor,
        subject=_subject(nomination),
        data={"winner": nomination.pk, "category": category.pk, "entry": nomination.entry_id},
    )
    return nomination


@transaction.atomic
def unchoose_winner(*, nomination, actor) -> Nomination:
    """No longer a winner; stays nominated and keeps its citation for a later choice."""
    category = _lock_category(nomination.category)
    nomination = Nomination.objects.select_for_update().select_related("entry").get(pk=nomination.pk)
    nomination.category = category
    if nomination.is_winner:
        nomination.is_winner = False
        nomination.save(update_fields=["is_winner"])
        _log(
            competition=category.competition,
            actor=actor,
            subject=_subject(nomination),
            data={"winner_removed": nomination.pk, "category": category.pk, "entry": nomination.entry_id},
        )
    return nomination


@transaction.atomic
def withdraw_nomination(*, nomination, actor) -> None:
    category = _lock_category(nomination.category)
    nomination.category = category
    subject = _subject(nomination)
    data = {
        "withdrawn": nomination.pk,
        "category": category.pk,
        "entry": nomination.entry_id,
        "was_winner": nomination.is_winner,
    }
    Nomination.objects.filter(pk=nomination.pk).delete()
    _log(competition=category.competition, actor=actor, subject=subject, data=data)
