"""The access matrix: every URL pattern of the project (from the resolver) × ten roles × GET and POST.

Each URL is requested with real objects of one world (access_world.py) by each role; what comes back is classed
(ok, login, 404, 405, …) and compared with the expectation declared once per URL name in access_table.py. A URL
the table does not know, a table entry for a URL that no longer exists, any 5xx, any row written by a request of
someone the table does not let write there (a refused POST above all), and any page that shows who is behind an
entry to someone who may not know it fail the test, with the URL, role and method.

Every request runs in a savepoint that is rolled back, so the organizer's POSTs change nothing for the next one.
ACCESS_MATRIX_DUMP=/some/prefix writes what each role got (outcome, time, tables written) to <prefix>.<role>.json.

Staff pages are requested with the real MFA requirement on: staff roles carry a TOTP authenticator and allauth's
record of a password + TOTP sign-in in their session.
"""

import json
import os
import re
import time
import traceback

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.hardening import access_table
from tests.hardening.access_world import ROLES, build_world, client_for, mfa_authenticate, stage_upload
from tests.judging.judge_support import client_for as client_for_user

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST")
MATRIX = {"requests": 0, "urls": 0, "roles": set(), "seconds": 0.0}


# ----------------------------------------------------------------------------------------------- the URLs


def url_patterns(resolver=None, prefix="", namespaces=()):
    """(key, route, pattern) for every pattern; the key is the namespaced name, or "route:<route>" unnamed."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            spaces = namespaces + ((pattern.namespace,) if pattern.namespace else ())
            yield from url_patterns(pattern, prefix + str(pattern.pattern), spaces)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            key = ":".join((*namespaces, pattern.name)) if pattern.name else f"route:{route}"
            yield key, route, pattern


def path_for(key, route, pattern, params):
    """The URL of a pattern with the world's objects in its parameters."""
    if not key.startswith("route:"):
        names = list(pattern.pattern.regex.groupindex)
        missing = [name for name in names if name not in params]
        assert not missing, f"{key}: no world object for {missing}"
        return reverse(key, kwargs={name: params[name] for name in names})
    # Unnamed patterns (a slashless alias, admin's redirects and catch-all): fill the route by hand.
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(params[match.group(1)]), route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: str(params[match.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


def resolved_urls(world):
    """[(key, path)] for every pattern, once per distinct path (a name may be given twice, as mfa_activate_totp)."""
    seen, urls = set(), []
    for key, route, pattern in url_patterns():
        params = {**world.params, **world.objects["overrides"].get(key, {})}
        path = path_for(key, route, pattern, params)
        if (key, path) not in seen:
            seen.add((key, path))
            urls.append((key, path))
    return urls


# ---------------------------------------------------------------------------------------------- outcomes


class Outcome(str):
    """An outcome that also tells where a redirect went (in failure messages)."""

    def __new__(cls, value, location):
        outcome = super().__new__(cls, value)
        outcome.location = location
        return outcome

    def __repr__(self):
        return f"{str(self)} to {self.location}"


def describe(outcome):
    return repr(outcome) if isinstance(outcome, Outcome) else str(outcome)


def classify(response):
    status = response.status_code
    if 200 <= status < 300:
        return "ok"
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        if location.startswith(reverse("account_login")):
            return "login"
        if location.startswith(reverse("admin:login")):
            return "admin_login"
        if location.startswith(reverse("mfa_activate_totp")):
            return "mfa"
        return "redirect"
    return str(status)


WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)
# Signing in and flash messages write the session row; nothing else may be written by a refused request.
ALLOWED_WRITES = {"django_session"}


def written_tables(queries):
    tables = {match.group(2) for query in queries if (match := WRITE.match(query["sql"]))}
    return sorted(tables - ALLOWED_WRITES)


def request(client, method, path, headers=None):
    """(outcome, tables written, error, text of the body) for one request, run in a savepoint that is rolled back
    so that no request (an organizer's POST included) changes the world for the next one. The tables written are
    those the request sent an INSERT, UPDATE or DELETE to (sessions aside)."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        try:
            response = client.generic(
                method, path, data="", content_type="application/x-www-form-urlencoded", headers=headers
            )
        except Exception as error:  # a view that raises is a 500 for the visitor
            return "500", [], "".join(traceback.format_exception(error, limit=-12)), ""
        finally:
            transaction.set_rollback(True)
    outcome = classify(response)
    if outcome == "redirect":
        outcome = Outcome(outcome, response["Location"])
    return outcome, written_tables(queries.captured_queries), None, readable(response)


TEXT_TYPES = ("text/", "application/json")


def readable(response):
    """The body of a page or JSON answer, for the leak check (files and streams are not read)."""
    if response.streaming or not response.get("Content-Type", "").startswith(TEXT_TYPES):
        return ""
    return response.content.decode(errors="replace")


# ----------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def matrix_media(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, matrix_media, request):
    """The world, built once for the module inside a transaction that is rolled back at the end."""
    from portal.celery import app

    app.conf.task_always_eager = True
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=matrix_media / "media",
            UPLOAD_STAGING_DIR=matrix_media / "uploads",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            STAFF_MFA_REQUIRED=True,
        ),
        transaction.atomic(),
    ):
        world = build_world()
        mfa_authenticate(world)
        yield world
        transaction.set_rollback(True)
    app.conf.task_always_eager = False
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if MATRIX["requests"] and reporter is not None and capture is not None:
        # Shown in the terminal even when every test passed (fixture teardown output is captured otherwise).
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\naccess matrix: {MATRIX['urls']} URL patterns × {len(MATRIX['roles'])} roles × GET/POST (+ tus "
                f"HEAD/DELETE; the admin sampled for 7 roles) = {MATRIX['requests']} requests "
                f"in {MATRIX['seconds']:.1f} s"
            )


@pytest.fixture
def matrix_settings(settings, matrix_media):
    # tests/conftest.py turns MFA off and gives each test its own media folder; the matrix needs both as built.
    settings.STAFF_MFA_REQUIRED = True
    settings.MEDIA_ROOT = matrix_media / "media"
    settings.UPLOAD_STAGING_DIR = matrix_media / "uploads"
    return settings


# ------------------------------------------------------------------------------------------------- tests


def test_every_url_has_a_declared_expectation_and_every_declaration_a_url(world):
    keys = {key for key, _path in resolved_urls(world)}
    undeclared = sorted(key for key in keys if access_table.lookup(key) is None)
    declared = [*access_table.TABLE, *access_table.ADMIN_EXCEPTIONS, *access_table.ADMIN_SAMPLE]
    stale = sorted(name for name in declared if name not in keys)
    stale += sorted(prefix for prefix in access_table.GROUPS if not any(key.startswith(prefix) for key in keys))
    assert not undeclared, f"URLs without a declared expectation in access_table.py: {undeclared}"
    assert not stale, f"access_table.py declares URLs that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(world, matrix_settings, role):
    stage_upload(world)
    client = client_for(world, role)
    session_cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    failures, observed, requests = [], {}, 0
    identities, seen = world.identities(), set()
    urls = resolved_urls(world)
    started = time.monotonic()
    for key, path in urls:
        if not access_table.requested(key, role):
            continue
        spec = access_table.lookup(key)
        for method in spec.methods if spec else METHODS:
            began = time.monotonic()
            # Methods beyond GET and POST are tus's: they carry its version header.
            headers = None if method in METHODS else {"Tus-Resumable": "1.0.0"}
            outcome, written, error, body = request(client, method, path, headers)
            observed.setdefault(key, {})[method] = outcome
            observed[key][method + " ms"] = round((time.monotonic() - began) * 1000)
            observed[key][method + " writes"] = written
            MATRIX["requests"] += 1
            requests += 1
            # Signing out (allauth's or admin's logout) ends the session: sign in again for the next URL.
            cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
            if role != "anonymous" and (cookie is None or cookie.value != session_cookie.value):
                client = client_for(world, role)
                session_cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
            elif role == "anonymous":
                client.cookies.clear()
            cell = f"{method} {path} [{key}] as {role}"
            if error:
                failures.append(f"{cell}: 500\n{error}")
                continue
            if outcome.startswith("5"):
                failures.append(f"{cell}: {outcome}")
            if spec is None:
                continue
            expected = spec.expect(role, method)
            if outcome not in expected:
                failures.append(f"{cell}: expected {'/'.join(sorted(expected))}, got {describe(outcome)}")
            if written and not spec.may_write(role, method):
                failures.append(f"{cell}: answered {outcome} but wrote to {', '.join(written)}")
            seen.update(text for text in identities if text in body)
            leaked = sorted(text for text, viewers in identities.items() if role not in viewers and text in body)
            if leaked:
                failures.append(f"{cell}: answered {outcome} and showed {', '.join(leaked)}")
    MATRIX["seconds"] += time.monotonic() - started
    MATRIX["urls"] = len(urls)
    MATRIX["roles"].add(role)
    mail.outbox.clear()
    if os.environ.get("ACCESS_MATRIX_DUMP"):
        path = os.environ["ACCESS_MATRIX_DUMP"] + f".{role}.json"
        with open(path, "w") as out:
            json.dump(observed, out, indent=0, sort_keys=True)
    print(f"access matrix [{role}]: {requests} requests")
    assert not failures, f"{len(failures)} cells of the access matrix are wrong:\n" + "\n".join(failures)
    if role == "organizer":
        # The leak check reads the right pages: the organizer does see who entered.
        assert {world.users["entrant_a"].email, world.users["entrant_b"].email} <= seen


# ------------------------------------------------------------------------------- what the matrix found


def test_deleting_a_unit_with_entries_is_refused_with_a_message(alice, unit):
    """Found by the matrix: the delete button on a unit with entries answered 500 (Entry.unit is PROTECT)."""
    from portal.models import ActionLog, Unit
    from tests.factories import EntryFactory

    entry = EntryFactory(unit=unit)
    client = client_for_user(alice)
    response = client.post(reverse("portal:console_unit_delete", args=[unit.competition.slug, unit.pk]), follow=True)
    assert response.redirect_chain[0][0] == reverse("portal:console_unit_edit", args=[unit.competition.slug, unit.pk])
    assert "The unit “Street Life” cannot be deleted: entries have been made in it." in response.content.decode()
    assert Unit.objects.filter(pk=unit.pk).exists() and entry.unit_id == unit.pk
    assert not ActionLog.objects.filter(action="unit_deleted").exists()
