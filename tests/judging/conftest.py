"""Judging fixtures: an open blind round of `competition` with a rubric, bob on its panel, one assigned entry.

Everything is built directly with factories (not through judging services), so these fixtures stay valid
whatever the services do.
"""

import pytest
from django.utils import translation

from tests.factories import (
    AssignmentFactory,
    PanelMembershipFactory,
    RoundFactory,
    RubricFactory,
    UserFactory,
    eligible_entry,
)


@pytest.fixture(autouse=True)
def english():
    """Service messages are asserted in English. The site's default is Chinese, and a request through the test
    client leaves its language active on the thread, so without this a test would depend on the one before."""
    with translation.override("en"):
        yield


@pytest.fixture
def judging_round(competition):
    """Open now (opened yesterday, closes in 14 days), blind, 3 judges per entry, rubric for the work track."""
    round = RoundFactory(competition=competition, position=1)
    RubricFactory(round=round)
    return round


@pytest.fixture
def bob_membership(judging_round, bob):
    return PanelMembershipFactory(round=judging_round, judge=bob)


@pytest.fixture
def entrant_entry(unit, charlie):
    """An eligible entry owned by charlie, with a director credit 林导演, in `unit`."""
    return eligible_entry(unit, owner=charlie)


@pytest.fixture
def assignment(judging_round, bob_membership, entrant_entry):
    from judging.models import RoundEntry

    RoundEntry.objects.create(round=judging_round, entry=entrant_entry)
    return AssignmentFactory(round=judging_round, entry=entrant_entry, judge=bob_membership.judge)


@pytest.fixture
def erin(judging_round):
    """A second judge on the same panel, with nothing assigned."""
    return PanelMembershipFactory(
        round=judging_round, judge=UserFactory(email="erin@example.com", display_name="Erin")
    ).judge
