"""The video pages: the entrant's "Videos" step and its live partial, removal, and the organizer's video list."""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.models import Role
from submissions import videos as video_rules
from submissions.models import CoOwner, Entry, EntryStatus, QCLevel, VideoFile, VideoStatus
from tests.factories import CompetitionFactory, EntryFactory, RoleFactory, UnitFactory, UserFactory
from tests.submissions.entrant_support import require_default_materials, step_url, story_track


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def entry(competition, unit, charlie):
    require_default_materials(competition)  # the finished-work track requires a trailer and the episodes
    return EntryFactory(unit=unit, owner=charlie, episode_count=3, title="追光之作", title_en="Chasing Light")


def make_video(entry, slot, status=VideoStatus.READY, qc_level="", qc_checks=None, **fields):
    kind, episode = video_rules.parse_slot(slot)
    video = VideoFile.objects.create(
        entry=entry, slot=slot, episode=episode, file=ContentFile(b"original bytes", name="original.mp4"),
        original_name=fields.pop("original_name", f"{slot}.mp4"), size=fields.pop("size", 14), status=status,
        qc_level=qc_level, qc_checks=qc_checks or [], stage_started_at=fields.pop("stage_started_at", timezone.now()),
        **fields,
    )
    if status == VideoStatus.READY:
        video.preview = ContentFile(b"preview bytes", name="preview.mp4")
        video.poster = ContentFile(b"\xff\xd8poster", name="poster.jpg")
        video.save()
    return video


def status_url(entry):
    return reverse("submissions:video_status", args=[entry.pk])


def delete_url(video):
    return reverse("submissions:video_delete", args=[video.entry_id, video.pk])


def videos_url(competition, **query):
    url = reverse("submissions:organizer_videos", args=[competition.slug])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def retry_url(video):
    return reverse("submissions:organizer_video_retry", args=[video.entry.competition.slug, video.pk])


def lock(entry):
    entry.unit.closes_at = timezone.now() - timedelta(minutes=1)
    entry.unit.save()


def slot_html(html, slot):
    """One slot's part of the page: from its <li> to the next slot or the end of its group."""
    rest = html.split(f'id="video-slot-{slot}"')[1]
    return re.split(r'<li class="video-slot|</section>', rest)[0]


