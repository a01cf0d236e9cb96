"""A tus upload cut mid-request by a web server killed with SIGKILL, resumed after a new server starts: the
stored video is byte-for-byte the source and registered once.

The staging file is the truth about the offset (submissions/tus.py), so what the killed process wrote before
it died is kept, and the client resumes from there after asking the new server with HEAD.
"""

import base64
import hashlib
import socket
import time
from pathlib import Path

import av
import pytest
from django.conf import settings
from tusclient import client as tus_client

from submissions.models import Upload, VideoFile
from tests.factories import EntryFactory
from tests.submissions.tus_support import signed_in_headers
from tests.submissions.videos import write_video

pytestmark = pytest.mark.django_db(transaction=True)

TUS = {"Tus-Resumable": "1.0.0"}


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def metadata(**values):
    return ",".join(f"{key} {base64.b64encode(str(value).encode()).decode()}" for key, value in values.items())


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.02)
    raise AssertionError(f"{what} not within {timeout} s")


def test_an_upload_cut_by_a_killed_server_resumes_on_a_new_one_with_identical_bytes(
    web_server, unit, charlie, tmp_path
):
    entry = EntryFactory(unit=unit, owner=charlie)
    source = write_video(tmp_path / "第一集.mp4", width=360, height=640, seconds=4, fps=12, crf=18)
    data = source.read_bytes()
    length = len(data)
    headers = signed_in_headers(charlie)

    created = web_server.request(
        "POST", "/uploads/tus/",
        headers={**TUS, **headers, "Upload-Length": str(length),
                 "Upload-Metadata": metadata(entry=entry.pk, slot="episode-1", filename=source.name)},
    )
    assert created.status == 201, created.text
    url = created.headers["location"]
    path = url.removeprefix(web_server.base_url)
    staged = Path(settings.UPLOAD_STAGING_DIR) / path.rstrip("/").rsplit("/", 1)[-1]

    # A first chunk arrives whole.
    third = length // 3
    first = web_server.request(
        "PATCH", path, body=data[:third],
        headers={**TUS, **headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert (first.status, first.headers["upload-offset"]) == (204, str(third))

    # The second announces the rest, sends part of it, and the server dies while reading the body.
    cut = 2 * length // 3
    old_pids = web_server.pids()
    with socket.create_connection(("127.0.0.1", web_server.port)) as sock:
        request = (
            f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{web_server.port}\r\nTus-Resumable: 1.0.0\r\n"
            f"Upload-Offset: {third}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {length - third}\r\nCookie: {headers['Cookie']}\r\n"
            f"X-CSRFToken: {headers['X-CSRFToken']}\r\n\r\n"
        )
        sock.sendall(request.encode() + data[third:cut])
        wait_for(lambda: staged.stat().st_size == cut, 20, "the server writing the bytes it was sent")
        web_server.kill()
    assert staged.stat().st_size == cut  # what the dead process wrote is still there
    assert not VideoFile.objects.exists()
    assert Upload.objects.get().completed_at is None

    web_server.start()
    assert web_server.pids().isdisjoint(old_pids)  # a new server, not the old one
    head = web_server.request("HEAD", path, headers={**TUS, **headers})
    assert (head.status, head.headers["upload-offset"]) == (200, str(cut))

    # The tus project's own client resumes: it asks for the offset and sends the rest.
    resumed = tus_client.TusClient(f"{web_server.base_url}/uploads/tus/", headers=headers).uploader(
        str(source), url=url, chunk_size=32 * 1024,
        metadata={"entry": str(entry.pk), "slot": "episode-1", "filename": source.name},
    )
    assert resumed.offset == cut
    resumed.upload()

    video = VideoFile.objects.get()  # exactly one
    assert (video.entry_id, video.slot, video.size, video.original_name) == (entry.pk, "episode-1", length, source.name)
    stored = Path(settings.MEDIA_ROOT) / video.file.name
    assert sha256(stored) == sha256(source)
    upload = Upload.objects.get()
    assert upload.video_id == video.pk and upload.completed_at is not None and upload.offset == length
    assert not staged.exists()
    with av.open(str(stored)) as container:  # still the video it was
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.duration / av.time_base == pytest.approx(4, abs=0.2)

    # A client that lost the last response and sends the finished offset again gets the length, not a second video.
    again = web_server.request(
        "PATCH", path, body=b"",
        headers={**TUS, **headers, "Upload-Offset": str(length), "Content-Type": "application/offset+octet-stream"},
    )
    assert (again.status, again.headers["upload-offset"]) == (204, str(length))
    assert VideoFile.objects.count() == 1
