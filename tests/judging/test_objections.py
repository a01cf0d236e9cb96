"""Objections during the public notice: who may lodge one, evidence checked by content (nothing stored when
refused), the organizers' answers and finalisation."""

import io
import zipfile
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from judging import advancement, objections, versions
from judging.models import Objection, ObjectionStatus, VersionStatus
from portal.models import ActionLog, LoggedAction
from tests.factories import UserFactory, eligible_entry
from tests.judging.results_support import scored_competition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def setup(competition, unit, alice):
    data = scored_competition(competition, unit)
    advancement.advance(round=data["first"], actor=alice, top_k_per_unit=2)
    version = versions.prepare_version(round=data["first"], actor=alice)
    version.notice_ends_at = timezone.now() + timedelta(days=7)
    version.save(update_fields=["notice_ends_at"])
    with mock.patch.object(versions, "queue_notifications"):
        data["version"] = versions.publish_version(version=version, actor=alice)
    return data


@pytest.fixture
def objector(db):
    return UserFactory(email="objector@example.com", display_name="Olivia Objector")


def stored_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def evidence_files():
    return [name for name in stored_files() if name.startswith(f"{objections.EVIDENCE_FOLDER}/")]


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="PNG")
    return out.getvalue()


def test_lodge_with_pdf_evidence_emails_organizers(setup, objector, alice, django_capture_on_commit_callbacks):
    version, entry = setup["version"], setup["entries"][2]
    upload = SimpleUploadedFile("我的身份证 Olivia.pdf", PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        objection = objections.lodge_objection(
            version=version, entry=entry, author=objector, text="  评分有误 <script>x</script>  ", evidence=upload
        )
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN and objection.text == "评分有误 <script>x</script>"
    assert objection.evidence_type == "application/pdf" and objection.evidence_size == len(PDF)
    # Stored under a random name: the uploader's file name is gone.
    name = objection.evidence.name
    assert name.startswith("objections/") and name.endswith(".pdf") and "Olivia" not in name
    assert evidence_files() == [name]

    (message,) = mail.outbox
    assert message.to == [alice.email]
    assert entry.number in message.subject
    competition = setup["first"].competition
    assert message.body.index(competition.name_zh) < message.body.index(competition.name_en)
    assert "objector@example.com" in message.body and "评分有误" in message.body
    html = message.alternatives[0][0]
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert f"/results/versions/{version.pk}/" in message.body


def test_image_evidence_is_reencoded(setup, objector):
    upload = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    objection = objections.lodge_objection(
        version=setup["version"], entry=setup["entries"][0], author=objector, text="见截图", evidence=upload
    )
    assert objection.evidence_type == "image/png" and objection.evidence.name.endswith(".png")


def test_docx_evidence_accepted(setup, objector):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    upload = SimpleUploadedFile("letter.docx", buffer.getvalue())
    objection = objections.lodge_objection(
        version=setup["version"], entry=setup["entries"][0], author=objector, text="附说明", evidence=upload
    )
    assert objection.evidence.name.endswith(".docx")


def zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("evidence.pdf", b"just some text pretending to be a PDF", "type"),
        ("evidence.zip", zip_bytes(), "type"),
        ("evidence.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "type"),
        ("huge.pdf", PDF + b"0" * (20 * 1024 * 1024), "too_large"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_bad_evidence_refused_and_nothing_stored(setup, objector, name, content, code):
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(ValidationError) as error:
        objections.lodge_objection(
            version=setup["version"], entry=setup["entries"][0], author=objector, text="异议", evidence=upload
        )
    assert error.value.code == code
    if name in ("evidence.pdf", "evidence.svg"):
        assert "not a PDF, DOCX, JPEG, PNG or WebP file" in error.value.messages[0]
    assert not Objection.objects.exists()
    assert evidence_files() == []
    assert mail.outbox == []


def test_refused_without_sign_in_outside_the_notice_or_for_an_unlisted_entry(setup, objector, unit):
    version, entry = setup["version"], setup["entries"][0]
    for author in (None, AnonymousUser()):
        with pytest.raises(ValidationError, match="Sign in"):
            objections.lodge_objection(version=version, entry=entry, author=author, text="异议")
    with pytest.raises(ValidationError, match="not part of this result"):
        objections.lodge_objection(version=version, entry=eligible_entry(unit), author=objector, text="异议")
    with pytest.raises(ValidationError, match="Say what you object to"):
        objections.lodge_objection(version=version, entry=entry, author=objector, text="   ")

    now = timezone.now()
    type(version).objects.filter(pk=version.pk).update(
        publish_at=now - timedelta(days=8),
        published_at=now - timedelta(days=8),
        notice_ends_at=now - timedelta(minutes=1),
    )
    version.refresh_from_db()
    with pytest.raises(ValidationError, match="public notice ended at"):
        objections.lodge_objection(version=version, entry=entry, author=objector, text="异议")
    assert not Objection.objects.exists()


def test_refused_before_publication(competition, unit, alice, objector):
    data = scored_competition(competition, unit)
    advancement.advance(round=data["first"], actor=alice, top_k_per_unit=2)
    draft = versions.prepare_version(round=data["first"], actor=alice)
    with pytest.raises(ValidationError, match="has not been published"):
        objections.lodge_objection(version=draft, entry=data["entries"][0], author=objector, text="异议")
    assert draft.status == VersionStatus.DRAFT and not Objection.objects.exists()


def test_answers_email_the_author(setup, objector, alice, django_capture_on_commit_callbacks):
    version, entry = setup["version"], setup["entries"][2]
    objection = objections.lodge_objection(version=version, entry=entry, author=objector, text="第三名应晋级")
    with pytest.raises(ValidationError, match="Write the answer"):
        objections.answer_objection(objection=objection, actor=alice, upheld=True, answer=" ")
    with django_capture_on_commit_callbacks(execute=True):
        objections.answer_objection(objection=objection, actor=alice, upheld=False, answer="评分复核无误。")
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.REJECTED and objection.answered_by == alice
    (message,) = mail.outbox
    assert message.to == ["objector@example.com"]
    assert "评分复核无误。" in message.body and "第三名应晋级" in message.body and "rejected" in message.body
    assert ActionLog.objects.filter(action=LoggedAction.OBJECTION_ANSWERED, data__status="rejected").exists()
    with pytest.raises(ValidationError, match="already been answered"):
        objections.answer_objection(objection=objection, actor=alice, upheld=True, answer="改判")

    second = objections.lodge_objection(version=version, entry=entry, author=objector, text="补充材料")
    objections.answer_objection(objection=second, actor=alice, upheld=True, answer="异议成立，将修订结果。")
    assert Objection.objects.get(pk=second.pk).status == ObjectionStatus.UPHELD


def test_finalise_after_the_notice_with_every_objection_answered(setup, objector, alice):
    version, entry = setup["version"], setup["entries"][0]
    objection = objections.lodge_objection(version=version, entry=entry, author=objector, text="异议")
    with pytest.raises(ValidationError, match="finalise after it ends"):
        versions.finalise_version(version=version, actor=alice)

    after = version.notice_ends_at + timedelta(minutes=1)
    with pytest.raises(ValidationError) as error:
        versions.finalise_version(version=version, actor=alice, now=after)
    assert "1 objection still waits for an answer" in error.value.messages[0]
    assert error.value.messages[1].startswith(f"{entry.number} — lodged ")
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED

    objections.answer_objection(objection=objection, actor=alice, upheld=False, answer="无误")
    version = versions.finalise_version(version=version, actor=alice, now=after)
    assert version.status == VersionStatus.FINAL and version.finalised_by == alice and version.finalised_at == after
    assert ActionLog.objects.filter(action=LoggedAction.RESULT_FINALISED).exists()
    # A final version is out of its notice: no more objections.
    with pytest.raises(ValidationError, match="no longer"):
        objections.lodge_objection(version=version, entry=entry, author=objector, text="迟到的异议")
