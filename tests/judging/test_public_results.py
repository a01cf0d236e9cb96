"""The public results page and a version's page: only published versions, the shortlist per unit, winners by
award, the public notice, version history; drafts, scheduled versions and entries not advanced never show.

The builders at the top (results_world, award_round, raw_version) are shared with the other public tests.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from judging import advancement, awards, public, versions
from judging.models import AwardCategory, Decision, Objection, ObjectionStatus, ResultVersion, RoundEntry, VersionStatus
from portal.models import CompetitionStatus
from tests.factories import (
    CompetitionFactory,
    RoundFactory,
    RubricFactory,
    UnitFactory,
    UserFactory,
    eligible_entry,
    submitted_score,
)

# --------------------------------------------------------------------------------------------- builders


def english(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def results_world(competition, organizer, *, per_unit=2, top_k=1, titles=None, publish=True):
    """Round 1 (closed, scored by one judge) and round 2 (the final, not open yet) of `competition`, two units
    with `per_unit` entries each; the top `top_k` per unit advance and, with `publish`, version 1 of round 1 is
    published now into a 7-day notice. Built through judging.advancement (advance) and judging.versions
    (prepare_version, publish_version)."""
    now = timezone.now()
    competition.status = CompetitionStatus.JUDGING
    competition.save(update_fields=["status"])
    first_unit = UnitFactory(competition=competition, name_zh="街头巷尾", name_en="Street Life", position=1)
    second_unit = UnitFactory(competition=competition, name_zh="银发时光", name_en="Silver Years", position=2)
    round1 = RoundFactory(
        competition=competition, position=1, opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1)
    )
    RubricFactory(round=round1)
    round2 = RoundFactory(
        competition=competition,
        position=2,
        kind="final",
        name_zh="终评",
        name_en="Final round",
        opens_at=now + timedelta(days=10),
        closes_at=now + timedelta(days=20),
    )
    RubricFactory(round=round2)
    judge = UserFactory(display_name="Judge Wu")
    titles = list(titles or [])
    entries = {first_unit.pk: [], second_unit.pk: []}
    for unit in (first_unit, second_unit):
        for index in range(per_unit):
            fields = {"title": titles.pop(0)} if titles else {}
            entry = eligible_entry(unit, **fields)
            RoundEntry.objects.create(round=round1, entry=entry)
            value = 9 - (index % 9)
            submitted_score(
                round=round1,
                entry=entry,
                judge=judge,
                values={"story": value, "craft": value},
                comments={"craft": "ok"},
            )
            entries[unit.pk].append(entry)
    advancement.advance(round=round1, actor=organizer, top_k_per_unit=top_k)
    advanced = [entry for unit_entries in entries.values() for entry in unit_entries[:top_k]]
    not_advanced = [entry for unit_entries in entries.values() for entry in unit_entries[top_k:]]
    version = None
    if publish:
        version = publish_now(versions.prepare_version(round=round1, actor=organizer), organizer)
    return {
        "competition": competition,
        "units": (first_unit, second_unit),
        "round1": round1,
        "round2": round2,
        "judge": judge,
        "advanced": advanced,
        "not_advanced": not_advanced,
        "version": version,
    }


def publish_now(version, organizer, notice_days=7):
    version.notice_ends_at = timezone.now() + timedelta(days=notice_days)
    version.save(update_fields=["notice_ends_at"])
    return versions.publish_version(version=version, actor=organizer)


def award_round(
    world, organizer, *, citation_zh="镜头语言克制而有力。", citation_en="Restrained, powerful images.", publish=True
):
    """The final round closes; best-work goes to the first advanced entry, best-director (a person award) to the
    second, whose first advanced entry is also nominated there; version 1 of the final round is published."""
    now = timezone.now()
    round2 = world["round2"]
    round2.opens_at = now - timedelta(days=3)
    round2.closes_at = now - timedelta(hours=1)
    round2.save(update_fields=["opens_at", "closes_at"])
    competition = world["competition"]
    best_work = AwardCategory.objects.create(
        competition=competition, slug="best-work", name_zh="年度最佳作品", name_en="Best Work", position=1
    )
    best_director = AwardCategory.objects.create(
        competition=competition,
        slug="best-director",
        name_zh="最佳导演",
        name_en="Best Director",
        position=2,
        for_person=True,
    )
    first, second = world["advanced"][0], world["advanced"][1]
    work = awards.nominate(category=best_work, entry=first, actor=organizer)
    awards.choose_winner(nomination=work, actor=organizer, citation_zh=citation_zh, citation_en=citation_en)
    director = awards.nominate(category=best_director, entry=second, actor=organizer, credit=second.credits.first())
    awards.choose_winner(nomination=director, actor=organizer, citation_zh="导演功力扎实。", citation_en="Assured.")
    awards.nominate(category=best_director, entry=first, actor=organizer, credit=first.credits.first())
    version = None
    if publish:
        version = publish_now(versions.prepare_version(round=round2, actor=organizer), organizer)
    world.update(final_version=version, winner=first, director_winner=second)
    return world


def end_notice(version):
    """Move a published version's notice into the past (publication moves back too: the notice ends after it)."""
    now = timezone.now()
    ResultVersion.objects.filter(pk=version.pk).update(
        publish_at=now - timedelta(days=8),
        published_at=now - timedelta(days=8),
        notice_ends_at=now - timedelta(minutes=1),
    )
    version.refresh_from_db()
    # A raw UPDATE no service makes: the public pages' cached freshness is told as the services tell it.
    public.forget_freshness(version.round.competition)
    return version


