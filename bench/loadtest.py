"""`make loadtest`: simulated entrants, judges and readers against the whole portal on loopback, then the checks.

Needs DATABASE_URL (PostgreSQL; the role must be allowed to create databases) and CELERY_BROKER_URL (Redis);
CACHE_URL (Redis) is used when set. The run:
1. creates a throwaway database `<DATABASE_URL's name>_loadtest` (dropped first if an earlier run left it),
   migrates it and seeds it through the portal's services (bench/loadtest_seed.py): a competition open for entries,
   one draft entry per entrant, round 1 scored and its result published, round 2 open (watch share 0) with
   its judges assigned 5 per entry;
2. starts gunicorn (portal.wsgi, sync workers, DEBUG off, no SSL redirect, STAFF_MFA_REQUIRED=false, temporary
   VAR_DIR and MEDIA_ROOT) and two Celery workers (`-Q media` and `-Q default`) as subprocesses;
3. signs every entrant and judge in through the real login form (readers stay anonymous), then runs the users for
   --duration seconds (bench/loadtest_users.py): entrants edit their entry and upload a small real MP4 by tus
   (creation + 3 PATCH), judges open their queue and entries and save drafts or submit, readers read the results,
   winners and work pages;
4. waits (at most --drain seconds) for the media worker to finish every uploaded video, then checks the database:
   every acknowledged score save is one version of the one Score row and one ledger row, the ledger chain verifies,
   every acknowledged entry edit is stored, every completed upload is exactly one video of the right size and
   sha256;
5. prints a table, writes var/bench/loadtest.json (and the first error bodies to var/bench/loadtest-errors/), stops
   every process it started and drops the database, also on Ctrl-C. Exit 1 on any error or failed check.

bench/loadtest_settings.py raises allauth's per-IP sign-in limit (all users share 127.0.0.1) and prefixes the cache
keys per run; nothing else differs from production settings.
"""

import argparse
import hashlib
import json
import os
import random
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
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import loadtest_users as users  # noqa: E402

OUT_DIR = BASE_DIR / "var" / "bench"


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users (40%% entrants, 30%% judges)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a user's steps, seconds")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn sync workers (2-4)")
    parser.add_argument("--drain", type=float, default=240, help="seconds to wait for the media worker afterwards")
    options = parser.parse_args()
    if not 3 <= options.users <= 500 or not 1 <= options.duration <= 3600 or not 1 <= options.web_workers <= 16:
        parser.error("--users 3..500, --duration 1..3600, --web-workers 1..16")
    return options


