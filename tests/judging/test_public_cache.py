"""The public results pages are built from published versions and cached: a second request does no JSON or
entry work, every change of what the public sees (a new version, a revision, the end of a notice, a
finalisation, an objection) shows at once, nothing of one user reaches another, the language is respected, and a
2,000-work shortlist is cut into pages with a flat query count."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from judging import advancement, objections, versions
from judging.models import Decision
from judging.views import public as public_views
from tests.factories import CompetitionFactory, UserFactory
from tests.judging.test_public_results import (
    award_round,
    end_notice,
    english,
    publish_now,
    results_url,
    results_world,
    version_url,
)


def winners_url(competition):
    return reverse("judging:winners", args=[competition.slug])


def _get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code in (200, 304), response.status_code
    return response, [query["sql"] for query in queries.captured_queries]


def _without_tokens(response):
    """The page without its CSRF tokens (masked afresh on every render)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _touches(sql, *names):
    return [query for query in sql if any(name in query for name in names)]


# --------------------------------------------------------------------------------------------- a warm cache


@pytest.mark.parametrize("name", ["results", "winners", "version"])
def test_a_second_request_reads_no_json_and_no_entries(alice, competition, name):
    world = award_round(results_world(competition, alice, per_unit=3, top_k=2), alice)
    url = version_url(world["version"]) if name == "version" else reverse(f"judging:{name}", args=[competition.slug])
    client = english()
    first, cold = _get(client, url)
    second, warm = _get(client, url)
    assert _without_tokens(second) == _without_tokens(first)
    # Cold: the versions' frozen decisions are read and the cards' entries loaded; warm: neither.
    assert _touches(cold, '"decisions"') and _touches(cold, "submissions_entry")
    assert not _touches(warm, '"decisions"', '"awards"', '"snapshot"', '"ranking"')
    assert not _touches(warm, "submissions_entry", "submissions_material", "portal_unit")
    assert len(warm) < len(cold)
    # An anonymous reader's repeat is the whole stored page under the cached freshness stamp: no query at all.
    assert len(warm) == 0, warm


def test_the_work_page_reads_the_versions_json_once(alice, competition):
    world = results_world(competition, alice)
    url = reverse("judging:public_entry", args=[competition.slug, world["advanced"][0].number])
    english().get(url)
    response, warm = _get(english(), url)
    assert world["advanced"][0].title in response.content.decode()
    assert not _touches(warm, '"decisions"', '"awards"', '"snapshot"')


# --------------------------------------------------------------------------------------------- shown at once


def test_revising_and_publishing_a_new_version_show_at_once(alice, competition):
    world = results_world(competition, alice, per_unit=2, top_k=1)
    v1 = world["version"]
    lost, gained = world["advanced"][0], world["not_advanced"][0]
    client = english()
    html = client.get(results_url(competition)).content.decode()
    assert lost.number in html and gained.number not in html and "Being revised" not in html
    old_version_page = client.get(version_url(v1)).content.decode()
    assert "Public notice" in old_version_page

    v2 = versions.revise_version(version=v1, actor=alice, reason="复核后更正")
    html = client.get(results_url(competition)).content.decode()
    assert "Being revised" in html

    for entry, outcome in ((lost, "not_advanced"), (gained, "advanced")):
        decision = Decision.objects.get(round=world["round1"], entry=entry)
        advancement.override_decision(decision=decision, outcome=outcome, reason="objection upheld", actor=alice)
    publish_now(v2, alice)
    html = client.get(results_url(competition)).content.decode()
    assert gained.number in html and lost.number not in html
    assert "Version 2, published" in html
    old = client.get(version_url(v1)).content.decode()
    assert "This version has been replaced by version 2" in old and "Superseded" in old
    # The work that lost its place is no longer linked from the old version's (cached before) page.
    assert reverse("judging:public_entry", args=[competition.slug, lost.number]) not in old


