"""The 503 page for a database that cannot be reached, in-process (any database): from a view, from middleware
that loads the session, and never for other errors."""

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client

from portal.resilience import RETRY_AFTER_SECONDS


class FailingDatabase:
    """A query wrapper that makes every query raise `error`, as a database that went away does; counts them."""

    def __init__(self, error):
        self.error = error
        self.attempts = []

    def __call__(self, execute, sql, params, many, context):
        self.attempts.append(sql)
        raise self.error


def assert_unavailable_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "Temporarily unavailable" in html and "cannot reach its database" in html
    assert f"try again in {RETRY_AFTER_SECONDS} seconds" in html
    assert '<html lang="en">' in html and "portal.css" in html and 'class="site-header"' in html  # styled
    assert "Traceback" not in html and "OperationalError" not in html and "could not connect" not in html
    return html


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError("could not connect to server"), InterfaceError("closed")])
def test_a_database_error_in_a_view_answers_503(caplog, error):
    with connection.execute_wrapper(FailingDatabase(error)):  # anonymous: the first query is the view's
        response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/")
    assert_unavailable_page(response)
    # The middleware answered (one line in the log), not handler500 after a logged traceback.
    assert f"Database unavailable for GET /: {error}" in caplog.text


@pytest.mark.django_db
def test_a_database_error_while_loading_the_session_answers_503_without_another_query(charlie):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(charlie)
    database = FailingDatabase(OperationalError("server closed the connection unexpectedly"))
    # The session is loaded in middleware (the signed-in user's language), before any view: handler500's path.
    with connection.execute_wrapper(database):
        response = client.get("/account/profile/")
    assert len(database.attempts) == 1 and "django_session" in database.attempts[0]
    html = assert_unavailable_page(response)  # and the page itself never asked the database for the user
    assert "Charlie" not in html and "Sign out" not in html


@pytest.mark.django_db
def test_the_page_is_translated():
    with connection.execute_wrapper(FailingDatabase(OperationalError("down"))):
        response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/")
    assert response.status_code == 503
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.django_db
def test_other_errors_stay_the_500_page():
    with connection.execute_wrapper(FailingDatabase(RuntimeError("a bug"))):
        response = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "Retry-After" not in response
