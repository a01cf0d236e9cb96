"""Judging's models: rounds, rubrics, panels, conflicts, assignments, scores and the ledger (judging.py), and the
results built from them — decisions, versions, awards, objections, notifications (results.py)."""

from judging.models.judging import *  # noqa: F403
from judging.models.judging import effective_conflict_exists, new_invitation_token  # noqa: F401
from judging.models.results import *  # noqa: F403
