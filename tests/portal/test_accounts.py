"""Accounts through allauth: sign-up, email verification, sign-in and password reset."""

import html as html_lib
import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import User
from tests.factories import PASSWORD, UserFactory

SIGNUP_URL = reverse("account_signup")
LOGIN_URL = reverse("account_login")
NEW_PASSWORD = "a-long-and-unusual-passphrase"


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def signup_data(**overrides):
    data = {
        "email": "newcomer@example.com",
        "display_name": "Xiao Ming",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def link_in(message):
    match = re.search(r"https?://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def input_value(html, name):
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag, f"no input named {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return html_lib.unescape(value.group(1)) if value else None


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def signed_up(client, db):
    """A fresh sign-up, not yet verified; returns the confirmation link from the email."""
    response = client.post(SIGNUP_URL, signup_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(mail.outbox) == 1
    return link_in(mail.outbox[0])


class TestSignup:
    def test_form_renders_with_display_name(self, client, db):
        html = client.get(SIGNUP_URL).content.decode()
        for name in ("email", "display_name", "password1", "password2"):
            assert f'name="{name}"' in html

    def test_creates_an_unverified_account_and_sends_the_link(self, client, db):
        response = client.post(SIGNUP_URL, signup_data())
        assert response["Location"] == reverse("account_email_verification_sent")
        user = User.objects.get(email="newcomer@example.com")
        assert user.check_password(NEW_PASSWORD)
        assert EmailAddress.objects.get(user=user).verified is False
        assert signed_in_user_id(client) is None
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["newcomer@example.com"]
        assert message.subject.startswith("[Zhuiguang] ")
        assert link_in(message).startswith("/accounts/confirm-email/")

    def test_display_name_and_language_are_saved(self, db):
        Client(HTTP_ACCEPT_LANGUAGE="en").post(SIGNUP_URL, signup_data())
        user = User.objects.get(email="newcomer@example.com")
        assert user.display_name == "Xiao Ming"
        assert user.language == "en"

    def test_chinese_sign_up_saves_chinese(self, db):
        Client(HTTP_ACCEPT_LANGUAGE="zh-hans").post(SIGNUP_URL, signup_data(email="xm@example.com"))
        assert User.objects.get(email="xm@example.com").language == "zh-hans"

    def test_regional_browser_language_is_saved_as_a_portal_language(self, db):
        Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").post(SIGNUP_URL, signup_data(email="gb@example.com"))
        assert User.objects.get(email="gb@example.com").language == "en"

    def test_email_is_stored_in_lower_case(self, client, db):
        client.post(SIGNUP_URL, signup_data(email="Mixed.Case@Example.com"))
        assert User.objects.filter(email="mixed.case@example.com").exists()

    @pytest.mark.parametrize("typed", ["charlie@example.com", "CHARLIE@Example.com"])
    def test_taken_email(self, client, charlie, typed):
        response = client.post(SIGNUP_URL, signup_data(email=typed, display_name="Second Charlie"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "A user is already registered with this email address." in html
        assert input_value(html, "display_name") == "Second Charlie"
        assert User.objects.filter(email__iexact="charlie@example.com").count() == 1
        assert mail.outbox == []

    def test_taken_email_in_chinese(self, charlie):
        response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").post(
            SIGNUP_URL, signup_data(email="charlie@example.com", display_name="小明")
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert '<html lang="zh-hans">' in html
        assert "此电子邮件地址已被其他用户注册。" in html
        assert "A user is already registered" not in html
        assert input_value(html, "display_name") == "小明"

    @pytest.mark.parametrize("typed", ["not-an-email", "two@@example.com", "spaces in@example.com"])
    def test_malformed_email(self, client, db, typed):
        response = client.post(SIGNUP_URL, signup_data(email=typed))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Enter a valid email address." in html
        assert input_value(html, "display_name") == "Xiao Ming"
        assert not User.objects.exists()

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("12345678", "This password is too short"),
            ("12345678", "This password is entirely numeric."),
            ("password", "This password is too common."),
            ("newcomer-example", "The password is too similar to the email"),
        ],
    )
    def test_weak_password(self, client, db, password, message):
        response = client.post(SIGNUP_URL, signup_data(password1=password, password2=password))
        assert response.status_code == 200
        html = html_lib.unescape(response.content.decode())
        assert message in html
        assert input_value(html, "email") == "newcomer@example.com"
        assert not User.objects.exists()
        assert mail.outbox == []

    def test_weak_password_in_chinese(self, db):
        # Django's own password messages are translated too.
        response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").post(
            SIGNUP_URL, signup_data(password1="password", password2="password")
        )
        assert "这个密码太常见了。" in response.content.decode()
        assert not User.objects.exists()

    def test_passwords_that_differ(self, client, db):
        response = client.post(SIGNUP_URL, signup_data(password2=NEW_PASSWORD + "x"))
        assert "You must type the same password each time." in response.content.decode()
        assert not User.objects.exists()

    def test_display_name_too_long(self, client, db):
        response = client.post(SIGNUP_URL, signup_data(display_name="x" * 81))
        assert response.status_code == 200
        assert response.context["form"].errors["display_name"]
        assert not User.objects.exists()


class TestVerification:
    def test_login_before_verifying_does_not_sign_in(self, client, signed_up):
        response = client.post(LOGIN_URL, {"login": "newcomer@example.com", "password": NEW_PASSWORD})
        assert response.status_code == 302
        assert response["Location"] == reverse("account_email_verification_sent")
        assert signed_in_user_id(client) is None
        assert client.get(reverse("portal:profile")).status_code == 302  # still asked to sign in

    def test_confirming_from_the_email_verifies(self, client, signed_up):
        page = client.get(signed_up)
        assert page.status_code == 200
        assert "newcomer@example.com" in page.content.decode()
        response = client.post(signed_up)
        assert response.status_code == 302
        address = EmailAddress.objects.get(email="newcomer@example.com")
        assert address.verified is True and address.primary is True
        # Now signing in works.
        response = client.post(LOGIN_URL, {"login": "newcomer@example.com", "password": NEW_PASSWORD})
        assert response["Location"] == settings.LOGIN_REDIRECT_URL
        assert signed_in_user_id(client) == str(address.user_id)

    def test_get_alone_does_not_verify(self, client, signed_up):
        client.get(signed_up)
        assert EmailAddress.objects.get(email="newcomer@example.com").verified is False

    def test_expired_link(self, client, signed_up):
        later = timezone.now() + timedelta(days=settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS, hours=1)
        with time_machine.travel(later):
            page = client.get(signed_up)
            assert page.status_code == 200
            assert "This email confirmation link expired or is invalid." in page.content.decode()
            # A confirm form loaded in time but sent too late: allauth answers 404, never a 500.
            assert client.post(signed_up).status_code == 404
        assert EmailAddress.objects.get(email="newcomer@example.com").verified is False

    def test_link_still_works_just_before_it_expires(self, client, signed_up):
        later = timezone.now() + timedelta(days=settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS, hours=-1)
        with time_machine.travel(later):
            client.post(signed_up)
        assert EmailAddress.objects.get(email="newcomer@example.com").verified is True

    def test_reused_link(self, client, signed_up):
        client.post(signed_up)
        again = client.get(signed_up)
        assert again.status_code == 200
        assert "This email confirmation link expired or is invalid." in again.content.decode()
        assert client.post(signed_up).status_code == 404
        assert EmailAddress.objects.get(email="newcomer@example.com").verified is True

    def test_tampered_link(self, client, signed_up):
        response = client.get(signed_up.rstrip("/") + "x/")
        assert response.status_code == 200
        assert "expired or is invalid" in response.content.decode()
        assert EmailAddress.objects.get(email="newcomer@example.com").verified is False


class TestLogin:
    def test_verified_account_signs_in_with_email(self, client, charlie):
        response = client.post(LOGIN_URL, {"login": "Charlie@Example.com", "password": PASSWORD})
        assert response["Location"] == settings.LOGIN_REDIRECT_URL
        assert signed_in_user_id(client) == str(charlie.pk)

    def test_wrong_password(self, client, charlie):
        response = client.post(LOGIN_URL, {"login": "charlie@example.com", "password": "wrong-password-123"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "The email address and/or password you specified are not correct." in html
        assert input_value(html, "login") == "charlie@example.com"
        assert signed_in_user_id(client) is None


class TestPasswordReset:
    def test_sends_a_link_that_resets_the_password(self, client, charlie):
        response = client.post(reverse("account_reset_password"), {"email": "charlie@example.com"})
        assert response["Location"] == reverse("account_reset_password_done")
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["charlie@example.com"]
        link = link_in(mail.outbox[0])
        # allauth swaps the key for a session token and redirects to the form.
        form_page = client.get(link, follow=True)
        assert form_page.status_code == 200
        form_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
        response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 302
        charlie.refresh_from_db()
        assert charlie.check_password(NEW_PASSWORD)

    def test_unknown_email(self, client, db):
        response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "The email address is not assigned to any user account" in html
        assert input_value(html, "email") == "nobody@example.com"
        assert mail.outbox == []

    def test_inactive_account_gets_no_email(self, client, db):
        UserFactory(email="gone@example.com", is_active=False)
        client.post(reverse("account_reset_password"), {"email": "gone@example.com"})
        assert mail.outbox == []
