"""XSS probes in every text an entrant, a judge, an objector or an organizer can write that someone else reads.

Each field gets its own probe: a label (so we know the field was rendered) followed by a <script> element and an
attribute break-out with an onerror handler; URL fields get a `javascript:` URL. The probes are written straight
into the database (forms may refuse some characters; rendering must be safe whatever is stored). Then every page
that shows the field is rendered as the user who sees it, and the HTML must carry the probe only escaped: no raw
<script>/<img onerror> from user data, no javascript: link, and each label that page shows appears escaped. JSON
and htmx answers too, and the result emails (HTML part).
"""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from judging import objections, versions
from judging.models import (
    AwardCategory,
    Conflict,
    ConflictDeclaration,
    CriterionScore,
    Decision,
    JudgeProfile,
    ResultVersion,
    RoundEntry,
    Score,
)
from portal.models import Competition, Profile, Track, Unit
from submissions.models import CoOwner, Credit, Entry, Material, VideoFile, VideoStatus
from tests.factories import (
    AssignmentFactory,
    EntryFactory,
    PanelMembershipFactory,
    RoundFactory,
    RubricFactory,
    UserFactory,
    eligible_entry,
    submitted_score,
)
from tests.judging.test_public_results import award_round, publish_now, results_world

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
RAW = [
    re.compile(r"<script>alert\(1\)", re.IGNORECASE),
    re.compile(r"<img src=x onerror", re.IGNORECASE),
    re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.IGNORECASE),
]


def probe(label):
    return f"{label}{SCRIPT}{BREAKOUT}"


def escaped(label):
    return f"{label}&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_safe(html, where):
    for pattern in RAW:
        match = pattern.search(html)
        context = html[max(0, match.start() - 200) : match.end() + 80] if match else ""
        assert match is None, f"{where}: raw {match.group(0)!r} at …{context}…"


def shown_labels(html, labels):
    return {label for label in labels if escaped(label) in html}


def client_for(user=None, **headers):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **headers)
    if user is not None:
        client.force_login(user)
    return client


