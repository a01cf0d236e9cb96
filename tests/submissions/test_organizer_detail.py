"""One entry in full for its organizers: every field, the entrant, materials, missing items and history."""

import re
from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Profile
from submissions import services
from submissions.models import CoOwner, Credit, EntryEvent, EntryStatus, Material, ThumbnailStatus
from tests.factories import UserFactory
from tests.submissions.organizer_support import detail_url, english_client, make_entry


@pytest.fixture
def client(alice):
    return english_client(alice)


@pytest.fixture
def owner(db):
    return UserFactory(email="lin.yi@example.com", display_name="Lin Yi")


@pytest.fixture
def entry(unit, owner):
    entry = make_entry(
        unit,
        status=EntryStatus.SUBMITTED,
        owner=owner,
        submitted_at=datetime(2026, 11, 20, 4, 0, tzinfo=UTC),
        title="胡同里的光",
        title_en="Light in the Hutong",
        logline="胡同少年追逐光影",
        logline_en="A boy in the hutongs chases the light",
        synopsis="北京胡同里的一个夏天。",
        synopsis_en="One summer in a Beijing hutong.",
        synopsis_long="很长的梗概",
        synopsis_long_en="A much longer synopsis",
        genres=["drama", "family", "made-up"],
        languages=["zh", "en"],
        subtitle_languages=["zh-en"],
        country="中国",
        episode_count=12,
        episode_runtime_seconds=150,
        total_runtime_seconds=1800,
        filing_number="京备 2026-001",
        platforms=[
            {"name": "抖音", "url": "https://www.douyin.com/video/1"},
            {"name": "Evil", "url": "javascript:alert(1)"},
        ],
        aigc_used=True,
        aigc_tools="Kling, Suno",
        aigc_parts=["video", "music"],
        aigc_statement="画面由 AI 生成，人工剪辑。",
        declared_originality_at=datetime(2026, 11, 19, 1, 0, tzinfo=UTC),
        declared_rights_at=datetime(2026, 11, 19, 1, 1, tzinfo=UTC),
        declared_terms_at=datetime(2026, 11, 19, 1, 2, tzinfo=UTC),
        terms_version="1",
    )
    Credit.objects.create(entry=entry, role="director", name="林一", position=0)
    Credit.objects.create(entry=entry, role="other", role_other="配音指导", name="王二", position=1)
    CoOwner.objects.create(entry=entry, email="partner@example.com", invited_by=owner)
    EntryEvent.objects.create(entry=entry, actor=owner, from_status="draft", to_status="submitted")
    return entry


def add_material(entry, kind, name, *, content_type="image/png", size=2048, width=720, height=1080, thumbnail=True):
    return Material.objects.create(
        entry=entry,
        kind=kind,
        file=ContentFile(b"x", name=f"{kind}.bin"),
        original_name=name,
        content_type=content_type,
        size=size,
        width=width,
        height=height,
        thumbnail=ContentFile(b"t", name="thumb.webp") if thumbnail else "",
        thumbnail_status=ThumbnailStatus.READY if thumbnail else ThumbnailStatus.NONE,
    )


def page_of(client, entry):
    response = client.get(detail_url(entry))
    assert response.status_code == 200
    return response.content.decode()


def test_every_field_is_shown(client, entry):
    page = page_of(client, entry)
    for text in [
        entry.number, "胡同里的光", "Light in the Hutong", "胡同少年追逐光影", "A boy in the hutongs chases the light",
        "北京胡同里的一个夏天。", "One summer in a Beijing hutong.", "很长的梗概", "A much longer synopsis",
        "Drama", "Family", "made-up",  # labels, and an unknown code as it is
        "Mandarin", "English", "Chinese and English", "中国", "12", "2:30", "150 s", "30:00", "1800 s",
        "京备 2026-001", "Street Life", "Finished work", "Submitted",
    ]:
        assert text in page, text
    assert "2026-11-20 12:00" in page  # submitted, in Asia/Shanghai


def test_platform_links_are_safe(client, entry):
    page = page_of(client, entry)
    link = re.search(r'<a href="https://www.douyin.com/video/1"[^>]*>', page).group(0)
    assert 'rel="noopener noreferrer nofollow"' in link
    assert 'href="javascript:' not in page
    assert "Evil" in page  # the name is still shown, as text


def test_entrant_profile_coowners_and_credits(client, entry, owner):
    Profile.objects.create(
        user=owner, real_name="林一真", organisation="追光影业", country="中国", phone="+86 138 0000 0000"
    )
    page = page_of(client, entry)
    for text in ["Lin Yi", "lin.yi@example.com", "林一真", "追光影业", "+86 138 0000 0000", "partner@example.com",
                 "invitation not accepted yet", "Director", "林一", "Other (配音指导)", "王二"]:
        assert text in page, text