def html_of(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# ------------------------------------------------------------------------------------------- the videos step


def test_the_videos_step_sits_between_materials_and_declarations_for_finished_works(client, entry, charlie):
    client.force_login(charlie)
    html = html_of(client.get(step_url(entry, "videos")))
    steps = re.findall(r'href="/entries/\d+/edit/([a-z]+)/"', html)
    assert steps.index("materials") + 1 == steps.index("videos") == steps.index("declarations") - 1
    # One slot per episode 1..N, the trailer and the full-length version, each with a drop zone and a file button.
    for slot in ("episode-1", "episode-2", "episode-3", "trailer", "full"):
        assert f'id="video-slot-{slot}"' in html
        assert re.search(rf'<input type="file" id="video-file-{slot}"[^>]*accept="video/\*"', html)
        assert f'id="upload-{slot}" hx-preserve="true" data-slot="{slot}"' in html
    assert 'id="video-slot-episode-4"' not in html
    assert "Still needed:</strong> Trailer, Episode 1, Episode 2, Episode 3" in html
    # What the script needs comes from the page: the tus endpoint, the limit, the CSRF token and every sentence.
    assert f'data-endpoint="{reverse("submissions:tus_create")}"' in html
    assert 'data-max-size="10737418240"' in html
    assert re.search(r'data-csrf="[A-Za-z0-9]{32,}"', html)
    assert 'data-msg-too-large="“{name}” is {size}; a video may be at most 10.0\xa0GB."' in html
    for script in ("vendor/htmx.min.js", "vendor/tus.min.js", "js/video-upload.js"):
        assert f'src="/static/submissions/{script}"' in html
    assert "<script>" not in html and " style=" not in html  # strict CSP: no inline script or style


def test_the_step_explains_that_episodes_need_their_number_first(client, entry, charlie):
    Entry.objects.filter(pk=entry.pk).update(episode_count=None)
    client.force_login(charlie)
    html = html_of(client.get(step_url(entry, "videos")))
    assert "Give the number of episodes in the Details step first" in html
    assert 'id="video-slot-episode-1"' not in html
    assert 'id="video-slot-trailer"' in html and 'id="video-slot-full"' in html


def test_stories_have_no_videos_step(client, competition, unit, charlie):
    story = EntryFactory(unit=unit, owner=charlie, track=story_track(competition))
    client.force_login(charlie)
    assert client.get(step_url(story, "videos")).status_code == 404
    assert "/edit/videos/" not in html_of(client.get(step_url(story, "basics")))


def test_the_step_shows_each_video_with_its_stage_size_and_remove_button(client, entry, charlie):
    make_video(entry, "episode-1", size=123 * 1024 * 1024, original_name="第1集 终剪.mp4",
               probe={"duration": 95.4, "display_width": 1080, "display_height": 1920})
    make_video(entry, "episode-2", status=VideoStatus.TRANSCODING)
    make_video(entry, "trailer", status=VideoStatus.FAILED, error="not_video", qc_level=QCLevel.FAIL,
               qc_checks=[{"rule": "file", "level": "fail", "params": {"error": "not_video"}}])
    client.force_login(charlie)
    html = html_of(client.get(step_url(entry, "videos")))
    slot = slot_html(html, "episode-1")
    assert "第1集 终剪.mp4" in slot and "123.0\xa0MB" in slot and "1:35" in slot and "1080×1920" in slot
    assert ">Ready<" in slot
    assert reverse("submissions:video_poster", args=[entry.videos.get(slot="episode-1").pk]) in slot
    assert f'action="{delete_url(entry.videos.get(slot="episode-1"))}"' in slot
    processing = slot_html(html, "episode-2")
    assert "Making the web preview" in processing and 'class="stage-meter"' in processing
    failed = slot_html(html, "trailer")
    assert "Could not be processed" in failed and "not_video" not in failed  # the code is for organizers
    assert "The trailer: the file is not a video the portal can read (judged by its content, not its name)." in failed
    assert "This video does not count yet" in failed
    assert "Still needed:</strong> Trailer, Episode 3" in html


LANDSCAPE_CHECKS = [
    {"rule": "file", "level": "pass", "params": {"error": ""}},
    {"rule": "aspect", "level": "fail", "params": {
        "width": 1920, "height": 1080, "orientation": "horizontal", "required": "vertical", "required_ratio": "9:16"}},
    {"rule": "audio", "level": "pass", "params": {"codec": "aac"}},
    {"rule": "loudness", "level": "warn", "params": {"lufs": -30.2, "min": -24.0, "max": -14.0}},
]


def test_the_technical_check_report_is_in_plain_language_worst_first(client, entry, charlie, alice):
    make_video(entry, "episode-3", qc_level=QCLevel.FAIL, qc_checks=LANDSCAPE_CHECKS)
    client.force_login(charlie)
    html = html_of(client.get(step_url(entry, "videos")))
    slot = slot_html(html, "episode-3")
    fail = "Episode 3 is 1920×1080 landscape; this unit requires vertical 9:16."
    warn = "Episode 3 is too quiet: -30.2 LUFS; between -24 and -14 LUFS is expected."
    passed = "Episode 3 has a sound track."
    assert slot.index(fail) < slot.index(warn) < slot.index(passed)
    assert "1 failed check" in slot and "1 warning" in slot and "2 checks passed" in slot
    assert "qc-line-fail" in slot and "qc-badge-fail" in slot
    assert "This video does not count yet" in slot  # a failed check leaves the episode missing
    assert "Still needed:</strong> Trailer, Episode 1, Episode 2, Episode 3" in html

    client.force_login(alice)
    detail = html_of(client.get(
        reverse("submissions:organizer_entry_detail", args=[entry.competition.slug, entry.pk])
    ))
    assert fail in detail and warn in detail
    listing = html_of(client.get(videos_url(entry.competition, show="qc_fail")))
    assert fail in listing


def test_a_locked_entry_shows_its_videos_read_only_with_the_reason(client, entry, charlie):
    make_video(entry, "episode-1")
    lock(entry)
    client.force_login(charlie)
    html = html_of(client.get(step_url(entry, "videos")))
    assert "The deadline for this unit has passed; the entry is locked." in html
    assert "episode-1.mp4" in html
    assert 'type="file"' not in html and "data-video-uploads" not in html and "video-upload.js" not in html
    assert "/delete/" not in html and ">Remove<" not in html
    assert 'src="/static/submissions/vendor/htmx.min.js"' in html  # the list still updates itself


def test_posting_to_the_videos_step_is_not_allowed(client, entry, charlie):
    client.force_login(charlie)
    assert client.post(step_url(entry, "videos"), {"action": "save"}).status_code == 405


# ------------------------------------------------------------------------------------------- the live partial


def test_the_partial_polls_only_while_a_video_is_being_processed(client, entry, charlie):
    client.force_login(charlie)
    video = make_video(entry, "episode-1", status=VideoStatus.CHECKING)
    response = client.get(status_url(entry), HTTP_HX_REQUEST="true")
    html = html_of(response)
    assert not html.lstrip().startswith("<!DOCTYPE")  # the list alone, for htmx to swap in
    assert html.lstrip().startswith('<div id="video-slots"')
    assert f'hx-get="{status_url(entry)}"' in html
    assert 'hx-trigger="every 3s, videos-changed from:body"' in html
    assert 'hx-swap="outerHTML"' in html
    assert "Technical checks" in html
    assert response["Cache-Control"] == "private, no-store"

    VideoFile.objects.filter(pk=video.pk).update(status=VideoStatus.READY)
    html = html_of(client.get(status_url(entry), HTTP_HX_REQUEST="true"))
    assert "every 3s" not in html
    assert 'hx-trigger="videos-changed from:body"' in html  # a finished upload still refreshes it
    VideoFile.objects.filter(pk=video.pk).update(status=VideoStatus.FAILED)
    assert "every 3s" not in html_of(client.get(status_url(entry)))


def test_the_step_page_starts_polling_when_something_is_processing(client, entry, charlie):
    client.force_login(charlie)
    assert "every 3s" not in html_of(client.get(step_url(entry, "videos")))
    make_video(entry, "full", status=VideoStatus.UPLOADED)
    html = html_of(client.get(step_url(entry, "videos")))
    assert 'hx-trigger="every 3s, videos-changed from:body"' in html
    assert "Uploaded, waiting" in html


def test_organizer_and_overview_lists_refresh_themselves_only_while_processing(client, entry, charlie, alice):
    video = make_video(entry, "episode-1", status=VideoStatus.TRANSCODING)
    overview = reverse("submissions:entry_overview", args=[entry.pk])
    detail = reverse("submissions:organizer_entry_detail", args=[entry.competition.slug, entry.pk])
    listing = videos_url(entry.competition, show="processing")
    pages = [(charlie, overview, "video-rows"), (alice, detail, "video-rows"), (alice, listing, "video-list")]
    for user, url, region in pages:
        client.force_login(user)
        html = html_of(client.get(url))
        assert f'id="{region}" hx-get="{url}" hx-trigger="every 5s" hx-select="#{region}" hx-swap="outerHTML"' in html
        assert "vendor/htmx.min.js" in html
    VideoFile.objects.filter(pk=video.pk).update(status=VideoStatus.READY)
    for user, url, region in pages:
        client.force_login(user)
        html = html_of(client.get(url.replace("show=processing", "")))
        assert f'id="{region}"' in html and "hx-trigger" not in html and "htmx.min.js" not in html


# ------------------------------------------------------------------------------------------- removing


def test_the_owner_removes_a_video_and_its_files(client, entry, charlie, django_capture_on_commit_callbacks):
    video = make_video(entry, "episode-2")
    names = [video.file.name, video.preview.name, video.poster.name]
    client.force_login(charlie)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete_url(video))
    assert response.status_code == 302
    assert response["Location"] == step_url(entry, "videos") + "#video-slot-episode-2"
    assert not VideoFile.objects.filter(pk=video.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    html = html_of(client.get(response["Location"]))
    assert "The video of Episode 2 has been removed." in html


def test_removing_with_htmx_answers_the_refreshed_list(client, entry, charlie):
    keep = make_video(entry, "episode-1")
    gone = make_video(entry, "episode-2")
    client.force_login(charlie)
    response = client.post(delete_url(gone), HTTP_HX_REQUEST="true")
    html = html_of(response)
    assert html.lstrip().startswith('<div id="video-slots"')
    assert "The video of Episode 2 has been removed." in html
    assert delete_url(keep) in html and delete_url(gone) not in html
    assert list(entry.videos.values_list("slot", flat=True)) == ["episode-1"]


def test_a_coowner_may_remove_and_a_locked_entry_refuses(client, entry):
    partner = UserFactory()
    CoOwner.objects.create(entry=entry, email=partner.email, user=partner)
    first, second = make_video(entry, "episode-1"), make_video(entry, "episode-2")
    client.force_login(partner)
    assert client.post(delete_url(first)).status_code == 302
    assert not VideoFile.objects.filter(pk=first.pk).exists()
    lock(entry)
    response = client.post(delete_url(second), HTTP_HX_REQUEST="true")
    assert "The deadline for this unit has passed; the entry is locked." in html_of(response)
    assert VideoFile.objects.filter(pk=second.pk).exists()
    Entry.objects.filter(pk=entry.pk).update(status=EntryStatus.WITHDRAWN)
    client.post(delete_url(second))
    assert VideoFile.objects.filter(pk=second.pk).exists()


def test_removing_needs_post_and_the_video_of_that_entry(client, entry, unit, charlie):
    video = make_video(entry, "episode-1")
    mine_too = EntryFactory(unit=unit, owner=charlie, episode_count=3)
    client.force_login(charlie)
    assert client.get(delete_url(video)).status_code == 405
    wrong = reverse("submissions:video_delete", args=[mine_too.pk, video.pk])
    assert client.post(wrong).status_code == 404
    assert VideoFile.objects.filter(pk=video.pk).exists()


# ------------------------------------------------------------------------------------------- who sees what


def entrant_urls(entry, video):
    return [step_url(entry, "videos"), status_url(entry)]


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(client, entry, competition):
    video = make_video(entry, "episode-1")
    urls = entrant_urls(entry, video) + [
        reverse("submissions:video_preview", args=[video.pk]),
        reverse("submissions:video_poster", args=[video.pk]),
        reverse("submissions:video_thumbnails", args=[video.pk]),
        videos_url(competition),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    for url in (delete_url(video), retry_url(video)):
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    assert VideoFile.objects.filter(pk=video.pk, status=VideoStatus.READY).exists()


def test_htmx_is_told_to_reload_when_the_session_has_ended(client, entry):
    """htmx follows redirects: without this it would swap the sign-in page into the list."""
    video = make_video(entry, "episode-1", status=VideoStatus.CHECKING)
    for response in (client.get(status_url(entry), HTTP_HX_REQUEST="true"),
                     client.post(delete_url(video), HTTP_HX_REQUEST="true")):
        assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert VideoFile.objects.filter(pk=video.pk).exists()


@pytest.mark.parametrize("who", ["other_entrant", "bob", "alice", "dave"])
def test_only_entrants_of_the_entry_reach_its_video_step_partial_and_removal(client, entry, who, request):
    """Organizers see videos on their own pages; the entrant pages are 404 to them as to everyone else."""
    video = make_video(entry, "episode-1")
    user = UserFactory() if who == "other_entrant" else request.getfixturevalue(who)
    client.force_login(user)
    for url in entrant_urls(entry, video):
        assert client.get(url).status_code == 404, url
    assert client.post(delete_url(video)).status_code == 404
    assert VideoFile.objects.filter(pk=video.pk).exists()


def test_a_coowner_reaches_the_step_and_the_partial(client, entry):
    partner = UserFactory()
    CoOwner.objects.create(entry=entry, email=partner.email, user=partner)
    video = make_video(entry, "episode-1")
    client.force_login(partner)
    for url in entrant_urls(entry, video):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(("who", "status"), [("charlie", 404), ("bob", 404), ("dave", 404), ("alice", 200)])
def test_only_the_competitions_organizers_see_its_videos_page(client, entry, competition, who, status, request):
    make_video(entry, "episode-1")
    client.force_login(request.getfixturevalue(who))
    assert client.get(videos_url(competition)).status_code == status


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_only_the_competitions_organizers_may_retry(client, entry, who, request, monkeypatch):
    started = []
    monkeypatch.setattr(video_rules, "start_pipeline", started.append)
    video = make_video(entry, "episode-1", status=VideoStatus.FAILED, attempts=3)
    client.force_login(request.getfixturevalue(who))
    assert client.post(retry_url(video)).status_code == 404
    video.refresh_from_db()
    assert (video.status, video.attempts, started) == (VideoStatus.FAILED, 3, [])


def test_an_organizer_of_another_competition_cannot_reach_a_video_through_their_own(client, entry, dave):
    video = make_video(entry, "episode-1", status=VideoStatus.FAILED)
    client.force_login(dave)
    url = reverse("submissions:organizer_video_retry", args=["other-competition", video.pk])
    assert client.post(url).status_code == 404
    assert VideoFile.objects.get(pk=video.pk).status == VideoStatus.FAILED


# ------------------------------------------------------------------------------------------- the organizer's list


@pytest.fixture
def mixed(entry, unit):
    """One video in each state that the filters pick out, in two entries."""
    other = EntryFactory(unit=unit, episode_count=2, title="第二部")
    Entry.objects.filter(pk=other.pk).update(status=EntryStatus.SUBMITTED, sequence=7, number="LCP2026-0007")
    long_ago = timezone.now() - timedelta(hours=2)
    return {
        "ready": make_video(entry, "episode-1", qc_level=QCLevel.PASS),
        "processing": make_video(entry, "episode-2", status=VideoStatus.PROBING),
        "stalled": make_video(other, "episode-1", status=VideoStatus.TRANSCODING, stage_started_at=long_ago,
                              qc_level=QCLevel.PASS),
        "failed": make_video(
            other, "trailer", status=VideoStatus.FAILED, error="stalled", attempts=2, qc_level=QCLevel.FAIL,
            probe={"ok": True, "duration": 40.0},
            qc_checks=[{"rule": "audio", "level": "pass", "params": {}},
                       {"rule": "processing", "level": "fail", "params": {"error": "stalled", "attempts": 3}}],
        ),
        "qc_fail": make_video(other, "episode-2", qc_level=QCLevel.FAIL),
    }


def rows(html):
    return set(re.findall(r'data-video="(\d+)"', html))


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("", {"ready", "processing", "stalled", "failed", "qc_fail"}),
        ("processing", {"processing", "stalled"}),
        ("stalled", {"stalled"}),
        ("failed", {"failed"}),
        ("qc_fail", {"qc_fail"}),
        ("nonsense", {"ready", "processing", "stalled", "failed", "qc_fail"}),
    ],
)
def test_the_filters_pick_out_processing_stalled_failed_and_failed_checks(
    client, alice, competition, mixed, show, expected
):
    client.force_login(alice)
    html = html_of(client.get(videos_url(competition, show=show) if show else videos_url(competition)))
    assert rows(html) == {str(mixed[name].pk) for name in expected}
    counts = re.findall(r'status-count-number">(\d+)</span>\s*<span class="status-count-label">([^<]+)<', html)
    assert {label: int(number) for number, label in counts} == {
        "All": 5, "Processing": 2, "Stalled": 1, "Failed": 1, "Failed checks": 1,
    }


