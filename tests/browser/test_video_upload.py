"""An entrant uploads episodes in Chromium with the vendored tus-js-client: progress, pause and resume, a network
cut, a page reload mid-way; the slots show each processed video with its technical checks, and the preview plays.

Celery is eager in tests, so each video is processed inside the request that brings its last byte.
"""

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.test import Client

from submissions.models import Upload, VideoFile, VideoStatus
from tests.browser.test_entry_to_decision import sign_in
from tests.conftest import require_service
from tests.factories import UserFactory
from tests.submissions.support import make_unit, open_competition, work_entry
from tests.submissions.videos import write_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VENDOR = Path(settings.BASE_DIR) / "submissions/static/submissions/vendor"
CHUNK = 32 * 1024
THROTTLED = 96 * 1024  # bytes per second upwards: slow enough to pause, cut and reload mid-way


@pytest.fixture
def vendored():
    present = (VENDOR / "tus.min.js").is_file() and (VENDOR / "htmx.min.js").is_file()
    require_service(present, "tus-js-client and htmx in submissions/static/submissions/vendor (make install)")


def percent(page, slot):
    return page.eval_on_selector(f"#upload-{slot} [data-bar]", "bar => bar.value")


def wait_for_percent(page, slot, low, high=99, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = percent(page, slot)
        if low <= value <= high:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{slot} never got to {low}-{high} %; it is at {percent(page, slot)} %")


def throttle(cdp, *, offline=False, upload=THROTTLED):
    cdp.send("Network.emulateNetworkConditions", {
        "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": upload,
    })


def slot_text(page, slot):
    return page.inner_text(f"#video-slot-{slot}")


def wait_for_ready(page, slot, timeout=60):
    page.wait_for_function(
        """slot => { const el = document.getElementById("video-slot-" + slot);
                     return el && el.querySelector(".qc-report") && el.querySelector(".video-status-ready"); }""",
        arg=slot, timeout=timeout * 1000,
    )


def upload_episodes(page, base, entry_id, small, big, settings):
    # A file over the limit is refused in the browser, before anything is sent.
    limit = settings.TUS_MAX_SIZE
    settings.TUS_MAX_SIZE = 50_000
    page.goto(f"{base}/entries/{entry_id}/edit/videos/")
    page.set_input_files("#video-file-episode-3", str(small))
    refusal = page.inner_text("#upload-episode-3 [data-message]").replace("\u00a0", " ")
    assert refusal == "“第1集.mp4” is 65.8 KB; a video may be at most 48.8 KB."
    assert page.is_hidden("#upload-episode-3 [data-progress]")
    settings.TUS_MAX_SIZE = limit
    page.reload()
    assert "Still needed: Trailer, Episode 1, Episode 2, Episode 3" in page.inner_text("#video-slots")

    # One small vertical episode: the bar reaches 100 %, the slot then shows the processed video and its report.
    page.set_input_files("#video-file-episode-1", str(small))
    page.wait_for_selector("[data-overall] >> text=All uploads are complete.")
    assert percent(page, "episode-1") == 100
    assert page.inner_text("[data-overall-percent]").replace("\u00a0", "") == "100%"
    wait_for_ready(page, "episode-1")
    first = slot_text(page, "episode-1")
    assert "第1集.mp4" in first and "Ready" in first and "0:03" in first and "360×640" in first
    assert "Episode 1 lasts 3 s; episodes must last from 30 s to 15 min." in first
    assert "Episode 1 is 360×640; at least 1080×1920 is required." in first
    assert page.locator("#video-slot-episode-1 img.video-poster").count() == 1
    # Nothing is processing any more, so the list has stopped polling.
    assert "every" not in page.get_attribute("#video-slots", "hx-trigger")

    # A larger episode over a slow line, sent in small pieces: pause, resume, a network cut, then a reload.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    throttle(cdp)
    page.set_input_files("#video-file-episode-2", str(big))
    wait_for_percent(page, "episode-2", 5, 40)
    page.click("#upload-episode-2 [data-action=pause]")
    page.wait_for_selector("#upload-episode-2 [data-action=resume]", state="visible")
    paused_at = percent(page, "episode-2")
    time.sleep(1.5)
    assert percent(page, "episode-2") == paused_at  # nothing is sent while paused
    assert "Paused at" in page.inner_text("#upload-episode-2 [data-detail]")
    page.click("#upload-episode-2 [data-action=resume]")
    wait_for_percent(page, "episode-2", paused_at + 3)

    throttle(cdp, offline=True)  # the connection drops mid-PATCH: tus-js-client retries by itself
    page.wait_for_function(
        """() => /connection|offline/i.test(document.querySelector("#upload-episode-2 [data-detail]").textContent)"""
    )
    cut_at = percent(page, "episode-2")
    time.sleep(1)
    throttle(cdp)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for_percent(page, "episode-2", cut_at + 3, 90)

    # Closing the page mid-way: after the reload the slot says so, and the same file continues where it stopped.
    page.reload()
    page.wait_for_selector("#upload-episode-2 [data-resume]", state="visible")
    hint = page.inner_text("#upload-episode-2 [data-resume]")
    assert "EP02.mp4" in hint and "Choose the same file again" in hint
    throttle(cdp, upload=-1)
    page.set_input_files("#video-file-episode-2", str(big))
    page.wait_for_selector("[data-overall] >> text=All uploads are complete.", timeout=60000)
    wait_for_ready(page, "episode-2")
    second = slot_text(page, "episode-2")
    assert "EP02.mp4" in second and "Episode 2 is 540×960; at least 1080×1920 is required." in second
    # Both are too small and too short for this unit: uploaded and shown, but not counted for submission.
    assert "This video does not count yet" in second
    assert "Still needed: Trailer, Episode 1, Episode 2, Episode 3" in page.inner_text("#video-slots")


def play_on_the_overview(page, base, entry_id):
    page.goto(f"{base}/entries/{entry_id}/")
    page.wait_for_function(
        "() => { const v = document.querySelector('video[data-player]'); return v && v.readyState >= 1; }",
        timeout=20000,
    )
    return page.evaluate(
        "() => { const v = document.querySelector('video[data-player]');"
        " return {duration: v.duration, width: v.videoWidth, height: v.videoHeight, src: v.currentSrc}; }"
    )


def test_an_entrant_uploads_episodes_and_watches_the_preview(live_server, chromium, tmp_path, settings, vendored):
    settings.TUS_CLIENT_CHUNK_SIZE = CHUNK
    small = write_video(tmp_path / "第1集.mp4", width=360, height=640, seconds=3, fps=10)
    big = write_video(tmp_path / "EP02.mp4", width=540, height=960, seconds=12, fps=25, crf=12, gop=5)
    assert big.stat().st_size > 20 * CHUNK, big.stat().st_size
    entrant = UserFactory(email="director@example.com")
    entry = work_entry(make_unit(open_competition(slug="lcp-videos")), owner=entrant, episode_count=3)

    with chromium() as browser:
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # "leave the page?" while an upload runs
        sign_in(page, live_server.url, entrant.email)
        upload_episodes(page, live_server.url, entry.pk, small, big, settings)
        player = play_on_the_overview(page, live_server.url, entry.pk)
        context.close()

    videos = {video.slot: video for video in VideoFile.objects.filter(entry=entry)}
    assert set(videos) == {"episode-1", "episode-2"}
    for slot, source in (("episode-1", small), ("episode-2", big)):
        video = videos[slot]
        assert video.status == VideoStatus.READY and video.uploaded_by == entrant
        assert video.original_name == source.name and video.size == source.stat().st_size
        with default_storage.open(video.file.name, "rb") as stored:
            assert stored.read() == source.read_bytes()  # resumed, cut and paused, yet byte for byte the file
        assert video.preview and video.poster and video.qc_checks
    # The reload resumed the upload that was there instead of starting another; the refused file never started.
    assert Upload.objects.filter(entry=entry, slot="episode-2").count() == 1
    assert not Upload.objects.filter(entry=entry, slot="episode-3").exists()

    first = videos["episode-1"]
    assert player["src"].endswith(f"/files/videos/{first.pk}/preview/")
    assert (player["width"], player["height"]) == (360, 640) and 2.5 < player["duration"] < 3.5
    client = Client()
    client.force_login(entrant)
    response = client.get(f"/files/videos/{first.pk}/preview/", HTTP_RANGE="bytes=0-1023")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-1023/{first.preview_size}"
    with default_storage.open(first.preview.name, "rb") as stored:
        assert b"".join(response.streaming_content) == stored.read(1024)