def raw_version(
    round, *, number=1, status=VersionStatus.DRAFT, decisions=(), awards=(), published=False, notice_days=7
):
    """A version made directly (no services), for drafts and scheduled versions that must never show."""
    now = timezone.now()
    return ResultVersion.objects.create(
        round=round,
        number=number,
        status=status,
        method="mean",
        snapshot={},
        snapshot_sha256="0" * 64,
        decisions=[
            {"entry": entry.pk, "number": entry.number, "outcome": "advanced", "overridden": False, "reason": ""}
            for entry in decisions
        ],
        awards=list(awards),
        publish_at=now + timedelta(days=1) if status == VersionStatus.SCHEDULED else None,
        notice_ends_at=now + timedelta(days=notice_days),
        published_at=now if published else None,
    )


def results_url(competition):
    return reverse("judging:results", args=[competition.slug])


def version_url(version):
    return reverse("judging:public_version", args=[version.round.competition.slug, version.pk])


# --------------------------------------------------------------------------------------------- the page


def test_anonymous_sees_the_shortlist_per_unit_and_the_notice(alice, competition):
    world = results_world(competition, alice, per_unit=3, top_k=2)
    response = english().get(results_url(competition))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preliminary round" in html
    assert "Street Life" in html and "Silver Years" in html
    for entry in world["advanced"]:
        assert entry.number in html and entry.title in html
        assert reverse("judging:public_entry", args=[competition.slug, entry.number]) in html
    for entry in world["not_advanced"]:
        assert entry.number not in html and entry.title not in html
    assert "In public notice until" in html
    assert "Sign in to object" in html
    version = world["version"]
    objection = reverse("judging:objection_create", args=[competition.slug, version.pk, world["advanced"][0].number])
    assert objection in html
    assert version_url(version) in html  # the version history
    # The units come in their order, the entries by number within them.
    street, silver = html.index("Street Life"), html.index("Silver Years")
    assert street < silver
    first, second = sorted(world["advanced"][:2], key=lambda entry: entry.number)
    assert street < html.index(first.number) < html.index(second.number) < silver


