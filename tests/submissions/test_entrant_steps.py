"""The multi-step entry form through the views: what each step saves, refuses, and never loses."""

import pytest
from django.test import Client

from submissions.models import CoOwner, Credit, Entry
from tests.factories import CompetitionFactory, CreditFactory, EntryFactory, UnitFactory
from tests.submissions.entrant_support import (
    aigc_data,
    basics_data,
    credits_data,
    declarations_data,
    details_data,
    overview_url,
    require_default_materials,
    step_url,
    story_track,
)


@pytest.fixture
def client(charlie):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    return client


@pytest.fixture
def entry(unit, charlie):
    return EntryFactory(unit=unit, owner=charlie, title="追光", title_en="Chasing Light")


@pytest.fixture
def story(unit, charlie):
    return EntryFactory(unit=unit, owner=charlie, track=story_track(unit.competition), title="故事", title_en="")


def html_of(response):
    return response.content.decode()


# ------------------------------------------------------------------------------------------- basics


def test_basics_saves_a_draft_and_stays_or_continues(client, entry):
    response = client.post(step_url(entry, "basics"), basics_data(entry, logline="一句话", synopsis="短梗概"))
    assert response.status_code == 302 and response["Location"] == step_url(entry, "basics")
    entry.refresh_from_db()
    assert (entry.logline, entry.synopsis, entry.version) == ("一句话", "短梗概", 2)

    response = client.post(step_url(entry, "basics"), basics_data(entry, action="continue"))
    assert response["Location"] == step_url(entry, "details")


def test_synopsis_over_300_characters_is_refused_and_kept(client, entry):
    page = html_of(client.get(step_url(entry, "basics")))
    assert 'maxlength="300"' in page and 'name="synopsis"' in page
    long_text = "长" * 301
    response = client.post(
        step_url(entry, "basics"), basics_data(entry, synopsis=long_text, logline="我写的一句话", title_en="Mine")
    )
    html = html_of(response)
    assert response.status_code == 200
    assert "Ensure this value has at most 300 characters (it has 301)." in html
    assert long_text in html and "我写的一句话" in html and 'value="Mine"' in html
    assert "Nothing you typed has been lost." in html
    entry.refresh_from_db()
    assert (entry.synopsis, entry.logline, entry.version) == ("", "", 1)


def test_line_breaks_count_once_against_the_limit(client, entry):
    text = "\r\n".join(["一二三四五六七八九"] * 30)  # 270 characters and 29 breaks: 299 as the browser counts
    client.post(step_url(entry, "basics"), basics_data(entry, synopsis=text))
    entry.refresh_from_db()
    assert len(entry.synopsis) == 299


def test_a_missing_title_keeps_everything_else(client, entry):
    response = client.post(
        step_url(entry, "basics"), basics_data(entry, title="", logline="保留我", synopsis_long="很长的梗概")
    )
    html = html_of(response)
    assert "This field is required." in html
    assert "保留我" in html and "很长的梗概" in html
    entry.refresh_from_db()
    assert entry.title == "追光" and entry.logline == ""


def test_a_title_with_script_is_stored_as_text_and_escaped(client, entry):
    title = '<script>alert("x")</script>追光'
    client.post(step_url(entry, "basics"), basics_data(entry, title=title, title_en=""))
    entry.refresh_from_db()
    assert entry.title == title
    for url in (step_url(entry, "basics"), overview_url(entry), "/entries/"):
        html = html_of(client.get(url))
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;追光" in html, url


def test_track_and_unit_change_while_draft_only(client, entry, competition):
    other_unit = UnitFactory(competition=competition, name_en="Silver Age")
    story = story_track(competition)
    client.post(step_url(entry, "basics"), basics_data(entry, track=story.pk, unit=other_unit.pk))
    entry.refresh_from_db()
    assert (entry.track, entry.unit) == (story, other_unit)
    assert client.get(step_url(entry, "story")).status_code == 200

    foreign_unit = UnitFactory(competition=CompetitionFactory())
    response = client.post(step_url(entry, "basics"), basics_data(entry, unit=foreign_unit.pk))
    assert "Select a valid choice." in html_of(response)
    entry.refresh_from_db()
    assert entry.unit == other_unit

    Entry.objects.filter(pk=entry.pk).update(status="submitted", sequence=1, number="LCP2026-0001")
    entry.refresh_from_db()
    html = html_of(client.get(step_url(entry, "basics")))
    assert 'name="track"' not in html and 'name="unit"' not in html
    work = competition.tracks.get(kind="work")
    client.post(step_url(entry, "basics"), basics_data(entry, track=work.pk, logline="改了"))
    entry.refresh_from_db()
    assert entry.track == story and entry.logline == "改了"


