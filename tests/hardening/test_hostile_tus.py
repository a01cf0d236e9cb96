"""The tus endpoint (submissions/tus.py) under hostile requests: malformed Upload-Metadata, impossible lengths and
offsets, wrong content types, bodies longer than declared, other people's and forged upload URLs, requests after
expiry, and non-video bytes that complete an upload.

Each refusal is checked for its status, its translated message, and what it leaves behind: Upload rows, staging
files, VideoFile rows and stored files.
"""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from submissions.models import Upload, VideoFile, VideoStatus
from tests.factories import EntryFactory, UserFactory
from tests.hardening import corpus
from tests.submissions.tus_support import (
    CREATE_URL,
    OCTET,
    TUS,
    create,
    head,
    metadata,
    patch,
    staged,
    staged_files,
    upload_of,
)

pytestmark = pytest.mark.django_db


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


def stored_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_nothing_left():
    assert not Upload.objects.exists()
    assert staged_files() == []
    assert not VideoFile.objects.exists()
    assert stored_files() == []


def started(client, entry, length):
    response = create(client, entry, length)
    assert response.status_code == 201, response.content
    return upload_of(response), response["Location"]


# ------------------------------------------------------------------------------------------------ creation


@pytest.mark.parametrize("case", sorted(corpus.tus_metadata_cases(1)))
def test_malformed_upload_metadata_is_refused_and_creates_nothing(client, entry, case):
    header, status, message = corpus.tus_metadata_cases(entry.pk)[case]
    response = client.post(CREATE_URL, headers={**TUS, "Upload-Length": "100", "Upload-Metadata": header})
    assert response.status_code == status, response.content
    assert response.content.decode() == message
    assert response["Tus-Resumable"] == "1.0.0" and "Location" not in response
    assert_nothing_left()


@pytest.mark.parametrize("case", sorted(corpus.UPLOAD_LENGTH_CASES))
def test_impossible_upload_lengths_are_refused(client, entry, case):
    length, status, message = corpus.UPLOAD_LENGTH_CASES[case]
    response = create(client, entry, length)
    assert response.status_code == status, response.content
    assert response.content.decode().startswith(message)
    assert_nothing_left()


def test_a_length_above_tus_max_size_is_413_with_the_limit(client, entry, settings):
    settings.TUS_MAX_SIZE = 1000
    response = create(client, entry, 1001)
    assert response.status_code == 413
    assert response.content.decode() == f"The file is larger than the limit of {filesizeformat(1000)} per file."
    assert_nothing_left()


def test_a_length_above_the_entrys_quota_is_413(client, entry, settings):
    settings.ENTRY_VIDEO_QUOTA_BYTES = 500
    response = create(client, entry, 501)
    assert response.status_code == 413
    assert "does not fit in the entry's remaining video space" in response.content.decode()
    assert_nothing_left()


def test_deferred_length_is_refused(client, entry):
    response = client.post(
        CREATE_URL,
        headers={**TUS, "Upload-Defer-Length": "1", "Upload-Metadata": metadata(entry=entry.pk, slot="episode-1")},
    )
    assert response.status_code == 400
    assert response.content.decode() == "Upload-Defer-Length is not supported: give Upload-Length."
    assert_nothing_left()


def test_the_filename_in_metadata_is_stored_cleaned(client, entry):
    hostile = "../../etc/\u202epasswd\x07.mp4" + "长" * 300
    response = client.post(
        CREATE_URL,
        headers={
            **TUS,
            "Upload-Length": "10",
            "Upload-Metadata": f"entry {corpus.b64(str(entry.pk))},slot {corpus.b64('episode-1')},"
            f"filename {corpus.b64(hostile[:900])}",
        },
    )
    assert response.status_code == 201
    upload = upload_of(response)
    assert "/" not in upload.filename and "\\" not in upload.filename
    assert "\x07" not in upload.filename and "\u202e" not in upload.filename
    assert 0 < len(upload.filename) <= 200
    assert staged_files() == [str(upload.pk)]


# ------------------------------------------------------------------------------------------------ PATCH


@pytest.mark.parametrize("case", sorted(corpus.UPLOAD_OFFSET_CASES))
def test_a_wrong_upload_offset_is_refused_and_keeps_the_bytes_so_far(client, entry, case):
    value, status = corpus.UPLOAD_OFFSET_CASES[case]
    upload, url = started(client, entry, 10)
    assert patch(client, url, b"0123", 0).status_code == 204
    response = patch(client, url, b"4567", value)
    assert response.status_code == status, response.content
    if status == 409:
        assert response.content.decode() == f"Upload-Offset {value} does not match the upload's offset 4."
        assert response["Upload-Offset"] == "4"
    else:
        assert response.content.decode() == "Upload-Offset is missing or is not a whole number of bytes."
    assert staged(upload).read_bytes() == b"0123"
    assert head(client, url)["Upload-Offset"] == "4"
    assert not VideoFile.objects.exists()


