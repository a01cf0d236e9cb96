"""Who reaches which console page, through the views: sign-in, staff role, organizer role and MFA."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from portal.models import CompetitionRole, Role, Unit, User
from tests.factories import CompetitionFactory, RoleFactory, UnitFactory, UserFactory

DEMO_BANNER = "two-factor authentication is not required"

# (url name, needs the competition, HTTP method)
COMPETITION_PAGES = [
    ("portal:console_competition", "GET"),
    ("portal:console_competition_edit", "GET"),
    ("portal:console_track_edit", "GET"),
    ("portal:console_unit_create", "GET"),
    ("portal:console_unit_edit", "GET"),
    ("portal:console_unit_delete", "POST"),
    ("portal:console_team", "GET"),
    ("portal:console_team_remove", "POST"),
]
ALL_PAGES = [("portal:console_home", "GET"), ("portal:console_competition_create", "GET"), *COMPETITION_PAGES]


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def world(competition, unit, alice, bob, charlie, dave):
    """Everyone and everything the access tests point at."""
    return {
        "competition": competition,
        "unit": unit,
        "alice_membership": CompetitionRole.objects.get(competition=competition, user=alice, role=Role.ORGANIZER),
    }


def url_for(name, world):
    competition = world["competition"]
    if name in ("portal:console_home", "portal:console_competition_create"):
        return reverse(name)
    if name == "portal:console_track_edit":
        return reverse(name, args=[competition.slug, "work"])
    if name in ("portal:console_unit_edit", "portal:console_unit_delete"):
        return reverse(name, args=[competition.slug, world["unit"].pk])
    if name == "portal:console_team_remove":
        return reverse(name, args=[competition.slug, world["alice_membership"].pk])
    return reverse(name, args=[competition.slug])


def call(client, method, url):
    return client.post(url) if method == "POST" else client.get(url)


def assert_nothing_changed(world):
    assert Unit.objects.filter(pk=world["unit"].pk).exists()
    assert CompetitionRole.objects.filter(pk=world["alice_membership"].pk).exists()


@pytest.mark.parametrize(("name", "method"), ALL_PAGES)
def test_anonymous_is_sent_to_sign_in(client, world, name, method):
    url = url_for(name, world)
    response = call(client, method, url)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query)["next"] == [url]
    assert_nothing_changed(world)


@pytest.mark.parametrize(("name", "method"), ALL_PAGES)
def test_entrant_without_a_role_gets_404_everywhere(client, world, charlie, name, method):
    client.force_login(charlie)
    assert call(client, method, url_for(name, world)).status_code == 404
    assert_nothing_changed(world)


@pytest.mark.parametrize("who", ["bob", "dave"])
def test_judge_and_other_organizer_reach_console_home_but_not_this_competition(request, client, world, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("portal:console_home"))
    assert response.status_code == 200
    assert world["competition"].name not in response.content.decode()
    for name, method in [("portal:console_competition_create", "GET"), *COMPETITION_PAGES]:
        assert call(client, method, url_for(name, world)).status_code == 404, name
    assert_nothing_changed(world)


def test_judge_console_home_says_they_organize_nothing(client, world, bob):
    client.force_login(bob)
    html = client.get(reverse("portal:console_home")).content.decode()
    assert "You do not organize any competition yet" in html
    assert reverse("portal:console_competition_create") not in html


def test_other_organizer_sees_only_their_own_competition(client, world, dave):
    client.force_login(dave)
    html = client.get(reverse("portal:console_home")).content.decode()
    assert reverse("portal:console_competition", args=["other-competition"]) in html
    assert reverse("portal:console_competition", args=[world["competition"].slug]) not in html


@pytest.mark.parametrize(("name", "method"), [(n, m) for n, m in COMPETITION_PAGES if m == "GET"])
def test_organizer_reaches_every_page_of_her_competition(client, world, alice, name, method):
    client.force_login(alice)
    response = client.get(url_for(name, world))
    assert response.status_code == 200
    assert world["competition"].name in response.content.decode()


def test_organizer_console_home_lists_her_competition(client, world, alice):
    client.force_login(alice)
    response = client.get(reverse("portal:console_home"))
    assert response.status_code == 200
    assert reverse("portal:console_competition", args=[world["competition"].slug]) in response.content.decode()


def test_organizer_post_only_pages(client, world, alice):
    client.force_login(alice)
    # Both refuse GET; nothing is deleted by following a link.
    for name in ("portal:console_unit_delete", "portal:console_team_remove"):
        assert client.get(url_for(name, world)).status_code == 405
    assert_nothing_changed(world)
    response = client.post(url_for("portal:console_unit_delete", world))
    assert response.status_code == 302
    assert not Unit.objects.filter(pk=world["unit"].pk).exists()
    # The only organizer cannot remove herself: redirected with a message, row kept.
    response = client.post(url_for("portal:console_team_remove", world))
    assert response["Location"] == reverse("portal:console_team", args=[world["competition"].slug])
    assert CompetitionRole.objects.filter(pk=world["alice_membership"].pk).exists()


def test_competition_organizer_without_platform_staff_cannot_create(client, world, alice):
    """Creating competitions is for platform staff; an organizer of one competition gets 404."""
    client.force_login(alice)
    assert client.get(reverse("portal:console_competition_create")).status_code == 404
    assert reverse("portal:console_competition_create") not in client.get(
        reverse("portal:console_home")
    ).content.decode()


def test_platform_staff_may_create_but_not_enter_others_competitions(client, world):
    staff = UserFactory(email="staff@example.com", is_staff=True)
    client.force_login(staff)
    home = client.get(reverse("portal:console_home"))
    assert home.status_code == 200
    assert reverse("portal:console_competition_create") in home.content.decode()
    assert client.get(reverse("portal:console_competition_create")).status_code == 200
    assert client.get(url_for("portal:console_competition", world)).status_code == 404


def test_superuser_reaches_every_page(client, world):
    root = User.objects.create_superuser("root@example.com", "x-very-long-password")
    client.force_login(root)
    for name, method in ALL_PAGES:
        if method == "GET":
            assert client.get(url_for(name, world)).status_code == 200, name


def test_inactive_organizer_cannot_use_the_console(client, world, alice):
    alice.is_active = False
    alice.save()
    client.force_login(alice)  # a session that outlived the deactivation
    response = client.get(url_for("portal:console_competition", world))
    # The session no longer authenticates an inactive account, so the page asks for a sign-in.
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("account_login")


class TestForgedIds:
    def test_unit_of_another_competition_under_her_slug(self, client, world, alice):
        foreign = UnitFactory(competition=CompetitionFactory(slug="elsewhere"), name_en="Foreign Unit")
        client.force_login(alice)
        slug = world["competition"].slug
        assert client.get(reverse("portal:console_unit_edit", args=[slug, foreign.pk])).status_code == 404
        assert client.post(
            reverse("portal:console_unit_edit", args=[slug, foreign.pk]),
            {"name_zh": "改名", "slug": "renamed", "position": 0},
        ).status_code == 404
        assert client.post(reverse("portal:console_unit_delete", args=[slug, foreign.pk])).status_code == 404
        foreign.refresh_from_db()
        assert foreign.name_en == "Foreign Unit" and foreign.slug != "renamed"

    def test_unknown_unit_id(self, client, world, alice):
        client.force_login(alice)
        response = client.get(reverse("portal:console_unit_edit", args=[world["competition"].slug, 999999]))
        assert response.status_code == 404

    def test_unknown_track_kind(self, client, world, alice):
        client.force_login(alice)
        response = client.get(reverse("portal:console_track_edit", args=[world["competition"].slug, "poetry"]))
        assert response.status_code == 404

    def test_team_remove_of_a_judge_membership(self, client, world, alice, bob):
        second = UserFactory(email="second@example.com")
        RoleFactory(competition=world["competition"], user=second, role=Role.ORGANIZER)  # not the last organizer
        judge = CompetitionRole.objects.get(user=bob, role=Role.JUDGE)
        client.force_login(alice)
        response = client.post(reverse("portal:console_team_remove", args=[world["competition"].slug, judge.pk]))
        assert response.status_code == 404
        assert CompetitionRole.objects.filter(pk=judge.pk).exists()

    def test_team_remove_of_another_competitions_organizer(self, client, world, alice, dave):
        foreign = CompetitionRole.objects.get(user=dave, role=Role.ORGANIZER)
        RoleFactory(competition=world["competition"], user=UserFactory(), role=Role.ORGANIZER)
        client.force_login(alice)
        response = client.post(reverse("portal:console_team_remove", args=[world["competition"].slug, foreign.pk]))
        assert response.status_code == 404
        assert CompetitionRole.objects.filter(pk=foreign.pk).exists()


class TestStaffMfa:
    @pytest.fixture(autouse=True)
    def mfa_required(self, settings):
        settings.STAFF_MFA_REQUIRED = True

    @pytest.mark.parametrize("who", ["alice", "bob"])
    def test_staff_without_mfa_is_sent_to_totp_setup(self, request, client, world, who):
        client.force_login(request.getfixturevalue(who))
        for name, method in ALL_PAGES:
            response = call(client, method, url_for(name, world))
            assert response.status_code == 302, name
            assert response["Location"] == reverse("mfa_activate_totp"), name
        assert_nothing_changed(world)
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert any("two-factor authentication" in m for m in messages)

    def test_organizer_with_totp_gets_in_without_demo_banner(self, client, world, alice):
        TOTP.activate(alice, generate_totp_secret())
        client.force_login(alice)
        for name, method in COMPETITION_PAGES:
            if method == "GET":
                response = client.get(url_for(name, world))
                assert response.status_code == 200, name
                assert DEMO_BANNER not in response.content.decode()

    def test_judge_with_totp_reaches_console_home_only(self, client, world, bob):
        TOTP.activate(bob, generate_totp_secret())
        client.force_login(bob)
        assert client.get(reverse("portal:console_home")).status_code == 200
        assert client.get(url_for("portal:console_competition", world)).status_code == 404

    def test_mfa_does_not_reveal_the_console_to_entrants(self, client, world, charlie):
        client.force_login(charlie)
        assert client.get(reverse("portal:console_home")).status_code == 404

    def test_anonymous_still_goes_to_sign_in_first(self, client, world):
        response = client.get(reverse("portal:console_home"))
        assert urlsplit(response["Location"]).path == reverse("account_login")


class TestDemoBanner:
    @pytest.mark.parametrize(("name", "method"), [(n, m) for n, m in ALL_PAGES if m == "GET" and "create" not in n])
    def test_staff_pages_say_mfa_is_off(self, client, world, alice, name, method):
        client.force_login(alice)
        assert DEMO_BANNER in client.get(url_for(name, world)).content.decode()

    def test_public_pages_do_not_show_the_banner(self, client, world, alice):
        client.force_login(alice)
        assert DEMO_BANNER not in client.get(reverse("portal:home")).content.decode()


class TestConsoleLink:
    @pytest.mark.parametrize(("who", "shown"), [("alice", True), ("bob", True), ("charlie", False), (None, False)])
    def test_header_links_console_only_for_staff_roles(self, request, client, world, who, shown):
        if who:
            client.force_login(request.getfixturevalue(who))
        html = client.get(reverse("portal:home")).content.decode()
        assert (f'href="{reverse("portal:console_home")}"' in html) is shown


def sign_in_and_confirm_password(client, user, password):
    # allauth asks for the password again before an authenticator is added.
    client.post(reverse("account_login"), {"login": user.email, "password": password})
    client.post(reverse("account_reauthenticate"), {"password": password})


class TestBackAfterMfaSetUp:
    def test_setting_up_the_authenticator_returns_staff_to_the_page_that_asked(self, client, settings, alice, password):
        from allauth.mfa.models import Authenticator

        from tests.browser.test_judging import totp_code

        settings.STAFF_MFA_REQUIRED = True
        sign_in_and_confirm_password(client, alice, password)
        team = reverse("portal:console_team", args=["lcp-test"])
        assert client.get(team)["Location"] == reverse("mfa_activate_totp")
        page = client.get(reverse("mfa_activate_totp"))
        secret = page.context["form"].secret
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
        assert response.status_code == 302 and response["Location"] == team
        assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
        assert "Two-factor authentication is on" in client.get(team).content.decode()

    def test_without_a_page_to_return_to_allauth_shows_the_recovery_codes(self, client, settings, alice, password):
        from tests.browser.test_judging import totp_code

        sign_in_and_confirm_password(client, alice, password)
        secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
        assert response["Location"] == reverse("mfa_view_recovery_codes")
