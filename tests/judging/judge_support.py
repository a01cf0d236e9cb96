"""Builders for the judge pages' tests: clients per role, files of an entry (posters, stills, scripts, videos),
scores made directly, and a PDF / DOCX whose metadata names their author."""

import io
import os
import zipfile
from decimal import Decimal

from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from judging.models import Conflict, CriterionScore, Score, ScoreStatus
from submissions.models import Material, ThumbnailStatus, VideoFile, VideoStatus
from tests.factories import CompetitionFactory, PanelMembershipFactory, RoundFactory, UnitFactory, UserFactory
from tests.submissions.entrant_support import image_bytes

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PREVIEW = os.urandom(4000)


def client_for(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


# ------------------------------------------------------------------------------------------------- people


def other_round_judge(competition):
    """A judge on another round of the same competition (position 2), assigned nothing in the first."""
    round = RoundFactory(competition=competition, position=2, name_zh="复评", name_en="Semi-final")
    return PanelMembershipFactory(round=round, judge=UserFactory(email="frank@example.com", display_name="Frank"))


def other_competition_judge():
    competition = CompetitionFactory(slug="another-one")
    round = RoundFactory(competition=competition, position=1)
    return PanelMembershipFactory(round=round, judge=UserFactory(email="gina@example.com", display_name="Gina"))


def conflict(judge, entry, source="declared"):
    return Conflict.objects.create(competition=entry.competition, judge=judge, entry=entry, source=source, basis="test")


# ------------------------------------------------------------------------------------------------- files


def make_image(entry, kind="poster_vertical", original_name="poster.jpg", thumbnail=True):
    portrait = kind != "poster_horizontal"
    width, height = (60, 90) if portrait else (90, 60)
    material = Material.objects.create(
        entry=entry,
        kind=kind,
        file=ContentFile(image_bytes(width, height, fmt="JPEG", exif=False), name="image.jpg"),
        original_name=original_name,
        content_type="image/jpeg",
        size=100,
        width=width,
        height=height,
    )
    if thumbnail:
        material.thumbnail = ContentFile(image_bytes(30, 45, fmt="WEBP", exif=False), name="thumb.webp")
        material.thumbnail_status = ThumbnailStatus.READY
        material.save()
    return material


def make_document(entry, kind="script", data=None, content_type=PDF, original_name="script.pdf"):
    data = data if data is not None else pdf_bytes()
    extension = "pdf" if content_type == PDF else "docx"
    return Material.objects.create(
        entry=entry,
        kind=kind,
        file=ContentFile(data, name=f"document.{extension}"),
        original_name=original_name,
        content_type=content_type,
        size=len(data),
    )


def make_video(entry, slot="episode-1", duration=100.0, status=VideoStatus.READY, original_name="第1集.mp4", **fields):
    video = VideoFile.objects.create(
        entry=entry,
        slot=slot,
        episode=int(slot.split("-")[1]) if slot.startswith("episode-") else None,
        file=ContentFile(b"original", name="original.mp4"),
        original_name=original_name,
        size=8,
        status=status,
        probe={"duration": duration},
        **fields,
    )
    video.preview = ContentFile(PREVIEW, name="preview.mp4")
    video.preview_size = len(PREVIEW)
    video.poster = ContentFile(image_bytes(90, 160, fmt="JPEG", exif=False), name="poster.jpg")
    video.save()
    return video


def pdf_bytes(author="Charlie Secret", pages=2):
    """A PDF whose /Info, XMP metadata and an annotation name `author`."""
    from pypdf import PdfWriter
    from pypdf.annotations import Text
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": author, "/Title": f"Script by {author}", "/Creator": "Word"})
    writer.xmp_metadata = (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>'
        + author.encode()
        + b'</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    note = Text(rect=(10, 10, 50, 50), text="A note on scene 3")
    note[NameObject("/T")] = TextStringObject(author)
    writer.add_annotation(0, note)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(author="Charlie Secret", company="Secret Studio", text="第一场 日 内 胡同"):
    """A small DOCX made by hand: core/app/custom properties, a tracked change, a comment and a people list that
    name `author`, and a template path with their account name."""
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
            'core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'extended-properties+xml"/>'
            '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'custom-properties+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'extended-properties" Target="docProps/app.xml"/>'
            '<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'custom-properties" Target="docProps/custom.xml"/>'
            "</Relationships>"
        ),
        "docProps/core.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{author}'s script</dc:title><dc:creator>{author}</dc:creator>"
            f"<cp:lastModifiedBy>{author}</cp:lastModifiedBy><cp:keywords>{author}</cp:keywords>"
            '<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-02T03:04:05Z</dcterms:created>'
            "</cp:coreProperties>"
        ),
        "docProps/app.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            f"<Application>Microsoft Office Word</Application><Company>{company}</Company>"
            f"<Manager>{author}</Manager><Pages>1</Pages></Properties>"
        ),
        "docProps/custom.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties">'
            f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="Owner">'
            f'<vt:lpwstr xmlns:vt="x">{author}</vt:lpwstr></property></Properties>'
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
            f'<w:p><w:ins w:id="1" w:author="{author}" w:date="2026-01-02T03:04:05Z"><w:r><w:t>改</w:t></w:r></w:ins>'
            f"<w:del w:id='2' w:author='{author}'><w:r><w:delText>删</w:delText></w:r></w:del></w:p>"
            "</w:body></w:document>"
        ),
        "word/comments.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:comments xmlns:w="{W}"><w:comment w:id="0" w:author="{author}" w:initials="CS">'
            "<w:p><w:r><w:t>check this</w:t></w:r></w:p></w:comment></w:comments>"
        ),
        "word/people.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">'
            f'<w15:person w15:author="{author}"><w15:presenceInfo w15:providerId="AD" '
            'w15:userId="S::charlie@example.com::1234"/></w15:person></w15:people>'
        ),
        "word/settings.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:settings xmlns:w="{W}"/>',
        "word/_rels/settings.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'attachedTemplate" Target="file:///C:/Users/CharlieSecret/Templates/Normal.dotm" TargetMode="External"/>'
            "</Relationships>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode())
    return out.getvalue()


# ------------------------------------------------------------------------------------------------- scores


def make_score(assignment, values=None, status=ScoreStatus.SUBMITTED, comment="", judge=None):
    """A score written directly (not through judging.scoring): `values` maps criterion key -> Decimal."""
    round = assignment.round
    rubric = round.rubrics.filter(track=assignment.entry.track).order_by("-version").first()
    criteria = {criterion.key: criterion for criterion in rubric.criteria.all()}
    values = values or {key: Decimal("8") for key in criteria}
    total = (
        sum((values[key] - c.min_score) / (c.max_score - c.min_score) * c.weight for key, c in criteria.items())
        * 100
        / sum(c.weight for c in criteria.values())
    )
    score = Score.objects.create(
        round=round,
        entry=assignment.entry,
        judge=judge or assignment.judge,
        rubric=rubric,
        status=status,
        total=total if status == ScoreStatus.SUBMITTED else None,
        comment=comment,
        submitted_at=timezone.now() if status == ScoreStatus.SUBMITTED else None,
    )
    for key, criterion in criteria.items():
        CriterionScore.objects.create(score=score, criterion=criterion, value=values.get(key), comment="ok")
    return score


def entry_url(assignment):
    return reverse("judging:entry", args=[assignment.round_id, assignment.entry_id])


def queue_url(round):
    return reverse("judging:queue", args=[round.pk])


def second_unit(competition):
    return UnitFactory(competition=competition, slug="sci-fi", name_zh="科技奇境", name_en="Sci-Tech Wonder")
