"""The organizer's ranking page of a round: method and scope selectors, raw and normalised side by side, flags,
the judges panel, unscored entries, pagination over one computed ranking, and a flat query count.

The builders at the top are shared with test_organizer_advance/versions/objections.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from judging.models import AggregationMethod, Decision, Outcome, RoundEntry
from portal.models import ActionLog, LoggedAction
from submissions.models import EntryCounter
from tests.factories import (
    CompetitionFactory,
    EntryFactory,
    PanelMembershipFactory,
    RoundFactory,
    RubricFactory,
    UnitFactory,
    UserFactory,
    submitted_score,
)

# --- Shared builders ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests activate English in this thread; later tests (in any file) start from the default language."""
    yield
    translation.deactivate()


def english_client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def round_url(name, round, *args):
    return reverse(f"judging:{name}", args=[round.competition.slug, round.pk, *args])


def closed_round(competition, position=1, **kwargs):
    """A round whose scoring window closed an hour ago, with the story (w60) / craft (w40) rubric."""
    now = timezone.now()
    round = RoundFactory(
        competition=competition,
        position=position,
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(hours=1),
        **kwargs,
    )
    RubricFactory(round=round)
    return round


def next_round_of(round):
    now = timezone.now()
    return RoundFactory(
        competition=round.competition,
        position=round.position + 1,
        kind="semi_final",
        name_zh="复评",
        name_en="Semi-final",
        opens_at=now + timedelta(days=5),
        closes_at=now + timedelta(days=20),
    )


def quick_entry(unit, **kwargs):
    """An eligible, numbered entry without materials (cheaper than eligible_entry; judging only needs these)."""
    entry = EntryFactory(unit=unit, **kwargs)
    counter, _ = EntryCounter.objects.get_or_create(competition=unit.competition)
    counter.last_sequence += 1
    counter.save()
    entry.sequence = counter.last_sequence
    entry.number = f"{unit.competition.entry_prefix}-{counter.last_sequence:04d}"
    entry.status = "eligible"
    entry.submitted_at = timezone.now()
    entry.save()
    return entry


def judges_of(round, count, names=("Judge A", "Judge B", "Judge C", "Judge D", "Judge E")):
    return [
        PanelMembershipFactory(
            round=round, judge=UserFactory(display_name=names[index], email=f"judge{index}-{round.pk}@example.com")
        ).judge
        for index in range(count)
    ]


def score(round, entry, judge, story, craft, comment=""):
    RoundEntry.objects.get_or_create(round=round, entry=entry)
    return submitted_score(
        round=round, entry=entry, judge=judge, values={"story": story, "craft": craft}, comment=comment
    )


def ladder(round, unit, count, judges, start=10, **entry_kwargs):
    """`count` entries of `unit`, scored by every judge, each half a point lower than the one before."""
    entries = []
    for index in range(count):
        entry = quick_entry(unit, **entry_kwargs)
        value = max(start - index * 0.5, 0)
        for judge in judges:
            score(round, entry, judge, value, value)
        entries.append(entry)
    return entries


@pytest.fixture
def second_unit(competition):
    return UnitFactory(competition=competition, slug="culture", name_zh="中华文化", name_en="Chinese Culture")


@pytest.fixture
def closed(competition):
    round = closed_round(competition)
    next_round_of(round)
    return round


@pytest.fixture
def hand_round(closed, unit, second_unit):
    """Hand-computed: two judges.
    A (unit): totals 72 and 68 -> mean 70, spread 4.        B (unit): 100 and 20 -> mean 60, spread 80 (flag).
    C (second unit): 50 and 50 -> 50.                       D (unit): on the list, no score.
    """
    judge_a, judge_b = judges_of(closed, 2)
    a = quick_entry(unit, title="Alpha")
    b = quick_entry(unit, title="Bravo")
    c = quick_entry(second_unit, title="Charlie work")
    d = quick_entry(unit, title="Delta unscored")
    score(closed, a, judge_a, 8, 6)
    score(closed, a, judge_b, 6, 8)
    score(closed, b, judge_a, 10, 10)
    score(closed, b, judge_b, 2, 2)
    score(closed, c, judge_a, 5, 5)
    score(closed, c, judge_b, 5, 5)
    RoundEntry.objects.create(round=closed, entry=d)
    return {"round": closed, "a": a, "b": b, "c": c, "d": d, "judges": (judge_a, judge_b)}


@pytest.fixture
def client(alice):
    return english_client(alice)


