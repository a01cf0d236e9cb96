"""`make bench-results`: judging.aggregation.compute_ranking over 150,000 scores (target <= 1 s on PostgreSQL).

Against the database of DATABASE_URL (migrated: `manage.py migrate`), in a throwaway competition that it deletes
afterwards (also after a failure or Ctrl-C), it builds with bulk_create in batches of 5,000:
  - 30,000 eligible entries over 8 units, all on one round's entry list;
  - a panel of 150 judges, each with a leniency of their own; every entry scored by 5 of them (150,000
    submitted scores, ~1,000 per judge) on the 4 default criteria (600,000 criterion values), the totals as
    judging.scoring.weighted_total computes them;
  - 0.2 % of the scores under a declared conflict of interest (they must not count);
  - scores inserted in a shuffled order, as judges score entries over days.
Then it times compute_ranking for each method (mean, median, trimmed, zscore): the median of --runs runs (3),
with this process's CPU time (the rest is the database) and the number of queries, and take_snapshot once (for
information, no target). Prints a table and writes var/bench/results.json. Exits 1 when a method misses the
target. Wall times are noisy on a busy machine: the load average is recorded with the figures.

It refuses to run on SQLite (a different engine, not what the target is about) unless --allow-sqlite.
--explain prints PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of each statement of one zscore ranking (and one
median ranking), for looking into a slow step. --jit-off times with PostgreSQL's JIT compilation off for the
bench's session (by default the server's setting applies; JIT costs ~0.1 s per ranking at this size).
Usage: DATABASE_URL=postgres://... .venv/bin/python bench/results.py [--entries N] [--judges N]
       [--judges-per-entry N] [--runs N] [--output PATH] [--allow-sqlite] [--explain] [--jit-off]
Make: `make bench-results` (extra options in BENCH_ARGS).
"""

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"
TARGET_SECONDS = 1.0
BATCH = 5000
UNITS = 8
CONFLICT_SHARE = 0.002
# The default rubric's criteria (../shared/domain.md): key, weight; all 0–10 in steps of 0.5.
CRITERIA = [("social_value", 30), ("artistic_depth", 30), ("production_quality", 25), ("innovation", 15)]


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def refuse_unless_ready(allow_sqlite):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if connection.vendor == "sqlite" and not allow_sqlite:
        sys.exit(
            "bench-results: DATABASE_URL points at SQLite; the target (<= 1 s over 150,000 scores) is about "
            "PostgreSQL.\nRun it with DATABASE_URL=postgres://user@host:port/name (a migrated database), or pass "
            "--allow-sqlite to time SQLite anyway."
        )
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit("bench-results: the database has unapplied migrations; run `manage.py migrate` first.")


def database_label():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
    return connection.vendor


def batched(items, size=BATCH):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def half_step(value):
    """A score on 0..10 in steps of 0.5, as a count of half points (0..20)."""
    return max(0, min(20, round(value * 2)))