def get(client, url, where, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, f"{where}: {response.status_code}"
    content = response.content.decode() if not getattr(response, "streaming", False) else ""
    assert_safe(content, where)
    return content


# ------------------------------------------------------------------------------------------------ the world


def set_entry_probes(entry, tag):
    Entry.objects.filter(pk=entry.pk).update(
        title=probe(f"{tag}title"),
        title_en=probe(f"{tag}titleen"),
        logline=probe(f"{tag}logline"),
        logline_en=probe(f"{tag}loglineen"),
        synopsis=probe(f"{tag}synopsis"),
        synopsis_en=probe(f"{tag}synopsisen"),
        synopsis_long=probe(f"{tag}long"),
        synopsis_long_en=probe(f"{tag}longen"),
        country=probe(f"{tag}country"),
        filing_number=probe(f"{tag}filing")[:64],
        platforms=[{"name": probe(f"{tag}platform"), "url": JS_URL}],
        aigc_used=True,
        aigc_tools=probe(f"{tag}aitools"),
        aigc_parts=["images"],
        aigc_statement=probe(f"{tag}aistatement"),
        outline=probe(f"{tag}outline"),
        episode_plan=probe(f"{tag}episodeplan"),
    )
    Credit.objects.filter(entry=entry).update(name=probe(f"{tag}credit"))
    Credit.objects.create(entry=entry, role="other", role_other=probe(f"{tag}role")[:60], name=probe(f"{tag}other"),
                          position=9)
    CoOwner.objects.create(entry=entry, email=f"{tag}{BREAKOUT}@example.com")
    Material.objects.create(entry=entry, kind="script", file="materials/x.pdf", original_name=probe(f"{tag}filename"),
                            content_type="application/pdf", size=10)
    VideoFile.objects.create(entry=entry, slot="episode-1", file="videos/x.mp4", original_name=probe(f"{tag}video"),
                             size=10, status=VideoStatus.FAILED, error="not_video")
    entry.refresh_from_db()
    return entry


def probe_people(*users):
    for index, user in enumerate(users):
        user.display_name = probe(f"U{index}name")
        user.save(update_fields=["display_name"])
        Profile.objects.update_or_create(
            user=user,
            defaults={"real_name": probe(f"U{index}real"), "organisation": probe(f"U{index}org"),
                      "bio": probe(f"U{index}bio")},
        )


@pytest.fixture
def world(competition, alice, charlie, django_capture_on_commit_callbacks):
    """Round 1 scored and published with probes everywhere; the final round's awards published with probe
    citations; objections with probe text and answers; the entrant charlie owns the first advanced entry."""
    Competition.objects.filter(pk=competition.pk).update(
        description_zh=probe("Cdesc"), description_en=probe("Cdescen"), rules_zh=probe("Crules"),
        rules_en=probe("Crulesen"),
    )
    Track.objects.filter(competition=competition).update(description_en=probe("Trackdesc"))
    world = results_world(competition, alice, per_unit=2, top_k=1, publish=False)
    round1 = world["round1"]
    for unit in world["units"]:
        Unit.objects.filter(pk=unit.pk).update(name_zh=probe(f"Unit{unit.position}"),
                                               name_en=probe(f"Unit{unit.position}en"),
                                               description_en=probe(f"Unit{unit.position}desc"))
    first, second = world["advanced"]
    Entry.objects.filter(pk=first.pk).update(owner=charlie)
    set_entry_probes(first, "A")
    set_entry_probes(second, "B")
    judge = world["judge"]
    probe_people(charlie, judge, second.owner)
    JudgeProfile.objects.update_or_create(
        user=judge, defaults={"affiliations": probe("Jaffil"), "bio": probe("Jbio")}
    )
    Score.objects.filter(round=round1).update(comment=probe("Scomment"))
    CriterionScore.objects.filter(score__round=round1).update(comment=probe("Ccomment"))
    round1.share_feedback = True
    round1.name_en = probe("Round1")
    round1.save(update_fields=["share_feedback", "name_en"])
    Decision.objects.filter(round=round1, entry=second).update(overridden=True, reason=probe("Override"))
    declaration = ConflictDeclaration.objects.create(judge=judge, competition=competition, kind="person",
                                                     value=probe("Declval"), reason=probe("Declreason"))
    Conflict.objects.create(competition=competition, judge=judge, entry=second, source="declared",
                            basis=probe("Basis"), declaration=declaration, waiver_reason=probe("Waiver"))
    with django_capture_on_commit_callbacks(execute=True):
        version = publish_now(versions.prepare_version(round=round1, actor=alice), alice)
    world["version"] = version
    ResultVersion.objects.filter(pk=version.pk).update(reason=probe("Vreason"))
    # Objections: one open (organizers read it), one answered (its author reads the answer).
    with django_capture_on_commit_callbacks(execute=True):  # the organizers' and the author's emails
        open_one = objections.lodge_objection(version=version, entry=second, author=charlie, text=probe("Objtext"))
        answered = objections.lodge_objection(version=version, entry=first, author=charlie, text=probe("Objtwo"))
    with django_capture_on_commit_callbacks(execute=True):
        objections.answer_objection(objection=answered, actor=alice, upheld=False, answer=probe("Answer"))
    world["objections"] = (open_one, answered)
    world = award_round(world, alice, citation_zh=probe("Citezh"), citation_en=probe("Citeen"), publish=False)
    AwardCategory.objects.filter(competition=competition).update(name_en=probe("Awardname"))
    world["final_version"] = publish_now(versions.prepare_version(round=world["round2"], actor=alice), alice)
    world["first"], world["second"] = Entry.objects.get(pk=first.pk), Entry.objects.get(pk=second.pk)
    return world


# ------------------------------------------------------------------------------------------------ public


def test_public_pages_show_probes_only_escaped(world):
    competition, first = world["competition"], world["first"]
    slug = competition.slug
    client = client_for()
    pages = {
        "home": reverse("portal:home"),
        "competitions": reverse("portal:competition_list"),
        "competition": reverse("portal:competition_detail", args=[slug]),
        "rules": reverse("portal:competition_rules", args=[slug]),
        "results": reverse("judging:results", args=[slug]),
        "version": reverse("judging:public_version", args=[slug, world["version"].pk]),
        "final": reverse("judging:public_version", args=[slug, world["final_version"].pk]),
        "winners": reverse("judging:winners", args=[slug]),
        "work": reverse("judging:public_entry", args=[slug, first.number]),
        "work2": reverse("judging:public_entry", args=[slug, world["second"].number]),
    }
    seen = {name: shown_labels(get(client, url, name), LABELS) for name, url in pages.items()}
    assert {"Cdescen", "Crulesen", "Atitle", "Aloglineen", "Asynopsisen", "Acredit", "Aaistatement", "Unit1en",
            "Citeen", "Awardname", "Btitle"} <= set().union(*seen.values()), seen
    assert "Atitle" in seen["work"] and "Acredit" in seen["work"] and "Citeen" in seen["winners"]
    # Private fields never reach the public, even escaped.
    private = {"Jaffil", "Jbio", "Scomment", "Ccomment", "Basis", "Objtext", "Afilename", "Avideo", "U0real"}
    assert not private & set().union(*seen.values())


def test_objection_form_and_my_objections_escape_text_and_answer(world, charlie):
    slug = world["competition"].slug
    client = client_for(charlie)
    html = get(client, reverse("judging:results", args=[slug]), "results (author)")
    assert "Answer" in shown_labels(html, LABELS)
    form = reverse("judging:objection_create", args=[slug, world["version"].pk, world["second"].number])
    assert "Btitle" in shown_labels(get(client, form, "objection form"), LABELS)


# ------------------------------------------------------------------------------------------------ entrant


def test_entrant_pages_show_probes_only_escaped(world, charlie):
    first = world["first"]
    client = client_for(charlie)
    pages = {"dashboard": reverse("submissions:dashboard"),
             "overview": reverse("submissions:entry_overview", args=[first.pk]),
             "coowners": reverse("submissions:coowners", args=[first.pk]),
             "profile": reverse("portal:profile")}
    for step in ("basics", "details", "credits", "materials", "videos", "aigc", "declarations"):
        pages[f"step {step}"] = reverse("submissions:entry_step", args=[first.pk, step])
    seen = {name: shown_labels(get(client, url, name), LABELS) for name, url in pages.items()}
    assert "Atitle" in seen["overview"] and "Afilename" in seen["step materials"] and "Avideo" in seen["step videos"]
    assert {"Acredit", "Arole", "Aaitools", "Aplatform"} <= set().union(*seen.values()), seen
    # htmx fragment and JSON status of the videos.
    get(client, reverse("submissions:entry_step", args=[first.pk, "videos"]), "videos (htmx)", **{"HX-Request": "true"})
    status = client.get(reverse("submissions:video_status", args=[first.pk]))
    assert status.status_code == 200
    if status["Content-Type"].startswith("text/html"):
        assert_safe(status.content.decode(), "video status")
    else:
        assert status["Content-Type"].startswith("application/json")


def test_emails_escape_titles_objections_and_answers(world):
    html_parts = [
        content for message in mail.outbox for content, kind in getattr(message, "alternatives", [])
        if kind == "text/html"
    ]
    assert html_parts, "no HTML result emails were sent"
    joined = "\n".join(html_parts)
    assert_safe(joined, "result emails")
    # Feedback (round 1 shares it): the judges' comments reach the entrant, escaped.
    assert {"Atitle", "Objtext", "Answer", "Scomment", "Ccomment"} <= shown_labels(joined, LABELS)


# ------------------------------------------------------------------------------------------------ organizer


def test_organizer_pages_show_probes_only_escaped(world, alice):
    competition, round1, round2 = world["competition"], world["round1"], world["round2"]
    slug, first, second = competition.slug, world["first"], world["second"]
    unit = world["units"][0]
    client = client_for(alice)
    rr = [slug, round1.pk]
    pages = {
        "console": reverse("portal:console_competition", args=[slug]),
        "team": reverse("portal:console_team", args=[slug]),
        "unit": reverse("portal:console_unit_edit", args=[slug, unit.pk]),
        "entries": reverse("submissions:organizer_entry_list", args=[slug]),
        "entry": reverse("submissions:organizer_entry_detail", args=[slug, first.pk]),
        "entry2": reverse("submissions:organizer_entry_detail", args=[slug, second.pk]),
        "videos": reverse("submissions:organizer_videos", args=[slug]),
        "rounds": reverse("judging:rounds", args=[slug]),
        "round": reverse("judging:round_detail", args=rr),
        "round entries": reverse("judging:round_entries", args=rr),
        "panel": reverse("judging:panel", args=rr),
        "assignments": reverse("judging:assignments", args=rr),
        "progress": reverse("judging:progress", args=rr),
        "ranking": reverse("judging:ranking", args=rr),
        "versions": reverse("judging:versions", args=rr),
        "version": reverse("judging:version_detail", args=[*rr, world["version"].pk]),
        "analytics": reverse("judging:analytics", args=rr),
        "conflicts": reverse("judging:conflicts", args=[slug]),
        "ledger": reverse("judging:ledger", args=[slug]),
        "awards": reverse("judging:awards", args=[slug]),
        "award": reverse("judging:award_detail", args=[slug, AwardCategory.objects.filter(
            competition=competition).first().pk]),
        "final ranking": reverse("judging:ranking", args=[slug, round2.pk]),
    }
    seen = {name: shown_labels(get(client, url, name), LABELS) for name, url in pages.items()}
    everything = set().union(*seen.values())
    assert {"Atitle", "Acredit", "Basis", "Objtext", "Override", "Unit1en", "Citeen"} <= everything, seen
    assert "Objtext" in seen["version"] and "Atitle" in seen["entry"] and "Basis" in seen["conflicts"]


# ------------------------------------------------------------------------------------------------ judge


@pytest.fixture
def judging(competition, unit, bob):
    """An open round: bob judges an entry full of probes; he has a draft with a probe comment."""
    Unit.objects.filter(pk=unit.pk).update(name_en=probe("Junit"))
    entry = set_entry_probes(eligible_entry(unit), "J")
    round = RoundFactory(competition=competition, position=1)
    RubricFactory(round=round)
    PanelMembershipFactory(round=round, judge=bob)
    RoundEntry.objects.create(round=round, entry=entry)
    assignment = AssignmentFactory(round=round, entry=entry, judge=bob)
    other = PanelMembershipFactory(round=round, judge=UserFactory()).judge
    AssignmentFactory(round=round, entry=entry, judge=other)
    probe_people(other)
    draft = submitted_score(round=round, entry=entry, judge=bob, values={"story": 5, "craft": 5})
    Score.objects.filter(pk=draft.pk).update(status="draft", submitted_at=None, comment=probe("Sdraft"))
    CriterionScore.objects.filter(score=draft).update(comment=probe("Cdraft"))
    return {"round": round, "entry": entry, "assignment": assignment}


def test_judge_pages_show_probes_only_escaped(judging, bob, competition):
    round, entry = judging["round"], judging["entry"]
    client = client_for(bob)
    entry_url = reverse("judging:entry", args=[round.pk, entry.pk])
    pages = {
        "home": reverse("judging:judge_home"),
        "queue": reverse("judging:queue", args=[round.pk]),
        "entry": entry_url,
        "profile": reverse("judging:judge_profile"),
    }
    seen = {name: shown_labels(get(client, url, name), LABELS) for name, url in pages.items()}
    assert {"Jtitle", "Jloglineen", "Jaistatement"} <= seen["entry"], seen
    assert {"Jtitle", "Jtitleen"} & seen["queue"]
    assert "Sdraft" in seen["entry"]  # the judge's own draft comment, back in the form
    # Blind judging: names, file names and credits are not shown at all.
    assert not {"Jcredit", "Jfilename", "Jvideo", "U0name"} & set().union(*seen.values())


LABELS = sorted(
    {f"{tag}{field}" for tag in "ABJ" for field in (
        "title", "titleen", "logline", "loglineen", "synopsis", "synopsisen", "long", "longen", "country", "filing",
        "platform", "aitools", "aistatement", "outline", "episodeplan", "credit", "role", "other", "filename", "video",
    )}
    | {f"U{n}{field}" for n in range(3) for field in ("name", "real", "org", "bio")}
    | {"Cdesc", "Cdescen", "Crules", "Crulesen", "Trackdesc", "Unit1", "Unit1en", "Unit1desc", "Unit2", "Unit2en",
       "Jaffil", "Jbio", "Scomment", "Ccomment", "Round1", "Override", "Declval", "Declreason", "Basis", "Waiver",
       "Vreason", "Objtext", "Objtwo", "Answer", "Citezh", "Citeen", "Awardname", "Junit", "Sdraft", "Cdraft"}
)


# ------------------------------------------------------------------------------------------------ through the forms


def test_the_detector_catches_raw_probes():
    for raw in (probe("X"), f'<a href="{JS_URL}">x</a>', f"<a href='  {JS_URL}'>x</a>"):
        with pytest.raises(AssertionError):
            assert_safe(f"<p>{raw}</p>", "self-test")
    assert_safe(f"<p>{escaped('X')}</p>", "self-test")


def test_probes_typed_into_the_entrant_forms_are_kept_as_text_and_shown_escaped(unit, charlie, alice):
    from tests.submissions.entrant_support import basics_data, details_data, require_default_materials, step_url

    require_default_materials(unit.competition)
    entry = EntryFactory(unit=unit, owner=charlie)
    client = client_for(charlie)
    response = client.post(step_url(entry, "basics"), basics_data(entry, title=probe("F")[:120], logline=BREAKOUT))
    assert response.status_code == 302, response.content.decode()[:2000]
    entry.refresh_from_db()
    assert entry.title == probe("F")  # stored as typed: the defence is in the rendering
    for url in (step_url(entry, "basics"), reverse("submissions:entry_overview", args=[entry.pk])):
        assert "F" in shown_labels(get(client, url, url), ["F"])
    html = get(client_for(alice), reverse("submissions:organizer_entry_detail", args=[unit.competition.slug, entry.pk]),
               "organizer entry")
    assert "F" in shown_labels(html, ["F"])

    # A javascript: address is not a release platform.
    before = list(entry.platforms)
    response = client.post(step_url(entry, "details"), details_data(entry, platforms=[("抖音", JS_URL)]))
    assert response.status_code == 200
    assert "Enter a web link that starts with http:// or https://." in response.content.decode()
    entry.refresh_from_db()
    assert entry.platforms == before


def test_line_breaks_in_one_line_fields_never_reach_an_email_header(unit, charlie, django_capture_on_commit_callbacks):
    """A crafted request can put CR/LF into a title; it is stored as one line, and an entry whose title already has
    one (older data) still gets its emails, with a one-line subject and no extra recipient."""
    from tests.submissions.entrant_support import basics_data, require_default_materials, step_url

    require_default_materials(unit.competition)
    entry = EntryFactory(unit=unit, owner=charlie)
    client = client_for(charlie)
    injected = "追光\r\nBcc: evil@example.com\r\n\r\n<b>body</b>"
    response = client.post(step_url(entry, "basics"), basics_data(entry, title=injected, title_en="A\tB\x0bC"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "追光 Bcc: evil@example.com <b>body</b>" and entry.title_en == "A B C"

    Entry.objects.filter(pk=entry.pk).update(title=injected)  # as if stored before this check existed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("submissions:coowners", args=[entry.pk]), {"email": "dora@example.com"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["dora@example.com"] and not message.bcc and not message.cc
    assert "\n" not in message.subject and "\r" not in message.subject
    assert "追光 Bcc: evil@example.com" in message.subject
    headers = message.message().as_string().split("\n\n", 1)[0]
    assert "\nBcc:" not in headers  # in the body, the title is just text


# ------------------------------------------------------------------------------------------------ query strings


def test_hostile_query_strings_are_never_reflected_raw_nor_a_500(world, alice, charlie):
    """Search boxes and filters echo what was asked: escaped. NUL (which PostgreSQL refuses in a query) is no 500."""
    competition, round1 = world["competition"], world["round1"]
    slug = competition.slug
    hostile = [probe("Q"), "\x00", "%00' OR 1=1 --", "9" * 40, "-1"]
    organizer_pages = [
        reverse("submissions:organizer_entry_list", args=[slug]),
        reverse("submissions:organizer_videos", args=[slug]),
        reverse("judging:round_entries", args=[slug, round1.pk]),
        reverse("judging:ranking", args=[slug, round1.pk]),
        reverse("judging:ledger", args=[slug]),
    ]
    public_pages = [reverse("judging:public_version", args=[slug, world["version"].pk]),
                    reverse("judging:results", args=[slug])]
    keys = ["q", "unit", "track", "status", "country", "aigc", "show", "page", "dpage", "method", "size"]
    for client, pages in ((client_for(alice), organizer_pages), (client_for(charlie), public_pages)):
        for url in pages:
            for value in hostile:
                response = client.get(url, dict.fromkeys(keys, value))
                assert response.status_code in (200, 400, 404), (url, repr(value), response.status_code)
                assert_safe(response.content.decode(), f"{url} ?{value!r}")
