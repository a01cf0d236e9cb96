"""The upload path production uses: gunicorn, where PATCH bodies are spliced from the socket into the file.

The test suite's own server (Django's live server) takes the plain streaming path, so this runs the upload
benchmark with tiny sizes against a real gunicorn and requires every stored file to be byte-identical.
"""

import json
import os
import subprocess
import sys

from django.conf import settings


def test_uploads_through_gunicorn_store_identical_bytes(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "CACHE_URL"))}
    env.update(
        BENCH_UPLOAD_BYTES=str(5 * 1024 * 1024 + 123),  # not a multiple of the chunk size
        BENCH_SMALL_BYTES=str(1024 * 1024),
        BENCH_CHUNK_BYTES=str(512 * 1024),
        BENCH_ROUNDS="1",
        BENCH_DIR=str(tmp_path),
        BENCH_JSON=str(tmp_path / "upload.json"),
    )
    result = subprocess.run(
        [sys.executable, "bench/upload_bench.py"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert (tmp_path / "upload.json").exists(), result.stdout + result.stderr
    report = json.loads((tmp_path / "upload.json").read_text())
    assert [run["bytes"] for run in report["runs"]] == [1024 * 1024, 5 * 1024 * 1024 + 123]
    assert all(run["identical"] for run in report["runs"]), result.stdout
