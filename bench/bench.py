"""`make bench`: the portal at 20,000 entries against the budget (README, "Performance").

Against the PostgreSQL database of DATABASE_URL it:
  1. migrates, collects static files (DEBUG is off, so templates need WhiteNoise's manifest) and, when the
     competition `scale` is missing (or with --reseed), seeds it with
     `manage.py seed_scale --entries 20000 --judges 300 --rounds 3 --seed 1` (timed);
  2. requests every page in-process (Django test Client, force_login, DEBUG off, STAFF_MFA_REQUIRED=false):
     3 warm-up requests, one with the SQL queries counted, then --requests timed ones -> p50 / p95 / queries;
  3. times judging.aggregation.compute_ranking over all round-1 scores per method (target <= 1 s) and
     advancing a shortlist (revise the published result, then advance: in a transaction rolled back, so the
     data stays as seeded);
  4. downloads the organizer's XLSX and CSV exports of all entries (and of one unit, ~2,000) through the real
     views, consuming the stream: wall time, RSS growth (sampled) and tracemalloc peak, to show memory stays flat;
  5. starts gunicorn (2 workers, loopback, a free port, production settings without the SSL redirect) and runs
     wrk (20 connections, --duration s each, after a warm-up) on /healthz and on the public results page:
     requests/s ratio (target >= 0.5) and p95 latency; gunicorn is stopped afterwards, always.
Prints a table (misses marked) and writes var/bench/bench.json (load average and git commit included).

The budget: every page p95 <= 150 ms at one user, no page over 30 queries, query counts independent of the
number of rows (the suite's query-count tests prove that; here a later page must cost what the first does).

Usage: DATABASE_URL=postgres://... .venv/bin/python bench/bench.py [--requests N] [--skip-server]
       [--skip-exports] [--only PAGE ...] [--output PATH] [--reseed] [--entries N] [--duration S]
Make: `make bench` (options in BENCH_ARGS). Exits 1 when the budget is missed.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"
SLUG = "scale"
DOMAIN = "scale.example.org"
PAGE_P95_MS = 150.0
MAX_QUERIES = 30
RANKING_SECONDS = 1.0
SERVER_RATIO = 0.5
WARMUP = 3
CONNECTIONS = 20

# Production-like settings for both the in-process client and gunicorn: DEBUG off (so WhiteNoise, the manifest
# storage and cached templates are what is measured) but plain HTTP on loopback, and no MFA for force_login.
BENCH_ENV = {
    "DEBUG": "false",
    "STAFF_MFA_REQUIRED": "false",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "LOG_LEVEL": "WARNING",
}
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-4b1d7e"  # noqa: S105 - loopback benchmark only

# wrk prints the figures itself (see `wrk --help`: a Lua script's done() gets the summary and latency).
WRK_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH-WRK %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency.max,
    summary.errors.connect, summary.errors.read + summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
"""


def fail(message):
    sys.exit(f"bench: {message}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (>= 30 for the budget)")
    parser.add_argument("--skip-server", action="store_true", help="no gunicorn/wrk part")
    parser.add_argument("--skip-exports", action="store_true", help="no export part")
    parser.add_argument("--skip-compute", action="store_true", help="no ranking/advancement part")
    parser.add_argument("--only", nargs="+", metavar="PAGE", help="only these pages (names as in the table)")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "bench.json")
    parser.add_argument("--reseed", action="store_true", help="seed again (seed_scale --replace)")
    parser.add_argument("--entries", type=int, default=20000, help="entries to seed when seeding (20000)")
    parser.add_argument("--judges", type=int, default=300, help="judges to seed when seeding (300)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run (10)")
    parser.add_argument("--server-runs", type=int, default=3, help="wrk runs per URL; the median is reported")
    return parser.parse_args()


def prepare_environment():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        fail(
            "DATABASE_URL must point at PostgreSQL (the budget is about PostgreSQL; SQLite is refused), e.g.\n"
            "  DATABASE_URL=postgres://user:password@127.0.0.1:5432/zhuiguang make bench"
        )
    os.environ.update(BENCH_ENV)
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"


def manage(*args, env=None):
    started = time.perf_counter()
    command = [sys.executable, str(BASE_DIR / "manage.py"), *args]
    subprocess.run(command, check=True, cwd=BASE_DIR, env=env)  # noqa: S603 - our own fixed command line
    return time.perf_counter() - started


