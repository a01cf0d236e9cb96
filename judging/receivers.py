"""Signal receivers: judging listens to submissions (which never imports judging)."""

import logging

from django.db import transaction

from submissions.models import EntryStatus

logger = logging.getLogger(__name__)

# An entry entering judging may bring new conflicts of interest through its owner, co-owners and credits.
DETECT_ON = {EntryStatus.SUBMITTED, EntryStatus.ELIGIBLE}


def detect_conflicts_on_status_change(sender, instance, created, raw=False, **kwargs):
    """EntryEvent post_save: when an entry is submitted or found eligible, detect conflicts of interest for it.

    Runs inside the status change's transaction (a fixed handful of queries, one when the competition has no
    judges), in a savepoint: a failure here is logged and never costs the entrant their submission. Organizers'
    detection (conflicts page, automatic assignment) catches anything missed."""
    if raw or not created or instance.to_status not in DETECT_ON:
        return
    from judging.conflicts import detect_entry_conflicts

    try:
        with transaction.atomic():
            detect_entry_conflicts(entry=instance.entry)
    except Exception:
        logger.exception("conflict detection failed for entry %s", instance.entry_id)


def forget_public_state_on_competition_save(sender, instance, raw=False, **kwargs):
    """Competition post_save (the console, the admin, anything): its public results pages read the state afresh
    (portal never imports judging, so judging listens)."""
    if raw:
        return
    from judging.public import forget_freshness

    forget_freshness(instance)
