"""Blind judging leaks nothing: an entry whose owner, co-owner, credits, file names and document metadata all
carry distinctive names is judged in a blind round, and every page and file its judge can reach — found by
following the links in the pages — is searched for those names, in the bytes (also inside zipped and compressed
documents) and in the headers. Turning blind judging off then shows the credits, so the search does find names
when they are there."""

import html
import io
import json
import re
import zipfile
from collections import deque

import pytest
from django.urls import reverse

from judging.models import PeerScores, RoundEntry
from portal.models import Profile
from submissions.models import CoOwner, Credit, Material
from tests.factories import AssignmentFactory, UserFactory, eligible_entry
from tests.judging.judge_support import (
    DOCX,
    body,
    client_for,
    docx_bytes,
    make_document,
    make_image,
    make_score,
    make_video,
    pdf_bytes,
)

OWNER_NAME = "Zhang Leakname"
OWNER_EMAIL = "leaky.owner@example.com"
REAL_NAME = "张秘密"
REAL_NAME_LATIN = "Realname Leakperson"
ORGANISATION = "Leakage Studios Ltd"
COOWNER_EMAIL = "co-leak@example.com"
COOWNER_NAME = "Colleen Leakco"
CREDIT_NAMES = ["Director Leakwell", "王泄露"]
FILE_NAMES = [
    "charlie-secret-poster.jpg",
    "charlie-secret-still.jpg",
    "charlie-secret-script.pdf",
    "charlie-secret-story.docx",
    "charlie-secret-episode.mp4",
    "charlie-secret-trailer.mp4",
]
PLATFORM_ACCOUNT = "leaky-owner-account"
SECRETS = [
    OWNER_NAME,
    OWNER_EMAIL,
    REAL_NAME,
    REAL_NAME_LATIN,
    ORGANISATION,
    COOWNER_EMAIL,
    COOWNER_NAME,
    *CREDIT_NAMES,
    *FILE_NAMES,
    PLATFORM_ACCOUNT,
    "charlie-secret",
]
LINK = re.compile(r'(?:href|src|poster)="([^"]+)"')
WATCH_LINK = re.compile(r'data-watch-url="([^"]+)"')


@pytest.fixture
def leaky(judging_round, bob_membership, bob, unit, competition, erin):
    """Two entries of one owner in a blind round, both assigned to bob: a finished work (posters, stills,
    episode, trailer, PDF script) and a story (DOCX script). Everything that could name the owner does."""
    owner = UserFactory(email=OWNER_EMAIL, display_name=OWNER_NAME)
    Profile.objects.create(user=owner, real_name=f"{REAL_NAME} {REAL_NAME_LATIN}", organisation=ORGANISATION)
    judging_round.peer_scores = PeerScores.AFTER_OWN
    judging_round.save()

    work = eligible_entry(unit, owner=owner, title="光影之间", title_en="Between Light")
    work.platforms = [{"name": "Douyin", "url": f"https://www.douyin.com/@{PLATFORM_ACCOUNT}"}]
    work.filing_number = f"备案-{PLATFORM_ACCOUNT}"
    work.save()
    story = eligible_entry(unit, owner=owner, track=competition.tracks.get(kind="story"), title_en="A Story")
    for entry in (work, story):
        RoundEntry.objects.create(round=judging_round, entry=entry)
        CoOwner.objects.create(
            entry=entry,
            email=COOWNER_EMAIL,
            user=UserFactory(email=COOWNER_EMAIL + f".{entry.pk}", display_name=COOWNER_NAME),
        )
        for position, name in enumerate(CREDIT_NAMES):
            Credit.objects.create(entry=entry, role="director", name=name, position=position + 1, user=owner)

    make_image(work, "poster_vertical", original_name=FILE_NAMES[0])
    make_image(work, "poster_horizontal", original_name=FILE_NAMES[0])
    make_image(work, "stills", original_name=FILE_NAMES[1])
    make_image(work, "stills", original_name=FILE_NAMES[1], thumbnail=False)
    make_document(work, data=pdf_bytes(OWNER_NAME), original_name=FILE_NAMES[2])
    make_document(work, kind="entry_form", data=pdf_bytes(OWNER_NAME), original_name="charlie-secret-form.pdf")
    make_document(work, kind="rights_letter", data=pdf_bytes(OWNER_NAME), original_name="charlie-secret-letter.pdf")
    make_video(work, slot="episode-1", original_name=FILE_NAMES[4], uploaded_by=owner)
    make_video(work, slot="trailer", duration=30, original_name=FILE_NAMES[5], uploaded_by=owner)
    make_document(
        story,
        data=docx_bytes(OWNER_NAME, company=ORGANISATION),
        content_type=DOCX,
        original_name=FILE_NAMES[3],
    )
    Material.objects.filter(entry__in=[work, story]).update(uploaded_by=owner)

    assignments = [AssignmentFactory(round=judging_round, entry=entry, judge=bob) for entry in (work, story)]
    # Erin scored the work too, so peer scores show once bob has submitted.
    make_score(AssignmentFactory(round=judging_round, entry=work, judge=erin))
    return {"owner": owner, "work": work, "story": story, "assignments": assignments}


