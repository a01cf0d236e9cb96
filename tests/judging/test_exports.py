"""Exports of a round (scores, ranking, judge progress as CSV and XLSX): the rows, translated headers, file names,
formula-injection safety, flat query counts, and 404 for everyone but the competition's organizers."""

import csv
import io

import pytest
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from judging.models import Conflict, ConflictSource, Decision, RoundEntry, Score, ScoreStatus
from judging.models.results import Outcome
from tests.factories import AssignmentFactory, PanelMembershipFactory, UserFactory, eligible_entry, submitted_score


def english_client(user=None, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def client(alice):
    return english_client(alice)


def export_url(round, what, fmt):
    return reverse("judging:export", args=[round.competition.slug, round.pk, what, fmt])


@pytest.fixture
def exported(judging_round, bob_membership, erin, unit):
    """Two entries (one titled like a formula); bob scores both (one comment "+cmd"), erin one ("@SUM(1)") and
    keeps a draft of the other; frank's score is conflicted."""
    hostile = eligible_entry(unit, title='=HYPERLINK("http://evil.example","click")')
    plain = eligible_entry(unit, title="追光")
    for entry in (hostile, plain):
        RoundEntry.objects.create(round=judging_round, entry=entry)
    bob = bob_membership.judge
    submitted_score(
        round=judging_round,
        entry=hostile,
        judge=bob,
        values={"story": 8, "craft": 6},
        comment="+cmd",
        comments={"craft": "-2 for sound"},
    )
    submitted_score(round=judging_round, entry=plain, judge=bob, values={"story": 5, "craft": 5})
    submitted_score(round=judging_round, entry=hostile, judge=erin, values={"story": 6, "craft": 6}, comment="@SUM(1)")
    draft = submitted_score(round=judging_round, entry=plain, judge=erin, values={"story": 1, "craft": 1})
    Score.objects.filter(pk=draft.pk).update(status=ScoreStatus.DRAFT, submitted_at=None)
    frank = PanelMembershipFactory(round=judging_round, judge=UserFactory(display_name="Frank")).judge
    submitted_score(round=judging_round, entry=plain, judge=frank, values={"story": 0, "craft": 0})
    Conflict.objects.create(
        competition=judging_round.competition,
        judge=frank,
        entry=plain,
        source=ConflictSource.DECLARED,
        basis="declared",
    )
    return judging_round, hostile, plain


def read_csv(response):
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response):
    assert isinstance(response, FileResponse)
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    width = len(rows[0])
    return [row + [None] * (width - len(row)) for row in rows]  # trailing empty cells are not stored


def as_dicts(rows):
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


