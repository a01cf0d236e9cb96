"""A real worker process takes a task from the broker, runs it against its database and stores the result."""

import time

import pytest
from django.db import connection

from portal.tasks import ping


@pytest.mark.celery_worker
def test_a_real_worker_runs_ping(celery_worker_process):
    result = ping.delay()
    # The worker has this process's environment, so the same kind of database.
    assert result.get(timeout=60) == {"pong": True, "database": connection.vendor, "select": 1}
    # The worker logs the success just after storing the result.
    line = f"Task portal.tasks.ping[{result.id}] succeeded"
    deadline = time.monotonic() + 10
    while line not in celery_worker_process.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert line in celery_worker_process.output()
