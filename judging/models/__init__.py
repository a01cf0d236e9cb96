"""Judging's models: rounds and rubrics (rounds.py); panels, invitations and conflicts (panels.py); assignments,
scores and the ledger (scoring.py); and the results built from them — decisions, versions, awards, objections,
notifications (results.py)."""

from judging.models.panels import *  # noqa: F403
from judging.models.panels import effective_conflict_exists, new_invitation_token  # noqa: F401
from judging.models.results import *  # noqa: F403
from judging.models.rounds import *  # noqa: F403
from judging.models.scoring import *  # noqa: F403