# --- Access ---------------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(judging_round):
    response = english_client().get(export_url(judging_round, "scores", "csv"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
@pytest.mark.parametrize("what", ["scores", "ranking", "progress"])
def test_only_organizers_of_the_competition_may_export(request, exported, who, what):
    round = exported[0]
    client = english_client(request.getfixturevalue(who))
    for fmt in ("csv", "xlsx"):
        response = client.get(export_url(round, what, fmt))
        assert response.status_code == 404, (who, what, fmt)
        assert b"HYPERLINK" not in response.content


@pytest.mark.parametrize(
    "what, fmt", [("secrets", "csv"), ("scores", "pdf"), ("scores.xlsx", "csv"), ("Scores", "csv")]
)
def test_unknown_exports_are_404(client, judging_round, what, fmt):
    assert client.get(export_url(judging_round, what, fmt)).status_code == 404


def test_a_round_of_another_competition_is_404(client, competition, dave):
    from tests.factories import CompetitionFactory, RoundFactory

    foreign = RoundFactory(competition=CompetitionFactory(slug="elsewhere"))
    url = reverse("judging:export", args=[competition.slug, foreign.pk, "scores", "csv"])
    assert client.get(url).status_code == 404


# --- Scores ---------------------------------------------------------------------------------------------------------


def test_scores_csv_lists_every_score_with_whether_it_counts(client, exported):
    round, hostile, plain = exported
    response = client.get(export_url(round, "scores", "csv"))
    assert response["Content-Disposition"] == 'attachment; filename="LCP2026-round1-scores.csv"'
    assert response["Cache-Control"] == "private, no-store"
    rows = read_csv(response)
    assert rows[0][:9] == [
        "Entry number",
        "Title",
        "Unit",
        "Track",
        "Judge",
        "Judge email",
        "Status",
        "Counts",
        "Total (0–100)",
    ]
    assert rows[0][9:] == [
        "Story (story)",
        "Craft (craft)",
        "Overall comment",
        "Comments per criterion",
        "Submitted at",
    ]
    scores = as_dicts(rows)
    assert len(scores) == 5
    by_judge = {(row["Entry number"], row["Judge"]): row for row in scores}
    bob_hostile = by_judge[(hostile.number, "Bob")]
    assert bob_hostile["Title"] == "'" + hostile.title  # neutralised
    assert bob_hostile["Overall comment"] == "'+cmd"
    assert bob_hostile["Comments per criterion"] == "Craft: -2 for sound"
    assert (bob_hostile["Story (story)"], bob_hostile["Craft (craft)"]) == ("8.00", "6.00")
    assert bob_hostile["Total (0–100)"] == "72.000"
    assert (bob_hostile["Status"], bob_hostile["Counts"]) == ("Submitted", "Yes")
    assert by_judge[(hostile.number, "Erin")]["Overall comment"] == "'@SUM(1)"
    assert (by_judge[(plain.number, "Erin")]["Status"], by_judge[(plain.number, "Erin")]["Counts"]) == ("Draft", "No")
    frank = by_judge[(plain.number, "Frank")]
    assert (frank["Status"], frank["Counts"]) == ("Submitted", "No")  # conflicted
    assert [row["Entry number"] for row in scores] == sorted(row["Entry number"] for row in scores)


def test_scores_xlsx_is_neutralised_and_typed(client, exported):
    round, hostile, _plain = exported
    response = client.get(export_url(round, "scores", "xlsx"))
    assert response["Content-Disposition"] == 'attachment; filename="LCP2026-round1-scores.xlsx"'
    rows = read_xlsx(response)
    scores = as_dicts(rows)
    bob_hostile = next(row for row in scores if row["Judge"] == "Bob" and row["Entry number"] == hostile.number)
    assert bob_hostile["Title"] == "'" + hostile.title
    assert bob_hostile["Overall comment"] == "'+cmd"
    assert float(bob_hostile["Total (0–100)"]) == 72.0  # a number, not text
    assert next(row for row in scores if row["Judge"] == "Erin" and row["Counts"] == "Yes")["Overall comment"] == (
        "'@SUM(1)"
    )
    # No cell of the workbook starts a formula.
    for row in rows:
        for cell in row:
            assert not (isinstance(cell, str) and cell[:1] in "=+-@"), cell


def test_headers_follow_the_language(alice, exported):
    round = exported[0]
    rows = read_csv(english_client(alice, "zh-hans").get(export_url(round, "scores", "csv")))
    assert rows[0][0] == "作品编号" and "剧名" in rows[0] and "评委" in rows[0]
    assert "故事 (story)" in rows[0]
    rows = read_xlsx(english_client(alice, "zh-hans").get(export_url(round, "scores", "xlsx")))
    assert rows[0][0] == "作品编号"


def test_the_scores_export_makes_the_same_queries_for_few_or_many_scores(client, judging_round, bob_membership, unit):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(export_url(judging_round, "scores", "csv"))
            rows = read_csv(response)
        return len(queries), len(rows)

    entries = [eligible_entry(unit) for _ in range(12)]
    submitted_score(round=judging_round, entry=entries[0], judge=bob_membership.judge, values={"story": 1, "craft": 1})
    few, rows = count()
    assert rows == 2
    for entry in entries[1:]:
        submitted_score(round=judging_round, entry=entry, judge=bob_membership.judge, values={"story": 3, "craft": 4})
    many, rows = count()
    assert rows == 13
    assert few == many


# --- Ranking --------------------------------------------------------------------------------------------------------


def test_ranking_export(client, exported):
    round, hostile, plain = exported
    Decision.objects.create(
        round=round, entry=plain, outcome=Outcome.ADVANCED, overridden=True, reason="=1+1 a strong pitch"
    )
    response = client.get(export_url(round, "ranking", "csv"))
    assert response["Content-Disposition"] == 'attachment; filename="LCP2026-round1-ranking.csv"'
    rows = read_csv(response)
    assert rows[0] == [
        "Rank",
        "Rank in unit",
        "Entry number",
        "Title",
        "Unit",
        "Track",
        "Judges",
        "Raw score",
        "Normalised score",
        "Score",
        "Spread",
        "Standard deviation",
        "Judges disagree",
        "Decision",
        "Reason for the override",
    ]
    ranked = as_dicts(rows)
    # hostile: bob 72, erin 60 -> mean 66; plain: bob 50 (erin's draft and frank's conflicted score do not count)
    assert [row["Entry number"] for row in ranked] == [hostile.number, plain.number]
    assert [row["Rank"] for row in ranked] == ["1", "2"]
    first, second = ranked
    assert first["Title"].startswith("'=HYPERLINK")
    assert first["Judges"] == "2" and float(first["Score"]) == pytest.approx(66.0)
    assert float(first["Spread"]) == pytest.approx(12.0)
    assert first["Unit"] == "Street Life" and first["Track"] == "Finished work"
    assert second["Judges"] == "1" and float(second["Score"]) == pytest.approx(50.0)
    assert second["Decision"] == "Advanced" and second["Reason for the override"] == "'=1+1 a strong pitch"
    assert first["Decision"] == ""


def test_ranking_xlsx(client, exported):
    round, hostile, _plain = exported
    response = client.get(export_url(round, "ranking", "xlsx"))
    assert response["Content-Disposition"] == 'attachment; filename="LCP2026-round1-ranking.xlsx"'
    ranked = as_dicts(read_xlsx(response))
    assert ranked[0]["Entry number"] == hostile.number and ranked[0]["Rank"] == 1
    assert ranked[0]["Title"] == "'" + hostile.title


# --- Progress -------------------------------------------------------------------------------------------------------


def test_progress_export(client, judging_round, bob_membership, erin, unit):
    entries = [eligible_entry(unit) for _ in range(2)]
    for entry in entries:
        RoundEntry.objects.create(round=judging_round, entry=entry)
        AssignmentFactory(round=judging_round, entry=entry, judge=bob_membership.judge)
    submitted_score(round=judging_round, entry=entries[0], judge=bob_membership.judge, values={"story": 1, "craft": 1})
    erin.display_name = "-Erin"
    erin.save()
    for fmt, read in (("csv", read_csv), ("xlsx", read_xlsx)):
        response = client.get(export_url(judging_round, "progress", fmt))
        assert response["Content-Disposition"] == f'attachment; filename="LCP2026-round1-progress.{fmt}"'
        rows = as_dicts(read(response))
        by_email = {row["Email"]: row for row in rows}
        bob = by_email["bob@example.com"]
        assert [str(bob[key]) for key in ("Judge", "On the panel", "Assigned", "Submitted", "Drafts")] == [
            "Bob",
            "Yes",
            "2",
            "1",
            "0",
        ]
        assert by_email["erin@example.com"]["Judge"] == "'-Erin"
