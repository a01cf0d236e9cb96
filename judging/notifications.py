"""The entrants' result emails: one ResultNotification per entry and recipient of a published version, sent in
batches by Celery and retried when they fail, with the feedback dossier (per-criterion averages and anonymised
judge comments) when the round shares feedback; also the entries a version lists and the public result links.
"""

import hashlib
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from judging.advancement import next_round
from judging.models import (
    Criterion,
    CriterionScore,
    NotificationKind,
    NotificationStatus,
    Outcome,
    ResultNotification,
    ResultVersion,
    Score,
)
from portal.mail import send_bilingual
from portal.models import LoggedAction, pick_language
from portal.services import log_action
from submissions.models import CoOwner, Entry

NOTIFICATION_BATCH = 50
NOTIFICATION_MAX_ATTEMPTS = 5


class NotificationsFailed(Exception):
    """Some result emails of a batch failed and will be tried again (the task retries the batch)."""


class Bilingual:
    """A text in two languages that renders in the active one (emails render Chinese, then English)."""

    def __init__(self, zh, en=""):
        self.zh = zh or ""
        self.en = en or ""

    def __str__(self):
        return pick_language(self.zh, self.en)

    def __eq__(self, other):
        return isinstance(other, Bilingual) and (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self):
        return hash((self.zh, self.en))

    def __repr__(self):
        return f"Bilingual({self.zh!r}, {self.en!r})"


def _row_entry_id(row):
    """The entry id of a ranking / decisions / awards JSON row."""
    for key in ("entry_id", "entry"):
        value = row.get(key)
        if isinstance(value, dict):
            value = value.get("id")
        if value is not None:
            return int(value)
    return None


def version_entry_ids(version) -> list[int]:
    """Every entry the version lists (ranking, decisions, awards), in ranking order first."""
    seen = {}
    for rows in (version.ranking, version.decisions, version.awards):
        for row in rows or []:
            if isinstance(row, dict):
                entry_id = _row_entry_id(row)
                if entry_id is not None:
                    seen.setdefault(entry_id, None)
    return list(seen)


def results_url(competition):
    return settings.SITE_URL + reverse("judging:results", args=[competition.slug])


def public_version_url(version):
    return settings.SITE_URL + reverse("judging:public_version", args=[version.round.competition.slug, version.pk])


def _kinds(version) -> dict:
    """entry id -> NotificationKind (awarded > nominated > advanced > not advanced)."""
    kinds = dict.fromkeys(version_entry_ids(version), NotificationKind.NOT_ADVANCED)
    for row in version.decisions or []:
        if row.get("outcome") == Outcome.ADVANCED:
            kinds[_row_entry_id(row)] = NotificationKind.ADVANCED
    for row in version.awards or []:
        entry_id = _row_entry_id(row)
        if row.get("winner"):
            kinds[entry_id] = NotificationKind.AWARDED
        elif kinds.get(entry_id) != NotificationKind.AWARDED:
            kinds[entry_id] = NotificationKind.NOMINATED
    return kinds


def _queue_batches(ids):
    from judging import tasks

    ids = sorted(ids)
    for start in range(0, len(ids), NOTIFICATION_BATCH):
        batch = ids[start : start + NOTIFICATION_BATCH]
        transaction.on_commit(lambda batch=batch: tasks.send_result_notifications.delay(batch))


def queue_notifications(version) -> int:
    """One ResultNotification per entry in the version and recipient (owner + co-owners with an account), kind
    by outcome (awarded > nominated > advanced > not advanced), created in bulk; batches of NOTIFICATION_BATCH
    ids are queued to tasks.send_result_notifications after commit. Idempotent (unique constraint).
    Returns how many were created (and queued)."""
    with transaction.atomic():
        ids = create_notifications(version)
        _queue_batches(ids)
    return len(ids)


