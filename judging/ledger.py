"""The score ledger: an append-only chain per competition, each row holding the hash of the previous one.

hash = sha256(previous_hash + canonical JSON of {competition, sequence, kind, actor, created_at, content}),
canonical meaning sort_keys, no spaces, ensure_ascii=False, UTF-8, Decimals as strings, times as ISO 8601 UTC.
"""

from dataclasses import dataclass

from judging.models import LedgerEntry


@dataclass(frozen=True)
class Break:
    competition_id: int
    sequence: int
    reason: str  # e.g. "hash does not match the row's content", "previous_hash does not match row 41", "gap"


def append(*, competition, kind, actor, content: dict) -> LedgerEntry:
    """Append one row. Must run inside the caller's transaction; locks the competition's LedgerHead row
    (select_for_update) so concurrent appends are serialised and the chain never forks."""
    raise NotImplementedError


def verify(*, competition=None) -> Break | None:
    """The first broken link (by competition, then sequence), or None. Streams rows (iterator), so it runs in
    flat memory on a large ledger."""
    raise NotImplementedError
