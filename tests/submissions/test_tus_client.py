"""Interoperability: the tus project's own Python client (tuspy) against the portal served by `live_server`.

Uploads in chunks, a connection cut in the middle of a request body, resuming with a fresh client, the way a
non-browser client signs in (README, "Uploading videos"), and a real video through the media pipeline (which runs
inline here: Celery is eager in the tests).
"""

import http.client
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError

from submissions.models import QCLevel, Upload, VideoFile, VideoStatus
from tests.factories import PASSWORD, EntryFactory
from tests.submissions.tus_support import (
    random_file,
    sha256,
    signed_in_headers,
    staged,
    staged_files,
    stored_path,
    tiny_video,
)

pytestmark = pytest.mark.django_db(transaction=True)

KIB = 1024
MIB = 1024 * KIB


@pytest.fixture(autouse=True)
def _staging(settings, tmp_path):
    settings.UPLOAD_STAGING_DIR = tmp_path / "uploads"


@pytest.fixture
def entry(unit, charlie):
    return EntryFactory(unit=unit, owner=charlie)


@pytest.fixture
def headers(charlie):
    return signed_in_headers(charlie)


def tus_endpoint(live_server):
    return f"{live_server.url}/uploads/tus/"


def uploader(live_server, headers, path, entry, slot="episode-1", chunk_size=512 * KIB, url=None):
    client = tus_client.TusClient(tus_endpoint(live_server), headers=headers)
    return client.uploader(
        str(path), url=url, chunk_size=chunk_size,
        metadata={"entry": str(entry.pk), "slot": slot, "filename": path.name},
    )


def test_tuspy_uploads_a_file_in_chunks_and_the_stored_video_is_identical(live_server, headers, entry, tmp_path):
    source = random_file(tmp_path / "第一集.mp4", 3 * MIB + 123)
    client = uploader(live_server, headers, source, entry, chunk_size=512 * KIB)
    client.upload()

    upload = Upload.objects.get()
    assert client.url == f"{live_server.url}/uploads/tus/{upload.pk}"
    assert upload.completed_at is not None and upload.offset == source.stat().st_size
    video = VideoFile.objects.get(entry=entry, slot="episode-1")
    assert upload.video_id == video.pk
    assert video.original_name == "第一集.mp4" and video.size == source.stat().st_size
    assert sha256(stored_path(video)) == sha256(source)
    assert staged_files() == []
    assert video.status == VideoStatus.FAILED  # random bytes: the pipeline ran and said it is no video
    assert client.get_offset() == source.stat().st_size  # HEAD after completion


def test_stop_part_way_then_resume_with_a_new_tuspy_client(live_server, headers, entry, tmp_path):
    source = random_file(tmp_path / "episode.mp4", 2 * MIB + 7)
    first = uploader(live_server, headers, source, entry, chunk_size=256 * KIB)
    for _ in range(3):
        first.upload_chunk()  # then the laptop goes to sleep
    assert first.offset == 768 * KIB
    assert not VideoFile.objects.exists()
    assert staged(Upload.objects.get()).stat().st_size == 768 * KIB

    second = uploader(live_server, headers, source, entry, chunk_size=256 * KIB, url=first.url)
    assert second.offset == 768 * KIB  # asked the server with HEAD
    second.upload()
    video = VideoFile.objects.get()
    assert sha256(stored_path(video)) == sha256(source)


def test_a_connection_cut_mid_body_keeps_what_arrived_and_tuspy_resumes_from_there(
    live_server, headers, entry, tmp_path
):
    source = random_file(tmp_path / "episode.mp4", 3 * MIB)
    data = source.read_bytes()
    url = uploader(live_server, headers, source, entry).create_url()
    path = urlsplit(url).path

    # One PATCH announcing 2 MiB; 1 MiB + 4321 bytes go out, then the connection drops.
    address = urlsplit(live_server.url)
    sent = MIB + 4321
    with socket.create_connection((address.hostname, address.port)) as sock:
        request = (
            f"PATCH {path} HTTP/1.1\r\nHost: {address.netloc}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
            f"Content-Type: application/offset+octet-stream\r\nContent-Length: {2 * MIB}\r\n"
            f"Cookie: {headers['Cookie']}\r\nX-CSRFToken: {headers['X-CSRFToken']}\r\n\r\n"
        )
        sock.sendall(request.encode() + data[:sent])

    offset = wait_for_offset(url, headers, sent)
    assert offset == sent  # every byte that arrived was kept
    assert not VideoFile.objects.exists()

    resumed = uploader(live_server, headers, source, entry, chunk_size=MIB, url=url)
    assert resumed.offset == sent
    resumed.upload()
    assert sha256(stored_path(VideoFile.objects.get())) == sha256(data)


