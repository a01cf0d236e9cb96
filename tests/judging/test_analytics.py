"""Analytics of a round: per-judge distributions of totals and per-criterion histograms computed in the database,
and their rendering as accessible, escaped, script-free inline SVG."""

import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from judging import analytics
from judging.models import Conflict, ConflictSource, RoundEntry, Score, ScoreStatus
from tests.factories import (
    CompetitionFactory,
    PanelMembershipFactory,
    RoundFactory,
    UserFactory,
    eligible_entry,
    submitted_score,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def english():
    """The assertions below read English texts; the site's default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def entries(unit, judging_round):
    entries = [eligible_entry(unit) for _ in range(5)]
    RoundEntry.objects.bulk_create(RoundEntry(round=judging_round, entry=entry) for entry in entries)
    return entries


@pytest.fixture
def scored_round(judging_round, bob_membership, erin, entries):
    """bob: totals 26, 50, 62, 88 (story 3/5/7/8, craft 2/5/5/10); erin: one total 100; a draft and a conflicted
    score that never count."""
    bob = bob_membership.judge
    for entry, (story, craft) in zip(entries, [(5, 5), (7, 5), (8, 10), (3, 2)], strict=False):
        submitted_score(round=judging_round, entry=entry, judge=bob, values={"story": story, "craft": craft})
    submitted_score(round=judging_round, entry=entries[0], judge=erin, values={"story": 10, "craft": 10})
    # A draft of erin's and a score of a conflicted judge: neither counts.
    draft = submitted_score(round=judging_round, entry=entries[1], judge=erin, values={"story": 0, "craft": 0})
    Score.objects.filter(pk=draft.pk).update(status=ScoreStatus.DRAFT)
    frank = PanelMembershipFactory(round=judging_round, judge=UserFactory(display_name="Frank")).judge
    submitted_score(round=judging_round, entry=entries[4], judge=frank, values={"story": 0, "craft": 0})
    Conflict.objects.create(
        competition=judging_round.competition,
        judge=frank,
        entry=entries[4],
        source=ConflictSource.DECLARED,
        basis="declared",
    )
    return judging_round


# --- Per judge ------------------------------------------------------------------------------------------------------


def test_judge_distribution_matches_hand_computed_quartiles(scored_round, bob):
    rows = analytics.judge_distribution(scored_round)
    assert [row["name"] for row in rows] == ["Bob", "Erin"]  # frank's only score is conflicted
    bob_row = rows[0]
    assert bob_row["judge_id"] == bob.pk
    assert bob_row["count"] == 4
    # Sorted 26, 50, 62, 88: Q1 at 0.75 -> 44, median at 1.5 -> 56, Q3 at 2.25 -> 68.5
    assert (bob_row["min"], bob_row["q1"], bob_row["median"], bob_row["q3"], bob_row["max"]) == (
        Decimal("26.00"),
        Decimal("44.00"),
        Decimal("56.00"),
        Decimal("68.50"),
        Decimal("88.00"),
    )
    assert bob_row["mean"] == Decimal("56.50")
    erin_row = rows[1]
    assert erin_row["count"] == 1
    assert {erin_row[key] for key in ("min", "q1", "median", "q3", "max", "mean")} == {Decimal("100.00")}


@pytest.mark.parametrize(
    "totals, expected",
    [
        ([10, 20], ("12.50", "15.00", "17.50")),
        ([10, 20, 30], ("15.00", "20.00", "25.00")),
        ([0, 10, 20, 30, 40], ("10.00", "20.00", "30.00")),
        ([5, 5, 5, 90, 90, 100], ("5.00", "47.50", "90.00")),
    ],
)
def test_quartiles_interpolate_like_quartile_inc(judging_round, bob_membership, unit, totals, expected):
    for total in totals:
        entry = eligible_entry(unit)
        # story only (weight 60) and craft (40) in proportion: the same share s of both gives total 10 * s
        share = Decimal(total) / 10
        submitted_score(
            round=judging_round, entry=entry, judge=bob_membership.judge, values={"story": share, "craft": share}
        )
    (row,) = analytics.judge_distribution(judging_round)
    assert (row["q1"], row["median"], row["q3"]) == tuple(Decimal(value) for value in expected)


def test_judge_distribution_takes_two_queries_whatever_the_number_of_scores(judging_round, bob_membership, unit):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            analytics.judge_distribution(judging_round)
        return len(queries)

    entries = [eligible_entry(unit) for _ in range(8)]
    submitted_score(round=judging_round, entry=entries[0], judge=bob_membership.judge, values={"story": 5, "craft": 5})
    few = count_queries()
    judges = [PanelMembershipFactory(round=judging_round).judge for _ in range(3)]
    for judge in judges:
        for index, entry in enumerate(entries):
            submitted_score(round=judging_round, entry=entry, judge=judge, values={"story": index, "craft": 5})
    assert count_queries() == few == 2


def test_an_empty_round_has_no_rows(judging_round):
    assert analytics.judge_distribution(judging_round) == []


# --- Per criterion --------------------------------------------------------------------------------------------------


def test_criterion_histograms_bucket_values_in_the_database(scored_round):
    rows = {row["key"]: row for row in analytics.criterion_distribution(scored_round)}
    assert list(rows) == ["story", "craft"]
    story = rows["story"]
    assert story["name"] == "故事" or story["name"] == "Story"
    assert (story["min_score"], story["max_score"]) == (Decimal("0"), Decimal("10"))
    # bob 5, 7, 8, 3 and erin 10 (the top of the range falls in the last bucket)
    assert story["counts"] == [0, 0, 0, 1, 0, 1, 0, 1, 1, 1]
    assert story["count"] == 5
    assert story["mean"] == Decimal("6.60")
    # craft: 5, 5, 10, 2, 10
    assert rows["craft"]["counts"] == [0, 0, 1, 0, 0, 2, 0, 0, 0, 2]


def test_buckets_follow_the_argument_and_half_steps(judging_round, bob_membership, unit):
    for value in ("0", "2.5", "4.5", "5", "9.5", "10"):
        submitted_score(
            round=judging_round,
            entry=eligible_entry(unit),
            judge=bob_membership.judge,
            values={"story": value, "craft": 0},
        )
    story = analytics.criterion_distribution(judging_round, buckets=4)[0]
    # [0, 2.5) [2.5, 5) [5, 7.5) [7.5, 10]
    assert story["counts"] == [1, 2, 1, 2]


def test_criterion_distribution_lists_criteria_without_values(judging_round):
    rows = analytics.criterion_distribution(judging_round)
    assert [(row["key"], row["counts"], row["mean"]) for row in rows] == [
        ("story", [0] * 10, None),
        ("craft", [0] * 10, None),
    ]


def test_criterion_distribution_takes_three_queries(scored_round, unit, bob_membership):
    with CaptureQueriesContext(connection) as few:
        analytics.criterion_distribution(scored_round)
    for _ in range(6):
        submitted_score(
            round=scored_round, entry=eligible_entry(unit), judge=bob_membership.judge, values={"story": 4, "craft": 6}
        )
    with CaptureQueriesContext(connection) as many:
        analytics.criterion_distribution(scored_round)
    assert len(few) == len(many) == 3


# --- SVG ------------------------------------------------------------------------------------------------------------


def parse(svg):
    assert "<script" not in svg.lower()
    assert "style=" not in svg
    root = ElementTree.fromstring(svg)
    for element in root.iter():
        assert element.tag.startswith(SVG), element.tag  # nothing but SVG elements
        assert not [name for name in element.attrib if name.lower().startswith("on")]  # no event handlers
        assert "style" not in element.attrib
    return root


def test_boxplots_are_accessible_and_list_the_numbers(scored_round):
    rows = analytics.judge_distribution(scored_round)
    svg = analytics.svg_boxplots(rows, title="Totals per judge")
    root = parse(svg)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Totals per judge"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    for number in ("26", "44", "56", "68.5", "88", "56.5"):
        assert re.search(rf"\b{re.escape(number)}\b", desc.text), number
    assert "Bob" in desc.text and "Erin" in desc.text
    assert len(root.findall(f".//{SVG}rect")) == 2  # one box per judge


def test_svg_escapes_names_and_titles():
    row = {
        "judge_id": 1,
        "name": '<script>alert("x")</script> & Co',
        "count": 1,
        **{key: Decimal("50") for key in ("min", "q1", "median", "q3", "max", "mean")},
    }
    svg = analytics.svg_boxplots([row], title="<b>Totals</b>")
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "&amp; Co" in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "<b>Totals</b>"
    histogram = analytics.svg_histogram(
        {
            "key": "k",
            "name": "<img src=x onerror=alert(1)>",
            "min_score": 0,
            "max_score": 10,
            "counts": [1, 2],
            "count": 3,
            "mean": Decimal("5"),
        },
        title="<i>x</i>",
    )
    assert "<img" not in histogram and "<i>" not in histogram
    parse(histogram)


def test_histogram_describes_every_bucket(scored_round):
    story = analytics.criterion_distribution(scored_round)[0]
    svg = analytics.svg_histogram(story, title="Story")
    root = parse(svg)
    desc = root.find(f"{SVG}desc").text
    assert "3 to 4: 1" in desc and "9 to 10: 1" in desc and "0 to 1: 0" in desc
    assert "6.6" in desc
    bars = list(root.iter(f"{SVG}rect"))
    assert len(bars) == 10
    heights = [float(rect.get("height")) for rect in bars]
    assert heights[:3] == [0, 0, 0] and all(height > 0 for height in heights[7:])


def test_empty_charts_say_so():
    assert "No scores yet." in analytics.svg_boxplots([], title="t")
    svg = analytics.svg_histogram(
        {"key": "k", "name": "K", "min_score": 0, "max_score": 10, "counts": [0] * 10, "count": 0, "mean": None},
        title="K",
    )
    parse(svg)
    assert "No scores yet." in svg


# --- The page -------------------------------------------------------------------------------------------------------


def english_client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def page_url(round):
    return reverse("judging:analytics", args=[round.competition.slug, round.pk])


def test_anonymous_is_sent_to_sign_in(judging_round):
    response = english_client().get(page_url(judging_round))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["charlie", "bob", "erin", "dave"])
def test_only_organizers_of_the_competition_see_analytics(request, scored_round, who):
    response = english_client(request.getfixturevalue(who)).get(page_url(scored_round))
    assert response.status_code == 404
    assert b"<svg" not in response.content


def test_a_round_of_another_competition_is_404(alice, competition):
    foreign = RoundFactory(competition=CompetitionFactory(slug="elsewhere"))
    url = reverse("judging:analytics", args=[competition.slug, foreign.pk])
    assert english_client(alice).get(url).status_code == 404


def test_the_page_shows_charts_disagreements_severity_and_exports(alice, scored_round, entries):
    response = english_client(alice).get(page_url(scored_round))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('role="img"') == 3  # the box plots and one histogram per criterion
    assert "Totals per judge" in html and 'data-criterion="story"' in html and 'data-criterion="craft"' in html
    assert "1 draft is left out." in html
    # entries[0]: bob 50, erin 100 -> spread 50, flagged; no other entry has two judges
    section = html[html.index('id="disagreements-heading"') :]
    section = section[: section.index("</section>")]
    assert f'data-entry="{entries[0].pk}"' in section and entries[0].number in section
    assert "50.00" in section and "25.00" in section  # spread, population standard deviation
    assert f'data-entry="{entries[1].pk}"' not in section
    severity = html[html.index('id="severity-heading"') :]
    severity = severity[: severity.index("</section>")]
    assert "Bob" in severity and "Erin" in severity and "Raw totals (fewer than 5 scores)" in severity
    for what in ("scores", "ranking", "progress"):
        for fmt in ("csv", "xlsx"):
            assert reverse("judging:export", args=[scored_round.competition.slug, scored_round.pk, what, fmt]) in html
    assert f'href="{page_url(scored_round)}" aria-current="page"' in html
    assert "style=" not in html[html.index("<svg") : html.rindex("</svg>")]


def test_an_unscored_round_says_so(alice, judging_round):
    html = english_client(alice).get(page_url(judging_round)).content.decode()
    assert "No counting scores yet" in html and "<svg" not in html
    assert reverse("judging:export", args=[judging_round.competition.slug, judging_round.pk, "scores", "csv"]) in html


def test_names_are_escaped_on_the_page(alice, scored_round, bob):
    bob.display_name = '<script>alert("judge")</script>'
    bob.save()
    html = english_client(alice).get(page_url(scored_round)).content.decode()
    assert '<script>alert("judge")' not in html
    assert "&lt;script&gt;" in html


def test_the_page_makes_the_same_queries_for_5_or_25_entries(alice, judging_round, bob_membership, erin, unit):
    client = english_client(alice)
    frank = PanelMembershipFactory(round=judging_round, judge=UserFactory(display_name="Frank")).judge
    judges = [bob_membership.judge, erin, frank]

    def add(count):
        for index in range(count):
            entry = eligible_entry(unit)
            RoundEntry.objects.create(round=judging_round, entry=entry)
            for offset, judge in enumerate(judges):
                submitted_score(
                    round=judging_round,
                    entry=entry,
                    judge=judge,
                    values={"story": (index + 3 * offset) % 11, "craft": (index * 2) % 11},
                )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page_url(judging_round))
        assert response.status_code == 200
        return len(captured)

    add(5)
    few = queries()
    add(20)
    assert queries() == few