def create_notifications(version) -> list[int]:
    """The rows queue_notifications creates (without queueing anything): the ids of the new ones. A fixed number
    of queries whatever the number of entries. Must run in a transaction (the version row is locked)."""
    version = ResultVersion.objects.select_for_update().get(pk=version.pk)
    kinds = _kinds(version)
    if not kinds:
        return []
    recipients = {}
    for entry_id, email in Entry.objects.filter(pk__in=kinds).values_list("pk", "owner__email"):
        recipients.setdefault(entry_id, {})[email.lower()] = email
    coowners = CoOwner.objects.filter(entry_id__in=kinds, user__isnull=False).values_list("entry_id", "user__email")
    for entry_id, email in coowners:
        recipients.setdefault(entry_id, {}).setdefault(email.lower(), email)
    existing = {
        (entry_id, email.lower()): pk
        for pk, entry_id, email in ResultNotification.objects.filter(version=version).values_list(
            "pk", "entry_id", "recipient"
        )
    }
    rows = [
        ResultNotification(version=version, entry_id=entry_id, recipient=email, kind=kinds[entry_id])
        for entry_id in kinds
        for key, email in recipients.get(entry_id, {}).items()
        if (entry_id, key) not in existing
    ]
    if not rows:
        return []
    ResultNotification.objects.bulk_create(rows, batch_size=500)
    return list(
        ResultNotification.objects.filter(version=version, status=NotificationStatus.PENDING)
        .exclude(pk__in=list(existing.values()))
        .values_list("pk", flat=True)
    )


def _awards_of(version) -> dict:
    """entry id -> [{"name", "winner", "credit", "citation"}] from the version's awards."""
    awards = {}
    for row in version.awards or []:
        awards.setdefault(_row_entry_id(row), []).append(
            {
                "name": Bilingual(row.get("name_zh", ""), row.get("name_en", "")),
                "winner": bool(row.get("winner")),
                "credit": row.get("credit", ""),
                "citation": Bilingual(row.get("citation_zh", ""), row.get("citation_en", "")),
            }
        )
    return awards


def _lock_notification(pk):
    rows = ResultNotification.objects.filter(pk=pk)
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True).first()
    return rows.select_for_update().first()


def deliver_notifications(notification_ids) -> None:
    """Send each pending/failed notification (bilingual email; with the feedback dossier when
    round.share_feedback: per-criterion averages and anonymised judge comments). A failure marks it FAILED with
    the error and attempts + 1 (GAVE_UP after NOTIFICATION_MAX_ATTEMPTS) and raises so Celery retries the batch;
    SENT ones are never sent twice."""
    notifications = list(
        ResultNotification.objects.filter(
            pk__in=list(notification_ids), status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED]
        )
        .select_related("version__round__competition", "entry")
        .order_by("pk")
    )
    if not notifications:
        return
    per_version = {}
    for notification in notifications:
        version = notification.version
        if version.pk not in per_version:
            round = version.round
            entry_ids = {n.entry_id for n in notifications if n.version_id == version.pk}
            per_version[version.pk] = {
                "awards": _awards_of(version),
                "dossiers": _dossiers(version, entry_ids) if round.share_feedback else {},
                "next_round": next_round(round),
            }
    failed = 0
    for notification in notifications:
        version = notification.version
        round = version.round
        shared = per_version[version.pk]
        context = {
            "notification": notification,
            "kind": notification.kind,
            "entry": notification.entry,
            "round": round,
            "competition": round.competition,
            "version": version,
            "next_round": shared["next_round"],
            "is_last_round": shared["next_round"] is None,
            "awards": [item for item in shared["awards"].get(notification.entry_id, []) if item["winner"]],
            "nominations": shared["awards"].get(notification.entry_id, []),
            "dossier": shared["dossiers"].get(notification.entry_id),
            "results_url": results_url(round.competition),
            "version_url": public_version_url(version),
            "site_url": settings.SITE_URL,
        }
        with transaction.atomic():
            locked = _lock_notification(notification.pk)
            if locked is None or locked.status not in (NotificationStatus.PENDING, NotificationStatus.FAILED):
                continue  # sent meanwhile, or another worker is sending it
            locked.attempts += 1
            try:
                send_bilingual(template_prefix="judging/email/result", context=context, to=[locked.recipient])
            except Exception as error:  # noqa: BLE001 - any failure is recorded on the row and retried
                locked.last_error = f"{type(error).__name__}: {error}"[:300]
                if locked.attempts >= NOTIFICATION_MAX_ATTEMPTS:
                    locked.status = NotificationStatus.GAVE_UP
                else:
                    locked.status = NotificationStatus.FAILED
                    failed += 1
            else:
                locked.status = NotificationStatus.SENT
                locked.sent_at = timezone.now()
                locked.last_error = ""
            locked.save(update_fields=["status", "attempts", "last_error", "sent_at"])
    if failed:
        raise NotificationsFailed(f"{failed} result emails failed; they will be tried again")


