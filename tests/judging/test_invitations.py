"""Inviting judges by email, resending and revoking invitations, and accepting one (judging.invitations)."""

import smtplib
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from judging import invitations, tasks
from judging.models import Conflict, ConflictSource, Invitation, JudgeProfile, PanelMembership
from portal.models import ActionLog, CompetitionRole, LoggedAction, Profile, Role
from tests.factories import UnitFactory, UserFactory


@pytest.fixture
def invite(judging_round, alice, django_capture_on_commit_callbacks):
    def invite(emails, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return invitations.invite_judges(round=judging_round, emails=emails, actor=alice, **kwargs)

    return invite


@pytest.fixture
def invitation(invite):
    mail.outbox.clear()
    (invitation,) = invite(["frank@example.com"])
    mail.outbox.clear()
    invitation.refresh_from_db()
    return invitation


@pytest.fixture
def frank(db):
    return UserFactory(email="frank@example.com", display_name="Frank")


def accept(invitation, user, affiliations="", accept_terms=True):
    return invitations.accept_invitation(
        invitation=invitation, user=user, affiliations=affiliations, accept_terms=accept_terms
    )


# --- Inviting ---------------------------------------------------------------------------------------------------


def test_invite_dedupes_and_skips_members_and_live_invitations(invite, judging_round, bob_membership):
    first = invite(["Frank@Example.com", "frank@example.com", "bob@example.com", "grace@example.com"])
    assert sorted(invitation.email for invitation in first) == ["frank@example.com", "grace@example.com"]
    # Already invited (live) and already on the panel: nothing new.
    again = invite(["frank@example.com; BOB@example.com", "heidi@example.com"])
    assert [invitation.email for invitation in again] == ["heidi@example.com"]
    assert Invitation.objects.filter(round=judging_round).count() == 3
    log = ActionLog.objects.filter(action=LoggedAction.JUDGES_INVITED).order_by("id")
    assert [entry.data["emails"] for entry in log] == [
        ["frank@example.com", "grace@example.com"],
        ["heidi@example.com"],
    ]


def test_invite_splits_on_every_separator(invite):
    invited = invite("a@example.com, b@example.com;c@example.com\nd@example.com e@example.com，f@example.com")
    assert sorted(invitation.email for invitation in invited) == [f"{c}@example.com" for c in "abcdef"]


def test_invalid_addresses_are_listed_and_nothing_is_created(invite, judging_round):
    with pytest.raises(ValidationError) as error:
        invite(["good@example.com", "not-an-address", "also@bad"])
    text = " ".join(error.value.messages)
    assert "not-an-address" in text and "also@bad" in text and "good@example.com" not in text
    assert not Invitation.objects.filter(round=judging_round).exists()
    assert mail.outbox == []


def test_empty_list_is_refused(invite):
    with pytest.raises(ValidationError):
        invite([" , ;"])


def test_invitation_email_has_the_link_in_both_languages(invite, judging_round, competition, settings):
    settings.SITE_URL = "https://zhuiguang.example"
    (invitation,) = invite(["frank@example.com"])
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    (message,) = mail.outbox
    assert message.to == ["frank@example.com"]
    link = f"https://zhuiguang.example/judging/invitations/{invitation.token}/"
    assert link in message.body
    html = message.alternatives[0][0]
    assert f'href="{link}"' in html
    # Chinese first, then English: the round's and competition's names in both.
    assert competition.name_zh in message.body and competition.name_en in message.body
    assert message.body.index(judging_round.name_zh) < message.body.index(judging_round.name_en)
    assert "————" in message.body
    assert "frank@example.com" in message.body


def test_expertise_chosen_at_invitation_is_given_on_acceptance(invite, unit, frank, competition):
    other_unit = UnitFactory(competition=competition)
    (invitation,) = invite(["frank@example.com"], expertise=[unit])
    membership = accept(invitation, frank)
    assert list(membership.expertise.all()) == [unit]
    assert other_unit not in membership.expertise.all()


def test_expertise_of_another_competition_is_refused(invite, judging_round):
    with pytest.raises(ValidationError):
        invite(["frank@example.com"], expertise=[UnitFactory()])
    assert not Invitation.objects.filter(round=judging_round).exists()


def test_expired_invitation_is_renewed_instead_of_duplicated(invite, invitation):
    old_token = invitation.token
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    (renewed,) = invite(["frank@example.com"])
    assert renewed.pk == invitation.pk and renewed.token != old_token
    assert renewed.expires_at > timezone.now() + timedelta(days=29)
    assert len(mail.outbox) == 1


# --- Resending and revoking -------------------------------------------------------------------------------------


def test_resend_gives_a_new_token_and_kills_the_old_link(invitation, alice, django_capture_on_commit_callbacks):
    old_token = invitation.token
    with django_capture_on_commit_callbacks(execute=True):
        invitations.resend_invitation(invitation=invitation, actor=alice)
    invitation.refresh_from_db()
    assert invitation.token != old_token
    assert invitations.find_invitation(old_token) is None
    assert invitations.find_invitation(invitation.token) == invitation
    (message,) = mail.outbox
    assert invitation.token in message.body and old_token not in message.body
    assert invitation.sent_at is not None


def test_revoke_kills_the_link(invitation, alice, frank):
    invitations.revoke_invitation(invitation=invitation, actor=alice)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert ActionLog.objects.filter(action=LoggedAction.INVITATION_REVOKED, subject="frank@example.com").exists()
    with pytest.raises(invitations.InvitationError):
        accept(invitation, frank)
    with pytest.raises(ValidationError):
        invitations.resend_invitation(invitation=invitation, actor=alice)
    assert not PanelMembership.objects.filter(judge=frank).exists()


def test_revoked_address_can_be_invited_again(invitation, alice, invite):
    invitations.revoke_invitation(invitation=invitation, actor=alice)
    (again,) = invite(["frank@example.com"])
    assert again.pk != invitation.pk


def test_a_revoked_invitation_is_not_mailed(invitation):
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now(), sent_at=None)
    assert tasks.send_invitation(invitation.pk) == "skipped"
    assert mail.outbox == []