def build(made, *, entries, judges, per_entry, seed):
    """The throwaway competition with its round, entries, panel, scores and criterion values; fills `made` as it
    goes (what the clean-up deletes, even after a failure half-way)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from judging.models import (
        Conflict,
        Criterion,
        CriterionScore,
        PanelMembership,
        Round,
        RoundEntry,
        Rubric,
        Score,
    )
    from judging.scoring import weighted_total
    from portal.models import Competition, Track, TrackKind, Unit
    from submissions.models import Entry

    User = get_user_model()
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    token = secrets.token_hex(4)
    now = timezone.now()
    started = time.perf_counter()

    competition = Competition.objects.create(
        slug=f"bench-results-{token}",
        name_zh="评审结果基准",
        name_en="Results benchmark",
        edition_year=2026,
        entry_prefix="BENCH",
        submission_opens_at=now - timedelta(days=60),
        submission_closes_at=now - timedelta(days=30),
    )
    made["competition"] = competition.pk
    track = Track.objects.create(competition=competition, kind=TrackKind.WORK, name_zh="好作品", name_en="Work")
    units = Unit.objects.bulk_create(
        Unit(competition=competition, slug=f"unit-{n}", name_zh=f"单元 {n}", name_en=f"Unit {n}", position=n)
        for n in range(UNITS)
    )
    round = Round.objects.create(
        competition=competition,
        position=1,
        kind="preliminary",
        name_zh="初评",
        name_en="Preliminary",
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=1),
        judges_per_entry=per_entry,
    )
    made["round"] = round
    rubric = Rubric.objects.create(round=round, track=track, frozen_at=now)
    criteria = Criterion.objects.bulk_create(
        Criterion(rubric=rubric, position=position, key=key, name_zh=key, name_en=key, weight=weight)
        for position, (key, weight) in enumerate(CRITERIA, start=1)
    )
    users = User.objects.bulk_create(
        [User(email=f"bench-results-{token}-owner@example.invalid", display_name="Bench owner", password="!")]
        + [
            User(
                email=f"bench-results-{token}-judge{n:03d}@example.invalid", display_name=f"Judge {n:03d}", password="!"
            )
            for n in range(judges)
        ]
    )
    made["users"] = [user.pk for user in users]
    owner, panel = users[0], users[1:]
    PanelMembership.objects.bulk_create(
        PanelMembership(round=round, judge=judge, terms_accepted_at=now, terms_version="1") for judge in panel
    )

    entry_ids = []
    for batch in batched(
        Entry(
            competition=competition,
            track=track,
            unit=units[n % UNITS],
            owner=owner,
            status="eligible",
            sequence=n + 1,
            number=f"BENCH-{n + 1:05d}",
            title=f"基准作品 {n + 1}",
            title_en=f"Bench work {n + 1}",
            submitted_at=now - timedelta(days=31),
        )
        for n in range(entries)
    ):
        entry_ids += [entry.pk for entry in Entry.objects.bulk_create(batch)]
    for batch in batched(RoundEntry(round=round, entry_id=entry_id) for entry_id in entry_ids):
        RoundEntry.objects.bulk_create(batch)
    print(f"  {entries:,} entries on the round's list, {judges} judges ({time.perf_counter() - started:.0f} s)")

    leniency = {judge.pk: rng.uniform(-1.5, 1.5) for judge in panel}
    spread = {judge.pk: rng.uniform(0.6, 1.4) for judge in panel}
    offsets = [rng.uniform(-0.8, 0.8) for _ in CRITERIA]
    total_weight = sum(weight for _key, weight in CRITERIA)

    # Scores are inserted in a shuffled order, as judges score entries over days: a table in entry order would
    # flatter every grouping by entry.
    quality = {entry_id: rng.uniform(2.5, 8.5) for entry_id in entry_ids}
    pairs = [(entry_id, judge) for entry_id in entry_ids for judge in rng.sample(panel, per_entry)]
    rng.shuffle(pairs)

    def scores_and_values():
        for entry_id, judge in pairs:
            halves = [
                half_step(quality[entry_id] + offset + leniency[judge.pk] + rng.gauss(0, 0.8) * spread[judge.pk])
                for offset in offsets
            ]
            # weighted_total on 0–10 criteria: sum(v / 10 * w) / sum(w) * 100 = sum(halves * w) * 10 / (2 * sum(w))
            total = Decimal(sum(h * w for h, (_k, w) in zip(halves, CRITERIA, strict=True)) * 10) / (2 * total_weight)
            score = Score(
                round=round,
                entry_id=entry_id,
                judge=judge,
                rubric=rubric,
                status="submitted",
                total=total.quantize(Decimal("0.001")),
                submitted_at=now - timedelta(days=2),
            )
            yield score, halves

    made_scores = 0
    made_values = 0
    conflicts = []
    checked = False
    for batch in batched(scores_and_values()):
        saved = Score.objects.bulk_create([score for score, _halves in batch])
        values = []
        for score, (_unsaved, halves) in zip(saved, batch, strict=True):
            for criterion, half in zip(criteria, halves, strict=True):
                values.append(CriterionScore(score=score, criterion=criterion, value=Decimal(half) / 2))
            if rng.random() < CONFLICT_SHARE:
                conflicts.append(
                    Conflict(
                        competition=competition,
                        judge_id=score.judge_id,
                        entry_id=score.entry_id,
                        source="declared",
                        basis="benchmark",
                    )
                )
        if not checked:  # the shortcut above gives what the portal computes
            score, halves = saved[0], batch[0][1]
            values_by_id = {c.pk: Decimal(h) / 2 for c, h in zip(criteria, halves, strict=True)}
            if score.total != weighted_total(criteria, values_by_id):
                raise AssertionError(f"{score.total} != {weighted_total(criteria, values_by_id)}")
            checked = True
        for value_batch in batched(values):
            CriterionScore.objects.bulk_create(value_batch)
        made_scores += len(saved)
        made_values += len(values)
        if made_scores % 30000 == 0:
            print(f"  {made_scores:,} scores, {made_values:,} criterion values ({time.perf_counter() - started:.0f} s)")
    Conflict.objects.bulk_create(conflicts)
    made.update(scores=made_scores, values=made_values, conflicts=len(conflicts))
    print(
        f"  built {made_scores:,} scores, {made_values:,} criterion values, {len(conflicts)} conflicts in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return made


def analyse():
    """Fresh planner statistics for the tables just filled (autovacuum would get there later)."""
    from django.db import connection

    from judging.models import Conflict, CriterionScore, RoundEntry, Score
    from submissions.models import Entry

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Entry, RoundEntry, Score, CriterionScore, Conflict):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def clean_up(made):
    """Delete everything the bench made: the big tables with one statement each, the rest through the ORM."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from judging.models import Conflict, CriterionScore, RoundEntry, Score
    from portal.models import Competition
    from submissions.models import Entry

    competition_id = made.get("competition")
    if competition_id is None:
        return
    started = time.perf_counter()
    quote = connection.ops.quote_name
    table = {model: quote(model._meta.db_table) for model in (CriterionScore, Score, RoundEntry, Conflict, Entry)}
    with transaction.atomic():
        round = made.get("round")
        with connection.cursor() as cursor:
            if round is not None:
                cursor.execute(
                    f"DELETE FROM {table[CriterionScore]} WHERE score_id IN "  # noqa: S608 - quoted table names only
                    f"(SELECT id FROM {table[Score]} WHERE round_id = %s)",
                    [round.pk],
                )
                cursor.execute(f"DELETE FROM {table[Score]} WHERE round_id = %s", [round.pk])  # noqa: S608
                cursor.execute(f"DELETE FROM {table[RoundEntry]} WHERE round_id = %s", [round.pk])  # noqa: S608
            cursor.execute(f"DELETE FROM {table[Conflict]} WHERE competition_id = %s", [competition_id])  # noqa: S608
        Entry.objects.filter(competition_id=competition_id).delete()
        Competition.objects.filter(pk=competition_id).delete()
        get_user_model().objects.filter(pk__in=made.get("users", [])).delete()
    print(f"cleaned up the throwaway competition in {time.perf_counter() - started:.0f} s")


