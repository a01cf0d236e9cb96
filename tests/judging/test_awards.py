"""Award services: default categories, nominations from the final round only, winners with citations within the
category's limit, and deleting a category (refused once published with a winner)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from judging import awards
from judging.models import AwardCategory, Nomination, ResultVersion, RoundEntry, VersionStatus
from portal.models import ActionLog, LoggedAction, TrackKind
from tests.factories import CompetitionFactory, CreditFactory, RoundFactory, UnitFactory, eligible_entry


@pytest.fixture
def final(competition, judging_round):
    """The final round (position 2 after judging_round) with two entries in its list."""
    return RoundFactory(competition=competition, position=2, kind="final", name_zh="终评", name_en="Final")


@pytest.fixture
def finalists(final, unit):
    entries = [eligible_entry(unit) for _ in range(2)]
    for entry in entries:
        RoundEntry.objects.create(round=final, entry=entry)
    return entries


@pytest.fixture
def best_work(competition, alice):
    return AwardCategory.objects.create(competition=competition, slug="best-work", name_zh="最佳作品", max_winners=1)


@pytest.fixture
def best_director(competition):
    return AwardCategory.objects.create(
        competition=competition, slug="best-director", name_zh="最佳导演", for_person=True, max_winners=1
    )


def award_logs():
    return ActionLog.objects.filter(action=LoggedAction.AWARDS_CHANGED)


# --- Default awards -------------------------------------------------------------------------------------------------


def test_default_awards_are_created_once_and_logged(competition, alice):
    created = awards.create_default_awards(competition=competition, actor=alice)
    assert [category.slug for category in created] == [slug for slug, *_rest in awards.DEFAULT_AWARDS]
    assert [category.position for category in created] == list(range(1, 9))
    director = AwardCategory.objects.get(competition=competition, slug="best-director")
    assert (director.name_zh, director.name_en, director.for_person) == ("最佳导演", "Best Director", True)
    assert AwardCategory.objects.get(slug="outstanding-creators").max_winners == 40
    assert award_logs().count() == 1
    assert award_logs().get().actor == alice

    assert awards.create_default_awards(competition=competition, actor=alice) == []
    assert award_logs().count() == 1


def test_default_awards_fill_in_only_the_missing_ones(competition, alice):
    AwardCategory.objects.create(competition=competition, slug="best-work", name_zh="自定义", position=5)
    created = awards.create_default_awards(competition=competition, actor=alice)
    assert len(created) == 7
    assert AwardCategory.objects.get(slug="best-work").name_zh == "自定义"
    assert min(category.position for category in created) > 5


# --- The final round ------------------------------------------------------------------------------------------------


def test_the_final_round_is_the_last_by_position(competition, judging_round, final):
    assert awards.final_round(competition) == final
    assert awards.final_round(CompetitionFactory()) is None


# --- Nominations ----------------------------------------------------------------------------------------------------


def test_a_finalist_is_nominated_from_the_final_round(best_work, finalists, final, alice):
    nomination = awards.nominate(category=best_work, entry=finalists[0], actor=alice)
    assert (nomination.round, nomination.entry, nomination.credit, nomination.is_winner) == (
        final,
        finalists[0],
        None,
        False,
    )
    assert nomination.created_by == alice
    log = award_logs().get()
    assert log.data["entry"] == finalists[0].pk and log.data["round"] == final.pk


def test_an_entry_only_in_an_earlier_round_is_refused(best_work, finalists, judging_round, unit, alice):
    earlier = eligible_entry(unit)
    RoundEntry.objects.create(round=judging_round, entry=earlier)
    with pytest.raises(ValidationError) as error:
        awards.nominate(category=best_work, entry=earlier, actor=alice)
    assert "final round" in str(error.value)
    assert not Nomination.objects.exists()
    assert not award_logs().exists()


def test_an_entry_of_another_competition_is_refused(best_work, finalists, alice):
    foreign = eligible_entry(UnitFactory(competition=CompetitionFactory()))
    with pytest.raises(ValidationError):
        awards.nominate(category=best_work, entry=foreign, actor=alice)


def test_no_nomination_without_rounds(competition, alice, unit):
    category = AwardCategory.objects.create(competition=competition, slug="x", name_zh="奖")
    with pytest.raises(ValidationError):
        awards.nominate(category=category, entry=eligible_entry(unit), actor=alice)


def test_a_person_award_needs_a_credit_of_that_entry(best_director, finalists, alice):
    first, second = finalists
    with pytest.raises(ValidationError) as error:
        awards.nominate(category=best_director, entry=first, actor=alice)
    assert "credit" in error.value.error_dict
    with pytest.raises(ValidationError) as error:
        awards.nominate(category=best_director, entry=first, credit=second.credits.get(), actor=alice)
    assert "credit" in error.value.error_dict
    credit = first.credits.get()
    nomination = awards.nominate(category=best_director, entry=first, credit=credit, actor=alice)
    assert nomination.credit == credit
    # Two people of one entry may both be nominated.
    actress = CreditFactory(entry=first, role="lead_actress", name="主演")
    assert awards.nominate(category=best_director, entry=first, credit=actress, actor=alice).credit == actress


def test_a_work_award_takes_no_credit(best_work, finalists, alice):
    with pytest.raises(ValidationError) as error:
        awards.nominate(category=best_work, entry=finalists[0], credit=finalists[0].credits.get(), actor=alice)
    assert "credit" in error.value.error_dict


def test_the_track_restriction_applies(best_work, finalists, final, unit, competition, alice):
    best_work.track = competition.tracks.get(kind=TrackKind.STORY)
    best_work.save()
    with pytest.raises(ValidationError) as error:
        awards.nominate(category=best_work, entry=finalists[0], actor=alice)
    assert "track" in str(error.value)
    story = eligible_entry(unit, track=competition.tracks.get(kind=TrackKind.STORY))
    RoundEntry.objects.create(round=final, entry=story)
    assert awards.nominate(category=best_work, entry=story, actor=alice).entry == story


def test_a_nomination_is_made_once(best_work, finalists, alice):
    awards.nominate(category=best_work, entry=finalists[0], actor=alice)
    with pytest.raises(ValidationError):
        awards.nominate(category=best_work, entry=finalists[0], actor=alice)
    assert Nomination.objects.count() == 1


# --- Winners --------------------------------------------------------------------------------------------------------


@pytest.fixture
def nominations(best_work, finalists, alice):
    return [awards.nominate(category=best_work, entry=entry, actor=alice) for entry in finalists]


def test_a_winner_needs_a_citation(nominations, alice):
    with pytest.raises(ValidationError) as error:
        awards.choose_winner(nomination=nominations[0], actor=alice, citation_zh="  ", citation_en="")
    assert "citation" in str(error.value)
    nominations[0].refresh_from_db()
    assert not nominations[0].is_winner


def test_a_winner_with_a_citation_in_either_language(nominations, alice):
    winner = awards.choose_winner(nomination=nominations[0], actor=alice, citation_en=" For its light. ")
    winner.refresh_from_db()
    assert (winner.is_winner, winner.citation_zh, winner.citation_en) == (True, "", "For its light.")
    assert award_logs().filter(data__winner=winner.pk).exists()


def test_no_more_winners_than_the_category_allows(nominations, alice, best_work):
    awards.choose_winner(nomination=nominations[0], actor=alice, citation_zh="光影动人")
    with pytest.raises(ValidationError) as error:
        awards.choose_winner(nomination=nominations[1], actor=alice, citation_zh="也很好")
    assert "winners already" in str(error.value)
    assert Nomination.objects.filter(is_winner=True).count() == 1
    # The existing winner's citation may still change.
    awards.choose_winner(nomination=nominations[0], actor=alice, citation_zh="改写的颁奖词")
    assert Nomination.objects.get(pk=nominations[0].pk).citation_zh == "改写的颁奖词"
    # With room for two, the second one wins too.
    best_work.max_winners = 2
    best_work.save()
    awards.choose_winner(nomination=nominations[1], actor=alice, citation_zh="也很好")
    assert Nomination.objects.filter(is_winner=True).count() == 2


def test_unchoosing_keeps_the_nomination_and_frees_the_place(nominations, alice):
    awards.choose_winner(nomination=nominations[0], actor=alice, citation_zh="光影动人")
    awards.unchoose_winner(nomination=nominations[0], actor=alice)
    nominations[0].refresh_from_db()
    assert not nominations[0].is_winner and nominations[0].citation_zh == "光影动人"
    awards.choose_winner(nomination=nominations[1], actor=alice, citation_zh="新得主")
    assert Nomination.objects.get(is_winner=True) == nominations[1]


def test_withdrawing_a_nomination(nominations, alice):
    awards.withdraw_nomination(nomination=nominations[0], actor=alice)
    assert list(Nomination.objects.all()) == [nominations[1]]
    assert award_logs().filter(data__withdrawn=nominations[0].pk).exists()


# --- Categories -----------------------------------------------------------------------------------------------------


def test_saving_a_category_checks_its_slug_and_logs(competition, best_work, alice):
    category = AwardCategory(competition=competition, slug="best-work", name_zh="重名")
    with pytest.raises(ValidationError):
        awards.save_category(category=category, actor=alice)
    category.slug = "jury-special"
    awards.save_category(category=category, actor=alice)
    assert award_logs().filter(data__slug="jury-special", data__created=True).exists()


def test_lowering_max_winners_below_the_winners_is_refused(nominations, best_work, alice):
    best_work.max_winners = 2
    best_work.save()
    for nomination in nominations:
        awards.choose_winner(nomination=nomination, actor=alice, citation_zh="好")
    best_work.max_winners = 1
    with pytest.raises(ValidationError) as error:
        awards.save_category(category=best_work, actor=alice)
    assert "max_winners" in error.value.error_dict


def test_a_category_of_another_competitions_track_is_refused(best_work, alice):
    best_work.track = CompetitionFactory().tracks.first()
    with pytest.raises(ValidationError) as error:
        awards.save_category(category=best_work, actor=alice)
    assert "track" in error.value.error_dict


def test_deleting_a_category_takes_its_nominations(nominations, best_work, alice):
    awards.delete_category(category=best_work, actor=alice)
    assert not AwardCategory.objects.filter(pk=best_work.pk).exists()
    assert not Nomination.objects.exists()
    assert award_logs().filter(data__deleted=True).exists()


def published_version(round, awards_json):
    now = timezone.now()
    return ResultVersion.objects.create(
        round=round,
        number=1,
        status=VersionStatus.PUBLISHED,
        method="mean",
        snapshot={},
        snapshot_sha256="0" * 64,
        awards=awards_json,
        publish_at=now - timedelta(hours=1),
        published_at=now - timedelta(hours=1),
        notice_ends_at=now + timedelta(days=7),
    )


def test_a_category_with_a_published_winner_cannot_be_deleted(nominations, best_work, final, alice):
    awards.choose_winner(nomination=nominations[0], actor=alice, citation_zh="光影动人")
    published_version(final, [{"category": best_work.pk, "entry": nominations[0].entry_id, "winner": True}])
    with pytest.raises(ValidationError) as error:
        awards.delete_category(category=best_work, actor=alice)
    assert "published" in str(error.value)
    assert AwardCategory.objects.filter(pk=best_work.pk).exists()
    assert Nomination.objects.count() == 2


def test_a_category_only_nominated_in_a_published_version_may_be_deleted(nominations, best_work, final, alice):
    published_version(final, [{"category": best_work.pk, "entry": nominations[0].entry_id, "winner": False}])
    awards.delete_category(category=best_work, actor=alice)
    assert not AwardCategory.objects.filter(pk=best_work.pk).exists()