def test_an_entrant_without_profile(client, entry, owner):
    assert not Profile.objects.filter(user=owner).exists()
    page = page_of(client, entry)
    assert "has not filled in a profile" in page
    assert "lin.yi@example.com" in page


def test_aigc_and_declarations(client, entry):
    page = page_of(client, entry)
    for text in ["Kling, Suno", "Video · Music", "画面由 AI 生成，人工剪辑。", "2026-11-19 09:00", "2026-11-19 09:01",
                 "2026-11-19 09:02", "Terms version"]:
        assert text in page, text
    assert "current is" not in page  # the terms version is the competition's current one
    entry.competition.terms_version = "2"
    entry.competition.save()
    assert "current is 2" in page_of(client, entry)


def test_materials_link_to_the_protected_files(client, entry):
    poster = add_material(entry, "poster_vertical", "海报 竖版.png", size=3 * 1024 * 1024)
    pending = add_material(entry, "stills", "still-1.png", width=1280, height=720, thumbnail=False)
    pending.thumbnail_status = ThumbnailStatus.PENDING
    pending.save()
    form = add_material(entry, "entry_form", "报名表.pdf", content_type="application/pdf", size=45, width=None,
                        height=None, thumbnail=False)
    page = page_of(client, entry)
    assert reverse("submissions:material_file", args=[poster.pk]) in page
    assert f'src="{reverse("submissions:material_thumbnail", args=[poster.pk])}"' in page
    assert reverse("submissions:material_thumbnail", args=[pending.pk]) not in page  # not ready yet
    assert reverse("submissions:material_file", args=[pending.pk]) in page
    assert reverse("submissions:material_file", args=[form.pk]) in page
    for text in ["海报 竖版.png", "3.0\xa0MB", "720×1080", "image/png", "Thumbnail: Ready", "still-1.png", "1280×720",
                 "Thumbnail: Being made", "报名表.pdf", "45\xa0bytes", "application/pdf"]:
        assert text in page, text
    assert poster.file.name not in page  # the stored name is never shown


def test_missing_items_are_listed(client, unit):
    draft = make_entry(unit, title="未完成")
    draft.track.required_materials = ["poster_vertical", "entry_form"]
    draft.track.save()
    page = page_of(client, draft)
    missing = re.search(r'<ul class="missing-list">(.*?)</ul>', page, re.S).group(1)
    for label in ["Logline", "Short synopsis", "Genre", "Director", "AIGC disclosure", "Vertical poster",
                  "Declarations"]:
        assert label in missing, label
    assert "Not uploaded yet." in page
    assert "none yet" not in page  # that is the list's wording
    assert "No entry number yet" in page


def test_history_shows_actor_time_and_reason(client, entry, alice):
    services.decide_eligibility(entry=entry, actor=alice, eligible=False, reason="单集时长超出要求。")
    page = page_of(client, entry)
    history = re.search(r'<ol class="log history">(.*?)</ol>', page, re.S).group(1)
    assert "Submitted → Ineligible" in history
    assert "Alice" in history
    assert "单集时长超出要求。" in history
    assert "Draft → Submitted" in history and "Lin Yi" in history


def test_markup_in_entrant_text_is_escaped(client, unit):
    entry = make_entry(unit, title="<script>alert(1)</script>", synopsis="<img src=x onerror=alert(2)>")
    page = page_of(client, entry)
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page


def test_the_story_track_shows_its_own_fields(client, unit):
    story = make_entry(unit, story=True, title="回乡", outline="第一幕……", episode_plan="第1集：出发")
    page = page_of(client, story)
    assert "The story" in page and "第一幕……" in page and "第1集：出发" in page
    assert "Writers" in page
    assert "Runtime per episode" not in page


def test_query_count_is_flat_as_materials_and_credits_grow(client, entry):
    def add(count):
        for index in range(count):
            add_material(entry, "stills", f"still-{index}.png", width=1280, height=720)
            Credit.objects.create(entry=entry, role="lead_actor", name=f"演员 {index}", position=10 + index)
            CoOwner.objects.create(entry=entry, email=f"co{index}-{entry.credits.count()}@example.com",
                                   user=UserFactory())
            EntryEvent.objects.create(entry=entry, actor=UserFactory(), from_status="submitted",
                                      to_status="submitted", reason="note")

    client.get(detail_url(entry))
    add(2)
    with CaptureQueriesContext(connection) as first:
        page = page_of(client, entry)
    assert page.count("演员 ") == 2
    add(6)
    with CaptureQueriesContext(connection) as second:
        page = page_of(client, entry)
    assert page.count("演员 ") == 8
    assert len(first) == len(second), f"{len(first)} queries, then {len(second)}"
