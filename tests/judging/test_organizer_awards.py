"""The organizer's award pages: categories with counts, default awards, add/edit/delete a category, nominations
from the final round (with its ranking), winners with citations, withdrawals; 404 for everyone else."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from judging import awards
from judging.models import AwardCategory, Nomination, RoundEntry
from portal.models import ActionLog, LoggedAction
from tests.factories import (
    CompetitionFactory,
    CreditFactory,
    RoundFactory,
    RubricFactory,
    UnitFactory,
    eligible_entry,
    submitted_score,
)


def english_client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def client(alice):
    return english_client(alice)


@pytest.fixture
def final(competition, judging_round):
    round = RoundFactory(competition=competition, position=2, kind="final", name_zh="终评", name_en="Final")
    RubricFactory(round=round)
    return round


@pytest.fixture
def finalists(final, unit):
    entries = [eligible_entry(unit, title=f"决赛作品 {index}") for index in range(3)]
    for entry in entries:
        RoundEntry.objects.create(round=final, entry=entry)
    return entries


@pytest.fixture
def best_work(competition):
    return AwardCategory.objects.create(
        competition=competition, slug="best-work", name_zh="最佳作品", name_en="Best Work", position=1
    )


@pytest.fixture
def best_director(competition):
    return AwardCategory.objects.create(
        competition=competition,
        slug="best-director",
        name_zh="最佳导演",
        name_en="Best Director",
        position=2,
        for_person=True,
    )


@pytest.fixture
def nomination(best_work, finalists, alice):
    return awards.nominate(category=best_work, entry=finalists[0], actor=alice)


def awards_url(competition):
    return reverse("judging:awards", args=[competition.slug])


def detail_url(category):
    return reverse("judging:award_detail", args=[category.competition.slug, category.pk])


def winner_url(nomination):
    return reverse("judging:nomination_winner", args=[nomination.category.competition.slug, nomination.pk])


def withdraw_url(nomination):
    return reverse("judging:nomination_delete", args=[nomination.category.competition.slug, nomination.pk])


def delete_url(category):
    return reverse("judging:award_delete", args=[category.competition.slug, category.pk])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def all_requests(category, nomination):
    return [
        ("get", awards_url(category.competition), None),
        ("post", awards_url(category.competition), {"action": "defaults"}),
        ("get", detail_url(category), None),
        (
            "post",
            detail_url(category),
            {"action": "edit", "name_zh": "改名", "slug": "x", "position": 1, "max_winners": 1},
        ),
        ("post", winner_url(nomination), {f"winner-{nomination.pk}-citation_zh": "好"}),
        ("post", withdraw_url(nomination), {}),
        ("post", delete_url(category), {}),
    ]


# --- Access ---------------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(best_work, nomination):
    client = english_client()
    for method, target, data in all_requests(best_work, nomination):
        response = getattr(client, method)(target, data or {})
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("account_login"))
    assert AwardCategory.objects.count() == 1 and Nomination.objects.count() == 1


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_entrants_judges_and_other_organizers_get_404(request, who, best_work, nomination, bob_membership):
    client = english_client(request.getfixturevalue(who))
    for method, target, data in all_requests(best_work, nomination):
        response = getattr(client, method)(target, data or {})
        assert response.status_code == 404, (who, target)
        assert "最佳作品".encode() not in response.content
    best_work.refresh_from_db()
    assert best_work.name_zh == "最佳作品"
    assert AwardCategory.objects.count() == 1
    assert not Nomination.objects.filter(is_winner=True).exists() and Nomination.objects.count() == 1
    assert (
        not ActionLog.objects.filter(action=LoggedAction.AWARDS_CHANGED)
        .exclude(actor__email="alice@example.com")
        .exists()
    )


def test_forged_ids_of_another_competition_are_404(client, competition, alice):
    other = CompetitionFactory()
    other_round = RoundFactory(competition=other)
    entry = eligible_entry(UnitFactory(competition=other))
    RoundEntry.objects.create(round=other_round, entry=entry)
    category = AwardCategory.objects.create(competition=other, slug="best-work", name_zh="别人的奖")
    foreign = Nomination.objects.create(category=category, round=other_round, entry=entry)
    slug = competition.slug
    assert client.get(reverse("judging:award_detail", args=[slug, category.pk])).status_code == 404
    assert client.post(reverse("judging:award_delete", args=[slug, category.pk])).status_code == 404
    data = {f"winner-{foreign.pk}-citation_zh": "好"}
    assert client.post(reverse("judging:nomination_winner", args=[slug, foreign.pk]), data).status_code == 404
    assert client.post(reverse("judging:nomination_delete", args=[slug, foreign.pk])).status_code == 404
    assert AwardCategory.objects.filter(pk=category.pk).exists()
    foreign.refresh_from_db()
    assert not foreign.is_winner


@pytest.mark.parametrize("name", ["award_delete", "nomination_winner", "nomination_delete"])
def test_actions_are_post_only(client, competition, name, nomination):
    object_id = nomination.category_id if name == "award_delete" else nomination.pk
    assert client.get(reverse(f"judging:{name}", args=[competition.slug, object_id])).status_code == 405


# --- The list -------------------------------------------------------------------------------------------------------


def test_without_awards_the_page_offers_the_defaults(client, competition):
    html = client.get(awards_url(competition)).content.decode()
    assert "No awards yet" in html and "Create the default awards" in html
    assert f'href="{awards_url(competition)}" aria-current="page"' in html  # the judging sub-navigation

    response = client.post(awards_url(competition), {"action": "defaults"})
    assert response.status_code == 302 and response["Location"] == awards_url(competition)
    assert "8 awards have been created" in messages_of(response)[0]
    html = client.get(awards_url(competition)).content.decode()
    assert "Create the default awards" not in html
    order = [
        "年度最佳作品",
        "最佳导演",
        "最佳编剧",
        "最佳男演员",
        "最佳女演员",
        "最佳 AIGC 作品",
        "评审团特别奖",
        "优秀创作者",
    ]
    assert [html.index(name) for name in order] == sorted(html.index(name) for name in order)


def test_the_list_counts_nominations_and_winners(client, competition, best_work, best_director, finalists, alice):
    for entry in finalists:
        awards.nominate(category=best_work, entry=entry, actor=alice)
    awards.choose_winner(nomination=Nomination.objects.first(), actor=alice, citation_zh="光影动人")
    html = client.get(awards_url(competition)).content.decode()
    row = html[html.index(f'data-category="{best_work.pk}"') :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'<td class="num">([^<]+)</td>', row) == ["3", "1 / 1"]
    row = html[html.index(f'data-category="{best_director.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "A person" in row
    assert re.findall(r'<td class="num">([^<]+)</td>', row) == ["0", "0 / 1"]


def test_adding_an_award(client, competition, alice):
    data = {
        "action": "add",
        "name_zh": "最佳摄影",
        "name_en": "Best Cinematography",
        "slug": "best-dop",
        "position": 3,
        "max_winners": 1,
        "for_person": "on",
        "track": "",
    }
    response = client.post(awards_url(competition), data)
    category = AwardCategory.objects.get(slug="best-dop")
    assert response.status_code == 302 and response["Location"] == detail_url(category)
    assert (category.name_en, category.for_person, category.track, category.max_winners) == (
        "Best Cinematography",
        True,
        None,
        1,
    )
    assert ActionLog.objects.filter(action=LoggedAction.AWARDS_CHANGED, data__slug="best-dop").exists()


def test_bad_input_is_shown_and_kept(client, competition, best_work):
    data = {
        "action": "add",
        "name_zh": "<script>alert(1)</script>",
        "slug": "best-work",
        "position": 3,
        "max_winners": 0,
    }
    response = client.post(awards_url(competition), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Another award of this competition has this short name." in html
    assert "An award has at least one winner." in html or "greater than or equal to 1" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert AwardCategory.objects.count() == 1


# --- One award ------------------------------------------------------------------------------------------------------


def test_the_nomination_select_lists_only_final_round_entries(client, best_work, finalists, judging_round, unit):
    earlier = eligible_entry(unit, title="只在初评")
    RoundEntry.objects.create(round=judging_round, entry=earlier)
    html = client.get(detail_url(best_work)).content.decode()
    select = html[html.index('name="entry"') :]
    select = select[: select.index("</select>")]
    for entry in finalists:
        assert f'value="{entry.pk}"' in select and entry.number in select
    assert f'value="{earlier.pk}"' not in select
    assert "#1" not in select  # no ranking without scores


def test_the_nomination_select_shows_the_final_rounds_ranking(client, best_work, finalists, final, bob):
    for entry, value in zip(finalists, [4, 9, 6], strict=True):
        submitted_score(round=final, entry=entry, judge=bob, values={"story": value, "craft": value})
    html = client.get(detail_url(best_work)).content.decode()
    select = html[html.index('name="entry"') :]
    select = select[: select.index("</select>")]
    assert f"#1 · {finalists[1].number}" in select
    assert f"#2 · {finalists[2].number}" in select
    assert f"#3 · {finalists[0].number}" in select
    assert select.index(finalists[1].number) < select.index(finalists[2].number) < select.index(finalists[0].number)


def test_nominating_from_the_page(client, best_work, finalists, final):
    response = client.post(detail_url(best_work), {"action": "nominate", "entry": finalists[1].pk})
    assert response.status_code == 302 and response["Location"] == detail_url(best_work)
    nomination = Nomination.objects.get()
    assert (nomination.entry, nomination.round) == (finalists[1], final)
    html = client.get(detail_url(best_work)).content.decode()
    row = html[html.index(f'data-nomination="{nomination.pk}"') :]
    assert finalists[1].number in row[: row.index("</tr>")] and finalists[1].title in row


def test_a_forged_entry_is_refused_on_the_form(client, best_work, finalists, judging_round, unit):
    earlier = eligible_entry(unit)
    RoundEntry.objects.create(round=judging_round, entry=earlier)
    for forged in (earlier.pk, 999999, "abc"):
        response = client.post(detail_url(best_work), {"action": "nominate", "entry": forged})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not Nomination.objects.exists()


def test_a_person_award_nominates_a_credit(client, best_director, finalists):
    first, second, _third = finalists
    actress = CreditFactory(entry=first, role="lead_actress", name="主演甲")
    html = client.get(detail_url(best_director)).content.decode()
    select = html[html.index('name="credit"') :]
    select = select[: select.index("</select>")]
    assert "<optgroup" in select and "主演甲" in select and "林导演" in select

    # A credit of another entry than the one chosen is refused and what was chosen is kept.
    response = client.post(detail_url(best_director), {"action": "nominate", "entry": second.pk, "credit": actress.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a credit of the nominated entry." in html
    assert f'<option value="{second.pk}" selected>' in html
    # No credit at all is refused too.
    response = client.post(detail_url(best_director), {"action": "nominate", "entry": first.pk})
    assert response.status_code == 200 and not Nomination.objects.exists()

    response = client.post(detail_url(best_director), {"action": "nominate", "entry": first.pk, "credit": actress.pk})
    assert response.status_code == 302
    assert Nomination.objects.get().credit == actress
    html = client.get(detail_url(best_director)).content.decode()
    assert "主演甲" in html and "Lead actress" in html


def test_editing_the_award(client, best_work, competition):
    data = {
        "action": "edit",
        "name_zh": "年度最佳",
        "name_en": "Work of the Year",
        "slug": "best-work",
        "position": 1,
        "max_winners": 2,
        "track": competition.tracks.get(kind="work").pk,
    }
    response = client.post(detail_url(best_work), data)
    assert response.status_code == 302
    best_work.refresh_from_db()
    assert (best_work.name_zh, best_work.max_winners, best_work.track.kind) == ("年度最佳", 2, "work")


def test_a_rejected_edit_keeps_the_heading_and_the_typed_values(client, best_work, nomination, alice):
    awards.choose_winner(nomination=nomination, actor=alice, citation_zh="好")
    data = {
        "action": "edit",
        "name_zh": "新名字",
        "slug": "best-work",
        "position": 1,
        "max_winners": 1,
        "for_person": "on",
    }
    response = client.post(detail_url(best_work), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>最佳作品" in html and 'value="新名字"' in html
    assert "withdraw them before changing whether it goes to a person" in html
    best_work.refresh_from_db()
    assert best_work.name_zh == "最佳作品" and not best_work.for_person


# --- Winners --------------------------------------------------------------------------------------------------------


def test_marking_a_winner_with_a_citation(client, nomination, best_work):
    prefix = f"winner-{nomination.pk}"
    response = client.post(winner_url(nomination), {f"{prefix}-citation_zh": "光影动人", f"{prefix}-citation_en": ""})
    assert response.status_code == 302 and response["Location"] == detail_url(best_work)
    nomination.refresh_from_db()
    assert nomination.is_winner and nomination.citation_zh == "光影动人"
    html = client.get(detail_url(best_work)).content.decode()
    assert "Winner" in html and "光影动人" in html and "No longer a winner" in html


def test_a_winner_without_a_citation_is_refused_on_the_page(client, nomination, best_work):
    response = client.post(winner_url(nomination), {f"winner-{nomination.pk}-citation_zh": "  "})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Write a citation for the winner" in html
    assert "<details open>" in html
    nomination.refresh_from_db()
    assert not nomination.is_winner


def test_no_more_winners_than_allowed(client, best_work, finalists, alice):
    first, second = (awards.nominate(category=best_work, entry=entry, actor=alice) for entry in finalists[:2])
    awards.choose_winner(nomination=first, actor=alice, citation_zh="好")
    html = client.get(detail_url(best_work)).content.decode()
    assert "Every winner&#x27;s place is taken." in html or "Every winner's place is taken." in html
    # A direct POST is refused by the service, the typed citation kept.
    response = client.post(winner_url(second), {f"winner-{second.pk}-citation_zh": "也想得奖"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "winners already" in html and "也想得奖" in html
    assert Nomination.objects.filter(is_winner=True).get() == first


def test_no_longer_a_winner(client, nomination, alice, best_work):
    awards.choose_winner(nomination=nomination, actor=alice, citation_zh="好")
    response = client.post(winner_url(nomination), {"action": "unset"})
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert not nomination.is_winner


def test_withdrawing_a_nomination(client, nomination, best_work):
    response = client.post(withdraw_url(nomination))
    assert response.status_code == 302 and response["Location"] == detail_url(best_work)
    assert not Nomination.objects.exists()
    assert "withdrawn" in messages_of(response)[0]


# --- Deleting -------------------------------------------------------------------------------------------------------


def test_deleting_an_award(client, best_work, competition, nomination):
    response = client.post(delete_url(best_work))
    assert response.status_code == 302 and response["Location"] == awards_url(competition)
    assert not AwardCategory.objects.exists()


def test_a_refused_delete_says_why(client, best_work, nomination, final, alice):
    from tests.judging.test_awards import published_version

    awards.choose_winner(nomination=nomination, actor=alice, citation_zh="好")
    published_version(final, [{"category": best_work.pk, "entry": nomination.entry_id, "winner": True}])
    response = client.post(delete_url(best_work))
    assert response.status_code == 302 and response["Location"] == detail_url(best_work)
    assert "cannot be deleted" in messages_of(response)[0]
    assert AwardCategory.objects.filter(pk=best_work.pk).exists()


# --- Query counts ---------------------------------------------------------------------------------------------------


def test_the_list_makes_the_same_queries_for_one_or_eight_awards(client, competition, finalists, alice):
    def categories(count):
        AwardCategory.objects.all().delete()
        for index in range(count):
            category = AwardCategory.objects.create(
                competition=competition, slug=f"award-{index}", name_zh=f"奖{index}"
            )
            awards.nominate(category=category, entry=finalists[index % 3], actor=alice)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(awards_url(competition))
        assert response.status_code == 200
        assert response.content.decode().count("data-category=") == count
        return len(queries)

    assert categories(1) == categories(8)


def test_the_award_page_makes_the_same_queries_for_one_or_eight_nominations(
    client, best_director, final, unit, bob, alice
):
    entries = [eligible_entry(unit) for _ in range(8)]
    for entry in entries:
        RoundEntry.objects.create(round=final, entry=entry)
        submitted_score(round=final, entry=entry, judge=bob, values={"story": 5, "craft": 5})

    def page(count):
        Nomination.objects.all().delete()
        for index, entry in enumerate(entries[:count]):
            nomination = awards.nominate(category=best_director, entry=entry, credit=entry.credits.get(), actor=alice)
            if index == 0:
                awards.choose_winner(nomination=nomination, actor=alice, citation_zh="好")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(detail_url(best_director))
        assert response.content.decode().count("data-nomination=") == count
        return len(queries)

    assert page(1) == page(8)
