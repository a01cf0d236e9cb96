"""Thin tasks: they take ids and call the plain modules; queued with transaction.on_commit."""

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation(invitation_id):
    """Email one invitation (bilingual) and set its sent_at."""
    raise NotImplementedError


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_reminder(membership_id):
    """Email one judge their progress in a round and the deadline; set last_reminded_at."""
    raise NotImplementedError
