"""The entry page's query count stays flat as the judge's queue, the entry's files and the other scores grow."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from judging.models import PeerScores
from tests.factories import AssignmentFactory, PanelMembershipFactory, eligible_entry
from tests.judging.judge_support import client_for, entry_url, make_image, make_score, make_video


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_is_flat_as_assignments_files_and_peer_scores_grow(assignment, bob, judging_round, unit):
    judging_round.peer_scores = PeerScores.AFTER_OWN
    judging_round.required_watch_share = 50
    judging_round.save()
    make_score(assignment)
    make_video(assignment.entry, slot="episode-1")
    make_image(assignment.entry, kind="stills", original_name="still-1.jpg")
    client = client_for(bob)
    url = entry_url(assignment)
    client.get(url)
    small = _count(client, url)

    for _ in range(15):  # a longer queue (for "next unscored")
        AssignmentFactory(round=judging_round, entry=eligible_entry(unit), judge=bob)
    for episode in range(2, 8):  # more episodes with watch progress to show
        make_video(assignment.entry, slot=f"episode-{episode}")
    for index in range(4):
        make_image(assignment.entry, kind="stills", original_name=f"still-{index + 2}.jpg")
    for _ in range(4):  # more judges who scored the same entry (peer scores)
        other = PanelMembershipFactory(round=judging_round).judge
        make_score(AssignmentFactory(round=judging_round, entry=assignment.entry, judge=other))
    assert _count(client, url) == small
