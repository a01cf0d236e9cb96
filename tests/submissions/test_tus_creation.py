"""Creation refuses everything that decides whether an upload may happen, before a single byte is stored.

After each refusal: no Upload row and no staging file. Messages are for people, in their language.
"""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from portal.models import CompetitionStatus, TrackKind
from submissions.models import CoOwner, EntryStatus, Upload, VideoFile
from tests.factories import EntryFactory, UserFactory
from tests.submissions.tus_support import CREATE_URL, TUS, create, metadata, staged, staged_files, upload_of

pytestmark = pytest.mark.django_db

GIB = 1024**3


@pytest.fixture(autouse=True)
def _staging(settings, tmp_path):
    settings.UPLOAD_STAGING_DIR = tmp_path / "uploads"


@pytest.fixture
def entry(unit, charlie):
    return EntryFactory(unit=unit, owner=charlie, episode_count=10)


@pytest.fixture
def client(charlie):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    return client


def refused(response, status, text=None):
    assert response.status_code == status, response.content
    assert response["Tus-Resumable"] == "1.0.0"
    assert "Location" not in response
    if text is not None:
        assert text in response.content.decode()
    assert not Upload.objects.exists()
    assert staged_files() == []
    return response


def post(client, **headers):
    return client.post(CREATE_URL, headers={**TUS, **headers})


# --- who may upload where


def test_an_entry_that_does_not_exist_is_404(client, entry):
    refused(create(client, entry.pk + 1000, 100), 404)
    refused(create(client, "12abc", 100), 404)
    refused(create(client, "-1", 100), 404)
    refused(create(client, "0", 100), 404)
    refused(create(client, "9" * 19, 100), 404)  # past the largest id: no overflow, just not there
    refused(create(client, "9" * 40, 100), 404)


def test_another_users_entry_is_404_as_if_it_did_not_exist(client, unit):
    someone_elses = EntryFactory(unit=unit, owner=UserFactory())
    refused(create(client, someone_elses, 100), 404)


def test_organizers_do_not_upload_into_entries(unit, alice):
    entry = EntryFactory(unit=unit)
    client = Client()
    client.force_login(alice)
    refused(create(client, entry, 100), 404)


def test_a_coowner_may_upload(client, unit, charlie):
    entry = EntryFactory(unit=unit, owner=UserFactory())
    CoOwner.objects.create(entry=entry, email=charlie.email, user=charlie)
    response = create(client, entry, 100)
    assert response.status_code == 201
    assert upload_of(response).user == charlie


def signed_in(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)  # inside the time travel, so that the session is fresh then
    return client


def test_after_the_deadline_the_entry_is_locked(entry, charlie):
    with time_machine.travel(entry.unit.deadline + timedelta(seconds=1), tick=False):
        response = refused(create(signed_in(charlie), entry, 100), 403)
    assert response.content.decode() == "The deadline for this unit has passed; the entry is locked."
    with time_machine.travel(entry.unit.deadline - timedelta(seconds=1), tick=False):
        assert create(signed_in(charlie), entry, 100).status_code == 201


def test_a_withdrawn_entry_or_a_closed_competition_is_locked(client, entry):
    entry.status = EntryStatus.WITHDRAWN
    entry.save()
    refused(create(client, entry, 100), 403, "withdrawn")
    entry.status = EntryStatus.DRAFT
    entry.save()
    entry.competition.status = CompetitionStatus.CLOSED
    entry.competition.save()
    refused(create(client, entry, 100), 403, "not accepting entries")


def test_the_message_comes_in_the_users_language(entry, charlie):
    with time_machine.travel(entry.unit.deadline + timedelta(seconds=1), tick=False):
        response = refused(create(signed_in(charlie, "zh-hans"), entry, 100), 403)
    assert response["Content-Language"] == "zh-hans"
    assert response["Content-Type"] == "text/plain; charset=utf-8"


# --- slots


@pytest.mark.parametrize("slot", ["episode-11", "episode-0", "episode-01", "episode-", "episode-1000", "poster",
                                  "TRAILER", "trailer ", ""])
def test_a_slot_the_entry_does_not_have_is_400(client, entry, slot):
    refused(post(client, **{"Upload-Length": "100", "Upload-Metadata": metadata(entry=entry.pk, slot=slot)}), 400)


def test_a_story_entry_has_no_video_slots(client, unit, charlie):
    story = EntryFactory(unit=unit, owner=charlie, track=unit.competition.tracks.get(kind=TrackKind.STORY))
    refused(create(client, story, 100, slot="trailer"), 400, "no video slot")