def require_services():
    database, broker = os.environ.get("DATABASE_URL", ""), os.environ.get("CELERY_BROKER_URL", "")
    problems = []
    if urlsplit(database).scheme not in ("postgres", "postgresql", "pgsql"):
        problems.append("DATABASE_URL must be a PostgreSQL URL, e.g. postgres://user:pass@127.0.0.1:5432/zhuiguang")
    if urlsplit(broker).scheme not in ("redis", "rediss"):
        problems.append("CELERY_BROKER_URL must be a Redis URL, e.g. redis://127.0.0.1:6379/0")
    if problems:
        sys.exit("make loadtest needs PostgreSQL and Redis:\n  " + "\n  ".join(problems))
    return database, broker


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayDatabase:
    """`<name>_loadtest` on the DATABASE_URL's server, created empty and dropped afterwards."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.name = parts.path.lstrip("/").split("?")[0] + "_loadtest"
        self.url = urlunsplit(parts._replace(path="/" + self.name))
        self.parts = parts

    def _admin(self, statement):
        import psycopg2

        connection = psycopg2.connect(host=self.parts.hostname, port=self.parts.port or 5432, dbname="postgres",
                                      user=self.parts.username, password=self.parts.password)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def create(self):
        self.drop()
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def environment(var_dir, database_url, prefix):
    return {
        "DJANGO_SETTINGS_MODULE": "loadtest_settings",
        "PYTHONPATH": os.pathsep.join([str(BASE_DIR), str(BASE_DIR / "bench")]),
        "DATABASE_URL": database_url,
        "VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        "DEBUG": "false",
        "SECRET_KEY": "loadtest-only-" + secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STAFF_MFA_REQUIRED": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "LOADTEST_CACHE_PREFIX": prefix,
    }


class Processes:
    """The servers this run started; each in its own process group so that stopping it reaches its children."""

    def __init__(self, folder, env):
        self.folder, self.env, self.started = folder, env, []

    def start(self, name, command):
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(  # noqa: S603 - our own fixed command lines
            command, cwd=BASE_DIR, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append((name, process, log))
        return process

    def stop(self):
        for _name, process, _log in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process, log in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()
        self.started = []

    def log_tail(self, name, lines=30):
        path = self.folder / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def start_servers(processes, port, web_workers):
    binary = Path(sys.executable).parent
    web = processes.start("gunicorn", [
        str(binary / "gunicorn"), "portal.wsgi", "--workers", str(web_workers), "--worker-class", "sync",
        "--timeout", "120", "--bind", f"127.0.0.1:{port}", "--no-control-socket",
    ])
    token = secrets.token_hex(4)
    for queue in ("media", "default"):
        processes.start(f"celery-{queue}", [
            str(binary / "celery"), "-A", "portal", "worker", "-Q", queue, "--concurrency", "1",
            "-n", f"loadtest-{queue}-{token}@%h", "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
        ])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + processes.log_tail("gunicorn"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not listen within 60 s")


def make_video(folder):
    """A small real MP4 (H.264/AAC, 108x192, 4 s) made once with PyAV, as the tests make theirs."""
    from tests.submissions.tus_support import tiny_video

    data = tiny_video(folder / "clip.mp4", seconds=4).read_bytes()
    return {"bytes": data, "sha256": hashlib.sha256(data).hexdigest()}


def run_users(options, port, seeded, shared, stats):
    judges = min(len(seeded["judges"]), options.users * 3 // 10)
    entrants = min(len(seeded["entrants"]), options.users * 4 // 10)
    plan = ([(users.entrant, a) for a in seeded["entrants"][:entrants]]
            + [(users.judge, a) for a in seeded["judges"][:judges]]
            + [(users.reader, None)] * (options.users - entrants - judges))
    browsers = [users.Browser(port, stats) for _ in plan]
    print(f"signing in {entrants + judges} users through the login form...", flush=True)
    signed_in = [browser.sign_in(account["email"], seeded["password"]) if account else True
                 for browser, (_behaviour, account) in zip(browsers, plan, strict=True)]
    if not all(signed_in):
        first = stats.errors[0] if stats.errors else {}
        raise RuntimeError(f"{signed_in.count(False)} users could not sign in; first error: {first.get('method')} "
                           f"{first.get('path')} -> {first.get('status')}\n{first.get('body', '')[:3000]}")
    print(f"{options.users} users ({entrants} entrants, {judges} judges, {len(plan) - entrants - judges} readers) "
          f"for {options.duration:g} s...", flush=True)
    started = time.monotonic()
    deadline = started + options.duration
    threads = [
        threading.Thread(target=behaviour, daemon=True,
                         args=(browser, random.Random(index), account, deadline, shared, options.think))  # noqa: S311
        for index, (browser, (behaviour, account)) in enumerate(zip(browsers, plan, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, {"entrants": entrants, "judges": judges,
                                         "readers": len(plan) - entrants - judges}


def web_cpu_seconds(processes):
    """CPU time (user + system) used so far by gunicorn's workers: the cost per request whatever else the machine
    is running (requests/s depend on the share of the CPU the load test gets)."""
    master = next(process.pid for name, process, _log in processes.started if name == "gunicorn")
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except FileNotFoundError:
        return 0.0
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summarise(stats, seconds):
    rows = []
    for action, samples in sorted(stats.timings.items()):
        times = [t for t, _ok in samples]
        rows.append({"action": action, "requests": len(samples), "errors": sum(1 for _t, ok in samples if not ok),
                     "p50_ms": round(statistics.median(times) * 1000, 1),
                     "p95_ms": round(percentile(times, 0.95) * 1000, 1)})
    timed = [r for r in rows if not r["action"].startswith("login")]
    total = sum(r["requests"] for r in timed)
    return rows, {"requests": total, "errors": stats.error_count, "seconds": round(seconds, 1),
                  "requests_per_second": round(total / seconds, 1)}


def wait_for_pipeline(entry_ids, limit):
    from loadtest_seed import pipeline_counts

    deadline = time.monotonic() + limit
    started = time.monotonic()
    while True:
        counts = pipeline_counts(entry_ids)
        if not counts["processing"] or time.monotonic() > deadline:
            counts["waited_seconds"] = round(time.monotonic() - started, 1)
            return counts
        time.sleep(2)


def print_report(rows, totals, checks, pipeline, mix):
    print()
    print(f"{'action':<22} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for row in rows:
        print(f"{row['action']:<22} {row['requests']:>9} {row['errors']:>7} {row['p50_ms']:>8} {row['p95_ms']:>8}")
    print(f"\n{totals['requests']} requests in {totals['seconds']} s = {totals['requests_per_second']} requests/s, "
          f"{totals['errors']} errors ({mix['entrants']} entrants, {mix['judges']} judges, {mix['readers']} readers)")
    print(f"gunicorn workers used {totals['web_cpu_seconds']} CPU s ({totals['web_cpu_ms_per_request']} ms a request), "
          f"the load generator {totals['load_generator_cpu_seconds']} CPU s; load average {totals['load_average']} "
          f"on {os.cpu_count()} CPUs")
    scores, uploads = checks["scores"], checks["uploads"]
    print(f"scores: {scores['acknowledged_saves']} acknowledged saves of {scores['acknowledged_scores']} scores -> "
          f"{scores['score_rows']} Score rows, {scores['ledger_rows']} ledger rows")
    print(f"entry edits: {checks['entry_edits']} entries, last edit stored in each unless listed below")
    print(f"uploads: {uploads['completed_uploads']} completed -> {uploads['video_rows']} videos, "
          f"{uploads['unfinished_upload_rows']} unfinished upload rows")
    print(f"pipeline after {pipeline['waited_seconds']} s: status {pipeline['status']}, QC {pipeline['qc_level']}")
    for problem in checks["problems"][:40]:
        print(f"  PROBLEM: {problem}")
    print("integrity: " + ("OK" if not checks["problems"] else f"{len(checks['problems'])} problems"))


def main():
    options = arguments()
    database_url, _broker = require_services()
    database = ThrowawayDatabase(database_url)
    folder = Path(tempfile.mkdtemp(prefix="zhuiguang-loadtest-"))
    prefix = f"loadtest-{int(time.time())}-{secrets.token_hex(3)}"
    env = environment(folder / "var", database.url, prefix)
    (folder / "var" / "static").mkdir(parents=True)
    processes = Processes(folder, env)
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))  # run the clean-up below on `kill` too
    report, failed = None, True
    try:
        print(f"creating database {database.name} and seeding...", flush=True)
        began = time.monotonic()
        database.create()
        os.environ.update(env)
        import django

        django.setup()
        import loadtest_seed
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest must exist
        seeded = loadtest_seed.seed(slug=prefix, entrants=options.users * 4 // 10, judges=options.users * 3 // 10)
        connections.close_all()
        print(f"seeded in {time.monotonic() - began:.0f} s", flush=True)
        shared = {"lock": threading.Lock(), "slug": seeded["slug"], "round": seeded["round"], "entries": {},
                  "scores": {}, "uploads": [], "video": make_video(folder)}
        port = free_port()
        start_servers(processes, port, options.web_workers)
        stats = users.Stats()
        web_cpu, client_cpu = web_cpu_seconds(processes), time.process_time()
        seconds, mix = run_users(options, port, seeded, shared, stats)
        web_cpu, client_cpu = web_cpu_seconds(processes) - web_cpu, time.process_time() - client_cpu
        rows, totals = summarise(stats, seconds)
        totals.update(web_cpu_seconds=round(web_cpu, 1), load_generator_cpu_seconds=round(client_cpu, 1),
                      web_cpu_ms_per_request=round(web_cpu * 1000 / max(1, totals["requests"]), 1),
                      load_average=[round(value, 1) for value in os.getloadavg()])
        entry_ids = [a["entry"] for a in seeded["entrants"]]
        print("waiting for the media worker...", flush=True)
        pipeline = wait_for_pipeline(entry_ids, options.drain)
        scores = loadtest_seed.check_scores(round_id=seeded["round"], acknowledged=shared["scores"])
        uploads = loadtest_seed.check_uploads(entry_ids=entry_ids, completed=shared["uploads"])
        problems = scores["problems"] + uploads["problems"] + loadtest_seed.check_entries(
            acknowledged=shared["entries"])
        if pipeline["processing"]:
            problems.append(f"{pipeline['processing']} videos still in the pipeline after {options.drain:g} s")
        checks = {"scores": scores, "uploads": uploads, "entry_edits": len(shared["entries"]), "problems": problems}
        connections.close_all()
        report = {
            "options": vars(options), "cpus": os.cpu_count(), "python": sys.version.split()[0], "mix": mix,
            "seeded": {k: seeded[k] for k in ("assignments", "public_entries")}, "totals": totals, "actions": rows,
            "checks": checks, "pipeline": pipeline, "first_errors": stats.errors,
        }
        print_report(rows, totals, checks, pipeline, mix)
        failed = bool(totals["errors"] or problems)
    finally:
        processes.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110 - Django may never have been set up
            pass
        clear_cache(prefix)
        database.drop()
        shutil.rmtree(folder, ignore_errors=True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "loadtest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    errors_dir = OUT_DIR / "loadtest-errors"
    shutil.rmtree(errors_dir, ignore_errors=True)
    if report["first_errors"]:
        errors_dir.mkdir()
        for number, error in enumerate(report["first_errors"], start=1):
            name = f"{number:02d}-{error['status']}-{error['action'].replace(':', '').replace(' ', '-')}.html"
            (errors_dir / name).write_text(error["body"])
    print(f"wrote {OUT_DIR / 'loadtest.json'}")
    sys.exit(1 if failed else 0)


def clear_cache(prefix):
    """Delete this run's cache keys (CACHE_URL only; the in-process cache went with the servers)."""
    url = os.environ.get("CACHE_URL", "")
    if not url.startswith(("redis://", "rediss://")):
        return
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}:*", count=500):
        client.delete(key)


if __name__ == "__main__":
    main()
