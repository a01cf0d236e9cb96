"""PostgreSQL restarts while the app serves: the same gunicorn processes answer again without being restarted.

A restart is noticed by the first request after it (CONN_HEALTH_CHECKS tests a reused persistent connection and
opens a new one), so that request already succeeds. While the database is down, pages answer the styled 503 with
Retry-After (portal.resilience), both from a view and from the session middleware of a signed-in request.

Needs CI_PG_CLUSTER ("<version> <name>" of the cluster serving the test database; .ci/run exports it) and the
right to run pg_ctlcluster (root in CI). The test refuses to touch a cluster that does not serve the test
database, and always starts the cluster again before it ends.
"""

import contextlib
import os
import shutil
import subprocess
import time

import pytest
from django.db import connection

from portal.resilience import RETRY_AFTER_SECONDS
from tests.conftest import require_service
from tests.factories import CompetitionFactory, UserFactory
from tests.submissions.tus_support import signed_in_headers

pytestmark = pytest.mark.django_db(transaction=True)

RECOVERY_SECONDS = 30  # bound on the app answering again after the database is back


def cluster():
    """(version, name) from CI_PG_CLUSTER, checked to be the cluster on the test database's port."""
    value = os.environ.get("CI_PG_CLUSTER", "").split()
    require_service(
        connection.vendor == "postgresql" and len(value) == 2 and shutil.which("pg_ctlcluster") is not None,
        "PostgreSQL with CI_PG_CLUSTER='<version> <name>' and pg_ctlcluster (to restart it)",
    )
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout
    ports = {tuple(line.split()[:2]): line.split()[2] for line in listing.splitlines() if line.strip()}
    port = str(connection.settings_dict["PORT"] or 5432)
    assert ports.get(tuple(value)) == port, f"CI_PG_CLUSTER={value} does not serve the test database (port {port})"
    return value


def pg_ctl(version, name, action):
    subprocess.run(["pg_ctlcluster", version, name, action], check=True, capture_output=True, timeout=120)


def reconnect_here(timeout=RECOVERY_SECONDS):
    """This process's own connection died with the server: drop it and wait until a new one works."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):  # closing a dead connection may complain; it is gone either way
            connection.close()
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_requests_recover_after_postgresql_restarts_without_restarting_the_app(web_server):
    version, name = cluster()
    competition = CompetitionFactory(name_en="Light-Chasing Fault Edition")
    user = UserFactory(email="erin@example.com", display_name="Erin Faulty")
    signed_in = signed_in_headers(user)

    def home():
        return web_server.request("GET", "/")

    def profile():
        return web_server.request("GET", "/account/profile/", headers=signed_in)

    def assert_served(home_response, profile_response):
        assert home_response.status == 200, home_response.text[-2000:]
        assert competition.name_en in home_response.text
        assert profile_response.status == 200, profile_response.text[-2000:]
        assert "Erin Faulty" in profile_response.text and "Sign out" in profile_response.text

    assert_served(home(), profile())  # both processes hold a persistent connection now (CONN_MAX_AGE)
    pids = web_server.pids()

    try:
        # 1. A restart between two requests: the very next request reconnects.
        pg_ctl(version, name, "restart")
        reconnect_here()
        assert_served(home(), profile())

        # 2. Down for a while: a 503 page, from the view (home) and from the session middleware (profile).
        pg_ctl(version, name, "stop")
        for response in (home(), profile()):
            assert response.status == 503, response.text[-2000:]
            assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
            assert "Temporarily unavailable" in response.text and "Traceback" not in response.text
            assert "Erin Faulty" not in response.text
    finally:
        pg_ctl(version, name, "start")
        reconnect_here()

    # 3. Back: the same processes answer within a bounded time.
    started = time.monotonic()
    while True:
        home_response, profile_response = home(), profile()
        if home_response.status == profile_response.status == 200 or time.monotonic() - started > RECOVERY_SECONDS:
            break
        time.sleep(0.2)
    assert_served(home_response, profile_response)
    assert web_server.pids() == pids  # nothing was restarted
    log = web_server.output()
    assert "Database unavailable for GET /:" in log  # the view's error, answered by the middleware
    assert "Internal Server Error" not in log  # no request was answered with a 500
    # This process's own connection works again too.
    assert type(user).objects.filter(pk=user.pk, display_name="Erin Faulty").exists()
