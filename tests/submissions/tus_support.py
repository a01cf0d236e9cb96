"""Helpers for the tus endpoint's tests: requests as a tus client sends them, and what they leave on disk."""

import base64
import hashlib
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

from submissions.models import Upload

TUS = {"Tus-Resumable": "1.0.0"}
OCTET = "application/offset+octet-stream"
CREATE_URL = "/uploads/tus/"


def metadata(**values):
    """An Upload-Metadata header: `key base64(value)` pairs, comma-separated."""
    return ",".join(f"{key} {base64.b64encode(str(value).encode()).decode()}" for key, value in values.items())


def create(client, entry, length, slot="episode-1", filename="第一集.mp4", **headers):
    entry_id = entry if isinstance(entry, (int, str)) else entry.pk
    return client.post(
        CREATE_URL,
        headers={
            **TUS,
            "Upload-Length": str(length),
            "Upload-Metadata": metadata(entry=entry_id, slot=slot, filename=filename),
            **headers,
        },
    )


def patch(client, url, data, offset, **headers):
    # CONTENT_TYPE also for an empty body, which Django's test client would otherwise send without one.
    return client.patch(
        url, data, content_type=OCTET, headers={**TUS, "Upload-Offset": str(offset), **headers}, CONTENT_TYPE=OCTET
    )


def head(client, url, **headers):
    return client.head(url, headers={**TUS, **headers})


def upload_url(upload):
    return reverse("submissions:tus_upload", args=[upload.pk])


def upload_of(response) -> Upload:
    return Upload.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def staging_dir() -> Path:
    return Path(settings.UPLOAD_STAGING_DIR)


def staged(upload) -> Path:
    return staging_dir() / str(upload.pk if isinstance(upload, Upload) else upload)


def staged_files():
    folder = staging_dir()
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def stored_path(video) -> Path:
    return Path(settings.MEDIA_ROOT) / video.file.name


def sha256(data_or_path):
    if isinstance(data_or_path, (bytes, bytearray)):
        return hashlib.sha256(data_or_path).hexdigest()
    digest = hashlib.sha256()
    with open(data_or_path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def signed_in_headers(user):
    """What a non-browser tus client sends: the session cookie, a CSRF cookie, and the same token in X-CSRFToken."""
    client = Client()
    client.force_login(user)
    token = secrets.token_hex(16)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={token}", "X-CSRFToken": token}


def random_file(path, size):
    with open(path, "wb") as out:
        out.write(os.urandom(size))
    return path


def tiny_video(path, seconds=2, width=108, height=192, fps=12):
    """A real H.264/AAC MP4 (vertical, grey frames getting lighter, a 440 Hz tone), made with PyAV."""
    import math
    import struct

    import av

    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=48000, layout="mono")
        for index in range(seconds * fps):
            frame = av.VideoFrame(width, height, "yuv420p")
            for number, plane in enumerate(frame.planes):
                plane.update(bytes([(16 + index * 9) % 235 if number == 0 else 128]) * plane.buffer_size)
            frame.pts = index
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        samples = 1024
        for index in range(seconds * 48000 // samples):
            frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
            tone = (int(6000 * math.sin(2 * math.pi * 440 * (index * samples + n) / 48000)) for n in range(samples))
            frame.planes[0].update(struct.pack(f"<{samples}h", *tone))
            frame.sample_rate = 48000
            frame.pts = index * samples
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return path
