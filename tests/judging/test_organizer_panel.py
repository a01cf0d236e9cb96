"""The organizer's panel page of a round: members, invitations by email, adding a judge, expertise, dropping out."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from judging.models import Invitation, JudgeProfile, PanelMembership
from portal.models import ActionLog, CompetitionRole, LoggedAction, Role
from tests.factories import (
    AssignmentFactory,
    CompetitionFactory,
    PanelMembershipFactory,
    RoundFactory,
    UnitFactory,
    UserFactory,
)


def english_client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def url(name, round, *args):
    return reverse(f"judging:{name}", args=[round.competition.slug, round.pk, *args])


@pytest.fixture
def client(alice):
    return english_client(alice)


@pytest.fixture
def invitation(judging_round, alice):
    return Invitation.objects.create(
        round=judging_round,
        email="pending@example.com",
        invited_by=alice,
        expires_at=timezone.now() + timedelta(days=30),
    )


def all_requests(round, membership, invitation):
    return [
        ("get", url("panel", round), None),
        ("post", url("panel", round), {"action": "invite", "emails": "new@example.com"}),
        ("post", url("panel_drop", round, membership.pk), {"reason": "ill"}),
        ("post", url("panel_expertise", round, membership.pk), {"expertise": []}),
        ("post", url("invitation_revoke", round, invitation.pk), {}),
        ("post", url("invitation_resend", round, invitation.pk), {}),
    ]


def send(client, method, target, data):
    return client.post(target, data) if method == "post" else client.get(target)


# --- Access -----------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(judging_round, bob_membership, invitation):
    client = english_client()
    for method, target, data in all_requests(judging_round, bob_membership, invitation):
        response = send(client, method, target, data)
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("account_login")), target
    bob_membership.refresh_from_db()
    invitation.refresh_from_db()
    assert bob_membership.active and invitation.revoked_at is None
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_entrants_judges_and_other_organizers_get_404(request, judging_round, bob_membership, invitation, who):
    client = english_client(request.getfixturevalue(who))
    for method, target, data in all_requests(judging_round, bob_membership, invitation):
        response = send(client, method, target, data)
        assert response.status_code == 404, (who, target)
        assert b"pending@example.com" not in response.content
    bob_membership.refresh_from_db()
    invitation.refresh_from_db()
    assert bob_membership.active and invitation.revoked_at is None and invitation.token
    assert Invitation.objects.count() == 1
    assert not mail.outbox


def test_a_judge_of_another_round_gets_404(judging_round, competition, bob_membership, invitation):
    other_round = RoundFactory(competition=competition, position=2)
    judge = PanelMembershipFactory(round=other_round).judge
    client = english_client(judge)
    for method, target, data in all_requests(judging_round, bob_membership, invitation):
        assert send(client, method, target, data).status_code == 404, target


def test_a_round_of_another_competition_is_404_under_the_organizers_slug(client, competition):
    foreign = RoundFactory(competition=CompetitionFactory(slug="elsewhere"))
    target = reverse("judging:panel", args=[competition.slug, foreign.pk])
    assert client.get(target).status_code == 404
    assert client.post(target, {"action": "invite", "emails": "x@example.com"}).status_code == 404
    assert not Invitation.objects.exists()


# --- The page -----------------------------------------------------------------------------------------------------


def test_the_page_lists_members_with_their_details_and_counts(client, judging_round, assignment, bob, unit, erin):
    JudgeProfile.objects.create(user=bob, affiliations="北京电影学院\nLight Studio")
    membership = PanelMembership.objects.get(round=judging_round, judge=bob)
    membership.expertise.add(unit)
    erin_membership = PanelMembership.objects.get(round=judging_round, judge=erin)
    erin_membership.active = False
    erin_membership.dropped_at = timezone.now()
    erin_membership.save()

    response = client.get(url("panel", judging_round))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bob" in html and "bob@example.com" in html
    assert "北京电影学院" in html and "Light Studio" in html
    assert "Street Life" in html  # expertise
    assert "Left the panel" in html  # erin
    row = html[html.index(f'data-membership="{membership.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">1</td>' in row  # one active assignment, no score yet
    assert url("panel_drop", judging_round, membership.pk) in html
    # A member who left cannot be dropped again.
    assert url("panel_drop", judging_round, erin_membership.pk) not in html
    assert 'href="' + url("panel", judging_round) + '" aria-current="page"' in html  # the round's tabs


def test_pending_invitations_are_listed_with_resend_and_revoke(client, judging_round, invitation, alice):
    Invitation.objects.create(
        round=judging_round,
        email="revoked@example.com",
        invited_by=alice,
        expires_at=timezone.now() + timedelta(days=3),
        revoked_at=timezone.now(),
    )
    html = client.get(url("panel", judging_round)).content.decode()
    assert "pending@example.com" in html
    assert "revoked@example.com" not in html
    assert url("invitation_resend", judging_round, invitation.pk) in html
    assert url("invitation_revoke", judging_round, invitation.pk) in html


def test_query_count_is_flat_as_the_panel_grows(client, judging_round, competition, unit, alice):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("panel", judging_round))
        assert response.status_code == 200
        return len(queries)

    def add_member():
        membership = PanelMembershipFactory(round=judging_round)
        membership.expertise.add(unit)
        JudgeProfile.objects.create(user=membership.judge, affiliations="Studio")
        Invitation.objects.create(
            round=judging_round,
            email=f"i{membership.pk}@example.com",
            invited_by=alice,
            expires_at=timezone.now() + timedelta(days=3),
        )

    add_member()
    one = count()
    for _ in range(9):
        add_member()
    assert count() == one


# --- Inviting -----------------------------------------------------------------------------------------------------


def test_inviting_creates_invitations_and_emails_them(
    client, judging_round, unit, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("panel", judging_round),
            {
                "action": "invite",
                "emails": "zhang@example.com\nli@example.com, ZHANG@example.com",
                "expertise": [unit.pk],
            },
        )
    assert response.status_code == 302 and response["Location"] == url("panel", judging_round)
    invitations = Invitation.objects.filter(round=judging_round)
    assert sorted(invitations.values_list("email", flat=True)) == ["li@example.com", "zhang@example.com"]
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "li@example.com",
        "zhang@example.com",
    ]
    assert all(invitation.sent_at for invitation in invitations)
    assert ActionLog.objects.filter(competition=judging_round.competition, action=LoggedAction.JUDGES_INVITED).exists()
    html = client.get(response["Location"]).content.decode()
    assert "2 invitations are on their way." in html
    assert "zhang@example.com" in html and "li@example.com" in html


def test_an_address_already_on_the_panel_is_skipped(client, judging_round, bob_membership):
    response = client.post(
        url("panel", judging_round), {"action": "invite", "emails": "bob@example.com new@example.com"}, follow=True
    )
    assert list(Invitation.objects.values_list("email", flat=True)) == ["new@example.com"]
    html = response.content.decode()
    assert "1 invitation is on its way." in html and "1 address was skipped" in html


def test_bad_addresses_are_named_and_the_typed_text_is_kept(client, judging_round):
    typed = "good@example.com\nnot-an-address\n<script>alert(1)</script>"
    response = client.post(url("panel", judging_round), {"action": "invite", "emails": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert "These are not email addresses" in html
    assert "not-an-address" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "good@example.com" in html  # kept in the textarea
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_an_empty_invitation_form_is_refused(client, judging_round):
    response = client.post(url("panel", judging_round), {"action": "invite", "emails": "  ,  "})
    assert response.status_code == 200
    assert not Invitation.objects.exists()


def test_a_unit_of_another_competition_is_refused_as_expertise(client, judging_round):
    foreign_unit = UnitFactory(competition=CompetitionFactory())
    response = client.post(
        url("panel", judging_round), {"action": "invite", "emails": "x@example.com", "expertise": [foreign_unit.pk]}
    )
    assert response.status_code == 200
    assert "x@example.com" in response.content.decode()
    assert not Invitation.objects.exists()


def test_resending_gives_a_new_token_and_emails_again(
    client, judging_round, invitation, django_capture_on_commit_callbacks
):
    old_token = invitation.token
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("invitation_resend", judging_round, invitation.pk))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.token != old_token
    assert [message.to for message in mail.outbox] == [["pending@example.com"]]
    assert invitation.token in mail.outbox[0].body


def test_revoking_closes_the_invitation(client, judging_round, invitation):
    response = client.post(url("invitation_revoke", judging_round, invitation.pk), follow=True)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    html = response.content.decode()
    assert "has been revoked" in html
    assert 'data-invitation="' not in html
    assert ActionLog.objects.filter(action=LoggedAction.INVITATION_REVOKED).count() == 1


def test_invitations_of_another_round_are_404(client, judging_round, competition, alice):
    other_round = RoundFactory(competition=competition, position=2)
    foreign = Invitation.objects.create(
        round=other_round,
        email="other@example.com",
        invited_by=alice,
        expires_at=timezone.now() + timedelta(days=3),
    )
    assert client.post(url("invitation_revoke", judging_round, foreign.pk)).status_code == 404
    assert client.post(url("invitation_resend", judging_round, foreign.pk)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None and not mail.outbox


def test_actions_are_post_only(client, judging_round, bob_membership, invitation):
    for target in [
        url("panel_drop", judging_round, bob_membership.pk),
        url("panel_expertise", judging_round, bob_membership.pk),
        url("invitation_revoke", judging_round, invitation.pk),
        url("invitation_resend", judging_round, invitation.pk),
    ]:
        assert client.get(target).status_code == 405, target


# --- Adding an existing judge -------------------------------------------------------------------------------------


@pytest.fixture
def judge_of_another_round(competition):
    """Accepted the terms on another round's panel of the same competition."""
    other_round = RoundFactory(competition=competition, position=2)
    return PanelMembershipFactory(
        round=other_round, judge=UserFactory(email="gao@example.com", display_name="高评委")
    ).judge