@pytest.mark.parametrize("slot", ["episode-1", "episode-10", "trailer", "full"])
def test_the_slots_a_finished_work_has(client, entry, slot):
    response = create(client, entry, 100, slot=slot)
    assert response.status_code == 201
    assert upload_of(response).slot == slot


# --- lengths


@pytest.mark.parametrize("value", ["", "-1", "-0", "abc", "1e3", "1.0", "0x10", "١٢", "+5", "5 5"])
def test_a_missing_negative_or_non_numeric_length_is_400(client, entry, value):
    headers = {"Upload-Metadata": metadata(entry=entry.pk, slot="episode-1")}
    if value:
        headers["Upload-Length"] = value
    refused(post(client, **headers), 400)


def test_an_empty_file_is_refused(client, entry):
    refused(create(client, entry, 0), 400, "The file is empty.")


def test_deferred_length_is_not_supported(client, entry):
    refused(
        post(client, **{"Upload-Defer-Length": "1", "Upload-Metadata": metadata(entry=entry.pk, slot="episode-1")}),
        400, "Upload-Defer-Length",
    )


def test_over_the_per_file_limit_is_413(client, entry, settings):
    settings.TUS_MAX_SIZE = 10 * GIB
    refused(create(client, entry, 10 * GIB + 1), 413, "10.0\xa0GB")
    refused(create(client, entry, 10**30), 413)  # absurd lengths are just too large, never an overflow
    refused(create(client, entry, "9" * 400), 413)
    response = create(client, entry, 10 * GIB)
    assert response.status_code == 201  # the limit itself is allowed; nothing is reserved on disk
    assert staged(upload_of(response)).stat().st_size == 0


def test_over_the_entrys_quota_is_413(client, entry, settings):
    settings.ENTRY_VIDEO_QUOTA_BYTES = 1000
    VideoFile.objects.create(entry=entry, slot="episode-1", episode=1, file="videos/a.mp4", size=600)
    refused(create(client, entry, 401, slot="episode-2"), 413, "remaining video space")
    assert create(client, entry, 400, slot="episode-2").status_code == 201


def test_replacing_a_video_gives_its_size_back(client, entry, settings):
    settings.ENTRY_VIDEO_QUOTA_BYTES = 1000
    VideoFile.objects.create(entry=entry, slot="episode-1", episode=1, file="videos/a.mp4", size=900)
    assert create(client, entry, 1000, slot="episode-1").status_code == 201


def test_unfinished_uploads_to_other_slots_hold_their_share_of_the_quota(client, entry, settings):
    settings.ENTRY_VIDEO_QUOTA_BYTES = 1000
    assert create(client, entry, 700, slot="episode-1").status_code == 201
    response = create(client, entry, 301, slot="episode-2")
    assert response.status_code == 413
    assert Upload.objects.count() == 1
    # A restarted upload to the same slot does not count its earlier attempt; an expired one holds nothing.
    assert create(client, entry, 1000, slot="episode-1").status_code == 201
    Upload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert create(client, entry, 1000, slot="episode-2").status_code == 201


# --- metadata


@pytest.mark.parametrize(
    "header",
    [
        "",  # no metadata at all
        "entry MQ==",  # no slot
        "slot dHJhaWxlcg==",  # no entry
        "entry !!!,slot dHJhaWxlcg==",  # not base64
        "entry MQ,slot dHJhaWxlcg==",  # bad padding
        "entry MQ== extra,slot dHJhaWxlcg==",  # three parts
        "entry MQ==,entry Mg==,slot dHJhaWxlcg==",  # a key twice
        " MQ==,slot dHJhaWxlcg==",  # an empty key
        "en,try MQ==",  # a comma in the key
        "filename /w==,entry MQ==,slot dHJhaWxlcg==",  # not UTF-8
        ",".join(f"k{i} eA==" for i in range(40)),  # too many keys
        "filename " + "eHh4" * 400 + ",entry MQ==,slot dHJhaWxlcg==",  # a 1200-character value
    ],
)
def test_malformed_metadata_is_400(client, entry, header):
    refused(post(client, **{"Upload-Length": "100", "Upload-Metadata": header}), 400)


def test_values_may_be_empty_and_extra_keys_are_kept(client, entry):
    header = metadata(entry=entry.pk, slot="trailer") + ",filetype dmlkZW8vbXA0,note"
    response = post(client, **{"Upload-Length": "100", "Upload-Metadata": header})
    assert response.status_code == 201
    upload = upload_of(response)
    assert upload.metadata == {"entry": str(entry.pk), "slot": "trailer", "filetype": "video/mp4", "note": ""}
    assert upload.filename == "file"  # none given: a neutral name, and the stored file gets ".bin"
