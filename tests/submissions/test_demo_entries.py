"""`seed_demo` adds ~30 demo entries (submissions/demo.py, through the portal.demo.demo_seeded signal)."""

import io
import time
from collections import Counter

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import translation
from PIL import Image

from portal.demo import DEMO_ENTRANTS, DEMO_ORGANIZER, DEMO_SLUG, seed_demo
from portal.models import Competition, TrackKind
from submissions import demo, qc, services
from submissions.models import (
    CoOwner,
    Credit,
    Entry,
    EntryEvent,
    EntryStatus,
    Material,
    QCLevel,
    ThumbnailStatus,
    VideoFile,
    VideoStatus,
)
from tests.submissions.support import stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        competition = seed_demo()
    return competition, time.perf_counter() - started


def test_seeding_sends_no_email(seeded):
    # How long seeding takes is not asserted here (timings belong in benchmarks, not in tests that a busy machine
    # fails).
    assert mail.outbox == []  # 18 status changes, no confirmation emails to the demo addresses


def test_thirty_entries_across_every_unit_and_both_tracks(seeded):
    competition, _seconds = seeded
    entries = Entry.objects.filter(competition=competition)
    assert entries.count() == 30
    assert set(entries.values_list("unit__slug", flat=True)) == set(competition.units.values_list("slug", flat=True))
    assert Counter(entries.values_list("track__kind", flat=True)) == {TrackKind.WORK: 18, TrackKind.STORY: 12}


def test_counts_per_status(seeded):
    assert Counter(Entry.objects.values_list("status", flat=True)) == {
        EntryStatus.DRAFT: 12,
        EntryStatus.SUBMITTED: 12,
        EntryStatus.ELIGIBLE: 4,
        EntryStatus.INELIGIBLE: 1,
        EntryStatus.WITHDRAWN: 1,
    }


def test_owners_and_the_coowned_entry(seeded):
    entrant1, entrant2, entrant3 = DEMO_ENTRANTS
    owners = Counter(Entry.objects.values_list("owner__email", flat=True))
    assert owners == {entrant1: 24, entrant2: 4, entrant3: 2}
    coowner = CoOwner.objects.get()
    assert (coowner.entry.owner.email, coowner.user.email, coowner.email) == (entrant1, entrant2, entrant2)
    assert coowner.entry.status == EntryStatus.SUBMITTED
    assert Entry.objects.editable_by(coowner.user).count() == 5


def test_numbering_follows_the_services(seeded):
    competition, _seconds = seeded
    numbered = Entry.objects.exclude(status=EntryStatus.DRAFT).order_by("sequence")
    assert [entry.number for entry in numbered] == [f"LCP2026-{n:04d}" for n in range(1, 19)]
    assert not Entry.objects.filter(status=EntryStatus.DRAFT).exclude(number="").exists()
    assert competition.entrycounter.last_sequence == 18
    withdrawn = Entry.objects.get(status=EntryStatus.WITHDRAWN)
    assert withdrawn.number  # a withdrawn entry keeps its number
    # A real submission after seeding continues the sequence.
    story = Entry.objects.filter(status=EntryStatus.DRAFT, track__kind=TrackKind.STORY).first()
    entry = services.change_status(entry=story, to=EntryStatus.SUBMITTED, actor=story.owner, notify=False)
    assert entry.number == "LCP2026-0019"


def test_every_status_change_is_in_the_history(seeded):
    organizer_decisions = EntryEvent.objects.filter(to_status__in=[EntryStatus.ELIGIBLE, EntryStatus.INELIGIBLE])
    assert organizer_decisions.count() == 5
    assert set(organizer_decisions.values_list("actor__email", flat=True)) == {DEMO_ORGANIZER}
    assert EntryEvent.objects.filter(to_status=EntryStatus.SUBMITTED).count() == 18
    ineligible = Entry.objects.get(status=EntryStatus.INELIGIBLE)
    assert ineligible.eligibility_reason == demo.INELIGIBLE_REASON
    assert ineligible.events.first().reason == demo.INELIGIBLE_REASON


def test_drafts_miss_something_and_the_others_are_complete_but_for_video(seeded):
    for entry in Entry.objects.select_related("competition", "track", "unit"):
        missing = {item.code for item in services.missing_items(entry)}
        if entry.status == EntryStatus.DRAFT:
            assert missing, entry.title
            assert "declarations" in missing
        elif entry.track.kind == TrackKind.STORY:
            assert missing == set(), (entry.title, missing)
        elif entry.videos.filter(slot="trailer").exists():
            assert missing == {"episodes"}, (entry.title, missing)  # a demo trailer, and only a few episodes
        else:
            assert missing == {"trailer", "episodes"}, (entry.title, missing)  # the video pipeline's slots


