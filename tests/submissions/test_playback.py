"""Playing a video's web preview: HTTP Range from Django, or a hand-off to nginx or to S3, for allowed people only."""

import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.test import Client, override_settings
from django.urls import reverse

from submissions.models import CoOwner, VideoFile, VideoStatus
from tests.factories import EntryFactory, UserFactory
from tests.submissions.entrant_support import image_bytes

# Not a real MP4: the view serves bytes, and every byte is different enough to show which part came back.
PREVIEW = os.urandom(5000)


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def entry(unit, charlie):
    return EntryFactory(unit=unit, owner=charlie, episode_count=3)


def make_video(entry, slot="episode-1", preview=PREVIEW, poster=True, thumbnails=True, **fields):
    video = VideoFile.objects.create(
        entry=entry, slot=slot, episode=int(slot.split("-")[1]) if slot.startswith("episode-") else None,
        file=ContentFile(b"original", name="original.mp4"), original_name="第1集.mp4", size=8,
        status=fields.pop("status", VideoStatus.READY), **fields,
    )
    if preview is not None:
        video.preview = ContentFile(preview, name="preview.mp4")
        video.preview_size = len(preview)
    if poster:
        video.poster = ContentFile(image_bytes(90, 160, fmt="JPEG", exif=False), name="poster.jpg")
    if thumbnails:
        video.thumbnails = ContentFile(image_bytes(400, 70, fmt="JPEG", exif=False), name="strip.jpg")
    video.save()
    return video


def preview_url(video):
    return reverse("submissions:video_preview", args=[video.pk])


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def get(client, video, range_header=None, **headers):
    if range_header is not None:
        headers["HTTP_RANGE"] = range_header
    return client.get(preview_url(video), **headers)


@pytest.fixture
def owner_client(client, charlie):
    client.force_login(charlie)
    return client


# ------------------------------------------------------------------------------------------- Range


