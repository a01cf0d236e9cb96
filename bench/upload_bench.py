"""`make bench-upload`: tus upload throughput against `cp` of the same file, and the web process's peak memory.

Starts `gunicorn portal.wsgi` (one sync worker, timeout 600) on 127.0.0.1 with a temporary VAR_DIR and SQLite,
creates a signed-in entrant with an entry, then for each size (200 MB, then 2 GiB by default):
  - writes a test file of random blocks (fast: one random block, each copy stamped with its index);
  - in each of BENCH_ROUNDS rounds, starting each timing with the page cache written back (`sync`):
      * times `cp` of the file on the same disk, and `cp` followed by an fsync of the copy;
      * uploads the file with tuspy (the tus project's Python client) in chunks, timed from the creation request
        to the last response, which comes after the server has fsynced the file and moved it into storage;
      * uploads it again with a minimal tus client that sends each chunk with sendfile(): tuspy reads every chunk
        into memory before sending it, which costs as much as a copy; this run shows what the server itself does;
      * checks that each stored video is byte-for-byte the file (sha256);
  - samples the gunicorn worker's resident memory every 50 ms (/proc/<pid>/status VmRSS; VmHWM after).

The server makes a finished upload durable (fsync) before it registers the video, so the like-for-like baseline
is `cp` + fsync; plain `cp` (which only fills the page cache, with copy_file_range inside the kernel) is reported
too. Times are medians over the rounds: this machine's disk is noisy. Prints a table, writes var/bench/upload.json,
and exits 1 if a target is missed: the tuspy upload >= 0.8 x (cp + fsync) at the large size, worker peak RSS
<= 150 MB at both sizes.

Environment: BENCH_UPLOAD_BYTES (default 2 GiB, at most 5 GiB), BENCH_SMALL_BYTES (default 200 MB),
BENCH_CHUNK_BYTES (tuspy's chunk size, default 64 MiB), BENCH_ROUNDS (default 3), BENCH_DIR (the folder for the
temporary files: default the system's temp folder, which must be on a disk, not tmpfs, for a fair comparison).
"""

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
MB = 1000 * 1000
MIB = 1024 * 1024
BLOCK = 64 * MIB
TARGET_RATIO = 0.8
TARGET_RSS_MB = 150


def env_int(name, default, low, high):
    value = int(os.environ.get(name) or default)
    if not low <= value <= high:
        sys.exit(f"{name} must be between {low} and {high}")
    return value


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_test_file(path, size):
    block = bytearray(os.urandom(min(BLOCK, size)))
    with open(path, "wb") as out:
        written = index = 0
        while written < size:
            block[:8] = index.to_bytes(8, "big")
            part = memoryview(block)[: min(len(block), size - written)]
            out.write(part)
            written += len(part)
            index += 1


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def proc_status(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024  # kB -> bytes
    return values


def dirty_bytes():
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("Dirty:"):
                return int(line.split()[1]) * 1024
    return 0


def settle():
    """Write back dirty pages and wait, so that each timed copy starts from the same state of the page cache."""
    os.sync()
    deadline = time.monotonic() + 30
    while dirty_bytes() > 64 * MIB and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)