# ------------------------------------------------------------------------------------------- details


def test_details_save_lists_runtime_and_platforms(client, entry):
    data = details_data(entry, platforms=[("抖音", "https://www.douyin.com/video/1"), ("Bilibili", "http://b23.tv/x")])
    response = client.post(step_url(entry, "details"), data)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.genres == ["drama"] and entry.languages == ["zh"] and entry.subtitle_languages == ["zh-en"]
    assert (entry.episode_count, entry.episode_runtime_seconds, entry.total_runtime_seconds) == (12, 150, 1800)
    assert entry.platforms == [
        {"name": "抖音", "url": "https://www.douyin.com/video/1"},
        {"name": "Bilibili", "url": "http://b23.tv/x"},
    ]
    html = html_of(client.get(step_url(entry, "details")))
    assert 'value="2:30"' in html and 'value="https://www.douyin.com/video/1"' in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>x</script>", "ftp://example.com/x"])
def test_a_platform_link_must_be_http(client, entry, url):
    response = client.post(step_url(entry, "details"), details_data(entry, platforms=[("Evil", url)]))
    html = html_of(response)
    assert response.status_code == 200
    assert "Enter a web link that starts with http:// or https://." in html
    assert 'value="Evil"' in html
    entry.refresh_from_db()
    assert entry.platforms == [] and entry.genres == []


def test_bad_numbers_and_runtimes_are_refused(client, entry):
    response = client.post(
        step_url(entry, "details"), details_data(entry, episode_count="0", episode_runtime_seconds="2:75")
    )
    html = html_of(response)
    assert "Ensure this value is greater than or equal to 1." in html
    assert "Enter the runtime as minutes:seconds" in html
    assert 'value="2:75"' in html


def test_filing_number_requirement_is_explained(client, entry, competition):
    assert "Optional in this competition" in html_of(client.get(step_url(entry, "details")))
    competition.filing_number_required = True
    competition.save()
    assert "This competition requires a filing number" in html_of(client.get(step_url(entry, "details")))


def test_story_details_leave_out_finished_work_fields(client, story):
    html = html_of(client.get(step_url(story, "details")))
    assert 'name="genres"' in html
    assert 'name="episode_count"' not in html and 'name="platforms-TOTAL_FORMS"' not in html
    response = client.post(step_url(story, "details"), details_data(story))
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.country == "中国"


def test_story_step_saves_outline_and_plan(client, story):
    data = {"version": story.version, "outline": "完整大纲", "episode_plan": "第一集……", "action": "continue"}
    response = client.post(step_url(story, "story"), data)
    assert response["Location"] == step_url(story, "credits")
    story.refresh_from_db()
    assert (story.outline, story.episode_plan) == ("完整大纲", "第一集……")


# ------------------------------------------------------------------------------------------- credits


def test_credits_replace_the_rows_in_order(client, entry):
    CreditFactory(entry=entry, role="producer", name="旧制片")
    rows = [
        {"role": "director", "name": "林导演"},
        {"role": "other", "role_other": "Colourist", "name": "Sam"},
        {"role": "producer", "name": "旧制片", "DELETE": "on"},
    ]
    response = client.post(step_url(entry, "credits"), credits_data(entry, rows, initial=1))
    assert response.status_code == 302
    assert list(entry.credits.values_list("role", "role_other", "name", "position")) == [
        ("director", "", "林导演", 0),
        ("other", "Colourist", "Sam", 1),
    ]


def test_other_role_needs_its_name(client, entry):
    response = client.post(step_url(entry, "credits"), credits_data(entry, [{"role": "other", "name": "Sam"}]))
    html = html_of(response)
    assert "Say which role." in html and 'value="Sam"' in html
    assert not entry.credits.exists()


def test_a_story_names_at_most_five_writers(client, story):
    rows = [{"role": "screenwriter", "name": f"作者{n}"} for n in range(6)]
    response = client.post(step_url(story, "credits"), credits_data(story, rows))
    html = html_of(response)
    assert response.status_code == 200
    assert "at most 5" in html
    assert "作者5" in html  # what was typed is still there
    assert not story.credits.exists()

    rows = [{"role": "director", "name": f"作者{n}"} for n in range(5)]  # a forged role becomes "writer"
    client.post(step_url(story, "credits"), credits_data(story, rows))
    assert list(story.credits.values_list("role", flat=True)) == ["screenwriter"] * 5


# ------------------------------------------------------------------------------------------- AIGC


