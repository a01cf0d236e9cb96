"""Laurel PNGs: made with Pillow for an award the public entry won, downloaded under a name the portal makes,
kept in storage and reused; anything else (a nomination only, an unknown award, a draft) is 404."""

import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from judging import laurels, versions
from judging.models import ResultVersion
from judging.public import PublicAward
from tests.judging.test_public_results import award_round, english, results_world


@pytest.fixture
def world(alice, competition):
    return award_round(results_world(competition, alice), alice)


def laurel_url(entry, slug):
    return reverse("judging:laurel", args=[entry.competition.slug, entry.number, slug])


def png(response):
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def ink_pixels(image):
    """How many pixels are drawn (not transparent)."""
    histogram = image.getchannel("A").histogram()
    return sum(histogram) - histogram[0]


def test_a_winner_downloads_a_laurel_png(world, charlie):
    winner = world["winner"]
    for client in (english(), english(charlie)):
        response = client.get(laurel_url(winner, "best-work"))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert f'filename="{winner.number}-best-work.png"' in disposition
        image = png(response)
        assert image.format == "PNG" and image.size == (laurels.SIZE, laurels.SIZE) and image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0  # a transparent background
        assert ink_pixels(image) > 20_000  # a wreath and text were drawn


def test_the_laurel_is_cached_by_version_entry_and_award(world, monkeypatch):
    winner, version = world["winner"], world["final_version"]
    name = laurels.laurel_name(version=version, entry=winner, award_slug="best-work")
    assert not default_storage.exists(name)
    calls = []
    render = laurels.render_laurel

    def counting(**kwargs):
        calls.append(kwargs)
        return render(**kwargs)

    monkeypatch.setattr(laurels, "render_laurel", counting)
    first = english().get(laurel_url(winner, "best-work"))
    assert first.status_code == 200
    assert default_storage.exists(name)
    first_bytes = b"".join(first.streaming_content)
    second = english().get(laurel_url(winner, "best-work"))
    assert b"".join(second.streaming_content) == first_bytes
    assert len(calls) == 1  # the second request reused the stored file
    # What it was drawn with: the competition, its year and the award in both languages.
    competition = winner.competition
    assert calls[0] == {
        "competition_zh": competition.name_zh,
        "competition_en": competition.name_en,
        "year": 2026,
        "award_zh": "年度最佳作品",
        "award_en": "Best Work",
    }


def test_each_award_has_its_own_laurel(world):
    director = world["director_winner"]
    response = english().get(laurel_url(director, "best-director"))
    assert response.status_code == 200
    assert f'filename="{director.number}-best-director.png"' in response["Content-Disposition"]
    work = b"".join(english().get(laurel_url(world["winner"], "best-work")).streaming_content)
    assert b"".join(response.streaming_content) != work  # the award's name makes a different image


def test_laurels_only_for_awards_won_in_a_public_version(world, alice):
    winner, director = world["winner"], world["director_winner"]
    assert english().get(laurel_url(winner, "best-director")).status_code == 404  # nominated, did not win
    assert english().get(laurel_url(winner, "jury-special")).status_code == 404  # no such award
    assert english().get(laurel_url(director, "best-work")).status_code == 404  # someone else's award
    for entry in world["not_advanced"]:
        assert english().get(laurel_url(entry, "best-work")).status_code == 404
    assert not default_storage.exists("laurels")


def test_no_laurel_while_the_award_is_only_in_a_draft(alice, competition):
    world = award_round(results_world(competition, alice), alice, publish=False)
    versions.prepare_version(round=world["round2"], actor=alice)
    assert not ResultVersion.objects.filter(round=world["round2"], published_at__isnull=False).exists()
    assert english().get(laurel_url(world["winner"], "best-work")).status_code == 404


def test_without_a_cjk_font_the_default_font_still_makes_a_laurel(monkeypatch):
    monkeypatch.setattr(laurels, "cjk_font_path", lambda: None)
    data = laurels.render_laurel(
        competition_zh="追光计划",
        competition_en="Light-Chasing",
        year=2026,
        award_zh="最佳导演",
        award_en="Best Director",
        size=400,
    )
    image = Image.open(io.BytesIO(data))
    assert image.size == (400, 400) and ink_pixels(image) > 1000


def test_a_missing_font_file_falls_back(monkeypatch):
    monkeypatch.setattr(laurels, "cjk_font_path", lambda: "/nonexistent/font.ttc")
    data = laurels.render_laurel(
        competition_zh="追光", competition_en="", year=2026, award_zh="评审团特别奖", award_en="", size=300
    )
    assert Image.open(io.BytesIO(data)).size == (300, 300)


def test_a_cjk_font_is_found_on_this_machine():
    laurels.cjk_font_path.cache_clear()
    path = laurels.cjk_font_path()
    if path is None:
        pytest.skip("no CJK font installed here")
    assert path.endswith((".ttc", ".ttf", ".otf"))


def test_long_award_names_are_shrunk_to_fit(tmp_path):
    award = PublicAward(
        slug="long",
        name_zh="非常非常非常非常非常长的奖项名称" * 2,
        name_en="An Extremely Long Award Name " * 3,
        entry_id=1,
        number="X",
        winner=True,
    )
    data = laurels.render_laurel(
        competition_zh="追光计划",
        competition_en="Light-Chasing",
        year=2026,
        award_zh=award.name_zh,
        award_en=award.name_en,
        size=300,
    )
    image = Image.open(io.BytesIO(data))
    # Nothing is drawn at the very edges: the text was made smaller instead of overflowing.
    alpha = image.getchannel("A")
    assert all(alpha.getpixel((x, 150)) == 0 for x in range(0, 5))
    assert all(alpha.getpixel((x, 150)) == 0 for x in range(295, 300))
