"""Thin tasks: they take ids and call the plain modules; queued with transaction.on_commit.

A failed send (connection refused, SMTP error) raises, and Celery retries with backoff.
"""

import smtplib

from celery import shared_task

MAIL_TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (OSError, smtplib.SMTPException),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**MAIL_TASK_OPTIONS)
def send_invitation(invitation_id):
    """Email one invitation (bilingual) and set its sent_at."""
    from judging.invitations import deliver_invitation
    from judging.models import Invitation

    invitation = Invitation.objects.select_related("round__competition", "invited_by").filter(pk=invitation_id).first()
    if invitation is None:
        return "skipped"
    return "sent" if deliver_invitation(invitation) else "skipped"


@shared_task(**MAIL_TASK_OPTIONS)
def send_reminder(membership_id):
    """Email one judge their progress in a round and the deadline; set last_reminded_at."""
    from judging.models import PanelMembership
    from judging.panels import deliver_reminder

    membership = PanelMembership.objects.select_related("round__competition", "judge").filter(pk=membership_id).first()
    if membership is None:
        return "skipped"
    return "sent" if deliver_reminder(membership) else "skipped"


@shared_task
def publish_due_versions():
    """Publish scheduled result versions whose time has come (queued with an eta, and every minute by beat)."""
    from judging import versions

    return versions.publish_due_versions()


@shared_task(bind=True, max_retries=5)
def send_result_notifications(self, notification_ids):
    """Send one batch of result emails; on failure retry the batch with backoff (sent ones are skipped)."""
    from judging.notifications import NotificationsFailed, deliver_notifications

    try:
        deliver_notifications(notification_ids)
    except NotificationsFailed as error:
        # 1, 2, 4, 8, 16 minutes; rows that failed NOTIFICATION_MAX_ATTEMPTS times are GAVE_UP and not retried.
        raise self.retry(exc=error, countdown=60 * 2**self.request.retries) from error
    return len(notification_ids)
