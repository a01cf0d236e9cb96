"""Objections during the public notice: sign-in required, a form with optional evidence checked by content, what
was typed kept on a refusal, the author's list of objections, and the evidence served to its author and the
competition's organizers only."""

import io

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from judging import objections, versions
from judging.models import Objection, ObjectionStatus, VersionStatus
from tests.factories import UserFactory
from tests.judging.test_public_results import end_notice, english, publish_now, raw_version, results_world


@pytest.fixture
def world(alice, competition):
    return results_world(competition, alice, per_unit=2, top_k=1)


def objection_url(version, entry):
    return reverse("judging:objection_create", args=[version.round.competition.slug, version.pk, entry.number])


def png_upload(name="evidence.png"):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def lodge(user, version, entry, text="该作品涉嫌抄袭。", evidence=None):
    return objections.lodge_objection(version=version, entry=entry, author=user, text=text, evidence=evidence)


def test_anonymous_is_sent_to_sign_in(world):
    url = objection_url(world["version"], world["advanced"][0])
    for response in (english().get(url), english().post(url, {"text": "x"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert "next=" in response["Location"]
    assert not Objection.objects.exists()


def test_a_signed_in_user_lodges_an_objection_with_evidence(world, charlie, alice, django_capture_on_commit_callbacks):
    version, entry = world["version"], world["advanced"][0]
    client = english(charlie)
    form = client.get(objection_url(version, entry))
    assert form.status_code == 200
    html = form.content.decode()
    assert entry.number in html and entry.title in html
    assert 'enctype="multipart/form-data"' in html and 'name="evidence"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            objection_url(version, entry), {"text": "  该作品涉嫌抄袭。  ", "evidence": png_upload("张三的证据.png")}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("judging:results", args=[world["competition"].slug]) + "#my-objections"
    objection = Objection.objects.get()
    assert (objection.version, objection.entry, objection.author) == (version, entry, charlie)
    assert objection.text == "该作品涉嫌抄袭。" and objection.status == ObjectionStatus.OPEN
    assert objection.evidence_type == "image/png"
    assert default_storage.exists(objection.evidence.name) and "张三" not in objection.evidence.name
    assert any(alice.email in message.to for message in mail.outbox)  # the organizers are told

    page = client.get(response["Location"])
    html = page.content.decode()
    assert "has been lodged" in html
    assert 'id="my-objections"' in html and "Awaiting an answer" in html
    assert reverse("judging:objection_evidence", args=[objection.pk]) in html


def test_an_objection_without_evidence(world, charlie):
    response = english(charlie).post(objection_url(world["version"], world["advanced"][1]), {"text": "评分有误"})
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert not objection.evidence
    assert english(charlie).get(reverse("judging:objection_evidence", args=[objection.pk])).status_code == 404


def test_bad_evidence_is_refused_and_the_text_is_kept(world, charlie):
    url = objection_url(world["version"], world["advanced"][0])
    fake = SimpleUploadedFile("evidence.png", b"MZ\x90\x00 this is not an image at all", content_type="image/png")
    response = english(charlie).post(url, {"text": "我的异议 <b>原文</b>", "evidence": fake})
    assert response.status_code == 200
    html = response.content.decode()
    assert "judged by its content" in html
    assert "我的异议 &lt;b&gt;原文&lt;/b&gt;" in html  # kept, and escaped
    assert not Objection.objects.exists()


def test_an_empty_text_is_a_form_error(world, charlie):
    response = english(charlie).post(objection_url(world["version"], world["advanced"][0]), {"text": "   "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Objection.objects.exists()


def test_after_the_notice_objections_are_refused(world, charlie):
    version = end_notice(world["version"])
    url = objection_url(version, world["advanced"][0])
    page = english(charlie).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "objections are no longer accepted" in html
    assert '<form method="post" enctype' not in html
    response = english(charlie).post(url, {"text": "太晚了但还是要说"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "objections can no longer be lodged" in html
    assert "太晚了但还是要说" in html
    assert not Objection.objects.exists()


def test_objections_only_against_listed_entries_of_the_current_version(world, charlie, alice):
    version = world["version"]
    client = english(charlie)
    for entry in world["not_advanced"]:
        assert client.get(objection_url(version, entry)).status_code == 404
        assert client.post(objection_url(version, entry), {"text": "x"}).status_code == 404
    draft = raw_version(world["round2"], decisions=world["advanced"])
    assert client.get(objection_url(draft, world["advanced"][0])).status_code == 404
    # Superseded by a revision: the old version takes no objections.
    revision = versions.revise_version(version=version, actor=alice, reason="更正")
    publish_now(revision, alice)
    version.refresh_from_db()
    assert version.status == VersionStatus.SUPERSEDED
    assert client.post(objection_url(version, world["advanced"][0]), {"text": "x"}).status_code == 404
    assert client.get(objection_url(revision, world["advanced"][0])).status_code == 200
    assert not Objection.objects.exists()


def test_evidence_is_for_its_author_and_the_organizers_only(world, charlie, alice, bob, dave):
    objection = lodge(charlie, world["version"], world["advanced"][0], evidence=png_upload())
    url = reverse("judging:objection_evidence", args=[objection.pk])
    for user in (charlie, alice):
        response = english(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        disposition = response["Content-Disposition"]
        assert (
            disposition.startswith("attachment") and f'filename="objection-{objection.pk}-evidence.png"' in disposition
        )
        assert response["X-Content-Type-Options"] == "nosniff"
    for user in (bob, dave, UserFactory()):
        assert english(user).get(url).status_code == 404
    anonymous = english().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("account_login"))
    assert english(charlie).get(reverse("judging:objection_evidence", args=[objection.pk + 999])).status_code == 404


def test_organizer_without_mfa_is_sent_to_set_it_up(world, charlie, alice, settings):
    settings.STAFF_MFA_REQUIRED = True
    objection = lodge(charlie, world["version"], world["advanced"][0], evidence=png_upload())
    url = reverse("judging:objection_evidence", args=[objection.pk])
    response = english(alice).get(url)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    assert english(charlie).get(url).status_code == 200  # the author is not staff: no MFA needed


def test_answered_objections_show_their_answer_to_the_author(world, charlie, alice):
    objection = lodge(charlie, world["version"], world["advanced"][0])
    objections.answer_objection(objection=objection, actor=alice, upheld=True, answer="已核实，予以更正。")
    html = english(charlie).get(reverse("judging:results", args=[world["competition"].slug])).content.decode()
    assert "Upheld" in html and "已核实，予以更正。" in html
    other = english(UserFactory()).get(reverse("judging:results", args=[world["competition"].slug]))
    assert "已核实，予以更正。" not in other.content.decode()
