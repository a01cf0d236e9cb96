"""Builders for the results tests: a competition with a closed round of scored entries and the rounds after it.

Everything is made directly with factories (submitted_score), so no scoring window or ledger is involved.
"""

from datetime import timedelta

from django.utils import timezone

from judging.models import RoundEntry
from tests.factories import (
    AssignmentFactory,
    PanelMembershipFactory,
    RoundFactory,
    RubricFactory,
    UnitFactory,
    UserFactory,
    eligible_entry,
    submitted_score,
)


def closed_round(competition, *, position=1, kind="preliminary", **fields):
    """A round whose scoring window closed an hour ago, with the two-criterion rubric."""
    now = timezone.now()
    fields.setdefault("opens_at", now - timedelta(days=10))
    fields.setdefault("closes_at", now - timedelta(hours=1))
    round = RoundFactory(competition=competition, position=position, kind=kind, **fields)
    RubricFactory(round=round)
    return round


def later_round(competition, *, position=2, kind="semi_final", open_now=False):
    now = timezone.now()
    if open_now:
        opens_at, closes_at = now - timedelta(days=1), now + timedelta(days=10)
    else:
        opens_at, closes_at = now + timedelta(days=5), now + timedelta(days=20)
    round = RoundFactory(
        competition=competition,
        position=position,
        kind=kind,
        name_zh="复评",
        name_en="Semi-final",
        opens_at=opens_at,
        closes_at=closes_at,
    )
    RubricFactory(round=round)
    return round


def judges(round, count=2):
    return [
        PanelMembershipFactory(
            round=round, judge=UserFactory(email=f"judge{n}-r{round.pk}@example.com", display_name=f"Judge {n}")
        ).judge
        for n in range(1, count + 1)
    ]


def score_all(round, entries, panel, values):
    """Put every entry on the round's list, assign every judge, and submit scores.

    `values[i][j]` is (story, craft) of judge j for entry i; craft needs a comment (the rubric says so)."""
    scores = []
    for entry, rows in zip(entries, values, strict=True):
        RoundEntry.objects.get_or_create(round=round, entry=entry)
        for seat, (judge, (story, craft)) in enumerate(zip(panel, rows, strict=True), start=1):
            AssignmentFactory(round=round, entry=entry, judge=judge)
            scores.append(
                submitted_score(
                    round=round,
                    entry=entry,
                    judge=judge,
                    values={"story": story, "craft": craft},
                    comment=f"overall {entry.number} seat {seat}",
                    comments={"craft": f"craft note {entry.number} seat {seat}"},
                )
            )
    return scores


def two_units(competition, unit):
    return unit, UnitFactory(competition=competition, slug="mystery", name_zh="悬疑", name_en="Mystery")


def scored_competition(competition, unit, *, per_unit=3):
    """Round 1 (closed) with `per_unit` entries in each of two units, two judges who scored everything, and an
    upcoming round 2. Unit A scores descend 9, 8, 7…; unit B 6, 5, 4… (story = craft for each judge)."""
    units = two_units(competition, unit)
    first = closed_round(competition)
    second = later_round(competition)
    panel = judges(first)
    entries, values = [], []
    for index, current in enumerate(units):
        for n in range(per_unit):
            entries.append(eligible_entry(current))
            base = 9 - index * 3 - n
            values.append([(base, base), (base, base)])
    score_all(first, entries, panel, values)
    return {"units": units, "first": first, "second": second, "judges": panel, "entries": entries}