def test_a_failed_send_raises_for_a_retry(invitation, monkeypatch):
    def refuse(**kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    Invitation.objects.filter(pk=invitation.pk).update(sent_at=None)
    monkeypatch.setattr(invitations, "send_bilingual", refuse)
    with pytest.raises(smtplib.SMTPException):
        invitations.deliver_invitation(invitation)
    invitation.refresh_from_db()
    assert invitation.sent_at is None
    assert smtplib.SMTPException in tasks.send_invitation.autoretry_for


def test_find_invitation_ignores_junk():
    assert invitations.find_invitation("") is None
    assert invitations.find_invitation("x" * 500) is None


# --- Accepting --------------------------------------------------------------------------------------------------


def test_accepting_joins_the_panel(invitation, frank, judging_round, competition):
    membership = accept(invitation, frank, affiliations="  北京电影学院 \n\n星光影业\n北京电影学院")
    assert membership.round == judging_round and membership.active
    assert membership.terms_version == invitations.JUDGING_TERMS_VERSION and membership.terms_accepted_at
    assert CompetitionRole.objects.filter(competition=competition, user=frank, role=Role.JUDGE).exists()
    assert JudgeProfile.objects.get(user=frank).affiliation_list == ["北京电影学院", "星光影业"]
    invitation.refresh_from_db()
    assert invitation.accepted_by == frank and invitation.accepted_at
    assert ActionLog.objects.filter(action=LoggedAction.JUDGE_JOINED, subject="frank@example.com").exists()
    assert frank.has_perm("judging.score_round", judging_round)


def test_accepting_runs_conflict_detection(invitation, frank, entrant_entry, charlie):
    Profile.objects.update_or_create(user=charlie, defaults={"organisation": "北京电影学院"})
    accept(invitation, frank, affiliations="北京电影学院")
    conflict = Conflict.objects.get(judge=frank)
    assert conflict.entry == entrant_entry and conflict.source == ConflictSource.DETECTED
    assert "北京电影学院" in conflict.basis


def test_accepting_again_returns_the_same_membership(invitation, frank):
    first = accept(invitation, frank)
    second = accept(invitation, frank, accept_terms=False)
    assert first == second
    assert PanelMembership.objects.filter(judge=frank).count() == 1


def test_an_accepted_invitation_cannot_be_used_by_someone_else(invitation, frank):
    accept(invitation, frank)
    other = UserFactory(email="other@example.com")
    EmailAddress.objects.create(user=other, email="FRANK@example.com", verified=True)
    with pytest.raises(invitations.InvitationError):
        accept(invitation, other)


def test_wrong_account_is_told_which_address_to_use(invitation, judging_round):
    grace = UserFactory(email="grace@example.com")
    with pytest.raises(invitations.InvitationError) as error:
        accept(invitation, grace)
    assert "frank@example.com" in str(error.value)
    assert not PanelMembership.objects.filter(round=judging_round, judge=grace).exists()


def test_an_unverified_matching_address_is_not_enough(invitation):
    grace = UserFactory(email="grace@example.com")
    EmailAddress.objects.create(user=grace, email="frank@example.com", verified=False)
    with pytest.raises(invitations.InvitationError):
        accept(invitation, grace)


def test_a_verified_secondary_address_is_enough(invitation):
    grace = UserFactory(email="grace@example.com")
    EmailAddress.objects.create(user=grace, email="Frank@Example.com", verified=True)
    assert accept(invitation, grace).judge == grace


def test_an_expired_invitation_is_refused(invitation, frank):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    invitation.refresh_from_db()
    with pytest.raises(invitations.InvitationError) as error:
        accept(invitation, frank)
    assert "expired" in str(error.value)
    assert not PanelMembership.objects.filter(judge=frank).exists()


def test_terms_must_be_accepted(invitation, frank, competition):
    with pytest.raises(ValidationError):
        accept(invitation, frank, accept_terms=False)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not PanelMembership.objects.filter(judge=frank).exists()
    assert not CompetitionRole.objects.filter(competition=competition, user=frank).exists()


def test_too_long_affiliations_are_refused(invitation, frank):
    with pytest.raises(ValidationError):
        accept(invitation, frank, affiliations="x" * 3000)
    assert not PanelMembership.objects.filter(judge=frank).exists()
