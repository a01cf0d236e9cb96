"""The signed-in user's profile page, and the language switch remembered on the account."""

import html as html_lib
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.models import Profile, User
from tests.factories import PASSWORD

PROFILE_URL = reverse("portal:profile")
SETLANG_URL = reverse("portal:set_language")
COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def charlie_client(client, charlie):
    client.force_login(charlie)
    return client


def profile_data(**overrides):
    data = {
        "account-display_name": "Charlie Chen",
        "account-language": "en",
        "profile-real_name": "陈查理",
        "profile-organisation": "Lantern Studio",
        "profile-country": "China",
        "profile-phone": "+86 138 0000 0000",
        "profile-bio": "Shoots short films about night markets.",
    }
    data.update(overrides)
    return data


def input_value(html, name):
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag, f"no input named {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return html_lib.unescape(value.group(1)) if value else None


def html_lang(response):
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


class TestProfile:
    def test_anonymous_is_asked_to_sign_in(self, client, db):
        response = client.get(PROFILE_URL)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    def test_shows_current_values(self, charlie_client, charlie):
        Profile.objects.create(user=charlie, organisation="Night Owl Films")
        html = charlie_client.get(PROFILE_URL).content.decode()
        assert "charlie@example.com" in html
        assert input_value(html, "account-display_name") == "Charlie"
        assert input_value(html, "profile-organisation") == "Night Owl Films"

    def test_first_visit_creates_an_empty_profile(self, charlie_client, charlie):
        charlie_client.get(PROFILE_URL)
        assert Profile.objects.get(user=charlie).real_name == ""

    def test_saves_account_and_profile(self, charlie_client, charlie):
        response = charlie_client.post(PROFILE_URL, profile_data())
        assert response["Location"] == PROFILE_URL
        charlie.refresh_from_db()
        assert (charlie.display_name, charlie.language) == ("Charlie Chen", "en")
        profile = Profile.objects.get(user=charlie)
        assert (profile.real_name, profile.organisation, profile.country, profile.phone, profile.bio) == (
            "陈查理", "Lantern Studio", "China", "+86 138 0000 0000", "Shoots short films about night markets."
        )
        assert response.cookies[COOKIE].value == "en"
        page = charlie_client.get(PROFILE_URL)
        assert "Your profile has been saved." in page.content.decode()

    def test_choosing_chinese_switches_the_pages(self, charlie_client, charlie):
        response = charlie_client.post(PROFILE_URL, profile_data(**{"account-language": "zh-hans"}))
        assert response.cookies[COOKIE].value == "zh-hans"
        charlie.refresh_from_db()
        assert charlie.language == "zh-hans"
        assert html_lang(charlie_client.get(reverse("portal:home"))) == "zh-hans"

    def test_no_language_sets_no_cookie(self, charlie_client, charlie):
        response = charlie_client.post(PROFILE_URL, profile_data(**{"account-language": ""}))
        assert response.status_code == 302
        assert COOKIE not in response.cookies
        charlie.refresh_from_db()
        assert charlie.language == ""

    @pytest.mark.parametrize("phone", ["call me", "12", "+86 138 0000 0000 ext. 5"])
    def test_invalid_phone_keeps_what_was_typed(self, charlie_client, charlie, phone):
        response = charlie_client.post(PROFILE_URL, profile_data(**{"profile-phone": phone}))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Enter a phone number of digits" in html
        assert input_value(html, "profile-phone") == phone
        assert input_value(html, "account-display_name") == "Charlie Chen"
        assert input_value(html, "profile-organisation") == "Lantern Studio"
        assert "Shoots short films about night markets." in html
        assert "Please correct the marked fields." in html
        # Nothing is saved, not even the valid half of the page.
        charlie.refresh_from_db()
        assert charlie.display_name == "Charlie"
        assert Profile.objects.get(user=charlie).organisation == ""

    def test_unknown_language_is_rejected(self, charlie_client, charlie):
        response = charlie_client.post(PROFILE_URL, profile_data(**{"account-language": "fr"}))
        assert response.status_code == 200
        assert response.context["account_form"].errors["language"]
        charlie.refresh_from_db()
        assert charlie.language == ""

    def test_too_long_display_name(self, charlie_client, charlie):
        response = charlie_client.post(PROFILE_URL, profile_data(**{"account-display_name": "x" * 81}))
        assert response.status_code == 200
        assert response.context["account_form"].errors["display_name"]
        assert input_value(response.content.decode(), "profile-real_name") == "陈查理"


class TestSetLanguage:
    def test_signed_in_switch_is_saved_on_the_account(self, charlie_client, charlie):
        response = charlie_client.post(SETLANG_URL, {"language": "en", "next": "/competitions/"})
        assert response.status_code == 302
        assert response["Location"] == "/competitions/"
        assert response.cookies[COOKIE].value == "en"
        charlie.refresh_from_db()
        assert charlie.language == "en"

    def test_saved_language_follows_the_user_to_a_new_session(self, charlie_client, charlie):
        charlie_client.post(SETLANG_URL, {"language": "en", "next": "/"})
        # A different browser: no language cookie, and it asks for Chinese.
        other = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert html_lang(other.get(reverse("portal:home"))) == "zh-hans"
        assert other.login(email="charlie@example.com", password=PASSWORD)
        assert COOKIE not in other.cookies
        assert html_lang(other.get(reverse("portal:home"))) == "en"

    def test_saved_language_wins_over_the_cookie(self, charlie_client, charlie):
        charlie.language = "zh-hans"
        charlie.save()
        charlie_client.cookies[COOKIE] = "en"
        assert html_lang(charlie_client.get(reverse("portal:home"))) == "zh-hans"

    def test_switching_back_to_chinese(self, charlie_client, charlie):
        charlie.language = "en"
        charlie.save()
        response = charlie_client.post(SETLANG_URL, {"language": "zh-hans", "next": "/"})
        assert response.cookies[COOKIE].value == "zh-hans"
        charlie.refresh_from_db()
        assert charlie.language == "zh-hans"
        assert html_lang(charlie_client.get(reverse("portal:home"))) == "zh-hans"

    def test_anonymous_switch_sets_only_the_cookie(self, db, charlie):
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        response = client.post(SETLANG_URL, {"language": "en", "next": "/"})
        assert response.cookies[COOKIE].value == "en"
        assert not User.objects.exclude(language="").exists()
        assert html_lang(client.get(reverse("portal:home"))) == "en"

    def test_unknown_language_changes_nothing(self, charlie_client, charlie):
        response = charlie_client.post(SETLANG_URL, {"language": "fr", "next": "/"})
        assert response.status_code == 302
        charlie.refresh_from_db()
        assert charlie.language == ""
        # Django may still write the cookie (it knows French), but the portal does not speak it.
        assert html_lang(charlie_client.get(reverse("portal:home"))) == "en"

    def test_get_is_not_allowed(self, charlie_client, charlie):
        assert charlie_client.get(SETLANG_URL + "?language=en").status_code == 405
        charlie.refresh_from_db()
        assert charlie.language == ""

    def test_unsafe_next_is_not_followed(self, charlie_client):
        response = charlie_client.post(SETLANG_URL, {"language": "en", "next": "https://evil.example.com/"})
        assert "evil.example.com" not in response["Location"]
