"""Award categories, nominations from the final round, and winners with citations."""

from django.db import transaction

from judging.models import AwardCategory, Nomination

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


@transaction.atomic
def create_default_awards(*, competition, actor) -> list[AwardCategory]:
    """The DEFAULT_AWARDS not yet present (by slug). Logged."""
    raise NotImplementedError


@transaction.atomic
def save_category(*, category, actor) -> AwardCategory:
    raise NotImplementedError


@transaction.atomic
def delete_category(*, category, actor) -> None:
    """Refused once it has a winner in a published version."""
    raise NotImplementedError


def final_round(competition):
    """The competition's last round by position (where awards are chosen), or None."""
    raise NotImplementedError


@transaction.atomic
def nominate(*, category, entry, actor, credit=None) -> Nomination:
    """The entry must be in the final round's list; person awards need a credit of that entry; a category's
    track restriction applies. ValidationError otherwise."""
    raise NotImplementedError


@transaction.atomic
def choose_winner(*, nomination, actor, citation_zh="", citation_en="") -> Nomination:
    """Mark as winner with a citation (at least one language); refused beyond category.max_winners."""
    raise NotImplementedError


@transaction.atomic
def unchoose_winner(*, nomination, actor) -> Nomination:
    raise NotImplementedError


@transaction.atomic
def withdraw_nomination(*, nomination, actor) -> None:
    raise NotImplementedError