def time_method(round, method, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from judging.aggregation import compute_ranking

    times = []
    cpu = []
    queries = None
    ranking = None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as context:
            started, started_cpu = time.perf_counter(), time.process_time()
            ranking = compute_ranking(round, method=method)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        queries = len(context.captured_queries)
    return times, cpu, queries, ranking


def explain(round, method):
    """EXPLAIN (ANALYZE, BUFFERS) of each statement compute_ranking runs (PostgreSQL)."""
    from django.db import connection

    from judging.aggregation import compute_ranking

    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        compute_ranking(round, method=method)
    for sql, params in statements:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print(f"\n--- {method}: {sql.strip().splitlines()[0][:100]} ...")
            print("\n".join(row[0] for row in cursor.fetchall()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=30000)
    parser.add_argument("--judges", type=int, default=150, help="panel size (default 150)")
    parser.add_argument("--judges-per-entry", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per method; the median counts (default 3)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", default=str(BENCH_DIR / "results.json"))
    parser.add_argument("--allow-sqlite", action="store_true", help="time SQLite too (not what the target is about)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the statements (PostgreSQL)")
    parser.add_argument(
        "--jit-off",
        action="store_true",
        help="PostgreSQL: SET jit = off for the bench's session, to see what JIT compilation costs here",
    )
    args = parser.parse_args()
    if args.judges_per_entry > args.judges:
        parser.error("--judges-per-entry cannot exceed --judges")

    setup_django()
    refuse_unless_ready(args.allow_sqlite)
    from django.db import connection

    from judging.aggregation import take_snapshot
    from judging.models import AggregationMethod

    database = database_label()
    print(f"bench-results on {database}: building the data ...")
    made = {}
    try:
        build(made, entries=args.entries, judges=args.judges, per_entry=args.judges_per_entry, seed=args.seed)
        analyse()
        if args.jit_off and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET jit = off")
        round = made["round"]
        rows = []
        for method in AggregationMethod.values:
            times, cpu, queries, ranking = time_method(round, method, args.runs)
            median = statistics.median(times)
            rows.append(
                {
                    "method": method,
                    "median_seconds": round_to(median),
                    "runs_seconds": [round_to(value) for value in times],
                    # This process's CPU time (fetching rows, building the results); the rest is the database.
                    "client_cpu_seconds": round_to(statistics.median(cpu)),
                    "queries": queries,
                    "entries_ranked": len(ranking.entries),
                    "judges": len(ranking.judges),
                    "meets_target": median <= TARGET_SECONDS,
                }
            )
        started = time.perf_counter()
        snapshot = take_snapshot(round)
        snapshot_seconds = time.perf_counter() - started
        if args.explain and connection.vendor == "postgresql":
            explain(round, AggregationMethod.ZSCORE)
            explain(round, AggregationMethod.MEDIAN)

        print(
            f"\ncompute_ranking over {made['scores']:,} scores ({made['values']:,} criterion values, "
            f"{made['conflicts']} conflicted) on {database}; median of {args.runs} runs"
        )
        print(
            f"{'method':<10} {'median s':>9} {'runs (s)':<24} {'client CPU s':>12} {'queries':>7}  "
            f"target <= {TARGET_SECONDS:g} s"
        )
        for row in rows:
            runs = ", ".join(f"{value:.3f}" for value in row["runs_seconds"])
            verdict = "ok" if row["meets_target"] else "MISSES"
            print(
                f"{row['method']:<10} {row['median_seconds']:>9.3f} {runs:<24} {row['client_cpu_seconds']:>12.3f} "
                f"{row['queries']:>7}  {verdict}"
            )
        print(f"take_snapshot: {snapshot_seconds:.2f} s for {len(snapshot['scores']):,} scores (no target)")

        result = {
            "benchmark": "judging.aggregation.compute_ranking per method",
            "database": database,
            "entries": args.entries,
            "judges": args.judges,
            "judges_per_entry": args.judges_per_entry,
            "scores": made["scores"],
            "criterion_values": made["values"],
            "conflicted_scores": made["conflicts"],
            "runs": args.runs,
            "jit": "off (--jit-off)" if args.jit_off else "as configured",
            "target_seconds": TARGET_SECONDS,
            "methods": rows,
            "meets_target": all(row["meets_target"] for row in rows),
            "snapshot_seconds": round_to(snapshot_seconds),
            "load_average_at_end": os.getloadavg(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        }
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {output}")
        if os.getloadavg()[0] > (os.cpu_count() or 1):
            print("note: the machine was busy with other work; wall times are noisy")
    finally:
        clean_up(made)
    if not result["meets_target"]:
        sys.exit(1)


def round_to(seconds):
    return round(seconds, 4)


if __name__ == "__main__":
    main()