def test_the_end_of_the_notice_and_the_finalisation_show_at_once(alice, competition):
    world = award_round(results_world(competition, alice), alice)
    final = world["final_version"]
    client = english()
    assert "In public notice until" in client.get(results_url(competition)).content.decode()
    assert "public notice period" in client.get(winners_url(competition)).content.decode()

    # Nothing in the database changes when a notice ends: only the clock.
    later = final.notice_ends_at + timedelta(minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        html = client.get(results_url(competition)).content.decode()
        winners = client.get(winners_url(competition)).content.decode()
    assert "The public notice ended on" in html
    assert "Lodge an objection" not in html.split("Final round")[1].split("</section>")[0]
    assert "public notice period" not in winners

    end_notice(final)
    versions.finalise_version(version=final, actor=alice)
    html = client.get(results_url(competition)).content.decode()
    assert "Final result" in html.split("Final round")[1].split("</section>")[0]


def test_an_objection_shows_to_its_author_at_once_and_to_no_one_else(alice, competition, charlie):
    world = results_world(competition, alice)
    author, anonymous, other = english(charlie), english(), english(UserFactory(display_name="Someone Else"))
    for client in (author, anonymous, other):
        assert 'id="my-objections"' not in client.get(results_url(competition)).content.decode()
    objections.lodge_objection(
        version=world["version"], entry=world["advanced"][0], author=charlie, text="镜头抄袭", notify=False
    )
    html = author.get(results_url(competition)).content.decode()
    assert 'id="my-objections"' in html and "Awaiting an answer" in html
    for client in (anonymous, other):
        assert 'id="my-objections"' not in client.get(results_url(competition)).content.decode()


# --------------------------------------------------------------------------------------------- per user


def test_nothing_of_a_signed_in_user_reaches_the_next_reader(alice, competition, charlie):
    results_world(competition, alice)
    signed_in = english(charlie)
    charlie_html = signed_in.get(results_url(competition)).content.decode()
    assert "Charlie" in charlie_html and "Sign in to object" not in charlie_html
    anonymous_html = english().get(results_url(competition)).content.decode()
    assert "Charlie" not in anonymous_html and "charlie@example.com" not in anonymous_html
    assert "Sign in to object" in anonymous_html
    # And the other way round: a page cached for an anonymous reader never shows a signed-in one "sign in".
    assert "Sign in to object" not in english(alice).get(results_url(competition)).content.decode()


def test_csrf_tokens_are_each_readers_own(alice, competition, charlie):
    """The language switch (and sign-out) forms on a cached page carry the token of the reader who asked."""
    results_world(competition, alice)
    signed_in = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    signed_in.force_login(charlie)
    signed_in.get(results_url(competition))  # the page is cached now
    for client in (Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en"), signed_in):
        html = client.get(results_url(competition)).content.decode()
        token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        url = reverse("portal:set_language")
        assert client.post(url, {"language": "en", "next": "/"}).status_code == 403  # no token: refused
        response = client.post(url, {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
        assert response.status_code == 302


def test_the_language_of_each_request_is_respected(alice, competition):
    world = results_world(competition, alice)
    english().get(results_url(competition))  # cached in English first
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(results_url(competition)).content.decode()
    en = english().get(results_url(competition)).content.decode()
    assert "初评" in zh and "Preliminary round" not in zh and world["units"][0].name_zh in zh
    assert "Preliminary round" in en and world["units"][0].name_en in en


# --------------------------------------------------------------------------------------------- conditional GET


def test_anonymous_readers_get_304_until_something_changes(alice, competition):
    world = results_world(competition, alice, per_unit=2, top_k=1)
    client = english()
    response = client.get(results_url(competition))
    etag = response["ETag"]
    assert etag and "no-cache" in response["Cache-Control"]
    again, sql = _get(client, results_url(competition), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert not _touches(sql, '"decisions"', "submissions_entry")

    versions.revise_version(version=world["version"], actor=alice, reason="复核")
    changed = client.get(results_url(competition), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Being revised" in changed.content.decode()
    # Another language is another page.
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(results_url(competition), HTTP_IF_NONE_MATCH=changed["ETag"])
    assert chinese.status_code == 200


def test_signed_in_readers_get_no_etag(alice, competition, charlie):
    results_world(competition, alice)
    response = english(charlie).get(results_url(competition))
    assert "ETag" not in response
    assert english(charlie).get(results_url(competition), HTTP_IF_NONE_MATCH="*").status_code == 200


# --------------------------------------------------------------------------------------------- long shortlists


def test_a_long_shortlist_shows_a_preview_per_unit_and_pages_per_unit(alice, competition, monkeypatch):
    monkeypatch.setattr(public_views, "SHORTLIST_PREVIEW", 3)
    monkeypatch.setattr(public_views, "SHORTLIST_PAGE_SIZE", 2)
    world = results_world(competition, alice, per_unit=5, top_k=5)
    street = world["units"][0]
    street_entries = sorted((e for e in world["advanced"] if e.unit_id == street.pk), key=lambda e: e.number)
    html = english().get(results_url(competition)).content.decode()
    assert html.count('class="results-card"') == 6  # 3 of each unit's 5
    assert "See all 5 works of Street Life" in html
    unit_url = f"{version_url(world['version'])}?unit={street.pk}"
    assert unit_url in html
    assert street_entries[2].number in html and street_entries[3].number not in html

    page2 = english().get(unit_url + "&page=2").content.decode()
    assert page2.count('class="results-card"') == 2
    assert street_entries[2].number in page2 and street_entries[3].number in page2
    assert street_entries[0].number not in page2
    assert "Page 2 of 3" in page2 and "Silver Years" not in page2
    last = english().get(unit_url + "&page=99").content.decode()  # clamped to the last page
    assert "Page 3 of 3" in last and street_entries[4].number in last


@pytest.mark.parametrize("query", ["?unit=999999", "?unit=abc&page=-3", "?page=zz"])
def test_odd_unit_and_page_parameters_give_a_page_not_an_error(alice, competition, query):
    world = results_world(competition, alice)
    response = english().get(version_url(world["version"]) + query)
    assert response.status_code == 200
    html = response.content.decode()
    if "999999" in query:
        assert "No work of this unit advanced in this result." in html and "See the whole result" in html
    else:
        assert all(entry.number in html for entry in world["advanced"])


def _cold_count(client, url):
    from django.core.cache import cache

    cache.clear()
    response, sql = _get(client, url)
    return len(sql), response.content.decode()


@pytest.mark.parametrize("signed_in", [False, True])
def test_query_count_stays_flat_as_the_shortlist_grows_past_a_page(alice, signed_in, monkeypatch):
    monkeypatch.setattr(public_views, "SHORTLIST_PREVIEW", 4)
    monkeypatch.setattr(public_views, "SHORTLIST_PAGE_SIZE", 5)
    counts, pages = [], []
    for per_unit in (3, 12):
        competition = CompetitionFactory(slug=f"grow-{per_unit}")
        world = award_round(results_world(competition, alice, per_unit=per_unit, top_k=per_unit), alice)
        client = english(UserFactory()) if signed_in else english()
        unit_url = f"{version_url(world['version'])}?unit={world['units'][0].pk}&page=2"
        cold_results, html = _cold_count(client, results_url(competition))
        assert html.count('class="results-card"') <= 2 * 4 + 3  # two previews, and the final's winners
        cold_version, _html = _cold_count(client, version_url(world["version"]))
        cold_unit, _html = _cold_count(client, unit_url)
        cold_winners, _html = _cold_count(client, winners_url(competition))
        counts.append((cold_results, cold_version, cold_unit, cold_winners))
        pages.append(len(client.get(results_url(competition)).content))
    assert counts[0] == counts[1], counts
    assert max(max(row) for row in counts) <= 30
    # Growing from 6 to 24 listed works does not grow the page past its previews.
    assert pages[1] < pages[0] * 1.5, pages


def test_a_laurel_known_to_be_stored_needs_no_storage_lookup(alice, competition, monkeypatch):
    from django.core.files.storage import default_storage

    world = award_round(results_world(competition, alice), alice)
    url = reverse("judging:laurel", args=[competition.slug, world["winner"].number, "best-work"])
    first = english().get(url)
    body = b"".join(first.streaming_content)
    assert body.startswith(b"\x89PNG")
    lookups = []
    exists = default_storage.exists
    monkeypatch.setattr(default_storage, "exists", lambda name: lookups.append(name) or exists(name))
    again = english().get(url)
    assert b"".join(again.streaming_content) == body
    assert lookups == []  # an S3 HEAD request per download otherwise


# --------------------------------------------------------------------------------------------- whole pages


class _RecordingCache:
    """The views' cache, with what they store recorded."""

    def __init__(self, cache):
        self.cache, self.stored = cache, {}

    def set(self, key, value, *args, **kwargs):
        self.stored[key] = value
        return self.cache.set(key, value, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.cache, name)


def _token(html):
    return html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]


def test_two_anonymous_visitors_each_get_a_token_for_their_own_cookie(alice, competition, monkeypatch):
    world = results_world(competition, alice)
    recording = _RecordingCache(public_views.cache)
    monkeypatch.setattr(public_views, "cache", recording)
    first, second = (Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en") for _ in range(2))
    urls = [results_url(competition), version_url(world["version"]), winners_url(competition)]
    urls.append(reverse("judging:public_entry", args=[competition.slug, world["advanced"][0].number]))
    for url in urls:
        cold = first.get(url)
        warm, sql = _get(second, url)
        assert sql == []  # the second visitor's page is the stored one
        assert _without_tokens(warm) == _without_tokens(cold)
        # A new visitor gets the cookie their token belongs to, also from a stored page.
        assert "csrftoken" in cold.cookies and "csrftoken" in warm.cookies
        tokens = {_token(cold.content.decode()), _token(warm.content.decode())}
        assert len(tokens) == 2

    pages = [value["body"] for key, value in recording.stored.items() if ":response:" in key]
    assert len(pages) == len(urls)
    for body in pages:
        fields = re.findall(rb'name="csrfmiddlewaretoken" value="([^"]*)"', body)
        assert fields and set(fields) == {public_views.CSRF_SENTINEL}
        assert not any(token.encode() in body for token in tokens)

    html = {client: client.get(results_url(competition)).content.decode() for client in (first, second)}
    set_language = reverse("portal:set_language")
    # Each one's token is refused with the other's cookie ...
    refused = first.post(set_language, {"language": "en", "next": "/", "csrfmiddlewaretoken": _token(html[second])})
    assert refused.status_code == 403
    # ... and works with their own.
    for client in (first, second):
        data = {"language": "zh-hans", "next": "/", "csrfmiddlewaretoken": _token(html[client])}
        response = client.post(set_language, data)
        assert response.status_code == 302 and response.cookies["django_language"].value == "zh-hans"


def test_a_stored_page_keeps_the_headers_and_answers_304(alice, competition):
    results_world(competition, alice)
    client = english()
    cold = client.get(results_url(competition))
    warm, sql = _get(english(), results_url(competition))
    assert sql == []
    for name in ("ETag", "Cache-Control", "Content-Language", "Content-Type"):
        assert warm[name] == cold[name], name
    assert "Cookie" in warm["Vary"] and "Accept-Language" in warm["Vary"]
    again, sql = _get(english(), results_url(competition), HTTP_IF_NONE_MATCH=cold["ETag"])
    assert again.status_code == 304 and sql == []


def test_signed_in_readers_and_pending_messages_are_never_served_a_stored_page(alice, competition, charlie):
    from django.contrib.messages import INFO
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory

    results_world(competition, alice)
    english().get(results_url(competition))  # stored for anonymous readers
    html = english(charlie).get(results_url(competition)).content.decode()
    assert "Sign in to object" not in html and "Charlie" in html
    waiting = english()
    cookie = CookieStorage(RequestFactory().get("/"))._encode([Message(INFO, "A message waits for you")])
    waiting.cookies[CookieStorage.cookie_name] = cookie
    assert "A message waits for you" in waiting.get(results_url(competition)).content.decode()
    assert "A message waits for you" not in english().get(results_url(competition)).content.decode()


def test_unknown_query_parameters_are_not_stored(alice, competition, monkeypatch):
    results_world(competition, alice)
    recording = _RecordingCache(public_views.cache)
    monkeypatch.setattr(public_views, "cache", recording)
    for number in range(3):
        assert "Preliminary round" in english().get(f"{results_url(competition)}?x={number}").content.decode()
    assert not [key for key in recording.stored if ":response:" in key]


def test_a_scheduled_revision_shows_at_once_when_the_task_publishes_it(alice, competition):
    world = results_world(competition, alice, per_unit=2, top_k=1)
    v2 = versions.revise_version(version=world["version"], actor=alice, reason="复核后更正")
    client = english()
    assert "Being revised" in client.get(results_url(competition)).content.decode()
    from django.utils import timezone

    publish_at = timezone.now() + timedelta(hours=1)
    versions.schedule_publication(
        version=v2, publish_at=publish_at, notice_ends_at=publish_at + timedelta(days=7), actor=alice
    )
    assert "Version 2, published" not in client.get(results_url(competition)).content.decode()
    assert versions.publish_due_versions(now=publish_at) == 1
    html = client.get(results_url(competition)).content.decode()
    assert "Version 2, published" in html and "Being revised" not in html


def test_an_edit_of_the_competition_shows_at_once(alice, competition):
    from portal import services

    results_world(competition, alice)
    client = english()
    for name in ("results", "winners"):
        client.get(reverse(f"judging:{name}", args=[competition.slug]))
    competition.name_en = "Chasing Light Renamed"
    services.update_competition(competition=competition, actor=alice, changed_fields=["name_en"])
    for name in ("results", "winners"):
        html = client.get(reverse(f"judging:{name}", args=[competition.slug])).content.decode()
        assert "Chasing Light Renamed" in html
    competition.status = "draft"
    services.update_competition(competition=competition, actor=alice, changed_fields=["status"])
    assert client.get(results_url(competition)).status_code == 404


def test_an_objection_lodged_or_answered_resets_the_freshness(alice, competition, charlie):
    from django.core.cache import cache

    from judging import public

    world = results_world(competition, alice)
    english().get(results_url(competition))
    key = public.freshness_key(competition.slug)
    assert cache.get(key) is not None
    objection = objections.lodge_objection(
        version=world["version"], entry=world["advanced"][0], author=charlie, text="镜头抄袭", notify=False
    )
    assert cache.get(key) is None
    english().get(results_url(competition))
    objections.answer_objection(objection=objection, actor=alice, upheld=False, answer="不成立")
    assert cache.get(key) is None


def test_the_freshness_is_deleted_again_after_commit(alice, competition, django_capture_on_commit_callbacks):
    """A reader between the service's change and its commit may cache the state from before: deleted again."""
    from django.core.cache import cache

    from judging import public

    world = results_world(competition, alice)
    key = public.freshness_key(competition.slug)
    with django_capture_on_commit_callbacks(execute=True):
        versions.revise_version(version=world["version"], actor=alice, reason="复核")
        cache.set(key, {"stamp": "from before the commit", "until": None})
    assert cache.get(key) is None


def test_a_change_made_in_another_process_shows_here_within_a_second(alice, competition, monkeypatch):
    import time

    from judging import public

    world = results_world(competition, alice, per_unit=2, top_k=1)
    client = english()
    assert "Being revised" not in client.get(results_url(competition)).content.decode()
    kept = dict(public._memo)
    versions.revise_version(version=world["version"], actor=alice, reason="复核")
    public._memo.update(kept)  # as if another process had revised: this one still keeps the state it read
    assert "Being revised" not in client.get(results_url(competition)).content.decode()
    later = time.monotonic() + public.MEMO_SECONDS + 0.5
    monkeypatch.setattr(public.time, "monotonic", lambda: later)
    assert "Being revised" in client.get(results_url(competition)).content.decode()
