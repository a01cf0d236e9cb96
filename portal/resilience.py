"""A database that is briefly out of reach (a restart, a failover, a full connection pool) answers 503 with
Retry-After and a translated page, never a 500 traceback; the next request reconnects by itself.

Recovery itself comes from the settings: CONN_HEALTH_CHECKS makes a request that reuses a persistent connection
test it first and open a new one if the server went away, and a connection that raised an error is closed at
the end of its request. What this module adds is the answer given while the database is still down.
OperationalError also covers a deadlock, a serialization failure or a statement timeout: passing ones too, for
which "try again" is the right answer as well.

Two places turn the error into the page, because Django converts an exception to a response at every middleware
layer: `DatabaseUnavailableMiddleware.process_exception` for errors raised by views, and `server_error` (the
project's handler500) for errors raised in other middleware — e.g. loading the session or the signed-in user
before the view runs, or saving the session afterwards.
"""

import contextlib
import logging
import sys

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.views import defaults

logger = logging.getLogger(__name__)

# Long enough for PostgreSQL to restart, short enough that a judge does not give up on the form they typed.
RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable(request):
    """The 503 page. Rendered without the request on purpose: context processors and base.html would otherwise
    ask for `user` (a session and user query), which is exactly what cannot work now."""
    context = {"retry_after": RETRY_AFTER_SECONDS}
    if request is not None:
        context["csrf_token"] = get_token(request)  # a cookie, not the database: the language switch still posts
    response = HttpResponse(loader.get_template("503.html").render(context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _forget_broken_connections():
    # Django closes a connection that raised at the end of the request anyway; closing now also covers code that
    # runs after the response is made (signals, streaming) in this thread. Closing a dead connection can raise.
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(*DATABASE_ERRORS):
            connection.close_if_unusable_or_obsolete()


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        # One line, no traceback: during an outage every request lands here (django.request adds its own
        # "Service Unavailable" line).
        logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exception)
        _forget_broken_connections()
        return database_unavailable(request)


def server_error(request, template_name="500.html"):
    """handler500: the 503 page when the uncaught exception is a database connection error, else Django's 500."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        _forget_broken_connections()
        return database_unavailable(request)
    return defaults.server_error(request, template_name)