def _views(content):
    """The response body as searched: the bytes, each part of a zip (DOCX), each decoded stream of a PDF."""
    views = [content]
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            views += [archive.read(name) for name in archive.namelist()]
    if content.startswith(b"%PDF-"):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content))
        views.append(repr(reader.metadata).encode())
        numbers = {number for entries in reader.xref.values() for number in entries} | set(reader.xref_objStm)
        for number in sorted(numbers):
            obj = reader.get_object(number)
            if hasattr(obj, "get_data"):
                views.append(obj.get_data())
            views.append(repr(obj).encode("utf-8", "replace"))
    return views


def leaks(response, secrets=SECRETS):
    """Every secret found in the response's body (raw, HTML-escaped, UTF-16 as PDF strings are) or headers."""
    content = body(response)
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    found = set()
    views = _views(content)
    for secret in secrets:
        needles = {secret.encode(), html.escape(secret).encode(), secret.encode("utf-16-be")}
        if any(needle in view for needle in needles for view in views) or secret.lower() in headers.lower():
            found.add(secret)
    return found


def crawl(client, start):
    """GET every /judging/ page and file reachable from `start`, and POST to every watch URL found.
    Returns {url: response}."""
    seen = {}
    todo = deque(start)
    while todo:
        url = todo.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response
        assert response.status_code in (200, 206), (url, response.status_code)
        if response.get("Content-Type", "").startswith("text/html"):
            page = response.content.decode()
            for link in LINK.findall(page):
                link = html.unescape(link)
                assert not link.startswith("/submissions/"), f"{url} links to an entrant/organizer file: {link}"
                if link.startswith("/judging/") and "/invitations/" not in link:
                    todo.append(link)
            for watch in WATCH_LINK.findall(page):
                watch = html.unescape(watch)
                if watch not in seen:
                    seen[watch] = client.post(
                        watch, json.dumps({"start": 0, "end": 12}), content_type="application/json"
                    )
                    assert seen[watch].status_code == 200
    return seen


def _start_urls(leaky):
    round_id = leaky["assignments"][0].round_id
    return [
        reverse("judging:judge_home"),
        reverse("judging:queue", args=[round_id]),
        reverse("judging:queue", args=[round_id]) + "?status=not_started",
        *[reverse("judging:entry", args=[round_id, a.entry_id]) for a in leaky["assignments"]],
    ]


def test_nothing_a_judge_can_reach_names_the_entrant(leaky, bob):
    client = client_for(bob)
    work = leaky["assignments"][0]
    entry_url = reverse("judging:entry", args=[work.round_id, work.entry_id])
    responses = crawl(client, _start_urls(leaky))
    # Files were reached through the page links: posters, thumbnails, stills, the scripts, previews, posters.
    assert sum("/m/" in url for url in responses) >= 6 and sum("/v/" in url for url in responses) >= 6

    # A saved score (submitted, so peer scores show), a refused submit re-rendered with errors, and the
    # Range answer of a preview are pages too.
    story, craft = (c for c in work.round.rubrics.get(track=work.entry.track).criteria.all())
    data = {f"c{story.pk}_value": "8", f"c{craft.pk}_value": "7.5", f"c{craft.pk}_comment": "ok", "version": "0"}
    saved = client.post(entry_url, {**data, "action": "submit"}, follow=True)
    assert saved.status_code == 200 and "Judge A" in saved.content.decode()
    responses["saved"] = saved
    responses["refused"] = client.post(entry_url, {**data, f"c{story.pk}_value": "99", "action": "submit"})
    preview = next(url for url in responses if url.endswith("/preview/"))
    responses["range"] = client.get(preview, HTTP_RANGE="bytes=0-99")
    assert responses["range"].status_code == 206

    found = {url: leaks(response) for url, response in responses.items()}
    assert {url: secrets for url, secrets in found.items() if secrets} == {}


def test_the_search_finds_the_credits_when_the_round_is_not_blind(leaky, bob, judging_round):
    judging_round.blind = False
    judging_round.save()
    client = client_for(bob)
    work = leaky["assignments"][0]
    response = client.get(reverse("judging:entry", args=[work.round_id, work.entry_id]))
    found = leaks(response)
    assert set(CREDIT_NAMES) <= found and OWNER_NAME in found
    # Even then: no email, real name, organisation, co-owner or file name.
    assert not found & {OWNER_EMAIL, REAL_NAME, ORGANISATION, COOWNER_EMAIL, COOWNER_NAME, *FILE_NAMES}
    # The documents stay redacted whatever the round: their metadata is never part of judging.
    scripts = crawl(client, [reverse("judging:entry", args=[work.round_id, work.entry_id])])
    documents = [response for url, response in scripts.items() if "/m/" in url and "thumbnail" not in url]
    assert documents and all(OWNER_NAME not in leaks(response) for response in documents)


def test_the_leak_search_sees_inside_unredacted_documents(leaky):
    """The search itself: an original script's metadata is found, in the PDF and inside the DOCX."""
    from django.http import HttpResponse

    assert OWNER_NAME in leaks(HttpResponse(pdf_bytes(OWNER_NAME), content_type="application/pdf"))
    assert ORGANISATION in leaks(HttpResponse(docx_bytes(OWNER_NAME, company=ORGANISATION)))
