"""Fault injection: a real web server (gunicorn) on the test database, killed, restarted, and left serving while
PostgreSQL restarts under it.

`web_server` is a `gunicorn portal.wsgi` process group on a free loopback port with this test's database (the
committed rows of a transactional test: see tests/conftest.py's worker_database_url), MEDIA_ROOT and
UPLOAD_STAGING_DIR, DEBUG off (so error pages are the production ones) and this process's SECRET_KEY (so a
session made here with force_login is valid there). Settings the tests override in-process are mirrored by
tests/faults/server_settings.py. Celery and the cache are the server's own (filesystem broker under its VAR_DIR,
in-process cache): a task the server queues never reaches a worker that another test started.
"""

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import require_service, worker_database_url


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self):
        return self.body.decode(errors="replace")


@dataclass
class WebServer:
    """A gunicorn master and its workers in their own process group: `kill()` takes them all with SIGKILL, as a
    crashed machine or container would; `start()` starts a new group on the same port."""

    env: dict
    log_path: Path
    port: int
    workers: int = 1
    process: subprocess.Popen | None = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def output(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self):
        assert self.process is None or self.process.poll() is not None, "the server is already running"
        command = [
            str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi",
            "--workers", str(self.workers), "--worker-class", "sync", "--timeout", "60", "--preload",
            "--bind", f"127.0.0.1:{self.port}", "--no-control-socket",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
                command, cwd=settings.BASE_DIR, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.output()[-4000:]}")
            try:
                if self.request("GET", "/healthz", timeout=2).status == 200 and len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer within 60 s:\n{self.output()[-4000:]}")
            time.sleep(0.1)

    def pids(self):
        """The master's and its workers' process ids."""
        return {self.process.pid, *self.worker_pids()}

    def worker_pids(self):
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except FileNotFoundError:
            return set()
        return {int(pid) for pid in children}

    def kill(self):
        if self.process is None:
            return
        members = self.pids() if self.process.poll() is None else set()
        with contextlib.suppress(ProcessLookupError):  # the whole group, also workers a dead master left behind
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() and not _is_zombie(pid) for pid in members):
            assert time.monotonic() < deadline, "gunicorn's workers outlived SIGKILL"
            time.sleep(0.05)

    def request(self, method, path, *, headers=None, body=None, timeout=30):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers={"Accept-Language": "en", **(headers or {})})
            response = connection.getresponse()
            return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()


def _is_zombie(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return True


def server_environment(var_dir):
    database_url = worker_database_url()
    require_service(database_url is not None, "A test database another process can open (PostgreSQL)")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "CACHE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.faults.server_settings",
        DATABASE_URL=database_url,
        VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        UPLOAD_STAGING_DIR=str(settings.UPLOAD_STAGING_DIR),
        DEBUG="false",
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def make_server(tmp_path, workers):
    var_dir = tmp_path / "server-var"
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    return WebServer(server_environment(var_dir), tmp_path / "gunicorn.log", free_port(), workers=workers)


@pytest.fixture
def web_server(transactional_db, tmp_path):
    """A started single-worker gunicorn on the test database; killed afterwards."""
    server = make_server(tmp_path, workers=1)
    try:
        yield server.start()
    finally:
        server.kill()  # nothing to shut down gracefully; gunicorn's master alone takes seconds to exit
        shutil.rmtree(tmp_path / "server-var", ignore_errors=True)


@pytest.fixture
def web_server_factory(transactional_db, tmp_path):
    """make(workers=N) -> a started gunicorn with N workers."""
    servers = []

    def make(workers):
        server = make_server(tmp_path, workers)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.kill()