@transaction.atomic
def retry_failed_notifications(*, version, actor) -> int:
    """Re-queue FAILED and GAVE_UP notifications of the version (attempts reset for GAVE_UP)."""
    version = ResultVersion.objects.select_related("round__competition").get(pk=version.pk)
    rows = ResultNotification.objects.select_for_update().filter(
        version=version, status__in=[NotificationStatus.FAILED, NotificationStatus.GAVE_UP]
    )
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return 0
    gave_up = ResultNotification.objects.filter(pk__in=ids, status=NotificationStatus.GAVE_UP).update(
        status=NotificationStatus.FAILED, attempts=0
    )
    _queue_batches(ids)
    log_action(
        competition=version.round.competition,
        actor=actor,
        action=LoggedAction.NOTIFICATIONS_RETRIED,
        subject=version,
        data={"round": version.round_id, "version": version.number, "count": len(ids), "gave_up": gave_up},
    )
    return len(ids)


# --------------------------------------------------------------------------------------------- feedback


def _score_order(score_id):
    """A fixed, meaningless order: the scores' ids hashed, so comments are not in judge order."""
    return hashlib.sha256(f"zhuiguang-feedback:{score_id}".encode()).hexdigest()


def _criteria_names(round) -> dict:
    """(track id, key) -> {"name_zh", "name_en", "position", "max"} from the round's rubrics (newest version wins;
    the snapshot stores keys and numbers only)."""
    names = {}
    rows = (
        Criterion.objects.filter(rubric__round=round)
        .order_by("rubric__version", "position", "pk")
        .values_list("rubric__track_id", "key", "name_zh", "name_en", "position", "max_score")
    )
    for track_id, key, name_zh, name_en, position, max_score in rows:
        names[(track_id, key)] = {"name_zh": name_zh, "name_en": name_en, "position": position, "max": max_score}
    return names


def _dossiers(version, entry_ids) -> dict:
    """entry id -> dossier for the given entries (three queries whatever their number)."""
    entry_ids = set(entry_ids)
    snapshot = version.snapshot or {}
    names = _criteria_names(version.round)
    tracks = {row.get("entry"): row.get("track") for row in snapshot.get("entries") or [] if isinstance(row, dict)}
    missing = entry_ids - set(tracks)
    if missing:
        tracks.update(Entry.objects.filter(pk__in=missing).values_list("pk", "track_id"))
    sums, score_ids = {}, {}
    for row in snapshot.get("scores") or []:
        entry_id = row.get("entry")
        if entry_id not in entry_ids:
            continue
        score_ids.setdefault(entry_id, []).append(row.get("score"))
        for key, value in (row.get("values") or {}).items():
            if value in (None, ""):
                continue
            total, count = sums.setdefault(entry_id, {}).get(key, (Decimal(0), 0))
            sums[entry_id][key] = (total + Decimal(str(value)), count + 1)
    all_ids = [pk for ids in score_ids.values() for pk in ids]
    overall = dict(Score.objects.filter(pk__in=all_ids).exclude(comment="").values_list("pk", "comment"))
    by_score = {}
    for score_id, text in (
        CriterionScore.objects.filter(score_id__in=all_ids)
        .exclude(comment="")
        .order_by("criterion__position", "criterion_id")
        .values_list("score_id", "comment")
    ):
        by_score.setdefault(score_id, []).append(text)

    dossiers = {}
    for entry_id in entry_ids:
        averages = []
        track_id = tracks.get(entry_id)
        for key, (total, count) in sorted(
            sums.get(entry_id, {}).items(),
            key=lambda item: (names.get((track_id, item[0]), {}).get("position", 999), item[0]),
        ):
            info = names.get((track_id, key), {})
            averages.append(
                {
                    "key": key,
                    "name": Bilingual(info.get("name_zh") or key, info.get("name_en", "")),
                    "average": (total / count).quantize(Decimal("0.01")),
                    "max": info.get("max"),
                    "judges": count,
                }
            )
        comments = []
        for score_id in sorted(score_ids.get(entry_id, []), key=_score_order):
            if score_id in overall:
                comments.append(overall[score_id])
            comments.extend(by_score.get(score_id, []))
        dossiers[entry_id] = {"criteria": averages, "comments": comments}
    return dossiers


def feedback_dossier(*, version, entry) -> dict:
    """{"criteria": [{"name", "average"}], "comments": ["…"]} from the version's snapshot and the scores'
    comments, never naming a judge; empty when the round does not share feedback."""
    if not version.round.share_feedback:
        return {"criteria": [], "comments": []}
    entry_id = entry.pk if hasattr(entry, "pk") else int(entry)
    return _dossiers(version, [entry_id])[entry_id]
