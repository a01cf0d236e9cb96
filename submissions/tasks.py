"""Thin background tasks: they take ids, and the work lives in services, materials and portal.mail."""

import io

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from portal.mail import send_bilingual


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def make_material_thumbnail(material_id):
    from submissions.materials import make_thumbnail, random_name
    from submissions.models import Material, ThumbnailStatus

    material = Material.objects.filter(pk=material_id).first()
    if material is None or material.thumbnail_status == ThumbnailStatus.READY:
        return "skipped"  # deleted meanwhile, or done by an earlier delivery of this task
    try:
        with default_storage.open(material.file.name, "rb") as source:  # other storage hiccups are retried
            original = source.read()
    except FileNotFoundError:
        # The original is gone and will not come back: say so instead of leaving "being made" forever.
        Material.objects.filter(pk=material_id).update(thumbnail_status=ThumbnailStatus.FAILED)
        return "failed"
    try:
        data = make_thumbnail(io.BytesIO(original))
    except Exception:
        # The upload was checked already, so this is rare and retrying cannot help; organizers see "failed".
        Material.objects.filter(pk=material_id).update(thumbnail_status=ThumbnailStatus.FAILED)
        return "failed"
    name = default_storage.save(random_name("thumbnails", "webp"), ContentFile(data))
    # Only the first delivery to finish records its thumbnail: a second one running at the same time (acks_late
    # redelivers after a lost worker) must not overwrite it and leave the first file orphaned.
    updated = (
        Material.objects.filter(pk=material_id)
        .exclude(thumbnail_status=ThumbnailStatus.READY)
        .update(thumbnail=name, thumbnail_status=ThumbnailStatus.READY)
    )
    if not updated:
        default_storage.delete(name)  # the material was deleted, or another delivery finished first
        return "skipped"
    return name


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_entry_notification(entry_id, template_prefix):
    from submissions.models import Entry

    entry = Entry.objects.select_related("competition", "unit", "track", "owner").get(pk=entry_id)
    recipients = [entry.owner.email] + [c.email for c in entry.coowners.all()]
    send_bilingual(
        template_prefix=template_prefix,
        context={"entry": entry, "competition": entry.competition, "site_url": settings.SITE_URL},
        to=recipients,
    )


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_coowner_invitation(coowner_id):
    from submissions.models import CoOwner

    coowner = CoOwner.objects.select_related("entry__competition", "invited_by").filter(pk=coowner_id).first()
    if coowner is None:
        return
    send_bilingual(
        template_prefix="submissions/email/coowner_invited",
        context={"coowner": coowner, "entry": coowner.entry, "site_url": settings.SITE_URL},
        to=[coowner.email],
    )


# ---------------------------------------------------------------- the video pipeline ("media" queue)
# Each stage is idempotent: it skips work an earlier delivery finished, so acks_late redelivery after a killed
# worker, and the stall detector's retries, are safe. The work itself lives in submissions/pipeline.py.

VIDEO_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(**VIDEO_TASK_OPTIONS)
def video_probe(video_id):
    from submissions import pipeline

    return pipeline.probe_stage(video_id)


@shared_task(**VIDEO_TASK_OPTIONS)
def video_check(video_id):
    from submissions import pipeline

    return pipeline.check_stage(video_id)


@shared_task(**VIDEO_TASK_OPTIONS)
def video_thumbnails(video_id):
    from submissions import pipeline

    return pipeline.thumbnails_stage(video_id)


@shared_task(**VIDEO_TASK_OPTIONS)
def video_preview(video_id):
    from submissions import pipeline

    return pipeline.preview_stage(video_id)


@shared_task
def retry_stalled_videos():
    from submissions import pipeline

    return pipeline.retry_stalled()


@shared_task
def expire_uploads():
    from submissions import tus

    return tus.expire_uploads()
