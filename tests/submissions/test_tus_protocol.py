"""The tus 1.0.0 core protocol through Django's test client: discovery, creation, HEAD, PATCH, finishing.

Every test looks at what is left behind — Upload rows, staging files, stored bytes — not only at status codes.
"""

import fcntl
import os

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from submissions import tus
from submissions.models import Upload, VideoFile, VideoStatus
from tests.factories import EntryFactory
from tests.submissions.tus_support import (
    CREATE_URL,
    OCTET,
    TUS,
    create,
    head,
    metadata,
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


@pytest.fixture
def client(charlie):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    return client


def started(client, entry, data, **kwargs):
    response = create(client, entry, len(data), **kwargs)
    assert response.status_code == 201, response.content
    return upload_of(response), response["Location"]


def test_options_describes_the_server_on_both_urls(client, entry, settings):
    settings.TUS_MAX_SIZE = 5 * 1024**3
    upload, url = started(client, entry, b"x" * 10)
    for target in (CREATE_URL, url):
        response = Client().options(target)  # discovery needs no session and no Tus-Resumable
        assert response.status_code == 204
        assert response["Tus-Resumable"] == "1.0.0"
        assert response["Tus-Version"] == "1.0.0"
        assert response["Tus-Extension"] == "creation,termination,expiration"
        assert response["Tus-Max-Size"] == str(5 * 1024**3)
        assert response.content == b""


def test_creation_makes_an_empty_staging_file_and_says_where_and_until_when(client, entry, settings):
    response = create(client, entry, 1000, slot="trailer", filename="预告片 final.mov")
    assert response.status_code == 201
    upload = upload_of(response)
    assert response["Location"] == f"http://testserver/uploads/tus/{upload.pk}"
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Upload-Expires"].endswith(" GMT")  # an RFC 7231 date
    assert (upload.user, upload.entry, upload.slot, upload.length, upload.offset) == (
        entry.owner, entry, "trailer", 1000, 0
    )
    assert upload.filename == "预告片 final.mov"
    assert upload.metadata == {"entry": str(entry.pk), "slot": "trailer", "filename": "预告片 final.mov"}
    assert upload.completed_at is None
    assert (upload.expires_at - upload.created_at).total_seconds() == pytest.approx(
        settings.UPLOAD_EXPIRE_HOURS * 3600, abs=5
    )
    assert staged(upload).read_bytes() == b""
    assert staged_files() == [str(upload.pk)]


def test_head_reports_offset_length_and_metadata_and_is_never_cached(client, entry):
    upload, url = started(client, entry, b"0123456789")
    assert patch(client, url, b"0123", 0).status_code == 204
    response = head(client, url)
    assert response.status_code == 200
    assert response["Upload-Offset"] == "4"
    assert response["Upload-Length"] == "10"
    assert response["Cache-Control"] == "no-store"
    assert response["Tus-Resumable"] == "1.0.0"
    assert "Upload-Expires" in response
    assert tus.parse_metadata(response["Upload-Metadata"]) == upload.metadata


def test_chunks_in_order_become_a_video_with_exactly_the_uploaded_bytes(client, entry):
    data = os.urandom(3 * 1024 * 1024 + 17)
    upload, url = started(client, entry, data)
    offset = 0
    for size in (1024 * 1024, 1024 * 1024, len(data) - 2 * 1024 * 1024):
        response = patch(client, url, data[offset : offset + size], offset)
        assert response.status_code == 204, response.content
        offset += size
        assert response["Upload-Offset"] == str(offset)
        assert response["Tus-Resumable"] == "1.0.0"
    upload.refresh_from_db()
    assert upload.completed_at is not None and upload.offset == len(data)
    video = VideoFile.objects.get(entry=entry, slot="episode-1")
    assert upload.video == video
    assert (video.episode, video.size, video.original_name, video.uploaded_by) == (
        1, len(data), "第一集.mp4", entry.owner
    )
    assert video.status == VideoStatus.UPLOADED
    assert video.file.name.startswith("videos/") and video.file.name.endswith(".mp4")
    assert sha256(stored_path(video)) == sha256(data)
    assert staged_files() == []  # moved, not copied
    # The last response has no Upload-Expires: a finished upload does not expire.
    assert "Upload-Expires" not in response


def test_head_and_an_empty_patch_after_completion_still_answer_with_the_full_length(client, entry):
    upload, url = started(client, entry, b"abc")
    assert patch(client, url, b"abc", 0).status_code == 204
    response = head(client, url)
    assert (response.status_code, response["Upload-Offset"], response["Upload-Length"]) == (200, "3", "3")
    assert patch(client, url, b"", 3).status_code == 204  # a client retrying its last (empty) request
    assert patch(client, url, b"x", 3).status_code == 413
    assert VideoFile.objects.count() == 1


def test_a_wrong_offset_is_a_conflict_and_writes_nothing(client, entry):
    upload, url = started(client, entry, b"0123456789")
    assert patch(client, url, b"0123", 0).status_code == 204
    for offset in (0, 2, 5, 10):
        response = patch(client, url, b"zz", offset)
        assert response.status_code == 409
        assert response["Upload-Offset"] == "4"
    assert staged(upload).read_bytes() == b"0123"
    assert head(client, url)["Upload-Offset"] == "4"


def test_a_bad_or_missing_upload_offset_is_refused(client, entry):
    upload, url = started(client, entry, b"0123456789")
    for value in ("", "-1", "abc", "1.5", "１"):
        response = client.patch(url, b"01", content_type=OCTET, headers={**TUS, "Upload-Offset": value})
        assert response.status_code == 400, value
    assert staged(upload).read_bytes() == b""


def test_a_patch_needs_the_offset_octet_stream_content_type(client, entry):
    upload, url = started(client, entry, b"0123456789")
    for content_type in ("application/octet-stream", "text/plain", "multipart/form-data; boundary=x"):
        response = client.patch(url, b"0123", content_type=content_type, headers={**TUS, "Upload-Offset": "0"})
        assert response.status_code == 415, content_type
    assert staged(upload).read_bytes() == b""


def test_a_body_past_the_declared_length_is_refused_and_nothing_is_written(client, entry):
    upload, url = started(client, entry, b"0123456789")
    assert patch(client, url, b"01234", 0).status_code == 204
    response = patch(client, url, b"56789X", 5)
    assert response.status_code == 413
    assert staged(upload).read_bytes() == b"01234"
    assert not VideoFile.objects.exists()


@pytest.mark.parametrize("value", [None, "", "0.2.2", "1.0", "2.0.0"])
def test_every_request_but_options_needs_tus_resumable_1_0_0(client, entry, value):
    upload, url = started(client, entry, b"0123456789")
    headers = {} if value is None else {"Tus-Resumable": value}
    responses = [
        client.post(
            CREATE_URL,
            headers={**headers, "Upload-Length": "5", "Upload-Metadata": metadata(entry=entry.pk, slot="episode-2")},
        ),
        client.head(url, headers=headers),
        client.patch(url, b"0123", content_type=OCTET, headers={**headers, "Upload-Offset": "0"}),
        client.delete(url, headers=headers),
    ]
    for response in responses:
        assert response.status_code == 412
        assert response["Tus-Version"] == "1.0.0"
    assert Upload.objects.count() == 1
    assert staged(upload).read_bytes() == b""


def test_anonymous_requests_get_401_not_a_login_redirect(entry):
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = create(anonymous, entry, 10)
    assert response.status_code == 401
    assert response["Tus-Resumable"] == "1.0.0"
    assert "Location" not in response
    assert response.content.decode() == "Please sign in first."
    assert not Upload.objects.exists() and staged_files() == []


def test_anonymous_requests_to_an_upload_get_401_and_change_nothing(client, entry):
    upload, url = started(client, entry, b"0123456789")
    anonymous = Client()
    assert head(anonymous, url).status_code == 401
    assert patch(anonymous, url, b"0123", 0).status_code == 401
    assert anonymous.delete(url, headers=TUS).status_code == 401
    assert staged(upload).read_bytes() == b""
    assert Upload.objects.filter(pk=upload.pk).exists()


def test_other_methods_are_not_allowed(client, entry):
    upload, url = started(client, entry, b"0123456789")
    assert client.get(CREATE_URL, headers=TUS).status_code == 405
    assert client.get(url, headers=TUS).status_code == 405
    assert client.put(url, b"x", headers=TUS).status_code == 405
    assert client.head(CREATE_URL, headers=TUS).status_code == 405


def test_x_http_method_override_turns_a_post_into_patch_or_delete(client, entry):
    upload, url = started(client, entry, b"0123456789")
    response = client.post(
        url, b"01234", content_type=OCTET,
        headers={**TUS, "Upload-Offset": "0", "X-HTTP-Method-Override": "PATCH"},
    )
    assert (response.status_code, response["Upload-Offset"]) == (204, "5")
    assert staged(upload).read_bytes() == b"01234"
    response = client.post(url, headers={**TUS, "X-HTTP-Method-Override": "DELETE"})
    assert response.status_code == 204
    assert not Upload.objects.exists() and staged_files() == []


def test_csrf_stays_on_for_sessions(charlie, entry):
    """A signed-in browser must send the csrftoken cookie's value in X-CSRFToken, as tus-js-client is told to."""
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    assert create(client, entry, 10).status_code == 403
    assert not Upload.objects.exists() and staged_files() == []

    token = "a" * 32
    client.cookies["csrftoken"] = token
    response = create(client, entry, 10, **{"X-CSRFToken": token})
    assert response.status_code == 201
    upload, url = upload_of(response), response["Location"]

    refused = patch(client, url, b"01234", 0)
    assert refused.status_code == 403
    assert "X-CSRFToken" in refused.content.decode()
    assert client.delete(url, headers=TUS).status_code == 403
    assert staged(upload).read_bytes() == b""

    assert patch(client, url, b"01234", 0, **{"X-CSRFToken": token}).status_code == 204
    assert staged(upload).read_bytes() == b"01234"
    assert head(client, url).status_code == 200  # HEAD is safe: no token needed


def test_only_one_patch_at_a_time_per_upload(client, entry):
    """A PATCH holds an exclusive lock on the staging file; a second one meanwhile gets 423 and writes nothing."""
    upload, url = started(client, entry, b"0123456789")
    fd = os.open(staged(upload), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a PATCH in progress holds it
        response = patch(client, url, b"01234", 0)
        assert response.status_code == 423
        assert client.delete(url, headers=TUS).status_code == 423
        assert staged(upload).read_bytes() == b""
    finally:
        os.close(fd)
    assert patch(client, url, b"01234", 0).status_code == 204


def test_a_new_video_in_a_slot_replaces_the_old_one(client, entry, django_capture_on_commit_callbacks):
    first, url = started(client, entry, b"old video")
    assert patch(client, url, b"old video", 0).status_code == 204
    old = VideoFile.objects.get()
    old_path = stored_path(old)
    second, url = started(client, entry, b"the new video")
    with django_capture_on_commit_callbacks(execute=True):  # the old files' removal, and the (eager) pipeline
        assert patch(client, url, b"the new video", 0).status_code == 204
    video = VideoFile.objects.get()
    assert video.pk != old.pk
    assert stored_path(video).read_bytes() == b"the new video"  # the original is never modified
    assert video.status == VideoStatus.FAILED  # not a video: the pipeline says so instead of failing the upload
    assert not old_path.exists()
    assert not default_storage.exists(old.file.name)


def test_the_filename_in_metadata_is_cleaned_and_gives_the_stored_extension(client, entry):
    upload, url = started(client, entry, b"abc", filename="../../etc/剧集\u202e4pm.MKV")
    assert patch(client, url, b"abc", 0).status_code == 204
    video = VideoFile.objects.get()
    assert "/" not in video.original_name and "\u202e" not in video.original_name
    assert video.file.name.endswith(".mkv")


def test_creation_also_answers_without_the_trailing_slash(client, db):
    """APPEND_SLASH cannot redirect a POST; a hand-configured client without the slash must not get a 500."""
    response = client.options("/uploads/tus")
    assert response.status_code == 204 and response["Tus-Version"] == "1.0.0"
