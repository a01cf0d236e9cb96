"""An upload's life after creation: other people, termination, expiry, an entry that changes meanwhile, and a
finish that fails and is retried. Each test checks the rows and the bytes on disk."""

import fcntl
import os
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from submissions import services, tasks, tus
from submissions.models import CoOwner, EntryStatus, Upload, VideoFile
from tests.factories import EntryFactory, UserFactory
from tests.submissions.tus_support import (
    TUS,
    create,
    head,
    patch,
    sha256,
    staged,
    staged_files,
    stored_path,
    upload_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _staging(settings, tmp_path):
    settings.UPLOAD_STAGING_DIR = tmp_path / "uploads"


@pytest.fixture
def entry(unit, charlie):
    return EntryFactory(unit=unit, owner=charlie)


def signed_in(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def client(charlie):
    return signed_in(charlie)


def started(client, entry, length, slot="episode-1"):
    response = create(client, entry, length, slot=slot)
    assert response.status_code == 201, response.content
    return upload_of(response), response["Location"]


# --- other people's uploads


def test_another_users_upload_is_404_and_untouched(client, entry):
    upload, url = started(client, entry, 10)
    assert patch(client, url, b"01234", 0).status_code == 204
    stranger = signed_in(UserFactory())
    assert head(stranger, url).status_code == 404
    assert patch(stranger, url, b"56789", 5).status_code == 404
    assert stranger.delete(url, headers=TUS).status_code == 404
    assert staged(upload).read_bytes() == b"01234"
    assert head(client, url)["Upload-Offset"] == "5"


def test_an_unknown_upload_is_404(client):
    url = f"/uploads/tus/{uuid.uuid4()}"
    assert head(client, url).status_code == 404
    assert patch(client, url, b"x", 0).status_code == 404
    assert client.delete(url, headers=TUS).status_code == 404
    assert "Upload-Offset" not in head(client, url)


def test_a_coowner_removed_meanwhile_can_no_longer_reach_their_upload(unit, charlie):
    entry = EntryFactory(unit=unit, owner=UserFactory())
    coowner = CoOwner.objects.create(entry=entry, email=charlie.email, user=charlie)
    client = signed_in(charlie)
    upload, url = started(client, entry, 10)
    assert patch(client, url, b"01234", 0).status_code == 204
    services.remove_coowner(coowner=coowner, actor=entry.owner)
    assert head(client, url).status_code == 404
    assert patch(client, url, b"56789", 5).status_code == 404
    assert staged(upload).read_bytes() == b"01234"
    assert not VideoFile.objects.exists()


# --- termination


def test_delete_terminates_the_upload_and_its_bytes(client, entry):
    upload, url = started(client, entry, 10)
    assert patch(client, url, b"01234", 0).status_code == 204
    response = client.delete(url, headers=TUS)
    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0"
    assert not Upload.objects.exists()
    assert staged_files() == []
    assert head(client, url).status_code == 404
    assert patch(client, url, b"56789", 5).status_code == 404


def test_deleting_a_finished_upload_forgets_it_but_keeps_the_video(client, entry):
    upload, url = started(client, entry, 3)
    assert patch(client, url, b"abc", 0).status_code == 204
    video = VideoFile.objects.get()
    assert client.delete(url, headers=TUS).status_code == 204
    assert not Upload.objects.exists()
    assert stored_path(VideoFile.objects.get(pk=video.pk)).read_bytes() == b"abc"


# --- expiry


def test_an_expired_upload_is_gone_410_with_its_bytes(entry, charlie, settings):
    upload, url = started(signed_in(charlie), entry, 10)
    assert patch(signed_in(charlie), url, b"01234", 0).status_code == 204
    with time_machine.travel(timezone.now() + timedelta(hours=settings.UPLOAD_EXPIRE_HOURS, seconds=1)):
        client = signed_in(charlie)
        response = head(client, url)
        assert response.status_code == 410
        assert "Upload-Offset" not in response
        assert staged_files() == []
        assert not Upload.objects.exists()
        assert patch(client, url, b"56789", 5).status_code == 404  # and afterwards it is simply unknown


def test_each_patch_pushes_the_expiry_back(entry, charlie, settings):
    hours = settings.UPLOAD_EXPIRE_HOURS
    start = timezone.now()
    upload, url = started(signed_in(charlie), entry, 10)
    with time_machine.travel(start + timedelta(hours=hours - 1)):
        response = patch(signed_in(charlie), url, b"01234", 0)
        assert response.status_code == 204
        assert "Upload-Expires" in response
    with time_machine.travel(start + timedelta(hours=hours + 1)):
        assert head(signed_in(charlie), url)["Upload-Offset"] == "5"
        assert tus.expire_uploads() == 0
        assert staged(upload).read_bytes() == b"01234"


def test_expire_uploads_removes_abandoned_uploads_and_stray_files_only(client, entry, settings):
    abandoned, abandoned_url = started(client, entry, 10, slot="episode-1")
    assert patch(client, abandoned_url, b"01234", 0).status_code == 204
    busy, busy_url = started(client, entry, 10, slot="episode-2")
    finished, finished_url = started(client, entry, 3, slot="episode-3")
    assert patch(client, finished_url, b"abc", 0).status_code == 204
    fresh, fresh_url = started(client, entry, 10, slot="episode-4")
    folder = staged(abandoned).parent
    stray_old, stray_new, not_ours = folder / str(uuid.uuid4()), folder / str(uuid.uuid4()), folder / "README"
    for path in (stray_old, stray_new, not_ours):
        path.write_bytes(b"left over")
    two_days_ago = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(stray_old, (two_days_ago, two_days_ago))
    os.utime(not_ours, (two_days_ago, two_days_ago))
    Upload.objects.filter(pk__in=[abandoned.pk, busy.pk, finished.pk]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    fd = os.open(staged(busy), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a PATCH is writing to it right now: left for the next run
        assert tasks.expire_uploads.delay().get() == 1  # the periodic task, run eagerly
    finally:
        os.close(fd)

    assert set(Upload.objects.values_list("pk", flat=True)) == {busy.pk, finished.pk, fresh.pk}
    assert sorted(staged_files()) == sorted([str(busy.pk), str(fresh.pk), stray_new.name, "README"])
    assert stored_path(VideoFile.objects.get(slot="episode-3")).read_bytes() == b"abc"
    assert head(client, finished_url)["Upload-Offset"] == "3"

    assert tus.expire_uploads() == 1  # the busy one, now that nobody writes to it
    assert set(Upload.objects.values_list("pk", flat=True)) == {finished.pk, fresh.pk}
    assert sorted(staged_files()) == sorted([str(fresh.pk), stray_new.name, "README"])


# --- the entry changes during the upload


def test_after_the_deadline_an_unfinished_upload_takes_no_more_bytes(entry, charlie):
    with time_machine.travel(entry.unit.deadline - timedelta(hours=1), tick=False):
        upload, url = started(signed_in(charlie), entry, 10)
        assert patch(signed_in(charlie), url, b"01234", 0).status_code == 204
    with time_machine.travel(entry.unit.deadline + timedelta(seconds=1), tick=False):
        response = patch(signed_in(charlie), url, b"56789", 5)
    assert response.status_code == 403
    assert "deadline" in response.content.decode()
    assert staged(upload).read_bytes() == b"01234"
    assert not VideoFile.objects.exists()


def test_an_entry_withdrawn_before_the_last_byte_gets_no_video(client, entry, charlie):
    upload, url = started(client, entry, 10)
    assert patch(client, url, b"01234", 0).status_code == 204
    services.withdraw_entry(entry=entry, actor=charlie)
    assert patch(client, url, b"56789", 5).status_code == 403
    assert not VideoFile.objects.exists()


def test_finishing_checks_the_entry_again_under_its_row_lock(client, entry, charlie):
    """The entry can be locked while the last PATCH streams: finishing refuses and discards the upload."""
    upload, url = started(client, entry, 5)
    staged(upload).write_bytes(b"01234")  # as if the body had just been written
    entry.status = EntryStatus.WITHDRAWN
    entry.save()
    with pytest.raises(tus.TusError) as refusal:
        tus.finish(upload=upload, actor=charlie)
    assert refusal.value.status == 403
    assert not Upload.objects.exists() and staged_files() == []
    assert not VideoFile.objects.exists()


def test_two_uploads_cannot_together_overrun_the_quota(client, entry, settings):
    settings.ENTRY_VIDEO_QUOTA_BYTES = 1000
    second, second_url = started(client, entry, 400, slot="episode-2")
    first, first_url = started(client, entry, 600, slot="episode-1")
    settings.ENTRY_VIDEO_QUOTA_BYTES = 900  # the organizers lowered it meanwhile
    assert patch(client, first_url, b"a" * 600, 0).status_code == 204
    response = patch(client, second_url, b"b" * 400, 0)
    assert response.status_code == 413
    assert "no longer fits" in response.content.decode()
    assert list(VideoFile.objects.values_list("slot", "size")) == [("episode-1", 600)]
    assert not Upload.objects.filter(pk=second.pk).exists()
    assert staged_files() == []


# --- a finish that fails is retried by the client


def test_if_storing_fails_the_last_byte_is_asked_for_again_and_then_it_finishes(client, entry, settings, tmp_path):
    data = os.urandom(1000)
    upload, url = started(client, entry, len(data))
    media_root = settings.MEDIA_ROOT
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    settings.MEDIA_ROOT = blocker / "media"  # storing fails: a file stands where the folder should be

    response = patch(client, url, data, 0)
    assert response.status_code == 503
    assert "could not be stored" in response.content.decode()
    assert not VideoFile.objects.exists()
    assert staged(upload).read_bytes() == data  # nothing lost...
    assert head(client, url)["Upload-Offset"] == str(len(data) - 1)  # ...but not complete: resend the last byte

    settings.MEDIA_ROOT = media_root
    response = patch(client, url, data[-1:], len(data) - 1)
    assert (response.status_code, response["Upload-Offset"]) == (204, str(len(data)))
    video = VideoFile.objects.get()
    assert sha256(stored_path(video)) == sha256(data)
    assert Upload.objects.get().completed_at is not None
    assert staged_files() == []
