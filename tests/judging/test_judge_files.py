"""An assigned entry's files for its judge: neutral names, allowed kinds only, scripts from a redacted copy,
video previews with Range, posters, and the watch endpoint. Everyone else gets 404."""

import io
import json
import logging
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from judging.models import WatchProgress
from submissions.models import VideoStatus
from tests.factories import AssignmentFactory, eligible_entry
from tests.judging.judge_support import (
    DOCX,
    PREVIEW,
    body,
    client_for,
    conflict,
    docx_bytes,
    make_document,
    make_image,
    make_video,
    other_competition_judge,
    other_round_judge,
    pdf_bytes,
)


@pytest.fixture
def files(assignment):
    entry = assignment.entry
    return {
        "poster": make_image(entry, "poster_vertical", original_name="charlie-poster.jpg"),
        "still": make_image(entry, "stills", original_name="charlie-still.jpg"),
        "script": make_document(entry, data=pdf_bytes("Charlie Secret"), original_name="charlie-script.pdf"),
        "form": make_document(entry, kind="entry_form", original_name="charlie-form.pdf"),
        "episode": make_video(entry, slot="episode-3", duration=100),
    }


def material_url(assignment, material, thumbnail=False):
    name = "judging:entry_material_thumbnail" if thumbnail else "judging:entry_material"
    return reverse(name, args=[assignment.round_id, assignment.entry_id, material.pk])


def video_url(assignment, video, what="preview"):
    name = {"preview": "judging:entry_video_preview", "poster": "judging:entry_video_poster", "watch": "judging:watch"}
    return reverse(name[what], args=[assignment.round_id, assignment.entry_id, video.pk])


def all_urls(assignment, files):
    return [
        material_url(assignment, files["poster"]),
        material_url(assignment, files["poster"], thumbnail=True),
        material_url(assignment, files["still"]),
        material_url(assignment, files["script"]),
        video_url(assignment, files["episode"]),
        video_url(assignment, files["episode"], "poster"),
    ]


# ------------------------------------------------------------------------------------------------- access


def test_anonymous_is_sent_to_sign_in(assignment, files):
    client = client_for()
    for url in all_urls(assignment, files):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], url
    response = client.post(video_url(assignment, files["episode"], "watch"), {"start": 0, "end": 5})
    assert response.status_code == 302


def test_everyone_but_the_assigned_judge_gets_404(assignment, files, charlie, dave, erin, competition):
    frank = other_round_judge(competition).judge
    gina = other_competition_judge().judge
    watch = video_url(assignment, files["episode"], "watch")
    for user in (charlie, dave, erin, frank, gina):
        client = client_for(user)
        for url in all_urls(assignment, files):
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(watch, {"start": 0, "end": 5}).status_code == 404, user
    assert not WatchProgress.objects.exists()


@pytest.mark.parametrize("how", ["declared", "detected", "dropped"])
def test_conflicted_or_dropped_judges_get_404(assignment, files, bob, bob_membership, how):
    if how == "dropped":
        bob_membership.active = False
        bob_membership.save()
    else:
        conflict(bob, assignment.entry, source=how)
    client = client_for(bob)
    for url in all_urls(assignment, files):
        assert client.get(url).status_code == 404, url
    assert client.post(video_url(assignment, files["episode"], "watch"), {"start": 0, "end": 5}).status_code == 404


def test_the_entry_form_and_rights_letter_are_never_served_to_judges(assignment, files, bob):
    letter = make_document(assignment.entry, kind="rights_letter")
    client = client_for(bob)
    assert client.get(material_url(assignment, files["form"])).status_code == 404
    assert client.get(material_url(assignment, letter)).status_code == 404


def test_files_of_another_entry_are_404_under_this_entry(assignment, files, bob, unit, judging_round):
    other = AssignmentFactory(round=judging_round, entry=eligible_entry(unit), judge=bob)  # bob may see it
    poster = make_image(other.entry, "poster_vertical")
    video = make_video(other.entry, slot="episode-1")
    client = client_for(bob)
    # ... but not through charlie's entry's URL, and not charlie's files through the other entry's URL.
    assert client.get(material_url(assignment, poster)).status_code == 404
    assert client.get(video_url(assignment, video)).status_code == 404
    assert client.post(video_url(assignment, video, "watch"), {"start": 0, "end": 5}).status_code == 404
    assert client.get(material_url(other, files["poster"])).status_code == 404
    assert client.get(material_url(other, poster)).status_code == 200


def test_a_video_still_in_the_pipeline_is_404(assignment, bob):
    video = make_video(assignment.entry, slot="episode-1", status=VideoStatus.TRANSCODING)
    assert client_for(bob).get(video_url(assignment, video)).status_code == 404


# ------------------------------------------------------------------------------------------------- names, bytes


def test_files_go_out_under_neutral_names(assignment, files, bob):
    client = client_for(bob)
    number = assignment.entry.number
    expectations = [
        (material_url(assignment, files["poster"]), f'inline; filename="{number}-poster_vertical.jpg"', "image/jpeg"),
        (
            material_url(assignment, files["poster"], thumbnail=True),
            f'inline; filename="{number}-poster_vertical-thumbnail.webp"',
            "image/webp",
        ),
        (material_url(assignment, files["still"]), f'inline; filename="{number}-stills-{files["still"].pk}.jpg"', None),
        (material_url(assignment, files["script"]), f'attachment; filename="{number}-script.pdf"', "application/pdf"),
        (video_url(assignment, files["episode"]), f'inline; filename="{number}-episode-3-preview.mp4"', "video/mp4"),
        (video_url(assignment, files["episode"], "poster"), f'inline; filename="{number}-episode-3-poster.jpg"', None),
    ]
    for url, disposition, content_type in expectations:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"] == disposition
        assert response["X-Content-Type-Options"] == "nosniff"
        if content_type:
            assert response["Content-Type"] == content_type
        assert "charlie" not in response["Content-Disposition"].lower()


