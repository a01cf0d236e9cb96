"""From judges' scores to an entry's score, ranks and flags — computed in the database.

Inputs are the round's counting scores (`Score.objects.counting()`: submitted, never a conflicted judge's) and
their criterion values. Each judge's weighted total is `Score.total` (0–100). An entry's score is, by the
round's method:
- mean, median: of its judges' totals;
- trimmed: the mean after dropping one highest and one lowest total, when at least 5 judges scored (else mean);
- zscore: each judge's totals standardised over the entries that judge scored (z = (t - mean_j) / sd_j), then
  rescaled to the 0–100 range as panel_mean + z * panel_sd (clamped to 0..100); a judge with fewer than 5
  scores (or sd 0) contributes the raw total instead, and the entry says so (`fallback_judges`).
The same is done per criterion (criterion values on the criterion's own range).
Rank: by score descending; ties broken by the per-criterion scores in order of weight (highest first; equal
weights by criterion position), then by the number of judges (more first), then by entry number (ascending) so
the order is total. Equal after all of that is impossible because entry numbers are unique. Ranks are
computed overall and per unit.
Flags: disagreement when (max - min) of an entry's totals > round.disagreement_range or their population
standard deviation > round.disagreement_stdev; severity of a judge = mean over their entries of
(their total - the mean of the other judges' totals on that entry), flagged when |severity| >
round.severity_threshold.
All aggregation is SQL (aggregates, window functions, subqueries) that runs on PostgreSQL and SQLite
(Django registers SQRT/POWER/STDDEV for SQLite); Python only shapes the per-entry rows.
"""

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class EntryResult:
    entry_id: int
    number: str
    title: str
    unit_id: int
    track_id: int
    judge_count: int
    raw: Decimal  # the method applied to raw totals (for zscore: the mean of raw totals)
    normalised: Decimal  # the z-score normalised mean (always computed, shown side by side)
    score: Decimal  # what ranks: raw for mean/median/trimmed, normalised for zscore
    criteria: dict = field(default_factory=dict)  # key -> {"raw": Decimal, "normalised": Decimal}
    spread: Decimal = Decimal(0)  # max - min of totals
    stdev: Decimal = Decimal(0)
    disagreement: bool = False
    fallback_judges: int = 0  # judges whose raw total stood in for a z-score
    rank: int = 0
    unit_rank: int = 0


@dataclass
class JudgeStats:
    judge_id: int
    name: str
    count: int
    mean: Decimal
    stdev: Decimal
    severity: Decimal  # mean of (their total - others' mean) on the same entries; + generous, - severe
    flagged: bool
    normalised: bool  # False when fewer than 5 scores: their raw totals are used


@dataclass
class Ranking:
    round_id: int
    method: str
    entries: list  # [EntryResult], ranked
    judges: list  # [JudgeStats]
    criteria: list  # [{"key", "name_zh", "name_en", "weight"}] in tie-break order

    def as_json(self) -> list:
        """The entries as JSON-safe dicts (Decimals as strings with 3 decimals), as stored in a ResultVersion."""
        raise NotImplementedError


def compute_ranking(round, *, method=None) -> Ranking:
    """The ranking of the round's entries that have at least one counting score (`unscored_entries` lists the
    others). `method` defaults to round.aggregation_method. A fixed number of queries, whatever the row count."""
    raise NotImplementedError


def unscored_entries(round) -> list:
    """RoundEntry entries of the round that have no counting score (for warnings)."""
    raise NotImplementedError


def take_snapshot(round) -> dict:
    """The frozen inputs: {"round": id, "method": ..., "thresholds": {...}, "criteria": [...], "scores":
    [{"score", "entry", "judge", "total", "values": {key: str}}] ordered by score id}. Streams rows."""
    raise NotImplementedError