def test_signed_in_user_sees_their_objections_with_status(alice, competition, charlie):
    world = results_world(competition, alice)
    entry = world["advanced"][0]
    Objection.objects.create(version=world["version"], entry=entry, author=charlie, text="抄袭")
    answered = Objection.objects.create(
        version=world["version"],
        entry=entry,
        author=charlie,
        text="再议",
        status=ObjectionStatus.REJECTED,
        answer="<script>alert('answer')</script> Not a copy.",
        answered_by=alice,
        answered_at=timezone.now(),
    )
    Objection.objects.create(version=world["version"], entry=entry, author=UserFactory(), text="someone else's")
    html = english(charlie).get(results_url(competition)).content.decode()
    assert 'id="my-objections"' in html
    assert html.count('class="objection-row"') == 2
    assert "Awaiting an answer" in html and "Rejected" in html
    assert "&lt;script&gt;alert(&#x27;answer&#x27;)&lt;/script&gt; Not a copy." in html
    assert "<script>alert('answer')" not in html
    assert "Sign in to object" not in html
    assert answered.answer not in english().get(results_url(competition)).content.decode()


def test_empty_state_without_a_published_version(alice, competition):
    world = results_world(competition, alice, publish=False)
    versions.prepare_version(round=world["round1"], actor=alice)  # a draft: not public
    response = english().get(results_url(competition))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No results yet" in html
    for entry in world["advanced"] + world["not_advanced"]:
        assert entry.number not in html
    assert english().get(reverse("judging:winners", args=[competition.slug])).status_code == 200


def test_draft_and_scheduled_versions_answer_404_to_guessed_ids(alice, competition, charlie):
    world = results_world(competition, alice, publish=False)
    draft = versions.prepare_version(round=world["round1"], actor=alice)
    other_round = RoundFactory(competition=competition, position=3, name_en="Extra round")
    scheduled = raw_version(other_round, status=VersionStatus.SCHEDULED, decisions=world["advanced"])
    number = world["advanced"][0].number
    for version in (draft, scheduled):
        for client in (english(), english(charlie), english(alice)):
            assert client.get(version_url(version)).status_code == 404
        objection = reverse("judging:objection_create", args=[competition.slug, version.pk, number])
        assert english(charlie).get(objection).status_code == 404
    # Nor does any entry of theirs become public.
    for entry in world["advanced"]:
        assert english().get(reverse("judging:public_entry", args=[competition.slug, entry.number])).status_code == 404
    assert english().get(version_url(ResultVersion(pk=999999, round=world["round1"]))).status_code == 404


def test_a_version_of_another_competition_is_404_under_this_slug(alice, competition):
    world = results_world(competition, alice)
    other = CompetitionFactory(slug="elsewhere")
    assert english().get(reverse("judging:public_version", args=[other.slug, world["version"].pk])).status_code == 404
    assert english().get(version_url(world["version"])).status_code == 200


def test_draft_competition_results_are_404(alice, competition):
    results_world(competition, alice)
    competition.status = CompetitionStatus.DRAFT
    competition.save(update_fields=["status"])
    for name in ("results", "winners"):
        assert english().get(reverse(f"judging:{name}", args=[competition.slug])).status_code == 404


def test_a_superseded_version_stays_in_the_history_but_is_not_the_result(alice, competition):
    world = results_world(competition, alice, per_unit=2, top_k=1)
    v1 = world["version"]
    lost, gained = world["advanced"][0], world["not_advanced"][0]
    v2 = versions.revise_version(version=v1, actor=alice, reason="复核后更正")

    # While the revision is a draft, version 1 is still the round's public result.
    html = english().get(results_url(competition)).content.decode()
    assert lost.number in html and "Being revised" in html
    assert gained.number not in html
    assert english().get(version_url(v2)).status_code == 404

    for entry, outcome in ((lost, "not_advanced"), (gained, "advanced")):
        decision = Decision.objects.get(round=world["round1"], entry=entry)
        advancement.override_decision(decision=decision, outcome=outcome, reason="objection upheld", actor=alice)
    publish_now(v2, alice)
    v1.refresh_from_db()
    assert v1.status == VersionStatus.SUPERSEDED

    html = english().get(results_url(competition)).content.decode()
    assert gained.number in html and lost.number not in html
    assert "复核后更正" in html  # why this version
    assert version_url(v1) in html and version_url(v2) in html

    old = english().get(version_url(v1))
    assert old.status_code == 200
    old_html = old.content.decode()
    assert "This version has been replaced by version 2" in old_html
    assert "Superseded" in old_html
    assert lost.number in old_html  # what version 1 said, as it was published
    # ... but the entry that lost its place is no longer public, and version 1 takes no objections.
    assert reverse("judging:public_entry", args=[competition.slug, lost.number]) not in old_html
    assert english().get(reverse("judging:public_entry", args=[competition.slug, lost.number])).status_code == 404
    assert english().get(reverse("judging:public_entry", args=[competition.slug, gained.number])).status_code == 200
    assert (
        english(UserFactory())
        .get(reverse("judging:objection_create", args=[competition.slug, v1.pk, lost.number]))
        .status_code
        == 404
    )


