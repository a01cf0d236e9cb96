"""`make loadtest`: the data the simulated users need, and the database checks after the run.

Runs in the load test's own process with Django set up against the throwaway database. Everything goes through the
portal's services (rounds, rubrics, panels, assignment, scoring, advancement, result versions) or the test factories,
so the data is what the portal itself would have made.
"""

import hashlib
import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from judging import advancement, assignment, ledger, notifications, rubrics, scoring, services, versions
from judging.models import (
    Assignment,
    LedgerEntry,
    NotificationStatus,
    ResultNotification,
    Round,
    Score,
)
from portal import services as portal_services
from portal.models import Competition, CompetitionStatus, Unit, User
from submissions.models import PROCESSING_STATUSES, Entry, Upload, VideoFile
from tests.factories import PASSWORD, EntryFactory, PanelMembershipFactory, eligible_entry

FIRST_ROUND_JUDGES = 3
SHORTLIST_PER_UNIT = 15  # 2 units x 15 = 30 entries in the open round
ENTRIES_PER_UNIT = 20
SEED = 8
_HASH = None


def _user(email, name, *, staff=False):
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    global _HASH
    _HASH = _HASH or make_password(PASSWORD)  # hashed once: each hash takes most of a second on purpose
    user = User.objects.create_user(email, None, display_name=name, is_staff=staff)
    User.objects.filter(pk=user.pk).update(password=_HASH)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _value(criterion, rng):
    steps = int((criterion.max_score - criterion.min_score) / criterion.step)
    return (criterion.min_score + criterion.step * rng.randint(steps // 2, steps)).quantize(Decimal("0.01"))


def _score_everything(round, rng):
    for item in Assignment.objects.active().filter(round=round).select_related("round__competition", "entry__track"):
        rubric = rubrics.current_rubric(round, item.entry.track)
        values = {
            c.pk: scoring.CriterionInput(value=_value(c, rng), comment="扎实 / solid") for c in rubric.criteria.all()
        }
        scoring.save_score(assignment=item, values=values, comment="load-test seed", submit=True)


def seed(*, slug, entrants, judges):
    """A competition open for entries with a published round-1 result and round 2 open for scoring.

    Returns a plain dict (no model instances) for the user threads: accounts, entry ids, the open round's id."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data
    now = timezone.now()
    organizer = _user(f"organizer@{slug}.example.org", "Load Organizer", staff=True)
    competition = portal_services.create_competition(
        competition=Competition(
            slug=slug, name_zh="追光计划 压力测试", name_en="Light-Chasing load test", edition_year=2026,
            entry_prefix="LOAD", timezone="Asia/Shanghai", status=CompetitionStatus.OPEN,
            submission_opens_at=now - timedelta(days=10), submission_closes_at=now + timedelta(days=20),
        ),
        creator=organizer,
    )
    units = [
        Unit.objects.create(competition=competition, slug=f"unit-{n}", position=n, name_zh=f"单元 {n}",
                            name_en=f"Unit {n}")
        for n in (1, 2)
    ]
    for unit in units:
        for n in range(ENTRIES_PER_UNIT):
            eligible_entry(unit, owner=_user(f"author{n}@{unit.slug}.{slug}.example.org", f"Author {unit.slug} {n}"))

    first, second, _final = services.create_default_rounds(competition=competition, actor=organizer)
    Round.objects.filter(pk=first.pk).update(opens_at=now - timedelta(days=3), closes_at=now + timedelta(days=1))
    first.refresh_from_db()
    services.populate_round(round=first, actor=organizer)
    first_panel = [_user(f"seed-judge{n}@{slug}.example.org", f"Seed Judge {n}") for n in range(FIRST_ROUND_JUDGES)]
    for judge in first_panel:
        PanelMembershipFactory(round=first, judge=judge)
    assignment.auto_assign(round=first, actor=organizer, seed=1)
    _score_everything(first, rng)

    with transaction.atomic():
        later = timezone.now()
        Round.objects.filter(pk=first.pk).update(closes_at=later)
        Round.objects.filter(pk=second.pk).update(opens_at=later - timedelta(minutes=5),
                                                  closes_at=later + timedelta(days=14), required_watch_share=0)
        first.refresh_from_db()
        second.refresh_from_db()
        advancement.advance(round=first, actor=organizer, top_k_per_unit=SHORTLIST_PER_UNIT)
        version = versions.prepare_version(round=first, actor=organizer)
        version.notice_ends_at = later + timedelta(days=7)
        version.save(update_fields=["notice_ends_at"])
        version = versions.publish_version(version=version, actor=organizer, now=later)
        # Recorded as sent, as the demo does: nobody is emailed.
        ids = notifications.create_notifications(version)
        ResultNotification.objects.filter(pk__in=ids).update(status=NotificationStatus.SENT, attempts=1, sent_at=later)

    judge_accounts = [_user(f"judge{n}@{slug}.example.org", f"Load Judge {n}") for n in range(judges)]
    for judge in judge_accounts:
        PanelMembershipFactory(round=second, judge=judge)
    assignment.auto_assign(round=second, actor=organizer, seed=1)

    entrant_accounts = []
    for n in range(entrants):
        user = _user(f"entrant{n}@{slug}.example.org", f"Load Entrant {n}")
        entry = EntryFactory(unit=units[n % 2], owner=user, title=f"压力测试作品 {n}", title_en=f"Load entry {n}")
        entrant_accounts.append({"email": user.email, "entry": entry.pk})
    return {
        "slug": slug,
        "competition": competition.pk,
        "round": second.pk,
        "password": PASSWORD,
        "entrants": entrant_accounts,
        "judges": [{"email": judge.email, "id": judge.pk} for judge in judge_accounts],
        "assignments": Assignment.objects.filter(round=second).count(),
        "public_entries": len(version.ranking or []),
    }


def pipeline_counts(entry_ids):
    rows = VideoFile.objects.filter(entry_id__in=entry_ids).values_list("status", "qc_level")
    return {
        "status": dict(Counter(status for status, _qc in rows)),
        "qc_level": dict(Counter(qc or "none" for _status, qc in rows)),
        "processing": sum(1 for status, _qc in rows if status in PROCESSING_STATUSES),
    }


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_scores(*, round_id, acknowledged):
    """`acknowledged` maps (entry id, judge id) -> {"count", "status", "comment"} of the 2xx/3xx score saves.

    Every save the load test makes changes the overall comment, so each acknowledged save must be one version of
    the one Score row and one ledger row: version == count, ledger rows for the score == count."""
    problems = []
    scores = {(s.entry_id, s.judge_id): s for s in Score.objects.filter(round_id=round_id)}
    rows = Counter(Score.objects.filter(round_id=round_id).values_list("entry_id", "judge_id"))
    duplicates = [key for key, count in rows.items() if count > 1]
    problems += [f"score {key}: {rows[key]} rows" for key in duplicates]
    round = Round.objects.get(pk=round_id)
    ledger_rows = Counter(
        row["score"] for row in LedgerEntry.objects.filter(competition_id=round.competition_id).values_list(
            "content", flat=True) if isinstance(row, dict) and row.get("round") == round_id and "score" in row
    )
    for key, expected in acknowledged.items():
        score = scores.get(key)
        if score is None:
            problems.append(f"score {key}: acknowledged {expected['count']} times but not stored")
            continue
        if score.version != expected["count"]:
            problems.append(f"score {key}: version {score.version}, acknowledged saves {expected['count']}")
        if ledger_rows[score.pk] != expected["count"]:
            problems.append(f"score {key}: {ledger_rows[score.pk]} ledger rows, acknowledged {expected['count']}")
        if (score.status, score.comment) != (expected["status"], expected["comment"]):
            problems.append(f"score {key}: stored {score.status}/{score.comment!r}, last acknowledged "
                            f"{expected['status']}/{expected['comment']!r}")
    unexpected = set(scores) - set(acknowledged)
    problems += [f"score {key}: stored but never acknowledged" for key in sorted(unexpected)]
    broken = ledger.verify(competition=round.competition)
    if broken is not None:
        problems.append(f"ledger chain broken: {broken}")
    saves = sum(a["count"] for a in acknowledged.values())
    return {"acknowledged_scores": len(acknowledged), "acknowledged_saves": saves,
            "score_rows": len(scores), "ledger_rows": sum(ledger_rows.values()), "problems": problems}


def check_entries(*, acknowledged):
    """`acknowledged` maps entry id -> the logline of the last acknowledged edit."""
    stored = dict(Entry.objects.filter(pk__in=acknowledged).values_list("pk", "logline"))
    return [f"entry {pk}: logline {stored.get(pk)!r}, last acknowledged {value!r}"
            for pk, value in acknowledged.items() if stored.get(pk) != value]


def check_uploads(*, entry_ids, completed):
    """`completed` is a list of {"upload", "entry", "slot", "size", "sha256"} the server acknowledged as finished:
    each must be one Upload row pointing at the slot's only VideoFile, of the right size and content."""
    from django.core.files.storage import default_storage

    problems = []
    videos = {(v.entry_id, v.slot): v for v in VideoFile.objects.filter(entry_id__in=entry_ids)}
    per_slot = Counter(VideoFile.objects.filter(entry_id__in=entry_ids).values_list("entry_id", "slot"))
    problems += [f"video {key}: {count} rows" for key, count in per_slot.items() if count > 1]
    uploads = {str(u.pk): u for u in Upload.objects.filter(entry_id__in=entry_ids)}
    for item in completed:
        upload, video = uploads.get(item["upload"]), videos.get((item["entry"], item["slot"]))
        if upload is None or upload.completed_at is None:
            problems.append(f"upload {item['upload']}: acknowledged complete, not recorded as completed")
        if video is None:
            problems.append(f"upload {item['upload']}: no video in {item['entry']}/{item['slot']}")
            continue
        if upload is not None and upload.video_id != video.pk:
            problems.append(f"upload {item['upload']}: points at video {upload.video_id}, slot holds {video.pk}")
        if video.size != item["size"]:
            problems.append(f"video {video.pk}: size {video.size}, uploaded {item['size']}")
        elif _sha256(default_storage.path(video.file.name)) != item["sha256"]:
            problems.append(f"video {video.pk}: stored bytes differ from the uploaded file")
    extra = set(videos) - {(item["entry"], item["slot"]) for item in completed}
    problems += [f"video {key}: stored but no upload was acknowledged" for key in sorted(extra)]
    unfinished = sum(1 for u in uploads.values() if u.completed_at is None)
    return {"completed_uploads": len(completed), "video_rows": len(videos), "unfinished_upload_rows": unfinished,
            "problems": problems}
