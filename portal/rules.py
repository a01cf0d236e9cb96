"""Who may do what in the competition frame. Views and templates ask only these predicates."""

import rules
from django.conf import settings

from portal.models import CompetitionRole, Role


@rules.predicate
def is_platform_staff(user):
    # Platform staff may create competitions; a creator becomes the new competition's first organizer.
    return user.is_authenticated and user.is_active and user.is_staff


@rules.predicate
def is_organizer(user, competition):
    if not (user.is_authenticated and user.is_active) or competition is None:
        return False
    if user.is_superuser:
        return True
    return CompetitionRole.objects.filter(competition=competition, user=user, role=Role.ORGANIZER).exists()


@rules.predicate
def is_judge(user, competition):
    if not (user.is_authenticated and user.is_active) or competition is None:
        return False
    return CompetitionRole.objects.filter(competition=competition, user=user, role=Role.JUDGE).exists()


@rules.predicate
def is_public_competition(user, competition):
    return competition is not None and competition.is_public


@rules.predicate
def has_staff_role(user):
    """Judge or organizer of any competition, or platform staff: the people whose pages need MFA."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return CompetitionRole.objects.filter(user=user).exists()


@rules.predicate
def has_mfa(user):
    from allauth.mfa.utils import is_mfa_enabled

    return user.is_authenticated and is_mfa_enabled(user)


@rules.predicate
def staff_mfa_satisfied(user):
    return not settings.STAFF_MFA_REQUIRED or has_mfa(user)


rules.add_perm("portal.create_competition", is_platform_staff)
rules.add_perm("portal.view_competition", is_public_competition | is_organizer)
rules.add_perm("portal.manage_competition", is_organizer)
rules.add_perm("portal.use_staff_pages", has_staff_role)
