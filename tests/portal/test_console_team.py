"""Console: the organizing team of a competition."""

import html as html_lib
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from portal.models import ActionLog, CompetitionRole, LoggedAction, Role
from tests.factories import RoleFactory, UserFactory


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def team_url(competition):
    return reverse("portal:console_team", args=[competition.slug])


def remove_url(membership):
    return reverse("portal:console_team_remove", args=[membership.competition.slug, membership.pk])


def organizers(competition):
    return sorted(
        CompetitionRole.objects.filter(competition=competition, role=Role.ORGANIZER).values_list(
            "user__email", flat=True
        )
    )


def email_value(html):
    tag = re.search(r'<input[^>]*name="email"[^>]*>', html).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return html_lib.unescape(value.group(1)) if value else None


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


class TestPage:
    def test_lists_organizers_not_judges(self, alice_client, competition, bob):
        erin = UserFactory(email="erin@example.com", display_name="Erin")
        RoleFactory(competition=competition, user=erin, role=Role.ORGANIZER)
        html = alice_client.get(team_url(competition)).content.decode()
        assert "alice@example.com" in html and "erin@example.com" in html
        assert "bob@example.com" not in html
        for membership in CompetitionRole.objects.filter(competition=competition, role=Role.ORGANIZER):
            assert remove_url(membership) in html


class TestAdd:
    def test_adds_an_existing_account_as_organizer(self, alice_client, alice, competition, charlie):
        response = alice_client.post(team_url(competition), {"email": "charlie@example.com"})
        assert response["Location"] == team_url(competition)
        membership = CompetitionRole.objects.get(competition=competition, user=charlie)
        assert (membership.role, membership.granted_by) == (Role.ORGANIZER, alice)
        log = ActionLog.objects.get(competition=competition)
        assert (log.action, log.actor, log.subject, log.data) == (
            LoggedAction.ROLE_GRANTED, alice, "charlie@example.com", {"role": "organizer"}
        )
        assert messages_of(response) == ["charlie@example.com is now an organizer."]
        # And charlie can now manage it.
        assert charlie.has_perm("portal.manage_competition", competition)

    def test_email_is_matched_ignoring_case_and_spaces(self, alice_client, competition, charlie):
        alice_client.post(team_url(competition), {"email": "  Charlie@Example.COM "})
        assert CompetitionRole.objects.filter(competition=competition, user=charlie, role=Role.ORGANIZER).exists()

    def test_a_judge_can_also_become_organizer(self, alice_client, competition, bob):
        alice_client.post(team_url(competition), {"email": "bob@example.com"})
        roles = set(CompetitionRole.objects.filter(competition=competition, user=bob).values_list("role", flat=True))
        assert roles == {Role.JUDGE, Role.ORGANIZER}

    def test_adding_twice_changes_nothing(self, alice_client, competition, alice):
        response = alice_client.post(team_url(competition), {"email": "alice@example.com"})
        assert response.status_code == 302
        assert organizers(competition) == ["alice@example.com"]
        assert not ActionLog.objects.exists()

    def test_unknown_email(self, alice_client, competition):
        response = alice_client.post(team_url(competition), {"email": "nobody@example.com"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "No account uses this email. Ask them to sign up first" in html
        assert email_value(html) == "nobody@example.com"
        assert organizers(competition) == ["alice@example.com"]
        assert not ActionLog.objects.exists()

    def test_inactive_account_is_not_found(self, alice_client, competition):
        UserFactory(email="gone@example.com", is_active=False)
        response = alice_client.post(team_url(competition), {"email": "gone@example.com"})
        assert "No account uses this email" in response.content.decode()
        assert organizers(competition) == ["alice@example.com"]

    @pytest.mark.parametrize(("typed", "shown"), [("not-an-email", "not-an-email"), ("", None)])
    def test_malformed_email(self, alice_client, competition, typed, shown):
        response = alice_client.post(team_url(competition), {"email": typed})
        assert response.status_code == 200
        assert response.context["form"].errors["email"]
        assert email_value(response.content.decode()) == shown
        assert organizers(competition) == ["alice@example.com"]


class TestRemove:
    def test_cannot_remove_the_last_organizer(self, alice_client, competition, alice):
        membership = CompetitionRole.objects.get(competition=competition, user=alice, role=Role.ORGANIZER)
        response = alice_client.post(remove_url(membership), follow=True)
        assert response.status_code == 200
        assert "A competition needs at least one organizer" in response.content.decode()
        assert CompetitionRole.objects.filter(pk=membership.pk).exists()
        assert not ActionLog.objects.exists()

    def test_removing_another_organizer(self, alice_client, competition, alice):
        erin = UserFactory(email="erin@example.com")
        membership = RoleFactory(competition=competition, user=erin, role=Role.ORGANIZER)
        response = alice_client.post(remove_url(membership))
        assert response["Location"] == team_url(competition)
        assert organizers(competition) == ["alice@example.com"]
        log = ActionLog.objects.get(competition=competition)
        assert (log.action, log.actor, log.subject, log.data) == (
            LoggedAction.ROLE_REVOKED, alice, "erin@example.com", {"role": "organizer"}
        )
        assert messages_of(response) == ["erin@example.com is no longer an organizer."]
        assert not erin.has_perm("portal.manage_competition", competition)

    def test_removing_herself_when_another_organizer_remains(self, alice_client, competition, alice):
        RoleFactory(competition=competition, user=UserFactory(email="erin@example.com"), role=Role.ORGANIZER)
        membership = CompetitionRole.objects.get(competition=competition, user=alice, role=Role.ORGANIZER)
        alice_client.post(remove_url(membership))
        assert organizers(competition) == ["erin@example.com"]
        # She has lost the console for it.
        response = alice_client.get(team_url(competition))
        assert response.status_code == 404

    def test_removing_an_organizer_keeps_their_judge_role(self, alice_client, competition, bob):
        membership = RoleFactory(competition=competition, user=bob, role=Role.ORGANIZER)
        alice_client.post(remove_url(membership))
        roles = list(CompetitionRole.objects.filter(competition=competition, user=bob).values_list("role", flat=True))
        assert roles == [Role.JUDGE]