def test_a_judge_of_the_competition_can_be_added(client, judging_round, judge_of_another_round, unit, bob_membership):
    html = client.get(url("panel", judging_round)).content.decode()
    select = html[html.index('name="judge"') :]
    select = select[: select.index("</select>")]
    assert "高评委" in select
    assert "bob@example.com" not in select  # already on this panel

    response = client.post(
        url("panel", judging_round), {"action": "add", "judge": judge_of_another_round.pk, "expertise": [unit.pk]}
    )
    assert response.status_code == 302
    membership = PanelMembership.objects.get(round=judging_round, judge=judge_of_another_round)
    assert membership.active and membership.terms_accepted_at is not None
    assert list(membership.expertise.all()) == [unit]


def test_someone_who_is_not_a_judge_of_the_competition_cannot_be_added(client, judging_round, charlie, dave):
    for user in (charlie, dave):
        response = client.post(url("panel", judging_round), {"action": "add", "judge": user.pk})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not PanelMembership.objects.filter(round=judging_round).exists()


def test_a_judge_who_never_accepted_the_terms_is_refused_with_the_reason(client, judging_round, competition):
    user = UserFactory(display_name="新评委")
    CompetitionRole.objects.create(competition=competition, user=user, role=Role.JUDGE)
    response = client.post(url("panel", judging_round), {"action": "add", "judge": user.pk})
    assert response.status_code == 200
    assert "has not accepted the judging terms" in response.content.decode()
    assert not PanelMembership.objects.filter(round=judging_round, judge=user).exists()


