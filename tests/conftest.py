"""Shared fixtures. The named users follow healthchecks' habit: alice organizes, bob judges, charlie enters."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from celery._state import _set_task_join_will_block
from django.conf import settings
from django.core.cache import cache

from judging import public as public_results
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
def _eager_celery(request):
    """Tasks run inline in ordinary tests; tests marked celery_worker use a real worker instead."""
    from celery.result import allow_join_result

    from portal.celery import app

    if request.node.get_closest_marker("celery_worker"):
        # Eager tasks run in threads by earlier tests can leave Celery's process-wide "inside a task" flag set,
        # which makes result.get() refuse; this test is not inside a task.
        with allow_join_result():
            yield
        return
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    # An eager task sets Celery's process-wide (not thread-local) "a join would block" flag while it runs and
    # restores it afterwards; eager tasks in several threads at once can leave it set, and a later
    # `result.get()` on a real worker's result then raises "Never call result.get() within a task!".
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    # allauth's rate limits live in the cache; each test starts with none used. Files go to a fresh folder.
    cache.clear()
    public_results.forget_local_state()  # the public pages keep the freshness state a second per process
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_STAGING_DIR = tmp_path / "uploads"
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


# --- A real Celery worker -------------------------------------------------------------------------------------
#
# With the filesystem broker (no CELERY_BROKER_URL) the test session gets its own broker and result folders, so
# a developer's `make run` worker never takes the tests' tasks, and the tests' worker never runs tasks queued by
# the development server. The worker process is given VAR_DIR pointing there, so its settings name the same
# folders; the producer side (this process, whose settings are already loaded) is pointed there below.

CELERY_TEST_VAR_DIR = None


def pytest_configure(config):
    global CELERY_TEST_VAR_DIR
    from portal.celery import app

    CELERY_TEST_VAR_DIR = Path(tempfile.mkdtemp(prefix="zhuiguang-test-var-"))
    if str(app.conf.broker_url).startswith("filesystem://"):
        celery_dir = CELERY_TEST_VAR_DIR / "celery"
        options = {
            "data_folder_in": celery_dir / "queue",
            "data_folder_out": celery_dir / "queue",
            "processed_folder": celery_dir / "processed",
            "control_folder": celery_dir / "control",
        }
        for folder in [*options.values(), celery_dir / "results"]:
            folder.mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {
            **(app.conf.broker_transport_options or {}),
            **{key: str(folder) for key, folder in options.items()},
        }
        if str(app.conf.result_backend) == f"file://{settings.CELERY_DIR / 'results'}":
            app.conf.result_backend = f"file://{celery_dir / 'results'}"


def pytest_unconfigure(config):
    if CELERY_TEST_VAR_DIR is not None:
        shutil.rmtree(CELERY_TEST_VAR_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """A real worker process must open the test database, which SQLite otherwise keeps in this process's memory.

    So when the session runs tests marked celery_worker on SQLite, its test database is a file in the session's
    folder (PostgreSQL's test database is reachable as it is).
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and any(
        item.get_closest_marker("celery_worker") for item in request.session.items
    ):
        database.setdefault("TEST", {})["NAME"] = str(CELERY_TEST_VAR_DIR / "test-db.sqlite3")


def worker_database_url():
    """DATABASE_URL for the test database that this process set up (None if another process cannot open it)."""
    from django.db import connection

    database = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(database["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            return None
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        credentials = quote(database["USER"] or "", safe="")
        if database["PASSWORD"]:
            credentials += ":" + quote(database["PASSWORD"], safe="")
        host = database["HOST"] or "localhost"
        port = f":{database['PORT']}" if database["PORT"] else ""
        options = {key: value for key, value in (database.get("OPTIONS") or {}).items() if isinstance(value, str)}
        query = f"?{urlencode(options)}" if options else ""
        return f"postgres://{credentials}@{host}{port}/{quote(database['NAME'], safe='')}{query}"
    return None


@dataclass
class CeleryWorker:
    """A `celery -A portal worker` process; `kill()` and `start()` replace it (the same log, folders, database)."""

    command: list
    env: dict
    log_path: Path
    media_root: Path
    var_dir: Path
    process: subprocess.Popen | None = None

    def output(self):
        return self.log_path.read_text(errors="replace")

    def start(self, **extra_env):
        """Start a worker process and wait until it is ready. `extra_env` adds variables (e.g. a short
        CELERY_VISIBILITY_TIMEOUT so that a task left unacknowledged by a killed worker is delivered again)."""
        assert self.process is None or self.process.poll() is not None, "a worker is already running"
        ready_before = self.output().count(" ready.") if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=settings.BASE_DIR, env={**self.env, **extra_env}, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while self.output().count(" ready.") <= ready_before:
            if self.process.poll() is not None:
                pytest.fail(f"The Celery worker exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"The Celery worker was not ready within 60 s:\n{self.output()}")
            time.sleep(0.2)
        return self

    def kill(self):
        """SIGKILL, as the OOM killer or a lost machine would: no warm shutdown, no acknowledgements."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup):
    """One real `celery -A portal worker` for the session, with this process's environment.

    It consumes both queues ("default" and the video pipeline's "media") and uses the same broker and result
    backend as the tests (Redis in CI, the session's filesystem folders otherwise), the TEST database
    (PostgreSQL's test_<name>, or SQLite's test file: see django_db_modify_db_settings), and MEDIA_ROOT
    `worker.media_root` (use the `worker_media` fixture so this process stores files there too); its VAR_DIR is
    `worker.var_dir`. Tests that need the worker to see their rows must commit them:
    `django_db(transaction=True)`. Tasks sent with `.delay()` reach it; `result.get(timeout=...)` waits.
    A test may `kill()` it and `start()` a new one, which later tests then use.
    The worker stops before the test database is dropped, as this fixture depends on django_db_setup.
    """
    from portal.celery import app

    url = str(app.conf.broker_url)
    if url.startswith(("redis://", "rediss://")):
        require_service(tcp_reachable(url, 6379), f"Redis at {url}")
    assert not app.conf.task_always_eager, "CELERY_TASK_ALWAYS_EAGER is on: tasks would never reach the worker"

    log_path = CELERY_TEST_VAR_DIR / "celery-worker.log"
    media_root = CELERY_TEST_VAR_DIR / "media"
    media_root.mkdir(exist_ok=True)
    env = {**os.environ, "VAR_DIR": str(CELERY_TEST_VAR_DIR), "MEDIA_ROOT": str(media_root), "PYTHONUNBUFFERED": "1"}
    database_url = worker_database_url()
    if database_url:
        env["DATABASE_URL"] = database_url
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo", "--loglevel", "info",
        "--hostname", f"pytest-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-Q", "default,media",
    ]
    worker = CeleryWorker(command, env, log_path, media_root, CELERY_TEST_VAR_DIR)
    try:
        yield worker.start()
    finally:
        worker.stop()


@pytest.fixture
def worker_media(celery_worker_process, settings):
    """Store this test's files where the session's worker reads them; emptied afterwards."""
    root = celery_worker_process.media_root
    settings.MEDIA_ROOT = root
    yield root
    for child in root.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
