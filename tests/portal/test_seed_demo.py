"""`manage.py seed_demo`: the demo competition and accounts that `make run` shows a newcomer."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from portal.demo import DEMO_ENTRANTS, DEMO_JUDGES, DEMO_ORGANIZER, DEMO_PASSWORD, DEMO_SLUG
from portal.models import ActionLog, Competition, CompetitionRole, Role, Track, TrackKind, Unit, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    """Everything seed_demo writes, in a comparable form."""
    return {
        "users": sorted(User.objects.values_list("email", "is_staff", "is_superuser", "display_name")),
        "emails": sorted(EmailAddress.objects.values_list("email", "verified", "primary")),
        "competitions": sorted(Competition.objects.values_list("slug", "status", "submission_closes_at")),
        "tracks": sorted(Track.objects.values_list("competition__slug", "kind")),
        "units": sorted(Unit.objects.values_list("competition__slug", "slug", "position")),
        "roles": sorted(CompetitionRole.objects.values_list("competition__slug", "user__email", "role")),
        "log": ActionLog.objects.count(),
    }


def test_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        seed()
    assert not Competition.objects.exists()
    assert not User.objects.exists()


def test_creates_the_demo_competition_and_accounts(settings):
    settings.DEBUG = True
    output = seed()

    competition = Competition.objects.get(slug=DEMO_SLUG)
    assert f"/c/{DEMO_SLUG}/" in output
    assert DEMO_PASSWORD in output
    assert competition.is_public
    assert competition.is_accepting_entries()
    assert sorted(competition.tracks.values_list("kind", flat=True)) == sorted([TrackKind.WORK, TrackKind.STORY])
    assert competition.units.count() == 12
    assert list(competition.units.values_list("position", flat=True)) == list(range(1, 13))

    organizer = User.objects.get(email=DEMO_ORGANIZER)
    assert organizer.is_staff
    assert list(competition.roles.filter(role=Role.ORGANIZER).values_list("user__email", flat=True)) == [
        DEMO_ORGANIZER
    ]

    assert len(DEMO_JUDGES) == 5
    judges = competition.roles.filter(role=Role.JUDGE)
    assert sorted(judges.values_list("user__email", flat=True)) == sorted(DEMO_JUDGES)
    assert not User.objects.filter(email__in=DEMO_JUDGES, is_staff=True).exists()

    assert len(DEMO_ENTRANTS) == 3
    entrants = User.objects.filter(email__in=DEMO_ENTRANTS)
    assert entrants.count() == 3
    assert not CompetitionRole.objects.filter(user__in=entrants).exists()
    assert not entrants.filter(is_staff=True).exists()

    everyone = [DEMO_ORGANIZER, *DEMO_JUDGES, *DEMO_ENTRANTS]
    assert sorted(User.objects.values_list("email", flat=True)) == sorted(everyone)
    for email in everyone:
        address = EmailAddress.objects.get(email=email)
        assert address.verified, email
        assert address.primary, email
        assert authenticate(email=email, password=DEMO_PASSWORD) is not None, email


def test_running_twice_changes_nothing(settings):
    settings.DEBUG = True
    seed()
    before = snapshot()
    seed()
    assert snapshot() == before


def test_if_empty_seeds_an_empty_database(settings):
    settings.DEBUG = True
    seed("--if-empty")
    assert Competition.objects.filter(slug=DEMO_SLUG).exists()


def test_if_empty_does_nothing_when_there_are_accounts(settings):
    settings.DEBUG = True
    UserFactory(email="someone@example.com")
    output = seed("--if-empty")
    assert "not seeded" in output
    assert not Competition.objects.exists()
    assert list(User.objects.values_list("email", flat=True)) == ["someone@example.com"]


def test_if_empty_does_nothing_when_there_is_a_competition(settings, competition):
    settings.DEBUG = True
    seed("--if-empty")
    assert list(Competition.objects.values_list("slug", flat=True)) == ["lcp-test"]
    assert not User.objects.exists()