def test_the_list_shows_entry_slot_status_size_and_retry_where_it_helps(client, alice, competition, mixed):
    client.force_login(alice)
    html = html_of(client.get(videos_url(competition)))
    assert "LCP2026-0007" in html and "第二部" in html and "追光之作" in html
    row = html.split(f'data-video="{mixed["failed"].pk}"')[1].split("</tr>")[0]
    assert "Trailer" in row and "Could not be processed" in row and "<code" in row and "stalled" in row
    assert "The trailer: processing got stuck and was stopped after 3 attempts." in row
    assert retry_url(mixed["failed"]) in row
    stalled = html.split(f'data-video="{mixed["stalled"].pk}"')[1].split("</tr>")[0]
    assert "stalled" in stalled and retry_url(mixed["stalled"]) in stalled
    for name in ("ready", "processing", "qc_fail"):
        assert retry_url(mixed[name]) not in html
    assert "14\xa0bytes" in row
    assert 'href="/console/c/lcp-test/videos/"' in html and 'aria-current="page">Videos<' in html.replace("\n", "")


def test_retry_restarts_a_failed_or_stalled_video_and_nothing_else(
    client, alice, competition, mixed, monkeypatch, django_capture_on_commit_callbacks
):
    started = []
    monkeypatch.setattr(video_rules, "start_pipeline", started.append)
    client.force_login(alice)
    back = videos_url(competition, show="failed")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url(mixed["failed"]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    failed = VideoFile.objects.get(pk=mixed["failed"].pk)
    assert (failed.status, failed.attempts, failed.error) == (VideoStatus.UPLOADED, 0, "")
    # The failure was recorded as a check: the checks run again (the probe, which worked, is kept).
    assert (failed.qc_level, failed.qc_checks, failed.probe["ok"]) == ("", [], True)
    assert failed.stage_started_at > timezone.now() - timedelta(minutes=1)
    assert started == [failed.pk]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(retry_url(mixed["stalled"]), {"next": "https://evil.example.com/"})
    assert started == [failed.pk, mixed["stalled"].pk]
    stalled = VideoFile.objects.get(pk=mixed["stalled"].pk)
    assert (stalled.status, stalled.qc_level) == (VideoStatus.UPLOADED, QCLevel.PASS)  # its checks stand

    for name in ("ready", "processing"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(retry_url(mixed[name]), {"next": "//evil.example.com/"})
        assert response["Location"] == videos_url(competition)
        assert VideoFile.objects.get(pk=mixed[name].pk).status == mixed[name].status
    assert len(started) == 2
    html = html_of(client.get(videos_url(competition)))
    assert "is still being processed; it can be restarted if it stalls." in html


def test_the_list_is_paginated(client, alice, competition, unit):
    many = EntryFactory(unit=unit, episode_count=60)
    for number in range(1, 56):
        make_video(many, f"episode-{number}", status=VideoStatus.FAILED)
    client.force_login(alice)
    first = html_of(client.get(videos_url(competition, show="failed")))
    assert len(rows(first)) == 50 and "Page 1 of 2" in first
    assert 'href="?show=failed&amp;page=2"' in first
    second = html_of(client.get(videos_url(competition, show="failed", page=2)))
    assert len(rows(second)) == 5 and not rows(first) & rows(second)


def test_a_competition_without_videos_says_so(client, alice, competition):
    client.force_login(alice)
    assert "No videos yet" in html_of(client.get(videos_url(competition)))
    assert "No video is in this state." in html_of(client.get(videos_url(competition, show="stalled")))


def test_videos_of_other_competitions_are_not_listed(client, alice, competition, entry):
    other_competition = CompetitionFactory()
    RoleFactory(competition=other_competition, user=alice, role=Role.ORGANIZER)
    elsewhere = make_video(EntryFactory(unit=UnitFactory(competition=other_competition), episode_count=1), "episode-1")
    mine = make_video(entry, "episode-1")
    client.force_login(alice)
    assert rows(html_of(client.get(videos_url(competition)))) == {str(mine.pk)}
    assert rows(html_of(client.get(videos_url(other_competition)))) == {str(elsewhere.pk)}


# ------------------------------------------------------------------------------------------- players


def test_the_overview_and_the_organizers_entry_page_have_a_player(client, entry, charlie, alice):
    ready = make_video(entry, "episode-1")
    make_video(entry, "episode-2", status=VideoStatus.THUMBNAILS)
    preview = reverse("submissions:video_preview", args=[ready.pk])
    poster = reverse("submissions:video_poster", args=[ready.pk])
    client.force_login(charlie)
    overview = html_of(client.get(reverse("submissions:entry_overview", args=[entry.pk])))
    client.force_login(alice)
    entry_detail = html_of(client.get(
        reverse("submissions:organizer_entry_detail", args=[entry.competition.slug, entry.pk])
    ))
    for html in (overview, entry_detail):
        assert f'<video controls preload="metadata" playsinline src="{preview}" poster="{poster}"' in html
        assert "Making thumbnails" in html  # the one still in the pipeline is listed with its stage
        assert 'src="/static/submissions/js/video-player.js"' in html


# ------------------------------------------------------------------------------------------- queries


def count_queries(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def add_videos(entry, slots):
    for slot in slots:
        make_video(entry, slot, status=VideoStatus.READY if slot.endswith(("1", "3", "5")) else VideoStatus.CHECKING)


@pytest.mark.parametrize("page", ["step", "partial", "overview"])
def test_entrant_video_pages_are_flat_as_videos_grow(client, entry, charlie, page):
    Entry.objects.filter(pk=entry.pk).update(episode_count=12)
    entry.refresh_from_db()
    url = {
        "step": step_url(entry, "videos"),
        "partial": status_url(entry),
        "overview": reverse("submissions:entry_overview", args=[entry.pk]),
    }[page]
    client.force_login(charlie)
    client.get(url)
    add_videos(entry, ["episode-1", "episode-2"])
    first, html = count_queries(client, url)
    add_videos(entry, ["episode-3", "episode-4", "episode-5", "episode-6", "trailer", "full"])
    second, html = count_queries(client, url)
    assert "full.mp4" in html and "episode-6.mp4" in html
    assert first == second, f"{first} queries with 2 videos, {second} with 8"


def test_the_organizers_video_list_is_flat_as_videos_grow(client, alice, competition, unit):
    client.force_login(alice)
    url = videos_url(competition)
    client.get(url)

    def add(n):
        for _index in range(n):
            add_videos(EntryFactory(unit=unit, episode_count=3), ["episode-1", "episode-2", "trailer"])

    add(1)
    first, html = count_queries(client, url)
    add(4)
    second, html = count_queries(client, url)
    assert len(rows(html)) == 15
    assert first == second, f"{first} queries with 3 videos, {second} with 15"
