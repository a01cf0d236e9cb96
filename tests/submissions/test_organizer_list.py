"""The organizer's entry list: every entry, filters and search combined, pagination, counts, empty states."""

import html as html_lib
import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import TrackKind
from submissions.models import EntryStatus
from tests.factories import CompetitionFactory, UnitFactory, UserFactory
from tests.submissions.organizer_support import english_client, export_url, list_url, make_entry


@pytest.fixture
def client(alice):
    return english_client(alice)


@pytest.fixture
def second_unit(competition):
    return UnitFactory(competition=competition, slug="chinese-culture", name_zh="中华文化", name_en="Chinese Culture")


@pytest.fixture
def catalogue(unit, second_unit):
    """A small competition: one entry per interesting combination, each with a distinct title."""
    zoe = UserFactory(email="zoe.wang@studio.example", display_name="Zoe Wang")
    return {
        "draft": make_entry(unit, title="草稿之作", title_en="Draft Work", country="中国"),
        "submitted": make_entry(
            unit, status=EntryStatus.SUBMITTED, title="胡同里的光", title_en="Light in the Hutong", country="中国",
            aigc_used=True, owner=zoe,
        ),
        "eligible": make_entry(
            second_unit, status=EntryStatus.ELIGIBLE, title="京剧小生", title_en="The Young Opera Star",
            country="法国", aigc_used=False,
        ),
        "story": make_entry(
            second_unit, status=EntryStatus.INELIGIBLE, story=True, title="回乡", title_en="Going Home",
            country="新加坡",
        ),
        "withdrawn": make_entry(unit, status=EntryStatus.WITHDRAWN, title="撤回的作品", title_en="Withdrawn One"),
    }


ALL_TITLES = ["草稿之作", "胡同里的光", "京剧小生", "回乡", "撤回的作品"]


def shown(client, competition, query=""):
    response = client.get(list_url(competition, query))
    assert response.status_code == 200
    page = response.content.decode()
    return [title for title in ALL_TITLES if title in page], page


def test_every_entry_is_listed_drafts_included_and_marked(client, competition, catalogue):
    titles, page = shown(client, competition)
    assert titles == ALL_TITLES or sorted(titles) == sorted(ALL_TITLES)
    draft_row = re.search(r'<tr class="entry-row entry-row-draft"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert "草稿之作" in draft_row
    assert "Draft" in draft_row and "none yet" in draft_row
    submitted = catalogue["submitted"]
    assert submitted.number in page
    assert "Zoe Wang" in page and "zoe.wang@studio.example" in page
    assert "Light in the Hutong" in page  # the original title under the Chinese one
    assert "Street Life" in page and "Chinese Culture" in page
    assert "Finished work" in page and "Story" in page


def test_counts_per_status_are_shown(client, competition, catalogue):
    _titles, page = shown(client, competition)
    counts = {
        label: int(number)
        for number, label in re.findall(
            r'status-count-number">(\d+)</span>\s*<span class="status-count-label">([^<]+)</span>', page
        )
    }
    assert counts == {"All": 5, "Draft": 1, "Submitted": 1, "Eligible": 1, "Ineligible": 1, "Withdrawn": 1}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=draft", ["草稿之作"]),
        ("status=eligible", ["京剧小生"]),
        ("track=story", ["回乡"]),
        ("track=work", ["草稿之作", "胡同里的光", "京剧小生", "撤回的作品"]),
        ("country=中国", ["草稿之作", "胡同里的光"]),
        ("aigc=yes", ["胡同里的光"]),
        ("aigc=no", ["京剧小生"]),
        ("aigc=unanswered", ["草稿之作", "回乡", "撤回的作品"]),
        # Search: Chinese title, original title in any case, entry number, entrant email and display name.
        ("q=胡同", ["胡同里的光"]),
        ("q=young+OPERA", ["京剧小生"]),
        ("q=going home", ["回乡"]),
        ("q=ZOE.WANG@STUDIO", ["胡同里的光"]),
        ("q=zoe wang", ["胡同里的光"]),
        ("q=nothing-like-this", []),
        # Combined: every filter must hold.
        ("status=submitted&country=中国&aigc=yes", ["胡同里的光"]),
        ("status=draft&aigc=yes", []),
        ("track=work&q=light", ["胡同里的光"]),
    ],
)
def test_filters_and_search(client, competition, catalogue, query, expected):
    titles, _page = shown(client, competition, query)
    assert sorted(titles) == sorted(expected)


def test_filter_by_unit_and_search_by_entry_number(client, competition, catalogue, second_unit):
    titles, _page = shown(client, competition, f"unit={second_unit.pk}")
    assert sorted(titles) == sorted(["京剧小生", "回乡"])
    number = catalogue["eligible"].number
    titles, _page = shown(client, competition, f"q={number.lower()}")
    assert titles == ["京剧小生"]


def test_country_choices_come_from_the_entries(client, competition, catalogue):
    _titles, page = shown(client, competition)
    select = re.search(r'<select name="country".*?</select>', page, re.S).group(0)
    assert ">中国<" in select and ">法国<" in select and ">新加坡<" in select


