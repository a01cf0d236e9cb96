"""CSV and XLSX exports: the rows, the filters, Chinese text, no formula injection, bounded queries."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from submissions import exports
from submissions.exports import neutralise
from submissions.models import CoOwner, Credit, EntryStatus
from tests.factories import UnitFactory, UserFactory
from tests.submissions.organizer_support import body, english_client, export_url, make_entry

PROBES = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tX", "\rX"]


# ---------------------------------------------------------------- the neutralising function


@pytest.mark.parametrize("probe", PROBES + ["=1+1", "-", "@", "=", "+86 138 0000 0000"])
def test_neutralise_prefixes_formula_triggers(probe):
    assert neutralise(probe) == "'" + probe


@pytest.mark.parametrize("value", ["胡同里的光", "Light", "", " =1+1", "a=b", "'quoted", "LCP2026-0001", "1-2"])
def test_neutralise_leaves_other_text(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [None, 0, -2, 12, 3.5, True])
def test_neutralise_leaves_non_text(value):
    assert neutralise(value) == value


# ---------------------------------------------------------------- fixtures and readers


@pytest.fixture
def client(alice):
    return english_client(alice)


@pytest.fixture
def film(unit):
    owner = UserFactory(email="lin.yi@example.com", display_name="林一")
    entry = make_entry(
        unit,
        status=EntryStatus.ELIGIBLE,
        owner=owner,
        submitted_at=datetime(2026, 11, 26, 2, 30, 5, tzinfo=UTC),
        title="胡同里的光",
        title_en="Light in the Hutong",
        country="中国",
        languages=["zh", "yue"],
        genres=["drama", "family"],
        episode_count=12,
        episode_runtime_seconds=150,
        total_runtime_seconds=1800,
        filing_number="京备 2026-001",
        aigc_used=True,
        aigc_tools="Kling",
        aigc_parts=["video", "music"],
        aigc_statement="画面由 AI 生成。",
    )
    Credit.objects.create(entry=entry, role="director", name="林一", position=0)
    Credit.objects.create(entry=entry, role="screenwriter", name="王二", position=1)
    Credit.objects.create(entry=entry, role="other", role_other="配音", name="张三", position=2)
    CoOwner.objects.create(entry=entry, email="partner@example.com")
    return entry


@pytest.fixture
def draft(unit):
    return make_entry(unit, title="草稿之作", title_en="", country="法国")


def bilingual(label):
    with translation.override("zh-hans"):
        chinese = translation.gettext(label)
    return "/".join(dict.fromkeys([chinese, label]))


def read_csv(response):
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM first, for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(response):
    workbook = load_workbook(io.BytesIO(body(response)))
    sheet = workbook.worksheets[0]
    cells = list(sheet.iter_rows())
    for row in cells:
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
    return [[cell.value for cell in row] for row in cells]


def as_dicts(rows):
    header, *data = rows
    return [dict(zip(header, row, strict=True)) for row in data]


# ---------------------------------------------------------------- CSV


def test_csv_has_one_row_per_entry_with_every_column(client, competition, film, draft):
    response = client.get(export_url(competition, "csv"))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "lcp-test-entries-" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == exports_headers()
    records = as_dicts(rows)
    assert [record["Title"] for record in records] == ["胡同里的光", "草稿之作"]  # numbered first, drafts last
    record = records[0]
    assert record["Entry number"] == film.number
    assert record["Status"] == "Eligible"
    assert record["Original or English title"] == "Light in the Hutong"
    assert record["Track"] == "Finished work"
    assert record["Unit"] == "Street Life"
    assert record["Entrant email"] == "lin.yi@example.com"
    assert record["Entrant name"] == "林一"
    assert record["Country or region"] == "中国"
    assert record["Languages"] == "Mandarin; Cantonese"
    assert record["Genres"] == "Drama; Family"
    assert (record["Episodes"], record["Runtime per episode (seconds)"], record["Total runtime (seconds)"]) == (
        "12", "150", "1800")
    assert record["Filing number"] == "京备 2026-001"
    assert (record["AI tools used"], record["AI tools"], record["Parts made with AI"]) == ("Yes", "Kling",
                                                                                          "Video; Music")
    assert record["AIGC statement"] == "画面由 AI 生成。"
    assert record["Submitted at"] == "2026-11-26T10:30:05+08:00"
    assert record["Credits"] == (
        f"{bilingual('Director')}: 林一; {bilingual('Screenwriter')}: 王二; {bilingual('Other')} (配音): 张三"
    )
    assert record["Co-owners"] == "partner@example.com"
    draft_record = records[1]
    assert (draft_record["Entry number"], draft_record["Status"], draft_record["Submitted at"]) == ("", "Draft", "")
    assert draft_record["AI tools used"] == ""


def exports_headers():
    with translation.override("en"):
        return exports.headers()


def test_csv_respects_the_filters(client, competition, film, draft, unit):
    other_unit = UnitFactory(competition=competition)
    make_entry(other_unit, status=EntryStatus.SUBMITTED, title="别的单元", country="中国")
    titles = lambda query: [r["Title"] for r in as_dicts(read_csv(client.get(export_url(competition, "csv", query))))]  # noqa: E731
    assert titles("status=draft") == ["草稿之作"]
    assert titles("country=中国") == ["胡同里的光", "别的单元"]
    assert titles(f"unit={other_unit.pk}") == ["别的单元"]
    assert titles("q=hutong") == ["胡同里的光"]
    assert titles("aigc=unanswered&country=法国") == ["草稿之作"]
    assert titles("status=garbage&unit=999999&page=abc") == ["胡同里的光", "别的单元", "草稿之作"]
    assert titles("status=withdrawn") == []


def test_csv_leaves_out_other_competitions(client, competition, film, dave):
    other_entry = make_entry(UnitFactory(), title="别人的作品")
    titles = [r["Title"] for r in as_dicts(read_csv(client.get(export_url(competition, "csv"))))]
    assert other_entry.title not in titles


def probe_entry(unit):
    entry = make_entry(
        unit,
        status=EntryStatus.SUBMITTED,
        title=PROBES[0],
        title_en=PROBES[1],
        aigc_tools=PROBES[2],
        aigc_statement=PROBES[3],
        country=PROBES[4],
        filing_number=PROBES[5],
        owner=UserFactory(display_name="=cmd|' /C calc'!A0"),
    )
    for position, probe in enumerate(PROBES):
        Credit.objects.create(entry=entry, role="other", role_other="", name=probe, position=position)
    Credit.objects.create(entry=entry, role="director", name="林一", position=9)
    return entry


def test_csv_neutralises_formulas(client, competition, unit):
    entry = probe_entry(unit)
    record = as_dicts(read_csv(client.get(export_url(competition, "csv"))))[0]
    assert record["Title"] == "'" + PROBES[0]
    assert record["Original or English title"] == "'+1"
    assert record["AI tools"] == "'-2"
    assert record["AIGC statement"] == "'@SUM(A1)"
    assert record["Country or region"] == "'\tX"
    assert record["Filing number"] == "'\rX"
    assert record["Entrant name"] == "'=cmd|' /C calc'!A0"
    # Credits start with a role label, so the cell is safe as a whole; the names are kept as typed.
    assert record["Credits"].startswith(bilingual("Other") + ": =HYPERLINK")
    assert entry.number == record["Entry number"]
    for value in record.values():
        assert not value.startswith(exports.FORMULA_TRIGGERS), value


def test_a_credits_cell_that_would_start_with_a_trigger_is_neutralised(client, competition, unit, monkeypatch):
    """Whatever a cell is built from, the whole cell is checked: here a role label itself starts with '='."""
    entry = make_entry(unit, status=EntryStatus.SUBMITTED, title="标题")
    Credit.objects.create(entry=entry, role="director", name="林一")
    real = exports.bilingual_credit_roles
    monkeypatch.setattr(exports, "bilingual_credit_roles", lambda: {**real(), "director": "=EVIL()"})
    record = as_dicts(read_csv(client.get(export_url(competition, "csv"))))[0]
    assert record["Credits"] == "'=EVIL(): 林一"
    rows = as_dicts(read_xlsx(client.get(export_url(competition, "xlsx"))))
    assert rows[0]["Credits"] == "'=EVIL(): 林一"


def test_csv_in_chinese(alice, competition, film):
    client = english_client(alice)
    response = client.get(export_url(competition, "csv"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = read_csv(response)
    with translation.override("zh-hans"):
        assert rows[0] == exports.headers()
    assert rows[1][2] == "胡同里的光"


# ---------------------------------------------------------------- XLSX


def test_xlsx_has_the_same_rows(client, competition, film, draft):
    response = client.get(export_url(competition, "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith('.xlsx"')
    assert "lcp-test-entries-2" in disposition
    rows = read_xlsx(response)
    assert rows[0] == exports_headers()
    records = as_dicts(rows)
    assert [record["Title"] for record in records] == ["胡同里的光", "草稿之作"]
    record = records[0]
    assert record["Entry number"] == film.number
    assert record["Entrant name"] == "林一"
    assert record["Episodes"] == 12 and record["Total runtime (seconds)"] == 1800  # numbers stay numbers
    assert record["Submitted at"] == "2026-11-26T10:30:05+08:00"
    assert record["Credits"].endswith("(配音): 张三")
    assert records[1]["Entry number"] is None and records[1]["Status"] == "Draft"


def test_xlsx_neutralises_formulas(client, competition, unit):
    probe_entry(unit)
    record = as_dicts(read_xlsx(client.get(export_url(competition, "xlsx"))))[0]
    assert record["Title"] == "'" + PROBES[0]
    assert record["Original or English title"] == "'+1"
    assert record["AI tools"] == "'-2"
    assert record["AIGC statement"] == "'@SUM(A1)"
    assert record["Country or region"] == "'\tX"
    assert record["Entrant name"] == "'=cmd|' /C calc'!A0"
    # An XML reader turns the carriage return into a line feed; the quote in front is what matters.
    assert record["Filing number"] in ("'\rX", "'\nX")


def test_xlsx_drops_characters_a_worksheet_cannot_hold(client, competition, unit):
    # (No NUL here: PostgreSQL cannot store it, and forms refuse it before it gets that far.)
    make_entry(unit, title="标题\x0b\x01=1+1", aigc_statement="ok\x08", aigc_tools="\x01=1+1")
    record = as_dicts(read_xlsx(client.get(export_url(competition, "xlsx"))))[0]
    assert record["Title"] == "标题=1+1"
    assert record["AIGC statement"] == "ok"
    assert record["AI tools"] == "'=1+1"  # checked again once the stray character is gone


def test_xlsx_respects_the_filters(client, competition, film, draft):
    records = as_dicts(read_xlsx(client.get(export_url(competition, "xlsx", "status=eligible"))))
    assert [record["Title"] for record in records] == ["胡同里的光"]
    records = as_dicts(read_xlsx(client.get(export_url(competition, "xlsx", "q=nothing"))))
    assert records == []


# ---------------------------------------------------------------- queries


def add_entries(unit, count):
    for index in range(count):
        entry = make_entry(unit, status=EntryStatus.SUBMITTED, title=f"作品 {index}", credits=3)
        CoOwner.objects.create(entry=entry, email=f"co{entry.pk}@example.com")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_queries_do_not_grow_with_the_entries(client, competition, unit, kind):
    url = export_url(competition, kind)

    def measure(expected_rows):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            rows = read_csv(response) if kind == "csv" else read_xlsx(response)
        assert len(rows) == expected_rows + 1
        return len(queries)

    client.get(url)
    add_entries(unit, 5)
    first = measure(5)
    add_entries(unit, 20)
    second = measure(25)
    assert first == second, f"{first} queries for 5 entries, {second} for 25"


def test_csv_reads_in_chunks(client, competition, unit, monkeypatch):
    """With small chunks the queries grow per chunk (entries, credits, co-owners), never per entry."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 10)
    add_entries(unit, 30)
    with CaptureQueriesContext(connection) as queries:
        rows = read_csv(client.get(export_url(competition, "csv")))
    assert len(rows) == 31
    entry_queries = [q for q in queries if 'FROM "submissions_' in q["sql"]]
    assert len(entry_queries) <= 3 * 3 + 1