def worker_pid(master_pid, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
        except FileNotFoundError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


class RssSampler(threading.Thread):
    """VmRSS of a process every 50 ms; `peak` is the highest seen."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, proc_status(self.pid)["VmRSS"])
            except (FileNotFoundError, KeyError):
                return
            self.stop.wait(0.05)


def bench_environment(var_dir):
    """Production-like settings (DEBUG off) on a throwaway VAR_DIR, over plain HTTP on loopback."""
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir}/db.sqlite3",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "TUS_MAX_SIZE": str(6 * 1024**3),
        "ENTRY_VIDEO_QUOTA_BYTES": str(60 * 1024**3),
    }


def setup_django(environment):
    os.environ.update(environment)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_entrant():
    """An entrant with a draft entry in an open competition, signed in: (entry, Cookie header, CSRF token)."""
    from django.test import Client

    from tests.factories import EntryFactory, UnitFactory, UserFactory

    user = UserFactory(email="bench@example.com")
    entry = EntryFactory(unit=UnitFactory(), owner=user)
    client = Client()
    client.force_login(user)
    csrf = secrets.token_hex(16)  # any well-formed token: Django compares the header with the cookie
    return entry, f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}", csrf


def start_gunicorn(environment, port, log_path):
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi",
        "--workers", "1", "--worker-class", "sync", "--timeout", "600",
        "--bind", f"127.0.0.1:{port}", "--no-control-socket",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
            command, cwd=BASE_DIR, env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{Path(log_path).read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start listening within 60 s")


def time_cp(source, folder):
    """(seconds for `cp`, seconds for `cp` and then fsync of the copy)."""
    target = folder / "cp-copy.bin"
    started = time.perf_counter()
    subprocess.run([shutil.which("cp") or "/bin/cp", str(source), str(target)], check=True)  # noqa: S603
    copied = time.perf_counter() - started
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    durable = time.perf_counter() - started
    target.unlink()
    return copied, durable


def time_upload(base_url, source, entry, cookie, csrf, chunk_size, slot):
    from tusclient import client

    tus = client.TusClient(f"{base_url}/uploads/tus/", headers={"Cookie": cookie, "X-CSRFToken": csrf})
    started = time.perf_counter()
    uploader = tus.uploader(
        str(source), chunk_size=chunk_size, metadata={"entry": str(entry.pk), "slot": slot, "filename": source.name}
    )
    uploader.upload()
    return time.perf_counter() - started, uploader.url


def time_upload_sendfile(base_url, source, entry, cookie, csrf, chunk_size, slot):
    """The same tus requests from a minimal client that sends each chunk with sendfile() (no copy through user
    space), so that the time is the server's: tuspy reads every chunk into memory before it sends it."""
    import base64
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(base_url)
    common = {"Tus-Resumable": "1.0.0", "Cookie": cookie, "X-CSRFToken": csrf}
    size = source.stat().st_size
    meta = ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in {"entry": str(entry.pk), "slot": slot, "filename": source.name}.items()
    )
    started = time.perf_counter()
    connection = http.client.HTTPConnection(address.hostname, address.port)
    connection.request("POST", "/uploads/tus/", headers={**common, "Upload-Length": str(size), "Upload-Metadata": meta})
    response = connection.getresponse()
    response.read()
    url = response.getheader("Location")
    connection.close()
    path = urlsplit(url).path
    offset = 0
    with open(source, "rb") as handle:
        while offset < size:
            count = min(chunk_size, size - offset)
            connection = http.client.HTTPConnection(address.hostname, address.port)
            connection.putrequest("PATCH", path)
            headers = {**common, "Upload-Offset": str(offset), "Content-Length": str(count),
                       "Content-Type": "application/offset+octet-stream"}
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            connection.sock.sendfile(handle, offset, count)
            response = connection.getresponse()
            response.read()
            if response.status != 204:
                raise RuntimeError(f"PATCH answered {response.status}")
            offset = int(response.getheader("Upload-Offset"))
            connection.close()
    return time.perf_counter() - started, url


def stored_copy(url):
    """(path of the stored video, whether the upload completed) for an upload URL."""
    from django.conf import settings
    from django.db import connections

    from submissions.models import Upload

    upload = Upload.objects.select_related("video").get(pk=url.rstrip("/").rsplit("/", 1)[-1])
    connections.close_all()  # SQLite: let the server write
    return Path(settings.MEDIA_ROOT) / upload.video.file.name, upload.completed_at is not None


def run_size(label, size, *, rounds, folder, base_url, worker, entry, cookie, csrf, chunk_size):
    source = folder / f"bench-{label}.bin"
    print(f"[{label}] writing a {size / MB:,.0f} MB test file...", flush=True)
    write_test_file(source, size)
    source_sha = sha256(source)
    cps, cp_syncs, uploads, raw_uploads, peaks, identical = [], [], [], [], [], True
    for number in range(1, rounds + 1):
        settle()
        cp_seconds, cp_sync_seconds = time_cp(source, folder)
        timings = []
        for method, slot in ((time_upload, f"episode-{number}"), (time_upload_sendfile, f"episode-{50 + number}")):
            settle()
            sampler = RssSampler(worker)
            sampler.start()
            seconds, url = method(base_url, source, entry, cookie, csrf, chunk_size, slot)
            sampler.stop.set()
            sampler.join()
            stored, completed = stored_copy(url)
            same = completed and sha256(stored) == source_sha
            identical = identical and same
            stored.unlink()
            peaks.append(sampler.peak)
            timings.append(seconds)
        cps.append(cp_seconds)
        cp_syncs.append(cp_sync_seconds)
        uploads.append(timings[0])
        raw_uploads.append(timings[1])
        print(
            f"[{label}] round {number}: cp {cp_seconds:.2f} s, cp + fsync {cp_sync_seconds:.2f} s, "
            f"tuspy {timings[0]:.2f} s, sendfile client {timings[1]:.2f} s, identical: {identical}",
            flush=True,
        )
    source.unlink()
    cp_seconds, cp_sync_seconds, upload_seconds, raw_seconds = (
        statistics.median(v) for v in (cps, cp_syncs, uploads, raw_uploads)
    )
    return {
        "label": label,
        "bytes": size,
        "chunk_bytes": chunk_size,
        "rounds": rounds,
        "cp_seconds": [round(v, 3) for v in cps],
        "cp_fsync_seconds": [round(v, 3) for v in cp_syncs],
        "upload_seconds": [round(v, 3) for v in uploads],
        "sendfile_client_seconds": [round(v, 3) for v in raw_uploads],
        "cp_mb_s": round(size / MB / cp_seconds, 1),
        "cp_fsync_mb_s": round(size / MB / cp_sync_seconds, 1),
        "upload_mb_s": round(size / MB / upload_seconds, 1),
        "ratio_to_cp_fsync": round(cp_sync_seconds / upload_seconds, 3),
        "ratio_to_cp": round(cp_seconds / upload_seconds, 3),
        "sendfile_client_mb_s": round(size / MB / raw_seconds, 1),
        "sendfile_client_ratio_to_cp_fsync": round(cp_sync_seconds / raw_seconds, 3),
        "worker_peak_rss_mb": round(max(peaks) / MB, 1),
        "worker_vmhwm_mb": round(proc_status(worker)["VmHWM"] / MB, 1),
        "identical": identical,
    }