@pytest.mark.parametrize(
    "query",
    [
        "unit=999999",
        "unit=abc",
        "unit=1;DROP TABLE",
        "status=garbage",
        "track=zzz",
        "country=Atlantis",
        "aigc=maybe",
        "page=abc",
        "page=99999",
        "page=-1",
        "page=1.5",
        "q=" + "x" * 5000,
        "q=%00",
        "unit=&status=&track=&country=&aigc=&q=",
        "status=draft&status=eligible",
    ],
)
def test_forged_values_never_fail(client, competition, catalogue, query):
    response = client.get(list_url(competition, query))
    assert response.status_code == 200


def test_forged_filters_are_ignored(client, competition, catalogue):
    titles, page = shown(client, competition, "unit=999999&status=garbage&track=zzz&aigc=maybe&country=Atlantis")
    assert sorted(titles) == sorted(ALL_TITLES)
    assert "Clear filters" not in page  # nothing valid was applied


def test_a_unit_of_another_competition_is_ignored(client, competition, catalogue):
    foreign_unit = UnitFactory(competition=CompetitionFactory())
    titles, _page = shown(client, competition, f"unit={foreign_unit.pk}")
    assert sorted(titles) == sorted(ALL_TITLES)


def test_entries_of_other_competitions_are_not_listed(client, competition, catalogue):
    other = make_entry(UnitFactory(competition=CompetitionFactory()), title="别人的作品")
    page = client.get(list_url(competition)).content.decode()
    assert "别人的作品" not in page
    assert other.title not in page


def test_times_are_in_the_competitions_timezone(client, competition, unit):
    make_entry(unit, status=EntryStatus.SUBMITTED, submitted_at=datetime(2026, 11, 26, 2, 30, tzinfo=UTC))
    page = client.get(list_url(competition)).content.decode()
    assert "2026-11-26 10:30" in page  # Asia/Shanghai is UTC+8
    assert "Asia/Shanghai" in page


def rows(page):
    return re.findall(r'<tr class="entry-row[^"]*" data-entry="(\d+)"', page)


def test_pagination_keeps_the_filters(client, competition, unit):
    for index in range(120):
        make_entry(unit, status=EntryStatus.SUBMITTED if index % 2 else EntryStatus.DRAFT, title=f"作品 {index}")
    page = client.get(list_url(competition)).content.decode()
    assert len(rows(page)) == 50
    assert "Entries 1–50 of 120" in page
    assert "Page 1 of 3" in page

    page = client.get(list_url(competition, "status=submitted")).content.decode()
    assert len(rows(page)) == 50
    assert "Page 1 of 2" in page
    assert 'href="?status=submitted&amp;page=2"' in page

    page = client.get(list_url(competition, "status=submitted&page=2")).content.decode()
    assert len(rows(page)) == 10
    assert "Entries 51–60 of 60" in page
    assert 'href="?status=submitted&amp;page=1"' in page

    first_ids = set(rows(client.get(list_url(competition)).content.decode()))
    second_ids = set(rows(client.get(list_url(competition, "page=2")).content.decode()))
    third_ids = set(rows(client.get(list_url(competition, "page=3")).content.decode()))
    assert len(first_ids | second_ids | third_ids) == 120

    # Out of range: the last page; not a number: the first.
    assert set(rows(client.get(list_url(competition, "page=99999")).content.decode())) == third_ids
    assert set(rows(client.get(list_url(competition, "page=abc")).content.decode())) == first_ids


def test_no_entries_yet(client, competition, unit):
    response = client.get(list_url(competition))
    page = response.content.decode()
    assert "No entries yet" in page
    assert "<table" not in page
    assert "export.csv" not in page  # nothing to export


def test_no_entries_match(client, competition, catalogue):
    page = client.get(list_url(competition, "q=nothing-like-this")).content.decode()
    assert "No entries match these filters" in page
    assert "No entries yet" not in page
    assert f'href="{list_url(competition)}"' in page  # clear filters
    assert "Clear filters" in page


def test_export_links_carry_the_filters(client, competition, catalogue, second_unit):
    query = f"unit={second_unit.pk}&status=eligible&q=opera"
    page = html_lib.unescape(client.get(list_url(competition, query + "&page=1")).content.decode())
    for kind in ("csv", "xlsx"):
        link = re.search(rf'href="({re.escape(export_url(competition, kind))}[^"]*)"', page).group(1)
        assert f"unit={second_unit.pk}" in link
        assert "status=eligible" in link
        assert "q=opera" in link
        assert "page=" not in link


def test_an_entry_title_with_markup_is_escaped(client, competition, unit):
    make_entry(unit, title="<script>alert(1)</script>")
    page = client.get(list_url(competition)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("query", ["", "status=submitted&q=作品&aigc=yes&country=中国"])
def test_query_count_is_flat_as_entries_grow(client, competition, unit, second_unit, query):
    story = competition.tracks.get(kind=TrackKind.STORY)

    def add(count):
        for index in range(count):
            make_entry(
                unit if index % 2 else second_unit,
                status=EntryStatus.SUBMITTED,
                title=f"作品 {index}",
                country="中国",
                aigc_used=True,
                credits=3,
                **({"track": story} if index % 3 == 0 else {}),
            )

    client.get(list_url(competition, query))  # warm up (session, content types)
    add(5)
    first, page = count_queries(client, list_url(competition, query))
    assert len(rows(page)) == 5
    add(20)
    second, page = count_queries(client, list_url(competition, query))
    assert len(rows(page)) == 25
    assert first == second, f"{first} queries with 5 entries, {second} with 25"