def test_final_round_shows_winners_by_award_and_final_status(alice, competition):
    world = award_round(results_world(competition, alice), alice)
    html = english().get(results_url(competition)).content.decode()
    assert "Final round" in html
    assert "年度最佳作品" in html and "Best Work" in html and "最佳导演" in html
    assert "Restrained, powerful images." in html
    assert "林导演" in html  # the person awarded best director (credit)
    assert "Nominated:" in html
    final = end_notice(world["final_version"])
    assert "The public notice ended on" in english().get(results_url(competition)).content.decode()
    versions.finalise_version(version=final, actor=alice)
    html = english().get(results_url(competition)).content.decode()
    assert "Final result" in html


def test_names_follow_the_language(alice, competition):
    world = results_world(competition, alice)
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(results_url(competition)).content.decode()
    en = english().get(results_url(competition)).content.decode()
    assert "初评" in zh and "Preliminary round" not in zh
    assert "Preliminary round" in en
    assert world["units"][0].name_zh in zh and world["units"][0].name_en in en


def test_competition_page_links_to_results_once_published(alice, competition):
    world = results_world(competition, alice, publish=False)
    detail = reverse("portal:competition_detail", args=[competition.slug])
    assert results_url(competition) not in english().get(detail).content.decode()
    publish_now(versions.prepare_version(round=world["round1"], actor=alice), alice)
    assert results_url(competition) in english().get(detail).content.decode()


def test_script_in_titles_and_citations_is_escaped(alice, competition):
    probe = "<script>alert('x')</script>"
    world = results_world(competition, alice, per_unit=1, titles=[probe + "一", probe + "二"])
    award_round(world, alice, citation_zh=probe, citation_en=probe)
    for url in (
        results_url(competition),
        reverse("judging:winners", args=[competition.slug]),
        version_url(world["version"]),
        reverse("judging:public_entry", args=[competition.slug, world["winner"].number]),
    ):
        html = english().get(url).content.decode()
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html, url
        assert probe not in html, url


# --------------------------------------------------------------------------------------------- query count


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("signed_in", [False, True])
def test_results_page_query_count_is_flat(alice, signed_in):
    counts = []
    for size in (5, 40):
        competition = CompetitionFactory(slug=f"flat-{size}")
        per_unit = size // 2 + size % 2
        world = results_world(competition, alice, per_unit=per_unit, top_k=per_unit)
        award_round(world, alice)
        user = UserFactory()
        client = english(user) if signed_in else english()
        if signed_in:
            for entry in world["advanced"][:3]:
                Objection.objects.create(version=world["version"], entry=entry, author=user, text="x")
        client.get(results_url(competition))  # warm up
        count, html = _count(client, results_url(competition))
        assert html.count('class="results-card"') >= len(world["advanced"])
        counts.append(count)
    assert counts[0] == counts[1], counts


def test_version_page_query_count_is_flat(alice):
    counts = []
    for size in (4, 20):
        competition = CompetitionFactory(slug=f"flat-version-{size}")
        world = results_world(competition, alice, per_unit=size // 2, top_k=size // 2)
        client = english()
        client.get(version_url(world["version"]))
        count, _html = _count(client, version_url(world["version"]))
        counts.append(count)
    assert counts[0] == counts[1], counts