@pytest.mark.parametrize("content_type", ["application/octet-stream", "multipart/form-data; boundary=x", "text/html"])
def test_a_patch_with_the_wrong_content_type_is_415_and_writes_nothing(client, entry, content_type):
    upload, url = started(client, entry, 10)
    response = client.patch(url, b"0123", content_type=content_type, headers={**TUS, "Upload-Offset": "0"})
    assert response.status_code == 415
    assert response.content.decode() == f"A PATCH must have Content-Type: {OCTET}."
    assert staged(upload).read_bytes() == b""


def test_a_chunk_beyond_the_declared_length_is_413_and_writes_nothing(client, entry):
    upload, url = started(client, entry, 10)
    assert patch(client, url, b"01234", 0).status_code == 204
    response = patch(client, url, b"56789-and-more", 5)
    assert response.status_code == 413
    assert response.content.decode() == "The request carries more bytes than the upload has left."
    assert staged(upload).read_bytes() == b"01234"
    assert not VideoFile.objects.exists()


def test_a_non_numeric_content_length_is_400(client, entry):
    upload, url = started(client, entry, 10)
    response = client.patch(url, b"0123", content_type=OCTET, headers={**TUS, "Upload-Offset": "0"},
                            CONTENT_LENGTH="four")
    assert response.status_code == 400
    assert response.content.decode() == "Content-Length is not a number."
    assert staged(upload).read_bytes() == b""


def test_a_wrong_tus_version_is_412(client, entry):
    response = client.post(CREATE_URL, headers={"Tus-Resumable": "0.2.2", "Upload-Length": "10"})
    assert response.status_code == 412
    assert response.content.decode() == "This server speaks tus version 1.0.0."
    assert_nothing_left()


# ------------------------------------------------------------------------------------------------ whose upload


def test_another_users_upload_url_is_404_and_untouched(client, entry):
    upload, url = started(client, entry, 10)
    assert patch(client, url, b"0123", 0).status_code == 204
    stranger = signed_in(UserFactory())
    assert head(stranger, url).status_code == 404  # a HEAD answer has no body
    for response in (patch(stranger, url, b"4567", 4), stranger.delete(url, headers=TUS)):
        assert response.status_code == 404
        assert response.content.decode() == "There is no such upload."
    assert staged(upload).read_bytes() == b"0123"
    assert Upload.objects.filter(pk=upload.pk).exists()


@pytest.mark.parametrize("forged", [str(uuid.uuid4()), "00000000-0000-0000-0000-000000000000"])
def test_a_forged_upload_id_is_404(client, entry, forged):
    url = reverse("submissions:tus_upload", args=[forged])
    assert head(client, url).status_code == 404
    response = patch(client, url, b"0123", 0)
    assert response.status_code == 404
    assert response.content.decode() == "There is no such upload."
    assert_nothing_left()


@pytest.mark.parametrize("path", ["/uploads/tus/../../etc/passwd", "/uploads/tus/not-a-uuid",
                                  "/uploads/tus/%2e%2e%2fetc%2fpasswd"])
def test_a_path_that_is_not_an_upload_id_is_404(client, entry, path):
    response = patch(client, path, b"0123", 0)
    assert response.status_code == 404
    assert_nothing_left()


def test_head_and_patch_after_expiry_are_410_then_404_and_the_bytes_are_gone(client, entry, charlie):
    upload, url = started(client, entry, 10)
    assert patch(client, url, b"01234", 0).status_code == 204
    with time_machine.travel(timezone.now() + timedelta(hours=settings.UPLOAD_EXPIRE_HOURS, seconds=1)):
        late = signed_in(charlie)
        response = patch(late, url, b"56789", 5)
        assert response.status_code == 410
        assert response.content.decode() == "This upload has expired; please start it again."
        assert_nothing_left()
        assert head(late, url).status_code == 404


# ------------------------------------------------------------------------------------------------ bad bytes


@pytest.mark.parametrize("kind", sorted(corpus.VIDEO_KINDS))
def test_non_video_bytes_that_complete_an_upload_end_failed_with_a_clear_message(
    client, entry, kind, django_capture_on_commit_callbacks
):
    hostile = corpus.VIDEO_KINDS[kind]()
    upload, url = started(client, entry, len(hostile.data))
    with django_capture_on_commit_callbacks(execute=True):
        response = patch(client, url, hostile.data, 0)
    assert response.status_code == 204
    assert response["Upload-Offset"] == str(len(hostile.data))
    video = VideoFile.objects.get(entry=entry, slot="episode-1")
    assert video.status == VideoStatus.FAILED
    assert video.error in {"not_video", "no_video_stream", "undecodable", "truncated"}
    assert not video.preview and not video.poster and not video.thumbnails
    assert staged_files() == []  # the staging file became the stored original (kept for the organizers)
    assert stored_files() == [video.file.name]
    page = client.get(reverse("submissions:entry_step", args=[entry.pk, "videos"])).content.decode()
    messages = {
        "not_video": "the file is not a video the portal can read (judged by its content, not its name).",
        "no_video_stream": "the file contains no picture, only sound or nothing at all.",
        "undecodable": "the picture cannot be decoded; the file may be damaged.",
        "truncated": "",
    }
    assert messages[video.error] in page
