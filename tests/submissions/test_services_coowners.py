"""Co-owners: invited by email, bound to an account that has verified that address, now or later."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from submissions import services
from submissions.models import CoOwner, Entry
from submissions.services import EntryError, EntryLocked
from tests.factories import UserFactory
from tests.submissions.support import make_unit, open_competition, work_entry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def entry(db):
    unit = make_unit(open_competition(name_zh="追光计划测试", name_en="Light-Chasing Test"))
    owner = UserFactory(email="owner@example.com", display_name="Owner")
    return work_entry(unit, owner=owner, title="胡同里的光")


def invite(entry, email):
    return services.invite_coowner(entry=entry, email=email, actor=entry.owner)


class TestInvite:
    def test_an_existing_verified_account_is_bound_at_once(self, entry, django_capture_on_commit_callbacks):
        friend = UserFactory(email="friend@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            coowner = invite(entry, "  Friend@Example.COM ")
        assert (coowner.email, coowner.user, coowner.invited_by) == ("friend@example.com", friend, entry.owner)
        assert list(Entry.objects.editable_by(friend)) == [entry]
        assert list(Entry.objects.visible_to(friend)) == [entry]
        # One bilingual invitation, to the invitee only.
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["friend@example.com"]
        assert "胡同里的光" in message.subject
        assert "owner@example.com invited you to edit the entry “胡同里的光” to Light-Chasing Test" in message.body
        assert "追光计划测试" in message.body  # the Chinese half names the competition in Chinese
        (html, mimetype), = message.alternatives
        assert mimetype == "text/html" and "/entries/" in html

    def test_an_unknown_address_waits_for_its_account(self, entry, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            coowner = invite(entry, "newcomer@example.com")
        assert coowner.user is None
        assert mail.outbox[0].to == ["newcomer@example.com"]

    def test_an_unverified_account_is_not_bound(self, entry):
        stranger = UserFactory(email="claimed@example.com", verified=False)
        EmailAddress.objects.create(user=stranger, email="claimed@example.com", verified=False, primary=True)
        coowner = invite(entry, "claimed@example.com")
        # Anyone can sign up with any address; only verifying it proves it is theirs.
        assert coowner.user is None
        assert not Entry.objects.editable_by(stranger).exists()

    def test_the_owners_own_address_is_refused(self, entry):
        with pytest.raises(EntryError, match="the owner's own address"):
            invite(entry, "OWNER@example.com")
        assert not CoOwner.objects.exists()

    def test_inviting_twice_is_refused(self, entry):
        invite(entry, "friend@example.com")
        with pytest.raises(EntryError) as caught:
            invite(entry, "FRIEND@example.com")
        assert caught.value.message == "friend@example.com is already a co-owner."
        assert CoOwner.objects.count() == 1

    def test_a_withdrawn_entry_takes_no_invitations(self, entry):
        services.withdraw_entry(entry=entry, actor=entry.owner)
        with pytest.raises(EntryLocked):
            invite(entry, "friend@example.com")

    def test_removing_a_coowner(self, entry):
        friend = UserFactory(email="friend@example.com")
        coowner = invite(entry, friend.email)
        services.remove_coowner(coowner=coowner, actor=entry.owner)
        assert not Entry.objects.editable_by(friend).exists()

    def test_a_coowner_can_edit_like_the_owner(self, entry):
        friend = UserFactory(email="friend@example.com")
        invite(entry, friend.email)
        entry.logline = "一条胡同，三代人"
        services.update_entry(entry=entry, actor=friend, fields=["logline"], expected_version=1)
        assert Entry.objects.get().logline == "一条胡同，三代人"

    def test_status_emails_go_to_the_owner_and_every_coowner(self, entry, django_capture_on_commit_callbacks):
        UserFactory(email="friend@example.com")
        invite(entry, "friend@example.com")
        invite(entry, "later@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            services.withdraw_entry(entry=entry, actor=entry.owner)
        assert len(mail.outbox) == 1
        assert sorted(mail.outbox[0].to) == ["friend@example.com", "later@example.com", "owner@example.com"]


def link_in(message):
    match = re.search(r"https?://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


class TestBindingLater:
    def test_signing_up_and_confirming_the_address_binds_the_invitation(self, entry):
        invite(entry, "newcomer@example.com")
        other_entry = work_entry(entry.unit)
        services.invite_coowner(entry=other_entry, email="NEWCOMER@example.com", actor=other_entry.owner)
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        password = "a-long-and-unusual-passphrase"
        response = client.post(
            reverse("account_signup"),
            {"email": "newcomer@example.com", "password1": password, "password2": password},
        )
        assert response.status_code == 302
        newcomer = EmailAddress.objects.get(email="newcomer@example.com").user
        # Signed up but not verified: the invitations wait.
        assert CoOwner.objects.filter(user__isnull=True).count() == 2
        assert not Entry.objects.editable_by(newcomer).exists()

        (confirmation,) = [m for m in mail.outbox if m.to == ["newcomer@example.com"]]
        assert client.post(link_in(confirmation)).status_code == 302
        assert EmailAddress.objects.get(email="newcomer@example.com").verified
        assert set(Entry.objects.editable_by(newcomer)) == {entry, other_entry}
        assert set(CoOwner.objects.values_list("user", flat=True)) == {newcomer.pk}

    def test_verifying_a_second_address_binds_its_invitations(self, entry):
        invite(entry, "work-address@example.com")
        member = UserFactory(email="home@example.com")
        address = EmailAddress.objects.create(user=member, email="work-address@example.com", verified=True)
        email_confirmed.send(sender=EmailAddress, request=RequestFactory().get("/"), email_address=address)
        assert CoOwner.objects.get().user == member

    def test_an_invitation_already_bound_is_not_taken_over(self, entry):
        first = UserFactory(email="shared@example.com")
        invite(entry, "shared@example.com")
        second = UserFactory(email="someone-else@example.com")
        assert services.bind_coowner_invitations(user=second, email="shared@example.com") == 0
        assert CoOwner.objects.get().user == first