def test_the_preview_supports_range_requests(assignment, files, bob):
    response = client_for(bob).get(video_url(assignment, files["episode"]), HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(PREVIEW)}"
    assert body(response) == PREVIEW[100:200]


def test_the_script_pdf_is_served_redacted_and_cached(assignment, files, bob, monkeypatch):
    script = files["script"]
    client = client_for(bob)
    response = client.get(material_url(assignment, script))
    data = body(response)
    assert response.status_code == 200 and data.startswith(b"%PDF-")
    assert b"Charlie Secret" not in data
    reader = PdfReader(io.BytesIO(data))
    assert not reader.metadata or "/Author" not in reader.metadata
    assert len(reader.pages) == 2
    cached = script.file.name.replace(".pdf", ".redacted.pdf")
    assert default_storage.exists(cached)
    with default_storage.open(script.file.name, "rb") as handle:
        assert b"Charlie Secret" in handle.read()  # the original is untouched

    def never(*args, **kwargs):
        raise AssertionError("redacted again")

    monkeypatch.setattr("judging.views.judge_files.redact_document", never)
    assert body(client.get(material_url(assignment, script))) == data


def test_a_docx_script_is_served_redacted(assignment, bob):
    script = make_document(assignment.entry, data=docx_bytes("Charlie Secret"), content_type=DOCX)
    response = client_for(bob).get(material_url(assignment, script))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{assignment.entry.number}-script.docx"'
    with zipfile.ZipFile(io.BytesIO(body(response))) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode()
            assert "Charlie Secret" not in text and "Secret Studio" not in text, name
        assert "第一场 日 内 胡同" in archive.read("word/document.xml").decode()


def test_a_script_that_cannot_be_redacted_is_404_never_the_original(assignment, bob, caplog):
    broken = make_document(assignment.entry, data=b"%PDF-1.4\nCharlie Secret\n%%EOF")
    with caplog.at_level(logging.ERROR, logger="judging.views.judge_files"):
        response = client_for(bob).get(material_url(assignment, broken))
    assert response.status_code == 404
    assert b"Charlie Secret" not in response.content
    assert any("could not be redacted" in record.getMessage() for record in caplog.records)


def test_a_material_without_thumbnail_has_no_thumbnail_url(assignment, bob):
    still = make_image(assignment.entry, "stills", thumbnail=False)
    assert client_for(bob).get(material_url(assignment, still, thumbnail=True)).status_code == 404


def test_files_are_read_only(assignment, files, bob):
    client = client_for(bob)
    for url in all_urls(assignment, files):
        assert client.post(url).status_code == 405


# ------------------------------------------------------------------------------------------------- watching


def test_watch_records_json_intervals_and_answers_the_share(assignment, files, bob):
    url = video_url(assignment, files["episode"], "watch")
    client = client_for(bob)
    response = client.post(url, json.dumps({"start": 0, "end": 40}), content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"share": 0.4}
    response = client.post(url, json.dumps({"start": 35.5, "end": 85}), content_type="application/json")
    assert response.json() == {"share": 0.85}
    progress = WatchProgress.objects.get(judge=bob, video=files["episode"])
    assert progress.intervals == [[0.0, 85.0]]
    html = client.get(reverse("judging:entry", args=[assignment.round_id, assignment.entry_id])).content.decode()
    assert "Watched 85 %" in html


def test_watch_accepts_a_beacon_with_the_csrf_token_in_the_form(assignment, files, bob):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(bob)
    page = client.get(reverse("judging:entry", args=[assignment.round_id, assignment.entry_id]))
    token = page.context["csrf_token"]
    url = video_url(assignment, files["episode"], "watch")
    assert client.post(url, {"start": "10", "end": "30"}).status_code == 403  # no token
    response = client.post(url, {"start": "10", "end": "30", "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 200 and response.json() == {"share": 0.2}


@pytest.mark.parametrize(
    "data",
    [
        {"start": "abc", "end": "5"},
        {"start": "0"},
        {"start": "nan", "end": "5"},
        {"start": "0", "end": "inf"},
        {"start": "-1", "end": "5"},
        {"start": "10", "end": "5"},
        {"start": "0", "end": "1e12"},
    ],
)
def test_bad_numbers_are_400(assignment, files, bob, data):
    response = client_for(bob).post(video_url(assignment, files["episode"], "watch"), data)
    assert response.status_code == 400
    assert "error" in response.json()
    assert not WatchProgress.objects.exists()


def test_bad_json_is_400(assignment, files, bob):
    url = video_url(assignment, files["episode"], "watch")
    client = client_for(bob)
    assert client.post(url, "{not json", content_type="application/json").status_code == 400
    assert client.post(url, "[1, 2]", content_type="application/json").status_code == 400
    assert client.get(url).status_code == 405
