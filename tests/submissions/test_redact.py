"""Redacted copies of scripts for blind judging: the pages and text stay, the author's name in the metadata goes."""

import io
import zipfile

import pytest
from pypdf import PdfReader, PdfWriter

from submissions.redact import DOCX_TYPE, PDF_TYPE, RedactionError, redact_document
from tests.judging.judge_support import docx_bytes, pdf_bytes

SECRET = "Charlie Secret"


def test_pdf_loses_info_xmp_and_annotation_authors_but_keeps_its_pages():
    original = pdf_bytes(SECRET, pages=3)
    assert SECRET.encode() in original  # the fixture does carry the name
    redacted = redact_document(original, PDF_TYPE)
    assert SECRET.encode() not in redacted
    reader = PdfReader(io.BytesIO(redacted))
    assert len(reader.pages) == 3
    assert not reader.metadata  # no /Info at all, so no /Author, /Title, /Producer
    assert "/Metadata" not in reader.trailer["/Root"]
    annotations = [annotation.get_object() for annotation in reader.pages[0]["/Annots"]]
    assert annotations and all("/T" not in annotation for annotation in annotations)
    assert annotations[0]["/Contents"] == "A note on scene 3"  # the note itself is content: kept


def test_pdf_page_text_is_kept():
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(300, 300)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 20 150 Td (INT. HUTONG - DAY) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Author": SECRET})
    out = io.BytesIO()
    writer.write(out)
    redacted = redact_document(out.getvalue(), PDF_TYPE)
    assert "INT. HUTONG - DAY" in PdfReader(io.BytesIO(redacted)).pages[0].extract_text()
    assert SECRET.encode() not in redacted


def test_docx_properties_revision_and_comment_authors_are_blanked():
    original = docx_bytes(SECRET, company="Secret Studio")
    redacted = redact_document(original, DOCX_TYPE)
    with zipfile.ZipFile(io.BytesIO(redacted)) as archive:
        names = archive.namelist()
        parts = {name: archive.read(name).decode() for name in names}
    assert "docProps/custom.xml" not in names
    assert "custom.xml" not in parts["[Content_Types].xml"] and "custom.xml" not in parts["_rels/.rels"]
    for name, text in parts.items():
        assert SECRET not in text, name
        assert "Secret Studio" not in text, name
        assert "CharlieSecret" not in text, name
        assert "charlie@example.com" not in text, name
    core = parts["docProps/core.xml"]
    assert "<dc:creator></dc:creator>" in core and "<cp:lastModifiedBy></cp:lastModifiedBy>" in core
    assert "2026-01-02T03:04:05Z" in core  # dates name nobody: kept
    assert "<Company></Company>" in parts["docProps/app.xml"]
    assert "<Application>Microsoft Office Word</Application>" in parts["docProps/app.xml"]
    document = parts["word/document.xml"]
    assert 'w:author=""' in document and "第一场 日 内 胡同" in document and "改" in document
    assert 'w:initials=""' in parts["word/comments.xml"] and "check this" in parts["word/comments.xml"]
    assert 'w15:userId=""' in parts["word/people.xml"]
    # The package is still whole: every part is there but the custom properties.
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        assert set(archive.namelist()) - set(names) == {"docProps/custom.xml"}


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"%PDF-1.4\nnot really a pdf", PDF_TYPE),
        (b"", PDF_TYPE),
        (b"PK\x03\x04 broken zip", DOCX_TYPE),
        (b"plain text", "text/plain"),
    ],
)
def test_unreadable_documents_raise(data, content_type):
    with pytest.raises(RedactionError):
        redact_document(data, content_type)


def test_a_zip_that_is_not_a_word_document_raises():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", SECRET)
    with pytest.raises(RedactionError):
        redact_document(out.getvalue(), DOCX_TYPE)


def test_an_encrypted_pdf_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.add_metadata({"/Author": SECRET})
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(RedactionError):
        redact_document(out.getvalue(), PDF_TYPE)