def rows_of(html):
    """Entry ids of the main ranking table, in order."""
    table = html.split('class="judging-table ranking-table"', 1)[1].split("</table>", 1)[0]
    return [int(pk) for pk in re.findall(r'<tr data-entry="(\d+)"', table)]


# --- Access ------------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(hand_round):
    response = english_client().get(round_url("ranking", hand_round["round"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_entrants_judges_and_other_organizers_get_404(request, hand_round, who):
    client = english_client(request.getfixturevalue(who))
    round = hand_round["round"]
    response = client.get(round_url("ranking", round))
    assert response.status_code == 404
    assert b"Alpha" not in response.content
    response = client.post(round_url("ranking", round), {"method": "median"})
    assert response.status_code == 404
    round.refresh_from_db()
    assert round.aggregation_method == AggregationMethod.MEAN


def test_a_round_of_another_competition_is_404_under_the_organizers_slug(client, competition):
    foreign = closed_round(CompetitionFactory(slug="elsewhere"))
    assert client.get(reverse("judging:ranking", args=[competition.slug, foreign.pk])).status_code == 404


# --- The page ------------------------------------------------------------------------------------------------------


def test_ranking_shows_scores_flags_judges_and_unscored_entries(client, hand_round):
    round = hand_round["round"]
    response = client.get(round_url("ranking", round))
    assert response.status_code == 200
    html = response.content.decode()
    assert rows_of(html) == [hand_round["a"].pk, hand_round["b"].pk, hand_round["c"].pk]
    # Raw (mean) and normalised side by side; B is flagged for disagreement (spread 80 > 25).
    a_row = html.split(f'<tr data-entry="{hand_round["a"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert "70.00" in a_row and "4.00" in a_row and "Disagreement" not in a_row
    b_row = html.split(f'<tr data-entry="{hand_round["b"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert "60.00" in b_row and "80.00" in b_row and "Disagreement" in b_row
    # Per criterion (collapsible second table): A's story mean is 7.00.
    criteria = html.split('class="judging-table criteria-table"', 1)[1].split("</table>", 1)[0]
    assert "Story" in criteria and "7.00" in criteria
    # The judges panel.
    judges = html.split('class="judging-table judges-table"', 1)[1].split("</table>", 1)[0]
    assert "Judge A" in judges and "Judge B" in judges
    assert "Fewer than 5 scores: raw totals used" in judges
    # The unscored entry is a warning, not a row.
    unscored = html.split('class="message message-warning unscored"', 1)[1].split("</div>", 1)[0]
    assert "Delta unscored" in unscored and hand_round["d"].number in unscored
    assert hand_round["d"].pk not in rows_of(html)
    # Round nav: the Results tab is current; links to advance and to prepare a result.
    assert re.search(r'href="[^"]+/results/"\s+aria-current="page">Results<', html)
    assert round_url("advance", round) in html and round_url("versions", round) in html


def test_method_selector_and_making_it_the_rounds_method(client, hand_round):
    round = hand_round["round"]
    html = client.get(round_url("ranking", round) + "?method=median").content.decode()
    assert re.search(r'aria-current="page">Median<', html)
    assert "Make this the round's method" in html
    # An unknown method falls back to the round's own.
    html = client.get(round_url("ranking", round) + "?method=bogus").content.decode()
    assert re.search(r'aria-current="page">Mean<', html)

    response = client.post(round_url("ranking", round), {"method": "median"})
    assert response.status_code == 302
    round.refresh_from_db()
    assert round.aggregation_method == AggregationMethod.MEDIAN
    assert ActionLog.objects.filter(action=LoggedAction.ROUND_CHANGED, data__fields=["aggregation_method"]).exists()
    response = client.post(round_url("ranking", round), {"method": "nonsense"}, follow=True)
    round.refresh_from_db()
    assert round.aggregation_method == AggregationMethod.MEDIAN
    assert "Choose one of the aggregation methods" in response.content.decode()


def test_per_unit_scope_shows_unit_ranks(client, hand_round, second_unit, unit):
    round = hand_round["round"]
    html = client.get(round_url("ranking", round) + f"?scope={unit.pk}").content.decode()
    assert rows_of(html) == [hand_round["a"].pk, hand_round["b"].pk]
    assert "Unit rank" in html
    html = client.get(round_url("ranking", round) + f"?scope={second_unit.pk}").content.decode()
    assert rows_of(html) == [hand_round["c"].pk]
    c_row = html.split(f'<tr data-entry="{hand_round["c"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'<td class="num">1</td>', c_row)  # first in its unit, third overall


def test_decisions_show_on_the_ranking(client, hand_round):
    round = hand_round["round"]
    Decision.objects.create(round=round, entry=hand_round["a"], outcome=Outcome.ADVANCED, rank=1)
    html = client.get(round_url("ranking", round)).content.decode()
    a_row = html.split(f'<tr data-entry="{hand_round["a"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert "outcome-advanced" in a_row


def test_pagination_slices_one_computed_ranking(client, closed, unit, monkeypatch):
    from judging import aggregation
    from judging.views import ranking as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    entries = ladder(closed, unit, 5, judges_of(closed, 1))
    calls = []
    original = aggregation._rank
    monkeypatch.setattr(aggregation, "_rank", lambda *a, **k: calls.append(1) or original(*a, **k))
    html = client.get(round_url("ranking", closed)).content.decode()
    assert rows_of(html) == [entries[0].pk, entries[1].pk]
    html = client.get(round_url("ranking", closed) + "?page=3").content.decode()
    assert rows_of(html) == [entries[4].pk]
    assert "Page 3 of 3" in html
    html = client.get(round_url("ranking", closed) + f"?scope={unit.pk}&page=2").content.decode()
    assert rows_of(html) == [entries[2].pk, entries[3].pk]
    assert len(calls) == 1  # computed for the first request; the others read it from the cache
    client.get(round_url("ranking", closed) + "?method=median")
    assert len(calls) == 2  # another method is another ranking


def test_a_cache_too_small_for_the_rows_computes_per_request(client, closed, unit, monkeypatch):
    from judging import aggregation
    from judging.views import ranking as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(aggregation, "_cache_holds", lambda count: False)
    entries = ladder(closed, unit, 3, judges_of(closed, 1))
    calls = []
    original = aggregation._rank
    monkeypatch.setattr(aggregation, "_rank", lambda *a, **k: calls.append(1) or original(*a, **k))
    assert rows_of(client.get(round_url("ranking", closed)).content.decode()) == [entries[0].pk, entries[1].pk]
    html = client.get(round_url("ranking", closed) + "?page=2").content.decode()
    assert rows_of(html) == [entries[2].pk]
    assert len(calls) == 2  # nothing cached: once per request, never twice in one


def test_a_changed_score_or_conflict_is_never_served_from_the_cache(client, closed, unit):
    from judging.models import Conflict, Score

    judge = judges_of(closed, 1)[0]
    first, second = ladder(closed, unit, 2, [judge])
    assert rows_of(client.get(round_url("ranking", closed)).content.decode()) == [first.pk, second.pk]

    # The first entry's score falls below the second's (a save moves updated_at).
    lowered = Score.objects.get(round=closed, entry=first)
    lowered.total = 10
    lowered.save()
    assert rows_of(client.get(round_url("ranking", closed)).content.decode()) == [second.pk, first.pk]

    # A conflict found afterwards takes the judge's score out: the entry has no counting score left.
    Conflict.objects.create(competition=closed.competition, judge=judge, entry=second, source="detected", basis="x")
    html = client.get(round_url("ranking", closed)).content.decode()
    assert rows_of(html) == [first.pk]

    # Waiving it puts the score back.
    Conflict.objects.filter(entry=second).update(waived_at=timezone.now(), waiver_reason="known")
    assert rows_of(client.get(round_url("ranking", closed)).content.decode()) == [second.pk, first.pk]


def test_open_round_says_the_ranking_may_change(client, judging_round, unit):
    judge = judges_of(judging_round, 1)[0]
    score(judging_round, quick_entry(unit), judge, 5, 5)
    html = client.get(round_url("ranking", judging_round)).content.decode()
    assert "Scoring is still open" in html


def test_empty_round(client, closed):
    html = client.get(round_url("ranking", closed)).content.decode()
    assert "No entry has a counting score yet" in html


def test_script_in_a_title_is_escaped(client, closed, unit):
    judge = judges_of(closed, 1)[0]
    score(closed, quick_entry(unit, title="<script>alert(1)</script>"), judge, 5, 5)
    html = client.get(round_url("ranking", closed)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_query_count_is_flat(client, closed, unit, second_unit):
    judges = judges_of(closed, 2)
    ladder(closed, unit, 3, judges)
    ladder(closed, second_unit, 2, judges)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(round_url("ranking", closed)).status_code == 200
        return len(queries)

    few = count()
    ladder(closed, unit, 12, judges, start=9)
    ladder(closed, second_unit, 8, judges, start=9)
    Decision.objects.bulk_create(
        Decision(round=closed, entry_id=pk, outcome=Outcome.ADVANCED)
        for pk in RoundEntry.objects.filter(round=closed).values_list("entry_id", flat=True)
    )
    assert count() == few
