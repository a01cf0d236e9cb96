"""The judge's home: their rounds grouped by competition with progress and the window, pending invitations."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from judging.models import Invitation, RoundEntry, ScoreStatus
from tests.factories import AssignmentFactory, PanelMembershipFactory, RoundFactory, RubricFactory, eligible_entry
from tests.judging.judge_support import client_for, conflict, make_score

URL = reverse("judging:judge_home")


def test_anonymous_is_sent_to_sign_in(db):
    response = client_for().get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_an_entrant_gets_404(charlie):
    assert client_for(charlie).get(URL).status_code == 404


def test_a_judge_without_rounds_sees_the_empty_state(bob):
    response = client_for(bob).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are not on any judging panel yet" in html
    assert reverse("judging:judge_profile") in html


def test_rounds_show_progress_and_the_deadline_in_the_competition_timezone(assignment, bob, competition, unit):
    round = assignment.round
    round.closes_at = timezone.now().replace(microsecond=0) + timedelta(days=3)
    round.save()
    second = eligible_entry(unit)
    RoundEntry.objects.create(round=round, entry=second)
    AssignmentFactory(round=round, entry=second, judge=bob)
    make_score(assignment)  # one of two submitted
    html = client_for(bob).get(URL).content.decode()
    assert competition.name_en in html and round.name_en in html
    assert "1 / 2" in html
    assert reverse("judging:queue", args=[round.pk]) in html
    closes = timezone.localtime(round.closes_at, competition.tzinfo).strftime("%Y-%m-%d %H:%M")
    assert closes in html and "Asia/Shanghai" in html
    assert 'value="50"' in html  # the progress bar
    assert "Open for scoring" in html


def test_drafts_and_conflicted_or_dropped_rounds_do_not_count(assignment, bob, unit, competition):
    round = assignment.round
    second = eligible_entry(unit)
    AssignmentFactory(round=round, entry=second, judge=bob)
    make_score(assignment, status=ScoreStatus.DRAFT)
    conflict(bob, second)
    html = client_for(bob).get(URL).content.decode()
    assert "0 / 1" in html  # the conflicted entry is not in the count, the draft is not a submitted score

    later = RoundFactory(competition=competition, position=2, name_zh="复评", name_en="Semi-final Zeta")
    membership = PanelMembershipFactory(round=later, judge=bob)
    membership.active = False
    membership.save()
    unaccepted = RoundFactory(competition=competition, position=3, name_zh="终评", name_en="Final Omega")
    PanelMembershipFactory(round=unaccepted, judge=bob, terms_accepted_at=None)
    html = client_for(bob).get(URL).content.decode()
    assert "Semi-final Zeta" not in html and "Final Omega" not in html


def test_closed_and_upcoming_rounds_say_so(bob_membership, bob, judging_round):
    judging_round.opens_at = timezone.now() - timedelta(days=10)
    judging_round.closes_at = timezone.now() - timedelta(days=1)
    judging_round.save()
    assert "Closed" in client_for(bob).get(URL).content.decode()
    judging_round.opens_at = timezone.now() + timedelta(days=1)
    judging_round.closes_at = timezone.now() + timedelta(days=10)
    judging_round.save()
    html = client_for(bob).get(URL).content.decode()
    assert "Not open yet" in html and "opens" in html


def test_pending_invitations_to_verified_addresses_are_listed(bob, bob_membership, competition):
    later = RoundFactory(competition=competition, position=2, name_zh="复评", name_en="Semi-final")
    RubricFactory(round=later)
    mine = Invitation.objects.create(
        round=later, email="BOB@example.com", expires_at=timezone.now() + timedelta(days=5)
    )
    other = Invitation.objects.create(
        round=later, email="someone@example.com", expires_at=timezone.now() + timedelta(days=5)
    )
    html = client_for(bob).get(URL).content.decode()
    assert reverse("judging:invitation", args=[mine.token]) in html
    assert other.token not in html
    mine.revoked_at = timezone.now()
    mine.save()
    assert mine.token not in client_for(bob).get(URL).content.decode()


def test_an_unverified_address_sees_no_invitation(bob, bob_membership, competition):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=bob, email="bob-alt@example.com", verified=False, primary=False)
    later = RoundFactory(competition=competition, position=2)
    invitation = Invitation.objects.create(
        round=later, email="bob-alt@example.com", expires_at=timezone.now() + timedelta(days=5)
    )
    assert invitation.token not in client_for(bob).get(URL).content.decode()


def test_live_final_rounds_link_to_the_live_page(bob_membership, bob, judging_round):
    judging_round.live_final = True
    judging_round.save()
    assert reverse("judging:live", args=[judging_round.pk]) in client_for(bob).get(URL).content.decode()


def _count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_rounds(bob, competition, unit):
    client = client_for(bob)
    round = RoundFactory(competition=competition, position=1)
    PanelMembershipFactory(round=round, judge=bob)
    AssignmentFactory(round=round, entry=eligible_entry(unit), judge=bob)
    client.get(URL)
    one = _count_queries(client)
    for position in range(2, 6):
        later = RoundFactory(competition=competition, position=position)
        PanelMembershipFactory(round=later, judge=bob)
        AssignmentFactory(round=later, entry=eligible_entry(unit), judge=bob)
    assert _count_queries(client) == one
