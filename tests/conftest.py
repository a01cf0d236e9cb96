"""Shared fixtures. The named users follow healthchecks' habit: alice organizes, bob judges, charlie enters."""

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache

from portal.models import Role
from tests.factories import PASSWORD, CompetitionFactory, RoleFactory, UnitFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(available: bool, what: str):
    """Skip locally when a service is missing; in CI the same test fails, so nothing is silently skipped."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available.")
    pytest.skip(f"{what} is not available here (it is in CI).")


def tcp_reachable(url, default_port):
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    # allauth's rate limits live in the cache; each test starts with none used. Files go to a fresh folder.
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STAFF_MFA_REQUIRED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in production
    yield
    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def competition(db):
    return CompetitionFactory(slug="lcp-test")


@pytest.fixture
def unit(competition):
    return UnitFactory(competition=competition, slug="street-life", name_zh="街头巷尾", name_en="Street Life")


@pytest.fixture
def alice(competition):
    """Organizer of `competition`."""
    user = UserFactory(email="alice@example.com", display_name="Alice")
    RoleFactory(competition=competition, user=user, role=Role.ORGANIZER)
    return user


@pytest.fixture
def bob(competition):
    """Judge in `competition`."""
    user = UserFactory(email="bob@example.com", display_name="Bob")
    RoleFactory(competition=competition, user=user, role=Role.JUDGE)
    return user


@pytest.fixture
def charlie(db):
    """An entrant: signed up, no role."""
    return UserFactory(email="charlie@example.com", display_name="Charlie")


@pytest.fixture
def dave(db):
    """Organizer of another competition only."""
    user = UserFactory(email="dave@example.com", display_name="Dave")
    RoleFactory(competition=CompetitionFactory(slug="other-competition"), user=user, role=Role.ORGANIZER)
    return user


@pytest.fixture
def chromium_path():
    path = "/usr/bin/chromium"
    require_service(os.path.exists(path) and shutil.which(path) is not None, "Chromium (/usr/bin/chromium)")
    return path


@pytest.fixture
def broker_url():
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        require_service(tcp_reachable(url, 6379), f"Redis at {url}")
    return url
