"""The rules predicates and permissions as plain functions, for every kind of user."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import AnonymousUser

from portal.models import CompetitionStatus, Role, User
from portal.rules import has_staff_role, is_judge, is_organizer, is_platform_staff, staff_mfa_satisfied
from tests.factories import CompetitionFactory, RoleFactory, UserFactory


@pytest.fixture
def draft(alice, bob):
    """A draft competition that alice organizes and bob judges."""
    competition = CompetitionFactory(slug="draft-competition", status=CompetitionStatus.DRAFT)
    RoleFactory(competition=competition, user=alice, role=Role.ORGANIZER)
    RoleFactory(competition=competition, user=bob, role=Role.JUDGE)
    return competition


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root@example.com", "x-very-long-password")


@pytest.fixture
def platform_staff(db):
    return UserFactory(email="staff@example.com", is_staff=True)


@pytest.fixture
def inactive_organizer(competition):
    user = UserFactory(email="gone@example.com", is_active=False)
    RoleFactory(competition=competition, user=user, role=Role.ORGANIZER)
    return user


@pytest.fixture
def users(alice, bob, charlie, dave, superuser, inactive_organizer, platform_staff):
    return {
        "anonymous": AnonymousUser(),
        "charlie": charlie,
        "bob": bob,
        "alice": alice,
        "dave": dave,
        "superuser": superuser,
        "inactive": inactive_organizer,
        "staff": platform_staff,
    }


# Expected answers per user; the competition is the fixture `competition` (open) unless named otherwise.
EXPECTED = {
    #               is_organizer is_judge platform has_staff view_public view_draft manage create staff_pages
    "anonymous": (False, False, False, False, True, False, False, False, False),
    "charlie": (False, False, False, False, True, False, False, False, False),
    "bob": (False, True, False, True, True, False, False, False, True),
    "alice": (True, False, False, True, True, True, True, False, True),
    "dave": (False, False, False, True, True, False, False, False, True),
    "superuser": (True, False, True, True, True, True, True, True, True),
    "inactive": (False, False, False, False, True, False, False, False, False),
    "staff": (False, False, True, True, True, False, False, True, True),
}


@pytest.mark.parametrize("name", EXPECTED)
def test_predicates_and_permissions(users, name, competition, draft):
    user = users[name]
    (organizer, judge, platform, staff_role, view_public, view_draft, manage, create, staff_pages) = EXPECTED[name]

    assert is_organizer(user, competition) is organizer
    assert is_judge(user, competition) is judge
    assert is_platform_staff(user) is platform
    assert has_staff_role(user) is staff_role

    assert user.has_perm("portal.view_competition", competition) is view_public
    assert user.has_perm("portal.view_competition", draft) is view_draft
    assert user.has_perm("portal.manage_competition", competition) is manage
    assert user.has_perm("portal.manage_competition", draft) is manage
    assert user.has_perm("portal.create_competition") is create
    assert user.has_perm("portal.use_staff_pages") is staff_pages


def test_organizer_of_one_competition_cannot_manage_another(alice, dave, competition):
    other = CompetitionFactory(slug="third", status=CompetitionStatus.DRAFT)
    RoleFactory(competition=other, user=dave, role=Role.ORGANIZER)
    assert dave.has_perm("portal.manage_competition", other)
    assert not dave.has_perm("portal.manage_competition", competition)
    assert not alice.has_perm("portal.manage_competition", other)
    assert not alice.has_perm("portal.view_competition", other)


def test_judge_role_is_not_organizer_role(bob, competition):
    assert is_judge(bob, competition)
    assert not is_organizer(bob, competition)
    assert not bob.has_perm("portal.manage_competition", competition)


def test_predicates_without_a_competition(alice):
    assert is_organizer(alice, None) is False
    assert is_judge(alice, None) is False
    assert not alice.has_perm("portal.view_competition", None)
    assert not alice.has_perm("portal.manage_competition", None)


def test_losing_the_last_role_removes_staff_pages(bob, competition):
    assert has_staff_role(bob)
    bob.competition_roles.all().delete()
    assert not has_staff_role(bob)
    assert not bob.has_perm("portal.use_staff_pages")


class TestStaffMfaSatisfied:
    def test_everyone_passes_when_mfa_is_not_required(self, users, settings):
        settings.STAFF_MFA_REQUIRED = False
        for user in users.values():
            assert staff_mfa_satisfied(user) is True

    def test_nobody_without_an_authenticator_passes_when_required(self, users, settings):
        settings.STAFF_MFA_REQUIRED = True
        for user in users.values():
            assert staff_mfa_satisfied(user) is False

    def test_a_totp_authenticator_satisfies_it(self, alice, bob, settings):
        settings.STAFF_MFA_REQUIRED = True
        TOTP.activate(alice, generate_totp_secret())
        assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
        assert staff_mfa_satisfied(alice) is True
        assert staff_mfa_satisfied(bob) is False
