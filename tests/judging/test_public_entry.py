"""A public entry's page, its poster and trailer, and the winners' gallery: only entries a published version
advanced, nominated or awarded; never the entrant's email, co-owners or anything of an entry not advanced."""

import io
from datetime import timedelta

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from judging import versions
from judging.models import VersionStatus
from portal.models import MaterialKind
from submissions.models import CoOwner, Material, ThumbnailStatus, VideoFile, VideoStatus
from tests.factories import CompetitionFactory, UnitFactory, eligible_entry
from tests.judging.test_public_results import award_round, english, raw_version, results_world


def entry_url(entry):
    return reverse("judging:public_entry", args=[entry.competition.slug, entry.number])


def image_bytes(size=(600, 800), image_format="JPEG"):
    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, format=image_format)
    return out.getvalue()


def add_poster(entry, thumbnail=True):
    return Material.objects.create(
        entry=entry,
        kind=MaterialKind.POSTER_VERTICAL,
        file=ContentFile(image_bytes(), name="poster.jpg"),
        original_name="陈小明的海报-secret.jpg",
        content_type="image/jpeg",
        size=1000,
        thumbnail=ContentFile(image_bytes((120, 160), "WEBP"), name="thumb.webp") if thumbnail else "",
        thumbnail_status=ThumbnailStatus.READY if thumbnail else ThumbnailStatus.NONE,
    )


def add_trailer(entry, status=VideoStatus.READY, size=4096):
    return VideoFile.objects.create(
        entry=entry,
        slot="trailer",
        file=ContentFile(b"original", name="trailer-original.mov"),
        original_name="my-trailer.mov",
        size=8,
        status=status,
        preview=ContentFile(bytes(range(256)) * (size // 256), name="trailer-preview.mp4"),
        preview_size=size,
    )


def test_an_advanced_entry_page_shows_the_work_and_nothing_private(alice, competition, charlie):
    world = results_world(competition, alice, per_unit=2, top_k=1)
    entry = world["advanced"][0]
    entry.owner.email = "owner.secret@example.com"
    entry.owner.save()
    entry.logline_en = "A light in the alley."
    entry.synopsis = "胡同里的一束光。"
    entry.aigc_used = True
    entry.aigc_tools = "Runway"
    entry.aigc_parts = ["images", "music"]
    entry.aigc_statement = "AI made the title music."
    entry.save()
    CoOwner.objects.create(entry=entry, email="coowner.secret@example.com")
    for client in (english(), english(charlie)):
        response = client.get(entry_url(entry))
        assert response.status_code == 200
        html = response.content.decode()
        assert entry.title in html and entry.number in html
        assert "A light in the alley." in html and "胡同里的一束光。" in html
        assert world["units"][0].name_en in html and "Finished work" in html
        assert "林导演" in html and "Director" in html  # credits are public once published
        assert "Advanced from Preliminary round" in html
        assert "AI tools were used" in html and "Runway" in html and "Images" in html and "Music" in html
        assert "AI made the title music." in html
        for secret in ("owner.secret@example.com", "coowner.secret@example.com", entry.owner.display_name):
            assert secret not in html
        # In the notice, the page says how to object.
        objection = reverse("judging:objection_create", args=[competition.slug, world["version"].pk, entry.number])
        assert objection in html


def test_aigc_not_used_is_said_plainly(alice, competition):
    world = results_world(competition, alice, per_unit=1, top_k=1)
    html = english().get(entry_url(world["advanced"][0])).content.decode()
    assert "No AI tools were used in making this work." in html


def test_entries_not_advanced_unknown_or_elsewhere_are_404(alice, competition, charlie):
    world = results_world(competition, alice, per_unit=2, top_k=1)
    other = CompetitionFactory(slug="other-festival")
    elsewhere = eligible_entry(UnitFactory(competition=other))
    assert elsewhere.number == world["advanced"][0].number  # same number, another competition
    for client in (english(), english(charlie), english(alice)):
        for entry in world["not_advanced"]:
            for name in ("public_entry", "public_poster", "public_trailer"):
                assert client.get(reverse(f"judging:{name}", args=[competition.slug, entry.number])).status_code == 404
        assert client.get(reverse("judging:public_entry", args=[competition.slug, "LCP2026-9999"])).status_code == 404
        assert client.get(entry_url(elsewhere)).status_code == 404


def test_an_entry_only_in_a_draft_or_scheduled_version_is_404(alice, competition):
    world = results_world(competition, alice, per_unit=1, top_k=1, publish=False)
    draft = versions.prepare_version(round=world["round1"], actor=alice)
    assert draft.status == VersionStatus.DRAFT
    raw_version(world["round2"], status=VersionStatus.SCHEDULED, decisions=world["not_advanced"])
    for entry in world["advanced"] + world["not_advanced"]:
        assert english().get(entry_url(entry)).status_code == 404


def test_poster_thumbnail_and_full_image(alice, competition):
    world = results_world(competition, alice, per_unit=1, top_k=1)
    entry = world["advanced"][0]
    add_poster(entry)
    url = reverse("judging:public_poster", args=[competition.slug, entry.number])
    response = english().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert "陈小明" not in response["Content-Disposition"] and entry.number in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (120, 160)
    full = english().get(url + "?size=full")
    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(full.streaming_content))).size == (600, 800)
    # The pages show it.
    assert url in english().get(entry_url(entry)).content.decode()
    assert url in english().get(reverse("judging:results", args=[competition.slug])).content.decode()


