"""The score ledger: an append-only chain per competition, each row holding the hash of the previous one.

hash = sha256(previous_hash + canonical JSON of {competition, sequence, kind, actor, created_at, content}),
canonical meaning sort_keys, no spaces, ensure_ascii=False, UTF-8, Decimals as strings, times as ISO 8601 UTC.

The content is normalised through the canonical JSON before it is stored, so what the database gives back
(JSONField, jsonb on PostgreSQL: keys reordered, Decimals already strings) hashes exactly as it did when the
row was written. Callers should give numbers that are not integers as strings (Decimals are turned into strings
here; floats survive a JSON round trip but are best avoided).
"""

import datetime
import hashlib
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from judging.models import LedgerEntry, LedgerHead

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Break:
    competition_id: int
    sequence: int
    reason: str  # e.g. "hash does not match the row's content", "previous_hash does not match row 41", "gap"


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return iso_utc(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} cannot go into the ledger")


def canonical_json(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def iso_utc(moment: datetime.datetime) -> str:
    """2026-05-01T08:30:00.123456Z: always UTC, always microseconds, so one moment has exactly one spelling."""
    if timezone.is_naive(moment):
        raise ValueError("ledger times must be timezone-aware")
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(*, previous_hash, competition_id, sequence, kind, actor_id, created_at, content) -> str:
    payload = {
        "competition": competition_id,
        "sequence": sequence,
        "kind": str(kind),
        "actor": actor_id,
        "created_at": iso_utc(created_at),
        "content": content,
    }
    return hashlib.sha256((previous_hash + canonical_json(payload)).encode("utf-8")).hexdigest()


def entry_hash(entry: LedgerEntry) -> str:
    """The hash a stored row should carry, recomputed from its fields."""
    return row_hash(
        previous_hash=entry.previous_hash,
        competition_id=entry.competition_id,
        sequence=entry.sequence,
        kind=entry.kind,
        actor_id=entry.actor_id,
        created_at=entry.created_at,
        content=entry.content,
    )


def append(*, competition, kind, actor, content: dict) -> LedgerEntry:
    """Append one row. Must run inside the caller's transaction; locks the competition's LedgerHead row
    (select_for_update) so concurrent appends are serialised and the chain never forks."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.append must run inside the transaction that makes the change it records")
    competition_id = getattr(competition, "pk", competition)
    actor_id = getattr(actor, "pk", actor) if actor is not None else None
    # Normalise: what is stored is exactly what is hashed, and what the database returns hashes the same.
    content = json.loads(canonical_json(content))

    LedgerHead.objects.get_or_create(competition_id=competition_id)
    head = LedgerHead.objects.select_for_update().get(competition_id=competition_id)

    sequence = head.last_sequence + 1
    # Python datetimes stop at microseconds, which SQLite and PostgreSQL both keep exactly: the value read back
    # is the value hashed. (A backend keeping less would need truncating here.)
    created_at = timezone.now()
    digest = row_hash(
        previous_hash=head.last_hash,
        competition_id=competition_id,
        sequence=sequence,
        kind=kind,
        actor_id=actor_id,
        created_at=created_at,
        content=content,
    )
    entry = LedgerEntry.objects.create(
        competition_id=competition_id,
        sequence=sequence,
        kind=kind,
        actor_id=actor_id,
        created_at=created_at,
        content=content,
        previous_hash=head.last_hash,
        hash=digest,
    )
    head.last_sequence = sequence
    head.last_hash = digest
    head.save(update_fields=["last_sequence", "last_hash"])
    return entry


def _head_break(competition_id, head, last_sequence, last_hash):
    """Compare the end of a competition's chain with its head row (catches rows cut off the end)."""
    if head is None:
        if last_sequence:
            return Break(competition_id, last_sequence, _("the chain has no head row"))
        return None
    if head.last_sequence != last_sequence:
        if head.last_sequence > last_sequence:
            return Break(
                competition_id,
                last_sequence + 1,
                _("row %(sequence)s is missing: the head records %(head)s rows")
                % {"sequence": last_sequence + 1, "head": head.last_sequence},
            )
        return Break(
            competition_id,
            head.last_sequence + 1,
            _("the head records %(head)s rows but the chain goes on to row %(last)s")
            % {"head": head.last_sequence, "last": last_sequence},
        )
    if head.last_hash != last_hash:
        return Break(competition_id, last_sequence, _("the head's hash does not match the last row"))
    return None


def verify(*, competition=None) -> Break | None:
    """The first broken link (by competition, then sequence), or None. Streams rows (iterator), so it runs in
    flat memory on a large ledger."""
    heads = LedgerHead.objects.all()
    rows = LedgerEntry.objects.order_by("competition_id", "sequence")
    if competition is not None:
        competition_id = getattr(competition, "pk", competition)
        heads = heads.filter(competition_id=competition_id)
        rows = rows.filter(competition_id=competition_id)
    heads = {head.competition_id: head for head in heads}
    # Competitions whose head exists but whose rows are all gone are checked in competition order too.
    head_ids = sorted(heads)
    pending = 0  # index into head_ids of the next head not yet checked

    def rowless_heads_before(competition_id):
        nonlocal pending
        while pending < len(head_ids) and (competition_id is None or head_ids[pending] < competition_id):
            broken = _head_break(head_ids[pending], heads[head_ids[pending]], 0, GENESIS_HASH)
            pending += 1
            if broken:
                return broken
        if pending < len(head_ids) and head_ids[pending] == competition_id:
            pending += 1
        return None

    current = None  # competition id of the chain being walked
    expected = 1
    previous = GENESIS_HASH
    for row in rows.iterator(chunk_size=2000):
        if row.competition_id != current:
            if current is not None:
                broken = _head_break(current, heads.get(current), expected - 1, previous)
                if broken:
                    return broken
            broken = rowless_heads_before(row.competition_id)
            if broken:
                return broken
            current = row.competition_id
            expected = 1
            previous = GENESIS_HASH
        if row.sequence != expected:
            return Break(
                current,
                expected,
                _("row %(sequence)s is missing (the next row is %(next)s)")
                % {"sequence": expected, "next": row.sequence},
            )
        if row.previous_hash != previous:
            if expected == 1:
                reason = _("previous_hash of the first row is not the genesis hash")
            else:
                reason = _("previous_hash does not match row %(sequence)s") % {"sequence": expected - 1}
            return Break(current, row.sequence, reason)
        if entry_hash(row) != row.hash:
            return Break(current, row.sequence, _("hash does not match the row's content"))
        previous = row.hash
        expected += 1
    if current is not None:
        broken = _head_break(current, heads.get(current), expected - 1, previous)
        if broken:
            return broken
    return rowless_heads_before(None)