def wait_for_offset(url, headers, expected, timeout=10):
    """HEAD until the server has finished with the cut request (it notices the closed connection)."""
    deadline = time.monotonic() + timeout
    offset = None
    while time.monotonic() < deadline:
        response = requests.head(url, headers={**headers, "Tus-Resumable": "1.0.0"}, timeout=5)
        offset = int(response.headers["Upload-Offset"])
        if offset == expected:
            break
        time.sleep(0.1)
    return offset


def test_a_patch_with_a_stale_offset_makes_tuspy_fail_without_damage(live_server, headers, entry, tmp_path):
    source = random_file(tmp_path / "episode.mp4", MIB)
    client = uploader(live_server, headers, source, entry, chunk_size=256 * KIB)
    client.upload_chunk()
    client.offset = 0  # a confused client
    with pytest.raises(Exception) as failure:
        client.upload_chunk()
    assert getattr(failure.value, "status_code", None) == 409
    assert staged(Upload.objects.get()).read_bytes() == source.read_bytes()[: 256 * KIB]


def test_without_a_session_tuspy_is_told_401(live_server, entry, tmp_path):
    source = random_file(tmp_path / "episode.mp4", 1000)
    with pytest.raises(TusCommunicationError) as failure:
        uploader(live_server, {}, source, entry).upload()
    assert failure.value.status_code == 401
    assert not Upload.objects.exists()


def test_the_readme_recipe_for_a_non_browser_client(live_server, charlie, entry, tmp_path):
    """Exactly what README, "Uploading videos", tells a script to do: sign in, then send the cookies and token."""
    session = requests.Session()
    session.get(f"{live_server.url}/accounts/login/")  # sets the csrftoken cookie
    response = session.post(
        f"{live_server.url}/accounts/login/",
        data={"login": charlie.email, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{live_server.url}/accounts/login/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text
    cookies = session.cookies.get_dict()
    headers = {
        "Cookie": f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}",
        "X-CSRFToken": cookies["csrftoken"],  # the token after signing in (Django rotates it then)
    }
    source = random_file(tmp_path / "trailer.mov", 700 * KIB)
    client = tus_client.TusClient(f"{live_server.url}/uploads/tus/", headers=headers)
    metadata = {"entry": str(entry.pk), "slot": "trailer", "filename": "trailer.mov"}
    client.uploader(str(source), chunk_size=256 * KIB, metadata=metadata).upload()
    video = VideoFile.objects.get(slot="trailer")
    assert video.uploaded_by == charlie
    assert sha256(stored_path(video)) == sha256(source)


def test_a_real_video_uploaded_with_tuspy_is_processed_to_the_end(live_server, headers, entry, tmp_path):
    source = tiny_video(tmp_path / "ep1.mp4", seconds=2)
    uploader(live_server, headers, source, entry, chunk_size=8 * KIB).upload()
    video = VideoFile.objects.get()
    assert sha256(stored_path(video)) == sha256(source)  # the original, untouched
    assert video.status == VideoStatus.READY, video.error
    assert video.probe  # PyAV read it
    assert video.qc_level == QCLevel.FAIL  # 108x192 is far below the 1080x1920 minimum: said, not hidden
    assert video.preview and video.poster


def test_http_client_sees_the_protocol_headers_on_a_real_server(live_server, headers, entry):
    """A plain HTTP look at the real server (not Django's test client): OPTIONS and the 412 answer."""
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("OPTIONS", "/uploads/tus/")
    response = connection.getresponse()
    response.read()
    assert response.status == 204
    assert response.getheader("Tus-Version") == "1.0.0"
    assert response.getheader("Tus-Extension") == "creation,termination,expiration"
    connection.request("POST", "/uploads/tus/", headers={**headers, "Upload-Length": "10"})
    response = connection.getresponse()
    response.read()
    assert (response.status, response.getheader("Tus-Version")) == (412, "1.0.0")
    connection.close()