def test_without_a_range_the_whole_preview_comes_with_accept_ranges(owner_client, entry):
    video = make_video(entry)
    response = get(owner_client, video)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(PREVIEW))
    assert "Content-Range" not in response
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    assert response["Content-Disposition"] == f'inline; filename="LCP2026-draft{entry.pk}-episode-1-preview.mp4"'
    assert body(response) == PREVIEW


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),  # the first bytes, as a player asks for the header
        ("bytes=1000-1999", 1000, 1999),  # the middle, after a seek
        ("bytes=-100", 4900, 4999),  # a suffix: the last 100 bytes
        ("bytes=100-", 100, 4999),  # open-ended: from 100 to the end
        ("bytes=4990-99999", 4990, 4999),  # past the end: cut to the file
        ("bytes=-99999", 0, 4999),  # a suffix longer than the file: all of it
        ("bytes=4999-4999", 4999, 4999),  # the very last byte
    ],
)
def test_a_single_range_gets_206_with_exactly_those_bytes(owner_client, entry, header, first, last):
    video = make_video(entry)
    response = get(owner_client, video, header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(PREVIEW)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert body(response) == PREVIEW[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=5000-", "bytes=6000-7000", "bytes=-0"])
def test_a_range_outside_the_file_is_416_with_the_size(owner_client, entry, header):
    video = make_video(entry)
    response = get(owner_client, video, header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(PREVIEW)}"
    assert body(response) == b""


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-9", "bytes=20-10", "bytes=abc", "bytes=-"])
def test_ranges_it_does_not_serve_get_the_whole_file(owner_client, entry, header):
    """Several ranges, other units and malformed or backwards ranges may be ignored (RFC 9110): 200, all bytes."""
    video = make_video(entry)
    response = get(owner_client, video, header)
    assert response.status_code == 200
    assert body(response) == PREVIEW


def test_if_range_with_another_version_gets_the_whole_file(owner_client, entry):
    video = make_video(entry)
    etag = get(owner_client, video)["ETag"]
    same = get(owner_client, video, "bytes=0-9", HTTP_IF_RANGE=etag)
    assert same.status_code == 206 and body(same) == PREVIEW[:10]
    other = get(owner_client, video, "bytes=0-9", HTTP_IF_RANGE='"something-else"')
    assert other.status_code == 200 and body(other) == PREVIEW


def test_head_answers_the_headers_without_the_bytes(owner_client, entry):
    video = make_video(entry)
    response = owner_client.head(preview_url(video), HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-19/{len(PREVIEW)}"
    assert response["Content-Length"] == "10"
    assert response.content == b""


def test_a_preview_not_made_yet_or_lost_is_404(owner_client, entry):
    waiting = make_video(entry, "episode-1", preview=None, status=VideoStatus.TRANSCODING)
    assert get(owner_client, waiting).status_code == 404
    lost = make_video(entry, "episode-2")
    lost.preview.storage.delete(lost.preview.name)
    assert get(owner_client, lost).status_code == 404


@override_settings(STORAGES={
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
})
def test_ranges_work_from_storage_that_is_not_a_local_disk(owner_client, entry):
    """Only the storage API is used (open, seek, read), as with S3 when PLAYBACK_BACKEND is django."""
    video = make_video(entry)
    assert not os.path.exists(os.path.join(str(video.preview.storage.location or ""), video.preview.name))
    response = get(owner_client, video, "bytes=2500-2599")
    assert response.status_code == 206
    assert body(response) == PREVIEW[2500:2600]
    assert body(get(owner_client, video, "bytes=-10")) == PREVIEW[-10:]


# ------------------------------------------------------------------------------------------- who may play


def test_entrants_of_the_entry_and_its_organizers_may_play_nobody_else(client, entry, charlie, alice, bob, dave):
    video = make_video(entry)
    coowner = UserFactory()
    CoOwner.objects.create(entry=entry, email=coowner.email, user=coowner)
    url = preview_url(video)

    images = [reverse(f"submissions:{name}", args=[video.pk]) for name in ("video_poster", "video_thumbnails")]

    for address in [url, *images]:
        response = client.get(address)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user, status in [(charlie, 206), (coowner, 206), (alice, 206), (UserFactory(), 404), (bob, 404), (dave, 404)]:
        client.force_login(user)
        response = client.get(url, HTTP_RANGE="bytes=0-3")
        assert response.status_code == status, user.email
        if status == 206:
            assert body(response) == PREVIEW[:4]
        for address in images:
            assert client.get(address).status_code == (200 if status == 206 else 404), (user.email, address)


def test_organizers_need_two_factor_authentication_entrants_do_not(client, entry, charlie, alice, settings):
    settings.STAFF_MFA_REQUIRED = True
    video = make_video(entry)
    client.force_login(alice)
    for url in (preview_url(video), reverse("submissions:video_poster", args=[video.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    client.force_login(charlie)
    assert client.get(preview_url(video)).status_code == 200


# ------------------------------------------------------------------------------------------- nginx and S3


def test_nginx_mode_hands_the_bytes_to_nginx_after_the_access_check(client, entry, charlie, settings):
    settings.PLAYBACK_BACKEND = "nginx"
    settings.PLAYBACK_X_ACCEL_PREFIX = "/protected-media/"
    video = make_video(entry)
    client.force_login(charlie)
    response = get(client, video, "bytes=0-99")
    assert response.status_code == 200  # nginx answers the Range itself
    assert response["X-Accel-Redirect"] == f"/protected-media/{video.preview.name}"
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == b""
    client.force_login(UserFactory())
    assert get(client, video).status_code == 404


class PresigningStorage(FileSystemStorage):
    """Stands in for S3Storage: its url() is what a presigned URL looks like, and nothing talks to AWS."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        return f"https://bucket.s3.example.com/{name}?X-Amz-Expires=600&X-Amz-Signature=abc123"


def test_s3_mode_redirects_to_a_presigned_url_after_the_access_check(client, entry, charlie, settings, tmp_path):
    settings.PLAYBACK_BACKEND = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.submissions.test_playback.PresigningStorage",
                    "OPTIONS": {"location": str(tmp_path / "s3")}},
    }
    video = make_video(entry)
    client.force_login(charlie)
    response = get(client, video)
    assert response.status_code == 302
    assert response["Location"] == (
        f"https://bucket.s3.example.com/{video.preview.name}?X-Amz-Expires=600&X-Amz-Signature=abc123"
    )
    assert response["Cache-Control"] == "private, no-store"  # the signature expires; never reuse the redirect
    client.force_login(UserFactory())
    assert get(client, video).status_code == 404


# ------------------------------------------------------------------------------------------- images


def test_poster_and_thumbnail_strip_are_served_as_images(owner_client, entry):
    video = make_video(entry)
    for name, field in (("video_poster", "poster"), ("video_thumbnails", "thumbnails")):
        response = owner_client.get(reverse(f"submissions:{name}", args=[video.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        with getattr(video, field).open("rb") as stored:
            assert b"".join(response.streaming_content) == stored.read()


def test_missing_images_are_404(owner_client, entry):
    video = make_video(entry, poster=False, thumbnails=False, preview=None, status=VideoStatus.PROBING)
    assert owner_client.get(reverse("submissions:video_poster", args=[video.pk])).status_code == 404
    assert owner_client.get(reverse("submissions:video_thumbnails", args=[video.pk])).status_code == 404
    assert owner_client.get(reverse("submissions:video_poster", args=[video.pk + 100])).status_code == 404
