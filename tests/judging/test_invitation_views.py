"""The invitation link: friendly pages for bad links, sign-in or sign-up for strangers, the right address only,
the judging terms, and the way on to the queue (through MFA set-up when it is required)."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from judging import invitations
from judging.judge_forms import CONFIDENTIALITY_TERMS, CONFLICT_TERMS
from judging.models import Invitation, JudgeProfile, PanelMembership
from portal.models import CompetitionRole, Role
from tests.factories import PanelMembershipFactory, UserFactory

INVITED = "newjudge@example.com"


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def invitation(judging_round, alice):
    return Invitation.objects.create(
        round=judging_round, email=INVITED, invited_by=alice, expires_at=timezone.now() + timedelta(days=30)
    )


@pytest.fixture
def newjudge(db):
    return UserFactory(email="NewJudge@example.com", display_name="Nina")


def url(invitation):
    return reverse("judging:invitation", args=[invitation.token])


def accept_data(**overrides):
    return {"confidentiality": "on", "conflicts": "on", "affiliations": "北京电影学院\nLight Studio", **overrides}


def page(response):
    return response.content.decode()


# --- Links that do not work ----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["forged-token", "x" * 43, "a" * 200])
def test_an_unknown_or_forged_token_gets_a_friendly_404(client, invitation, token, newjudge):
    client.force_login(newjudge)
    response = client.get(reverse("judging:invitation", args=[token]))
    assert response.status_code == 404
    html = page(response)
    assert "This invitation link does not work" in html and "ask the organizers" in html
    assert invitation.round.competition.name not in html
    response = client.post(reverse("judging:invitation", args=[token]), accept_data())
    assert response.status_code == 404
    assert not PanelMembership.objects.filter(judge=newjudge).exists()


def test_an_expired_invitation_says_so_and_what_to_do(client, invitation, newjudge):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    client.force_login(newjudge)
    response = client.post(url(invitation), accept_data())
    assert response.status_code == 410
    html = page(response)
    assert "This invitation has expired" in html and "send it again" in html
    assert invitation.round.competition.name in html
    assert not PanelMembership.objects.filter(judge=newjudge).exists()


def test_a_revoked_invitation_says_so(client, invitation):
    invitation.revoked_at = timezone.now()
    invitation.save()
    response = client.get(url(invitation))
    assert response.status_code == 410
    assert "This invitation has been withdrawn" in page(response)


def test_an_invitation_used_by_someone_else_cannot_be_used_again(client, invitation, newjudge, erin):
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = erin
    invitation.save()
    client.force_login(newjudge)
    response = client.post(url(invitation), accept_data())
    assert response.status_code == 410
    assert "already been used" in page(response)
    assert not PanelMembership.objects.filter(judge=newjudge).exists()


def test_the_judge_who_accepted_goes_straight_to_the_queue(client, invitation, newjudge):
    PanelMembershipFactory(round=invitation.round, judge=newjudge)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = newjudge
    invitation.save()
    client.force_login(newjudge)
    response = client.get(url(invitation))
    assert response.status_code == 302
    assert response["Location"] == reverse("judging:queue", args=[invitation.round_id])


# --- Who is looking ------------------------------------------------------------------------------------------


def test_a_stranger_sees_the_invitation_and_ways_to_sign_in_or_up(client, invitation):
    response = client.get(url(invitation))
    assert response.status_code == 200
    html = page(response)
    competition = invitation.round.competition
    assert competition.name in html and invitation.round.name in html
    assert "Alice invites you to join the jury." in html
    assert INVITED in html
    assert response.context["step"] == "anonymous" and 'name="confidentiality"' not in html
    login = urlsplit(response.context["login_url"])
    signup = urlsplit(response.context["signup_url"])
    assert login.path == reverse("account_login") and parse_qs(login.query) == {"next": [url(invitation)]}
    assert signup.path == reverse("account_signup")
    assert parse_qs(signup.query) == {"next": [url(invitation)], "email": [INVITED]}
    assert "Sign in" in html and "Create an account" in html


def test_the_sign_up_link_fills_in_the_invited_address(client, invitation):
    response = client.get(client.get(url(invitation)).context["signup_url"])
    assert response.status_code == 200
    assert f'value="{INVITED}"' in page(response)


def test_another_account_is_told_which_address_was_invited(client, invitation, charlie):
    client.force_login(charlie)
    response = client.get(url(invitation))
    assert response.status_code == 200
    html = page(response)
    assert f"This invitation was sent to {INVITED}, but you are signed in as charlie@example.com." in html
    assert reverse("account_logout") in html and "Sign out" in html
    assert "confidentiality" not in html.lower()
    # Posting anyway changes nothing.
    response = client.post(url(invitation), accept_data())
    assert INVITED in page(response)
    assert not PanelMembership.objects.filter(judge=charlie).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_unverified_invited_address_is_not_enough(client, invitation, charlie):
    EmailAddress.objects.create(user=charlie, email=INVITED, verified=False, primary=False)
    client.force_login(charlie)
    response = client.post(url(invitation), accept_data())
    assert "not verified yet" in page(response)
    assert not PanelMembership.objects.filter(judge=charlie).exists()


def test_a_verified_second_address_of_the_account_is_enough(client, invitation, charlie):
    EmailAddress.objects.create(user=charlie, email=INVITED, verified=True, primary=False)
    client.force_login(charlie)
    response = client.get(url(invitation))
    assert response.context["step"] == "accept"


# --- Accepting -----------------------------------------------------------------------------------------------


def test_the_invited_judge_sees_the_terms_and_their_affiliations(client, invitation, newjudge):
    JudgeProfile.objects.create(user=newjudge, affiliations="上海戏剧学院")
    client.force_login(newjudge)
    response = client.get(url(invitation))
    assert response.status_code == 200
    html = page(response)
    for term in (*CONFIDENTIALITY_TERMS, *CONFLICT_TERMS):
        assert escape(str(term)) in html
    assert "tamper-evident ledger" in html
    assert 'name="confidentiality"' in html and 'name="conflicts"' in html
    assert "上海戏剧学院</textarea>" in html


def test_the_terms_must_both_be_accepted_and_what_was_typed_is_kept(client, invitation, newjudge):
    client.force_login(newjudge)
    response = client.post(url(invitation), accept_data(conflicts="", affiliations="<script>alert(1)</script>"))
    assert response.status_code == 200
    html = page(response)
    assert "Please accept the conflict-of-interest terms to join the jury." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html and "<script>alert(1)" not in html
    assert "checked" in re.search(r'<input[^>]*name="confidentiality"[^>]*>', html).group(0)
    assert not PanelMembership.objects.filter(judge=newjudge).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_accepting_joins_the_panel_and_leads_to_the_queue(client, invitation, newjudge):
    client.force_login(newjudge)
    response = client.post(url(invitation), accept_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("judging:queue", args=[invitation.round_id])
    membership = PanelMembership.objects.get(round=invitation.round, judge=newjudge)
    assert membership.active and membership.terms_accepted_at is not None
    assert membership.terms_version == invitations.JUDGING_TERMS_VERSION
    assert CompetitionRole.objects.filter(competition=invitation.round.competition, user=newjudge, role=Role.JUDGE)
    assert JudgeProfile.objects.get(user=newjudge).affiliation_list == ["北京电影学院", "Light Studio"]
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == newjudge


def test_without_mfa_the_new_judge_is_sent_to_set_it_up(client, invitation, newjudge, settings):
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(newjudge)
    response = client.post(url(invitation), accept_data())
    queue = reverse("judging:queue", args=[invitation.round_id])
    assert response.status_code == 302 and response["Location"] == queue
    assert PanelMembership.objects.filter(round=invitation.round, judge=newjudge).exists()
    response = client.get(queue)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    html = page(client.get(reverse("portal:home")))
    assert "Welcome to the jury of" in html and "need two-factor authentication" in html


def test_a_refusal_by_the_service_is_shown_and_nothing_is_saved(client, invitation, newjudge, monkeypatch):
    def refuse(**kwargs):
        raise invitations.InvitationError(f"This invitation was sent to {INVITED}; sign in with that address.")

    monkeypatch.setattr(invitations, "accept_invitation", refuse)
    client.force_login(newjudge)
    response = client.post(url(invitation), accept_data())
    assert response.status_code == 200
    assert f"This invitation was sent to {INVITED}; sign in with that address." in page(response)
    assert not PanelMembership.objects.filter(judge=newjudge).exists()