def setup_django():
    # The project comes first on the path, and the script's own folder goes (its modules would shadow the apps').
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(BASE_DIR)] + [path for path in sys.path if path and Path(path).resolve() != here]
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        fail("the database is not PostgreSQL; set DATABASE_URL=postgres://...")


def seed_if_needed(args):
    from portal.models import Competition

    if Competition.objects.filter(slug=SLUG).exists() and not args.reseed:
        return None
    if not (BASE_DIR / "judging" / "management" / "commands" / "seed_scale.py").exists():
        fail("manage.py seed_scale is missing; it seeds the competition `scale` this benchmark measures.")
    command = ["seed_scale", "--entries", str(args.entries), "--judges", str(args.judges), "--rounds", "3"]
    command += ["--seed", "1"] + (["--replace"] if args.reseed else [])
    print(f"Seeding: manage.py {' '.join(command)}", flush=True)
    # Seeding creates accounts with a published password, so it runs as development does (DEBUG on).
    seconds = manage(*command, env={**os.environ, "DEBUG": "true"})
    print(f"  seeded in {seconds:.1f} s", flush=True)
    # A database that has been running for a while has its statistics and visibility maps (autovacuum); a freshly
    # bulk-loaded one has neither until autovacuum comes round, and its plans and index-only scans are worse.
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
    print(f"  VACUUM (ANALYZE) in {time.perf_counter() - started:.1f} s", flush=True)
    return seconds


# ------------------------------------------------------------------------------------------------ fixtures


class Fixtures:
    """The objects the pages are requested with, found in the seeded competition."""

    def __init__(self):
        from django.contrib.auth import get_user_model
        from django.db.models import Count

        from judging.models import Assignment, Round, Score
        from judging.public import current_versions, public_entry_ids
        from portal.models import Competition, Unit
        from submissions.models import Entry

        User = get_user_model()
        self.competition = Competition.objects.get(slug=SLUG)
        rounds = list(Round.objects.filter(competition=self.competition).order_by("position"))
        if len(rounds) < 2:
            fail("the competition `scale` needs at least two rounds; run with --reseed")
        self.round1, self.round2 = rounds[0], rounds[1]
        self.organizer = User.objects.get(email=f"organizer@{DOMAIN}")
        self.judge = User.objects.get(email=f"judge0001@{DOMAIN}")
        self.entrant = User.objects.get(email=f"entrant00001@{DOMAIN}")
        self.draft = Entry.objects.filter(owner=self.entrant, status="draft").order_by("pk").first()
        if self.draft is None:
            fail(f"entrant00001@{DOMAIN} has no draft entry")
        scored = Score.objects.filter(round=self.round2, judge=self.judge).values("entry_id")
        assignment = (
            Assignment.objects.filter(round=self.round2, judge=self.judge, entry_id__in=scored).order_by("pk").first()
            or Assignment.objects.filter(round=self.round2, judge=self.judge).order_by("pk").first()
        )
        if assignment is None:
            fail("judge0001 has no round-2 assignment")
        self.judge_entry_id = assignment.entry_id
        self.queue_size = Assignment.objects.filter(round=self.round2, judge=self.judge).count()
        units = (
            Unit.objects.filter(competition=self.competition)
            .annotate(entry_count=Count("entries"))
            .order_by("position", "pk")
        )
        self.unit = units[0]
        # The export comparison wants the unit closest to 2,000 entries.
        self.small_unit = min(units, key=lambda unit: abs(unit.entry_count - 2000))
        self.entries = Entry.objects.filter(competition=self.competition).count()
        ids = sorted(public_entry_ids(current_versions(self.competition)))
        numbers = Entry.objects.filter(pk__in=ids[:50]).exclude(number="").order_by("pk")
        self.public_number = numbers.values_list("number", flat=True).first()