def test_bilingual_texts_credits_and_aigc(seeded):
    complete = Entry.objects.exclude(status=EntryStatus.DRAFT)
    for entry in complete:
        assert entry.title and entry.title_en and entry.title != entry.title_en
        assert entry.logline and entry.logline_en and entry.synopsis and entry.synopsis_en
        assert entry.full_clean() is None
        roles = set(entry.credits.values_list("role", flat=True))
        assert roles == ({"screenwriter"} if entry.track.kind == TrackKind.STORY else
                         {"director", "screenwriter", "producer", "dop", "lead_actor", "lead_actress"})
    assert len(set(Entry.objects.values_list("title", flat=True))) == 30
    assert Credit.objects.filter(user__isnull=False).exists()  # some credits link the owner's account
    disclosed = Entry.objects.filter(aigc_used=True)
    assert disclosed.exists() and Entry.objects.filter(aigc_used=False).exists()
    assert all(entry.aigc_tools and entry.aigc_parts and entry.aigc_statement for entry in disclosed)
    assert Entry.objects.filter(unit__slug="aigc").exclude(aigc_used=True).filter(aigc_used__isnull=False).count() == 0


def test_posters_are_real_images_with_thumbnails(seeded):
    posters = Material.objects.filter(kind__in=["poster_vertical", "poster_horizontal", "stills"])
    assert posters.count() >= 25
    for material in posters:
        assert material.thumbnail_status == ThumbnailStatus.READY
        with default_storage.open(material.file.name) as stored:
            image = Image.open(io.BytesIO(stored.read()))
            assert (image.format, image.size) == ("JPEG", (material.width, material.height))
        with default_storage.open(material.thumbnail.name) as stored:
            assert Image.open(io.BytesIO(stored.read())).format == "WEBP"
    vertical = posters.filter(kind="poster_vertical").first()
    assert vertical.height > vertical.width
    # Every entry that reached the organizers has its posters and documents.
    for entry in Entry.objects.exclude(status=EntryStatus.DRAFT):
        kinds = set(entry.materials.values_list("kind", flat=True))
        assert {"poster_vertical", "entry_form", "rights_letter"} <= kinds
    documents = Material.objects.filter(content_type="application/pdf")
    assert documents.exists()
    with default_storage.open(documents.first().file.name) as stored:
        assert stored.read().rstrip().endswith(b"%%EOF")


def test_files_are_stored_once_each(seeded):
    names = set(Material.objects.values_list("file", flat=True)) | set(
        Material.objects.exclude(thumbnail="").values_list("thumbnail", flat=True)
    )
    for video in VideoFile.objects.all():
        names |= {video.file.name, video.poster.name, video.thumbnails.name, video.preview.name}
    assert stored_files() == names


def test_a_few_finished_works_have_processed_videos(seeded):
    titles = [plan["title"] for plan in demo.plan_entries()]
    by_slot = {
        (titles.index(video.entry.title), video.slot): video for video in VideoFile.objects.select_related("entry")
    }
    assert {key: (video.status, video.qc_level) for key, video in by_slot.items()} == {
        (4, "trailer"): (VideoStatus.READY, QCLevel.PASS),
        (4, "episode-1"): (VideoStatus.READY, QCLevel.PASS),
        (6, "episode-1"): (VideoStatus.READY, QCLevel.WARN),  # too quiet
        (3, "episode-1"): (VideoStatus.READY, QCLevel.FAIL),  # landscape in a vertical unit
    }
    for video in by_slot.values():
        assert video.entry.track.kind == TrackKind.WORK
        assert video.poster and video.thumbnails and video.preview and video.preview_size
        seconds = demo.DEMO_TRAILER_SECONDS if video.slot == "trailer" else demo.DEMO_VIDEO_SECONDS
        assert video.probe["duration"] == pytest.approx(seconds, abs=0.1)
        with default_storage.open(video.preview.name) as stored:
            assert stored.read(12)[4:8] == b"ftyp"
    with translation.override("en"):
        aspect = next(item for item in by_slot[(3, "episode-1")].qc_checks if item["rule"] == "aspect")
        assert qc.describe(aspect, by_slot[(3, "episode-1")]) == (
            "Episode 1 is 1920×1080 landscape; this unit requires vertical 9:16."
        )
    # The eligible entry's trailer counts; its episodes are still incomplete (40 would be a lot to make).
    assert services.missing_items(by_slot[(4, "trailer")].entry)


def test_seeding_twice_adds_nothing(seeded, settings):
    competition, _seconds = seeded
    before = (
        Entry.objects.count(), Material.objects.count(), Credit.objects.count(), VideoFile.objects.count(),
        sorted(stored_files()),
    )
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert seed_demo() == competition
    # Even the receiver alone, sent again, sees the entries and adds none.
    assert demo.seed_demo_entries(Competition, competition=competition, organizer=None, entrants=[]) == []
    after = (
        Entry.objects.count(), Material.objects.count(), Credit.objects.count(), VideoFile.objects.count(),
        sorted(stored_files()),
    )
    assert after == before
    assert Competition.objects.filter(slug=DEMO_SLUG).count() == 1


def test_the_plan_is_deterministic():
    first, second = demo.plan_entries(), demo.plan_entries()
    assert first == second
    assert len(first) == 30
    assert first[0]["title"] == "胡同里的光" and first[0]["status"] == EntryStatus.SUBMITTED