def test_poster_without_thumbnail_serves_the_image_and_none_is_404(alice, competition):
    world = results_world(competition, alice, per_unit=3, top_k=2)
    with_poster, without = world["advanced"][0], world["advanced"][1]
    add_poster(with_poster, thumbnail=False)
    response = english().get(reverse("judging:public_poster", args=[competition.slug, with_poster.number]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert english().get(reverse("judging:public_poster", args=[competition.slug, without.number])).status_code == 404
    html = english().get(entry_url(without)).content.decode()
    assert reverse("judging:public_poster", args=[competition.slug, without.number]) not in html
    # A poster of an entry not advanced is never served.
    hidden = world["not_advanced"][0]
    add_poster(hidden)
    assert english().get(reverse("judging:public_poster", args=[competition.slug, hidden.number])).status_code == 404


def test_trailer_plays_with_range_and_is_404_when_not_ready(alice, competition):
    world = results_world(competition, alice, per_unit=2, top_k=2)
    ready, processing = world["advanced"][0], world["advanced"][1]
    add_trailer(ready)
    add_trailer(processing, status=VideoStatus.TRANSCODING)
    url = reverse("judging:public_trailer", args=[competition.slug, ready.number])
    html = english().get(entry_url(ready)).content.decode()
    assert "<video" in html and url in html
    whole = english().get(url)
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4"
    assert whole["Accept-Ranges"] == "bytes"
    assert f"{ready.number}-trailer.mp4" in whole["Content-Disposition"]
    assert "my-trailer" not in whole["Content-Disposition"]
    part = english().get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 10-19/4096"
    assert b"".join(part.streaming_content) == bytes(range(10, 20))
    assert (
        english().get(reverse("judging:public_trailer", args=[competition.slug, processing.number])).status_code == 404
    )
    assert "<video" not in english().get(entry_url(processing)).content.decode()


def test_winners_gallery_shows_posters_awards_citations_and_laurels(alice, competition, charlie):
    world = award_round(results_world(competition, alice), alice)
    winner, director = world["winner"], world["director_winner"]
    add_poster(winner)
    for client in (english(), english(charlie)):
        response = client.get(reverse("judging:winners", args=[competition.slug]))
        assert response.status_code == 200
        html = response.content.decode()
        assert "年度最佳作品" in html and "Best Work" in html and "最佳导演" in html and "Best Director" in html
        assert winner.title in html and director.title in html
        assert "Restrained, powerful images." in html and "Assured." in html
        assert "林导演" in html
        assert reverse("judging:public_poster", args=[competition.slug, winner.number]) in html
        assert reverse("judging:laurel", args=[competition.slug, winner.number, "best-work"]) in html
        assert reverse("judging:laurel", args=[competition.slug, director.number, "best-director"]) in html
        # A nominee who did not win is not in the gallery's winners.
        assert reverse("judging:laurel", args=[competition.slug, winner.number, "best-director"]) not in html
        assert "in their public notice period" in html


def test_winners_gallery_before_any_award_is_an_empty_state(alice, competition):
    results_world(competition, alice)
    html = english().get(reverse("judging:winners", args=[competition.slug])).content.decode()
    assert "No winners announced yet" in html


def test_a_winner_page_shows_laurels_and_nominations(alice, competition):
    world = award_round(results_world(competition, alice), alice)
    winner = world["winner"]
    html = english().get(entry_url(winner)).content.decode()
    laurel = reverse("judging:laurel", args=[competition.slug, winner.number, "best-work"])
    assert f'src="{laurel}"' in html and f'href="{laurel}" download' in html
    assert "Winner: Best Work" in html
    assert "Nominated: Best Director" in html
    assert reverse("judging:laurel", args=[competition.slug, winner.number, "best-director"]) not in html


def test_entry_pages_make_a_fixed_number_of_queries(alice, competition, django_assert_max_num_queries):
    world = results_world(competition, alice, per_unit=1, top_k=1)
    entry = world["advanced"][0]
    add_poster(entry)
    add_trailer(entry)
    with django_assert_max_num_queries(12):
        assert english().get(entry_url(entry)).status_code == 200


def test_notice_is_gone_once_it_ended(alice, competition):
    world = results_world(competition, alice, per_unit=1, top_k=1)
    version = world["version"]
    now = timezone.now()
    type(version).objects.filter(pk=version.pk).update(
        publish_at=now - timedelta(days=9), published_at=now - timedelta(days=9), notice_ends_at=now - timedelta(days=1)
    )
    html = english().get(entry_url(world["advanced"][0])).content.decode()
    assert reverse(
        "judging:objection_create", args=[competition.slug, version.pk, world["advanced"][0].number]
    ) not in (html)