# --- Expertise and dropping out ---------------------------------------------------------------------------------


def test_setting_expertise(client, judging_round, bob_membership, unit, competition):
    second = UnitFactory(competition=competition, name_en="Chinese Culture")
    bob_membership.expertise.add(unit)
    response = client.post(url("panel_expertise", judging_round, bob_membership.pk), {"expertise": [second.pk]})
    assert response.status_code == 302
    assert list(bob_membership.expertise.all()) == [second]
    response = client.post(url("panel_expertise", judging_round, bob_membership.pk), {})
    assert not bob_membership.expertise.exists()


def test_expertise_in_a_unit_of_another_competition_is_refused(client, judging_round, bob_membership, unit):
    bob_membership.expertise.add(unit)
    foreign_unit = UnitFactory(competition=CompetitionFactory())
    response = client.post(
        url("panel_expertise", judging_round, bob_membership.pk), {"expertise": [foreign_unit.pk]}, follow=True
    )
    assert "nothing was changed" in response.content.decode()
    assert list(bob_membership.expertise.all()) == [unit]


def test_dropping_a_judge_keeps_the_row_and_suggests_reassigning(client, judging_round, assignment, bob_membership):
    response = client.post(url("panel_drop", judging_round, bob_membership.pk), {"reason": "家中有事"}, follow=True)
    bob_membership.refresh_from_db()
    assert not bob_membership.active and bob_membership.dropped_at is not None
    html = response.content.decode()
    assert "Run the automatic assignment again" in html
    assert "Left the panel" in html
    log = ActionLog.objects.get(action=LoggedAction.JUDGE_DROPPED)
    assert log.data["reason"] == "家中有事"


def test_dropping_without_a_reason_changes_nothing(client, judging_round, bob_membership):
    response = client.post(url("panel_drop", judging_round, bob_membership.pk), {"reason": "  "}, follow=True)
    assert "Give the reason" in response.content.decode()
    bob_membership.refresh_from_db()
    assert bob_membership.active


def test_members_of_another_round_are_404(client, judging_round, competition, unit):
    other = PanelMembershipFactory(round=RoundFactory(competition=competition, position=2))
    assert client.post(url("panel_drop", judging_round, other.pk), {"reason": "x"}).status_code == 404
    assert client.post(url("panel_expertise", judging_round, other.pk), {"expertise": [unit.pk]}).status_code == 404
    other.refresh_from_db()
    assert other.active and not other.expertise.exists()


def test_assignment_counts_only_count_this_round(client, judging_round, competition, bob_membership, unit):
    other_round = RoundFactory(competition=competition, position=2)
    AssignmentFactory(round=other_round, judge=bob_membership.judge, entry__unit=unit)
    html = client.get(url("panel", judging_round)).content.decode()
    row = html[html.index(f'data-membership="{bob_membership.pk}"') :]
    row = row[: row.index("</tr>")]
    assert row.count('<td class="num">0</td>') == 2


def test_a_judge_who_left_can_be_added_back(client, judging_round, bob_membership):
    client.post(url("panel_drop", judging_round, bob_membership.pk), {"reason": "出差"})
    html = client.get(url("panel", judging_round)).content.decode()
    select = html[html.index('name="judge"') :]
    assert "bob@example.com" in select[: select.index("</select>")]
    response = client.post(url("panel", judging_round), {"action": "add", "judge": bob_membership.judge_id})
    assert response.status_code == 302
    bob_membership.refresh_from_db()
    assert bob_membership.active and bob_membership.dropped_at is None