def main():
    big = env_int("BENCH_UPLOAD_BYTES", 2 * 1024**3, 1, 5 * 1024**3)
    small = env_int("BENCH_SMALL_BYTES", 200 * MB, 1, 5 * 1024**3)
    chunk_size = env_int("BENCH_CHUNK_BYTES", 64 * MIB, 1, 1024**3)
    rounds = env_int("BENCH_ROUNDS", 3, 1, 20)
    folder = Path(tempfile.mkdtemp(prefix="zhuiguang-bench-", dir=os.environ.get("BENCH_DIR") or None))
    var_dir = folder / "var"
    (var_dir / "static").mkdir(parents=True)
    environment = bench_environment(var_dir)
    server = None
    try:
        setup_django(environment)
        entry, cookie, csrf = make_entrant()
        from django.db import connections

        connections.close_all()
        port = free_port()
        server = start_gunicorn(environment, port, folder / "gunicorn.log")
        worker = worker_pid(server.pid)
        idle = proc_status(worker)["VmRSS"]
        common = {
            "rounds": rounds, "folder": folder, "base_url": f"http://127.0.0.1:{port}", "worker": worker,
            "entry": entry, "cookie": cookie, "csrf": csrf, "chunk_size": chunk_size,
        }
        results = [run_size("small", small, **common), run_size("big", big, **common)]
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(folder, ignore_errors=True)

    from submissions import tus

    peak = max(run["worker_peak_rss_mb"] for run in results)
    report = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "read_size": tus.READ_SIZE,
        "worker_idle_rss_mb": round(idle / MB, 1),
        "runs": results,
        "targets": {"ratio_to_cp_fsync": TARGET_RATIO, "worker_peak_rss_mb": TARGET_RSS_MB},
        "meets_targets": bool(
            all(run["identical"] for run in results)
            and results[-1]["ratio_to_cp_fsync"] >= TARGET_RATIO
            and peak <= TARGET_RSS_MB
        ),
    }
    print()
    print(f"{'run':<6} {'size MB':>8} {'cp MB/s':>8} {'cp+fsync':>9} {'tuspy':>7} {'x cp+fsync':>10} {'x cp':>6} "
          f"{'sendfile':>9} {'x cp+fsync':>10} {'peak RSS MB':>12} {'identical':>10}")
    for run in results:
        print(
            f"{run['label']:<6} {run['bytes'] / MB:>8,.0f} {run['cp_mb_s']:>8.0f} {run['cp_fsync_mb_s']:>9.0f} "
            f"{run['upload_mb_s']:>7.0f} {run['ratio_to_cp_fsync']:>10.2f} {run['ratio_to_cp']:>6.2f} "
            f"{run['sendfile_client_mb_s']:>9.0f} {run['sendfile_client_ratio_to_cp_fsync']:>10.2f} "
            f"{run['worker_peak_rss_mb']:>12.1f} {run['identical']!s:>10}"
        )
    print("MB/s; tuspy is the tus project's client (reads each chunk into memory, then sends it); sendfile is a "
          "minimal client that sends from the page cache, so its time is the server's.")
    print(f"medians of {rounds} rounds; worker RSS when idle {report['worker_idle_rss_mb']} MB. Targets: "
          f">= {TARGET_RATIO} x (cp + fsync) at {results[-1]['bytes'] / MB:,.0f} MB, peak RSS <= {TARGET_RSS_MB} MB: "
          f"{'met' if report['meets_targets'] else 'MISSED'}")
    out = Path(os.environ.get("BENCH_JSON") or BASE_DIR / "var" / "bench" / "upload.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out}")
    return 0 if report["meets_targets"] else 1


if __name__ == "__main__":
    sys.exit(main())