def test_aigc_yes_needs_tools_and_parts(client, entry):
    response = client.post(step_url(entry, "aigc"), aigc_data(entry, aigc_used="yes", aigc_statement="我们的说明"))
    html = html_of(response)
    assert "Name the AI tools you used." in html and "Tick the parts made with AI." in html
    assert "我们的说明" in html
    entry.refresh_from_db()
    assert entry.aigc_used is None

    client.post(step_url(entry, "aigc"), aigc_data(entry, aigc_used="yes", aigc_tools="Kling", aigc_parts=["video"]))
    entry.refresh_from_db()
    assert (entry.aigc_used, entry.aigc_tools, entry.aigc_parts) == (True, "Kling", ["video"])

    client.post(step_url(entry, "aigc"), aigc_data(entry, aigc_used="no", aigc_tools="Kling", aigc_parts=["video"]))
    entry.refresh_from_db()
    assert (entry.aigc_used, entry.aigc_tools, entry.aigc_parts) == (False, "", [])


def test_aigc_needs_an_answer(client, entry):
    response = client.post(step_url(entry, "aigc"), aigc_data(entry, aigc_used=""))
    assert "Answer yes or no." in html_of(response)


# ------------------------------------------------------------------------------------------- declarations


def test_declarations_need_all_three_and_record_the_terms_version(client, entry, competition):
    competition.terms_version = "2026.2"
    competition.save()
    response = client.post(step_url(entry, "declarations"), declarations_data(entry, rights=""))
    assert "Confirm that you hold the rights." in html_of(response)
    entry.refresh_from_db()
    assert entry.declared_rights_at is None

    page = html_of(client.get(step_url(entry, "declarations")))
    assert "version 2026.2" in page
    response = client.post(step_url(entry, "declarations"), declarations_data(entry, action="continue"))
    assert response["Location"] == overview_url(entry)
    entry.refresh_from_db()
    assert entry.terms_version == "2026.2"
    assert entry.declared_originality_at and entry.declared_rights_at and entry.declared_terms_at


# ------------------------------------------------------------------------------------------- step navigation


def test_step_navigation_marks_done_steps(client, entry, competition):
    require_default_materials(competition)
    html = html_of(client.get(step_url(entry, "basics")))
    assert html.count('class="done"') == 0
    client.post(step_url(entry, "basics"), basics_data(entry, logline="一句话", synopsis="短梗概"))
    client.post(step_url(entry, "aigc"), aigc_data(Entry.objects.get(pk=entry.pk)))
    html = html_of(client.get(step_url(entry, "details")))
    assert html.count('class="done"') == 2
    assert 'aria-current="step"' in html
    assert "Story" not in html.split('aria-label="Steps of the entry form"')[1].split("</nav>")[0]


# ------------------------------------------------------------------------------------------- concurrency


def test_two_coowners_saving_the_same_step(client, entry, charlie):
    from tests.factories import UserFactory

    partner = UserFactory()
    CoOwner.objects.create(entry=entry, email=partner.email, user=partner)
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(partner)
    # Both load the page at version 1.
    assert 'name="version" value="1"' in html_of(client.get(step_url(entry, "basics")))
    assert 'name="version" value="1"' in html_of(other.get(step_url(entry, "basics")))

    first = client.post(step_url(entry, "basics"), basics_data(entry, logline="第一位的句子", title="第一位的标题"))
    assert first.status_code == 302
    second = other.post(step_url(entry, "basics"), basics_data(entry, logline="第二位的句子", synopsis="第二位的梗概"))
    html = html_of(second)
    assert second.status_code == 200
    assert "Someone else saved this entry while you were editing it." in html
    assert "logline (Chinese)" in html and "title (Chinese)" in html  # where the two versions differ
    assert "第二位的句子" in html and "第二位的梗概" in html
    entry.refresh_from_db()
    assert (entry.logline, entry.title, entry.synopsis, entry.version) == ("第一位的句子", "第一位的标题", "", 2)

    # The form now carries the current version: saving again is a deliberate overwrite.
    assert 'name="version" value="2"' in html
    again = other.post(step_url(entry, "basics"), basics_data(entry, logline="第二位的句子"))
    assert again.status_code == 302
    entry.refresh_from_db()
    assert entry.logline == "第二位的句子" and entry.version == 3


def test_credits_conflict_keeps_the_typed_rows(client, entry):
    stale = credits_data(entry, [{"role": "director", "name": "迟到的导演"}])
    client.post(step_url(entry, "basics"), basics_data(entry, logline="先保存的"))
    response = client.post(step_url(entry, "credits"), stale)
    html = html_of(response)
    assert "Someone else saved this entry" in html and "迟到的导演" in html
    assert not Credit.objects.exists()