def pages(fx):
    from django.urls import reverse

    slug = fx.competition.slug
    r1, r2 = fx.round1.pk, fx.round2.pk
    organizer_entries = reverse("submissions:organizer_entry_list", args=[slug])
    last_entry_page = max(1, (fx.entries + 49) // 50)
    unit_pages = max(1, (fx.small_unit.entry_count + 49) // 50)
    queue = reverse("judging:queue", args=[r2])
    queue_pages = max(1, (fx.queue_size + 49) // 50)
    listed = [
        ("entrant dashboard", fx.entrant, reverse("submissions:dashboard")),
        ("entry form (basics)", fx.entrant, reverse("submissions:entry_step", args=[fx.draft.pk, "basics"])),
        ("entry form (credits)", fx.entrant, reverse("submissions:entry_step", args=[fx.draft.pk, "credits"])),
        ("judge queue p1", fx.judge, queue),
        ("judge queue later page", fx.judge, f"{queue}?page={max(1, queue_pages - 1)}"),
        ("judge entry/scoring", fx.judge, reverse("judging:entry", args=[r2, fx.judge_entry_id])),
        ("organizer entries", fx.organizer, organizer_entries),
        ("organizer entries later page", fx.organizer, f"{organizer_entries}?page={last_entry_page // 2}"),
        ("organizer entries by unit", fx.organizer, f"{organizer_entries}?unit={fx.small_unit.pk}"),
        (
            "organizer entries by unit later page",
            fx.organizer,
            f"{organizer_entries}?unit={fx.small_unit.pk}&page={max(1, unit_pages - 1)}",
        ),
        (
            "organizer ranking per unit (r1)",
            fx.organizer,
            reverse("judging:ranking", args=[slug, r1]) + f"?scope={fx.unit.pk}",
        ),
        ("judge progress (r2)", fx.organizer, reverse("judging:progress", args=[slug, r2])),
        ("public results", None, reverse("judging:results", args=[slug])),
        ("public winners", None, reverse("judging:winners", args=[slug])),
    ]
    if fx.public_number:
        listed.append(("public work", None, reverse("judging:public_entry", args=[slug, fx.public_number])))
    return listed


# ------------------------------------------------------------------------------------------------- pages


def percentile(values, share):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))
    return ordered[index]


def consume(response):
    size = 0
    if response.streaming:
        for chunk in response.streaming_content:
            size += len(chunk)
    else:
        size = len(response.content)
    response.close()
    return size


def measure_page(client, url, requests):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        response = client.get(url)
        consume(response)
        if response.status_code != 200:
            fail(f"{url} answered {response.status_code}, not 200")
    # The client's request_started signal empties the query log (django.db.reset_queries); from an empty log the
    # context counts exactly the request's queries.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        consume(client.get(url))
    query_count = len(queries)  # now: the context reads the log, which the next request empties
    times = []
    cpu = []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        consume(client.get(url))
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    p95 = percentile(times, 0.95)
    return {
        "url": url,
        "requests": requests,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        # This process's CPU time (Python: view, ORM, templates), which waits on a busy machine matter less to.
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "queries": query_count,
        "misses": [
            *([f"p95 {p95:.0f} ms > {PAGE_P95_MS:.0f}"] if p95 > PAGE_P95_MS else []),
            *([f"{query_count} queries > {MAX_QUERIES}"] if query_count > MAX_QUERIES else []),
        ],
    }


def measure_pages(fx, args):
    from django.test import Client

    results = {}
    clients = {}
    for name, user, url in pages(fx):
        if args.only and name not in args.only and not any(word in name for word in args.only):
            continue
        key = user.pk if user else None
        if key not in clients:
            clients[key] = Client()
            if user:
                clients[key].force_login(user)
        result = measure_page(clients[key], url, args.requests)
        results[name] = result
        flag = "  MISS: " + "; ".join(result["misses"]) if result["misses"] else ""
        print(f"  {name:<38} p50 {result['p50_ms']:>7.1f} ms  p95 {result['p95_ms']:>7.1f} ms  "
              f"cpu {result['cpu_p50_ms']:>6.1f} ms  {result['queries']:>3} queries{flag}", flush=True)
    # Query counts independent of the rows: a later page costs what the first one does.
    for first, later in (
        ("judge queue p1", "judge queue later page"),
        ("organizer entries", "organizer entries later page"),
        ("organizer entries by unit", "organizer entries by unit later page"),
    ):
        if first in results and later in results and results[first]["queries"] != results[later]["queries"]:
            results[later]["misses"].append(f"queries differ from the first page ({results[first]['queries']})")
    return results


# ------------------------------------------------------------------------------------------- computations


def measure_compute(fx, runs=3):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from judging import advancement, aggregation, versions
    from judging.models import AggregationMethod, ResultVersion, Score

    scores = Score.objects.counting().filter(round=fx.round1).count()
    out = {"round1_counting_scores": scores, "ranking": {}}
    for method in AggregationMethod.values:
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                ranking = aggregation.compute_ranking(fx.round1, method=method)
                times.append(time.perf_counter() - started)
        seconds = statistics.median(times)
        out["ranking"][method] = {
            "seconds": round(seconds, 3),
            "queries": len(queries),
            "entries": len(ranking.entries),
            "misses": [f"{seconds:.2f} s > {RANKING_SECONDS:.0f} s"] if seconds > RANKING_SECONDS else [],
        }
        print(f"  ranking {method:<8} {seconds:6.3f} s  {len(queries)} queries  {len(ranking.entries):,} entries",
              flush=True)

    # Advancing changes decisions, which a published result freezes: as an organizer would, revise it first
    # (a new draft with a fresh snapshot), then advance. All rolled back.
    published = ResultVersion.objects.filter(round=fx.round1, status="published").order_by("-number").first()
    advance = {}
    with transaction.atomic():
        try:
            if published is not None:
                started = time.perf_counter()
                versions.revise_version(version=published, actor=fx.organizer, reason="bench")
                advance["revise_seconds"] = round(time.perf_counter() - started, 3)
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                decisions = advancement.advance(round=fx.round1, actor=fx.organizer, top_k_per_unit=250)
                advance["advance_seconds"] = round(time.perf_counter() - started, 3)
            advance["queries"] = len(queries)
            advance["decisions"] = len(decisions)
            advance["advanced"] = sum(1 for decision in decisions if decision.outcome == "advanced")
        finally:
            transaction.set_rollback(True)
    out["advance"] = advance
    print(f"  revise {advance.get('revise_seconds', '-')} s, advance top 250 per unit "
          f"{advance['advance_seconds']} s ({advance['queries']} queries, {advance['advanced']:,} advanced)",
          flush=True)
    out["assignment_plan"] = measure_assignment_plan()
    return out


def measure_assignment_plan():
    """judging.assignment.plan (pure, no database) on synthetic inputs: the 2025 size and this bench's size."""
    import random

    from judging.assignment import EntrySlot, JudgeSlot, plan

    out = {}
    for entry_count, judge_count in ((1000, 40), (20000, 300)):
        rng = random.Random(7)  # noqa: S311 - reproducible test inputs, not secrets
        units = range(1, 13)
        entries = [EntrySlot(id=n + 1, unit_id=rng.choice(units)) for n in range(entry_count)]
        judges = [JudgeSlot(id=n + 1, expertise=frozenset(rng.sample(units, rng.randint(1, 3))))
                  for n in range(judge_count)]
        # ~2 % of pairs in conflict at the small size, ~0.3 % (as seeded) at the large one.
        share = 0.02 if entry_count <= 1000 else 0.003
        conflicts = {(judge.id, entry.id) for judge in judges for entry in entries if rng.random() < share}
        started = time.perf_counter()
        plan(entries=entries, judges=judges, per_entry=5, conflicts=conflicts, existing={}, seed=1)
        seconds = time.perf_counter() - started
        out[f"{entry_count}x{judge_count}x5"] = round(seconds, 3)
        print(f"  assignment plan {entry_count:,} entries x {judge_count} judges x 5: {seconds:.3f} s", flush=True)
    return out


# ------------------------------------------------------------------------------------------------ exports


def rss_bytes():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssSampler(threading.Thread):
    """The highest resident set size seen every 5 ms while an export runs (ru_maxrss cannot be reset)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = rss_bytes()
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_bytes())
            time.sleep(0.005)

    def stop(self):
        self.running = False
        self.join()
        return self.peak


def measure_export(client, url):
    import gc

    gc.collect()
    before = rss_bytes()
    sampler = RssSampler()
    sampler.start()
    started = time.perf_counter()
    response = client.get(url)
    first_byte = None
    size = 0
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
    response.close()
    seconds = time.perf_counter() - started
    peak = sampler.stop()
    kind = type(response).__name__
    gc.collect()
    tracemalloc.start()
    response = client.get(url)
    for _chunk in response.streaming_content:
        pass
    response.close()
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "url": url,
        "response": kind,
        "streaming": bool(response.streaming),
        "seconds": round(seconds, 2),
        "first_byte_seconds": round(first_byte or 0, 2),
        "bytes": size,
        "rss_growth_mb": round((peak - before) / 2**20, 1),
        "tracemalloc_peak_mb": round(traced_peak / 2**20, 1),
    }


def measure_exports(fx):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(fx.organizer)
    slug = fx.competition.slug
    out = {}
    for fmt, name in (("xlsx", "organizer_export_xlsx"), ("csv", "organizer_export_csv")):
        url = reverse(f"submissions:{name}", args=[slug])
        consume(client.get(f"{url}?unit={fx.small_unit.pk}"))  # warm-up
        for rows, query in ((fx.small_unit.entry_count, f"?unit={fx.small_unit.pk}"), (fx.entries, "")):
            result = measure_export(client, url + query)
            result["rows"] = rows
            out[f"{fmt} {rows} rows"] = result
            print(f"  {fmt} {rows:>6,} rows  {result['seconds']:6.2f} s  first byte {result['first_byte_seconds']} s  "
                  f"{result['bytes'] / 2**20:5.1f} MB  RSS +{result['rss_growth_mb']} MB  "
                  f"tracemalloc peak {result['tracemalloc_peak_mb']} MB  ({result['response']})", flush=True)
    return out


# ------------------------------------------------------------------------------------------------- server


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_wrk(wrk, script, url, duration):
    output = subprocess.run(  # noqa: S603 - our own fixed command line
        [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "10s", "-s", script, url],
        check=True, capture_output=True, text=True, timeout=duration + 60,
    ).stdout
    line = next((line for line in output.splitlines() if line.startswith("BENCH-WRK ")), None)
    if line is None:
        fail(f"wrk printed no summary:\n{output}")
    requests, micros, p50, p95, worst, connect, io, status, timeouts = (int(x) for x in line.split()[1:])
    return {
        "requests": requests,
        "rps": round(requests / (micros / 1e6), 1),
        "p50_ms": round(p50 / 1000, 1),
        "p95_ms": round(p95 / 1000, 1),
        "max_ms": round(worst / 1000, 1),
        "errors": connect + io + status + timeouts,
    }


def measure_server(fx, args):
    from django.urls import reverse

    wrk = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if wrk is None:
        print("  wrk is missing: apt-get install wrk (or run with --skip-server)", flush=True)
        return {"skipped": "wrk missing: apt-get install wrk"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = BENCH_DIR / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "portal.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
        "--error-logfile", str(log), "--log-level", "warning",
    ]
    # Its own session, so stopping it stops the workers too.
    server = subprocess.Popen(command, cwd=BASE_DIR, env=os.environ.copy(), start_new_session=True)  # noqa: S603
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    script.write(WRK_LUA)
    script.close()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:  # noqa: S310 - loopback
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    fail(f"gunicorn did not start (see {log})")
                time.sleep(0.2)
        targets = {"healthz": f"{base}/healthz", "public results": base + reverse("judging:results", args=[SLUG])}
        for url in targets.values():  # warm-up: imports, template caches, connections in both workers
            run_wrk(wrk, script.name, url, 2)
        runs = {name: [] for name in targets}
        for _ in range(args.server_runs):
            for name, url in targets.items():
                runs[name].append(run_wrk(wrk, script.name, url, args.duration))
        out = {"workers": 2, "connections": CONNECTIONS, "duration_s": args.duration, "runs": runs}
        for name, results in runs.items():
            out[name] = {
                "rps": statistics.median(run["rps"] for run in results),
                "p50_ms": statistics.median(run["p50_ms"] for run in results),
                "p95_ms": statistics.median(run["p95_ms"] for run in results),
                "errors": sum(run["errors"] for run in results),
            }
        ratios = [
            results["rps"] / health["rps"]
            for results, health in zip(runs["public results"], runs["healthz"], strict=True)
            if health["rps"]
        ]
        out["ratio"] = round(statistics.median(ratios), 3) if ratios else 0
        out["misses"] = [f"ratio {out['ratio']:.2f} < {SERVER_RATIO}"] if out["ratio"] < SERVER_RATIO else []
        for name in targets:
            print(f"  {name:<16} {out[name]['rps']:8.1f} req/s  p50 {out[name]['p50_ms']} ms  "
                  f"p95 {out[name]['p95_ms']} ms  errors {out[name]['errors']}", flush=True)
        print(f"  ratio public results / healthz: {out['ratio']:.2f} (target >= {SERVER_RATIO})", flush=True)
        return out
    finally:
        os.unlink(script.name)
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


# ------------------------------------------------------------------------------------------------- report


def git_commit():
    git = shutil.which("git") or "git"
    try:
        commit = subprocess.run(  # noqa: S603 - fixed arguments
            [git, "rev-parse", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(  # noqa: S603 - fixed arguments
            [git, "status", "--porcelain"], cwd=BASE_DIR, capture_output=True, text=True
        )
        return commit.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def print_table(report):
    print()
    print(f"Load average {report['load_average_before']} before, {report['load_average_after']} after "
          f"({report['machine']['cpus']} CPUs)")
    print(f"{'page':<38} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8} {'queries':>8}  budget")
    print("-" * 100)
    for name, page in report["pages"].items():
        verdict = "MISS: " + "; ".join(page["misses"]) if page["misses"] else "ok"
        print(f"{name:<38} {page['p50_ms']:>8.1f} {page['p95_ms']:>8.1f} {page['cpu_p50_ms']:>8.1f} "
              f"{page['queries']:>8}  {verdict}")
    compute = report.get("compute")
    if compute:
        for method, result in compute["ranking"].items():
            verdict = "MISS: " + "; ".join(result["misses"]) if result["misses"] else "ok"
            print(f"{'ranking ' + method:<38} {result['seconds'] * 1000:>8.0f} {'':>8} {'':>8} {result['queries']:>8}  "
                  f"{verdict} (<= 1 s)")
        advance = compute["advance"]
        print(f"{'advance (after revise)':<38} {advance['advance_seconds'] * 1000:>8.0f} {'':>8} {'':>8} "
              f"{advance['queries']:>8}  (revise {advance.get('revise_seconds', '-')} s)")
        for size, seconds in compute.get("assignment_plan", {}).items():
            print(f"{'assignment plan ' + size:<38} {seconds * 1000:>8.0f}")
    for name, export in report.get("exports", {}).items():
        print(f"{'export ' + name:<38} {export['seconds'] * 1000:>8.0f} {'':>8} {'':>8} {'':>8}  "
              f"RSS +{export['rss_growth_mb']} MB, tracemalloc {export['tracemalloc_peak_mb']} MB")
    server = report.get("server")
    if server and "ratio" in server:
        verdict = "MISS: " + "; ".join(server["misses"]) if server["misses"] else "ok"
        print(f"{'gunicorn results/healthz ratio':<38} {server['ratio']:>8.2f} {'':>8} {'':>8} {'':>8}  {verdict} "
              "(>= 0.5)")
        print(f"{'gunicorn results p95 @20 conns':<38} {'':>8} {server['public results']['p95_ms']:>8.1f}")


def main():
    args = parse_args()
    prepare_environment()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    print("Migrating and collecting static files", flush=True)
    manage("migrate", "--noinput", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")
    setup_django()
    from django.db import connection

    seed_seconds = seed_if_needed(args)
    fx = Fixtures()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    report = {
        "commit": git_commit(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_average_before": os.getloadavg(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "postgresql": server_version},
        "seed_seconds": seed_seconds,
        "data": {"entries": fx.entries, "judge_queue": fx.queue_size, "unit_entries": fx.small_unit.entry_count},
        "budget": {"page_p95_ms": PAGE_P95_MS, "max_queries": MAX_QUERIES, "ranking_s": RANKING_SECONDS,
                   "server_ratio": SERVER_RATIO},
    }
    print(f"Pages ({fx.entries:,} entries; {WARMUP} warm-up + {args.requests} timed requests each)", flush=True)
    report["pages"] = measure_pages(fx, args)
    if not args.only and not args.skip_compute:
        print("Ranking and advancement (round 1)", flush=True)
        report["compute"] = measure_compute(fx)
    if not args.only and not args.skip_exports:
        print("Exports", flush=True)
        report["exports"] = measure_exports(fx)
    if not args.only and not args.skip_server:
        print("gunicorn + wrk", flush=True)
        report["server"] = measure_server(fx, args)
    report["load_average_after"] = os.getloadavg()
    print_table(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWritten {args.output}")
    missed = [name for name, page in report["pages"].items() if page["misses"]]
    missed += [f"ranking {m}" for m, r in report.get("compute", {}).get("ranking", {}).items() if r["misses"]]
    missed += ["server ratio"] if report.get("server", {}).get("misses") else []
    if missed:
        print("Budget missed: " + ", ".join(missed))
        sys.exit(1)


if __name__ == "__main__":
    main()
