"""Redacted copies of documents for blind judging: the pages stay, the names in the file's metadata go.

A PDF loses its document information (/Info), its XMP metadata (catalog, pages and images), annotation authors
(/T), attached files and every object no longer referenced. A DOCX keeps its text but loses the author, editor,
title and the like in docProps/core.xml, Company and Manager in docProps/app.xml, docProps/custom.xml, the
author and initials of tracked changes and comments (w:author, w:initials in word/*.xml), the people list's
account ids, and a template path that may name the author's computer account.

What the document's own text says is the entrant's business: only the metadata a word processor adds without
asking is removed. A document that cannot be read raises RedactionError; callers serve nothing then.
"""

import io
import posixpath
import re
import zipfile

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# A script is at most tens of MB; a DOCX unpacking to far more is refused (the upload check uses the same limits).
DOCX_MAX_UNPACKED_BYTES = 300 * 1024 * 1024
DOCX_MAX_MEMBERS = 10_000


def redacted_name(name):
    """materials/ab12.pdf -> materials/ab12.redacted.pdf: the cached redacted copy sits next to the original, and
    is deleted with it (submissions.services)."""
    stem, extension = posixpath.splitext(name)
    return f"{stem}.redacted{extension}"


class RedactionError(Exception):
    """The document could not be read or rewritten; nothing of it may be served."""


def redact_document(data: bytes, content_type: str) -> bytes:
    """The document without identifying metadata, in the same format. RedactionError if that is not possible."""
    if content_type == PDF_TYPE:
        return redact_pdf(data)
    if content_type == DOCX_TYPE:
        return redact_docx(data)
    raise RedactionError(f"no redaction for {content_type!r}")


# ------------------------------------------------------------------------------------------------------ PDF


def redact_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise RedactionError("the PDF is encrypted")
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None  # the /Info dictionary
        writer.xmp_metadata = None  # the catalog's /Metadata stream
        root = writer.root_object
        for key in ("/PieceInfo", "/SpiderInfo"):
            if key in root:
                del root[key]
        names = root.get("/Names")
        if names is not None:
            names = names.get_object()
            if "/EmbeddedFiles" in names:
                del names["/EmbeddedFiles"]
        for page in writer.pages:
            _redact_page(page)
        # Drop what no longer hangs off the document (the old /Info, XMP and attachments): written otherwise.
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
    except RedactionError:
        raise
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError, OSError, RecursionError) as error:
        raise RedactionError(f"unreadable PDF: {error}") from error
    result = out.getvalue()
    if not result.startswith(b"%PDF-"):
        raise RedactionError("pypdf wrote no PDF")
    return result


def _redact_page(page):
    from pypdf.generic import ArrayObject

    for key in ("/Metadata", "/PieceInfo"):
        if key in page:
            del page[key]
    annotations = page.get("/Annots")
    if annotations is not None:
        kept = ArrayObject()
        for reference in annotations.get_object():
            annotation = reference.get_object()
            if not hasattr(annotation, "keys"):
                continue
            if annotation.get("/Subtype") == "/FileAttachment":
                continue  # an attached file carries its own name and metadata
            for key in ("/T", "/FS"):
                if key in annotation:
                    del annotation[key]
            popup = annotation.get("/Popup")
            if popup is not None and hasattr(popup.get_object(), "keys") and "/T" in popup.get_object():
                del popup.get_object()["/T"]
            kept.append(reference)
        page[_name("/Annots")] = kept
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if hasattr(resources, "get") else None
    if xobjects is not None:
        for reference in xobjects.get_object().values():
            xobject = reference.get_object()
            if hasattr(xobject, "keys") and "/Metadata" in xobject:
                del xobject["/Metadata"]


def _name(value):
    from pypdf.generic import NameObject

    return NameObject(value)


# ----------------------------------------------------------------------------------------------------- DOCX

CORE_BLANKED = (
    "creator",
    "lastModifiedBy",
    "title",
    "subject",
    "description",
    "keywords",
    "category",
    "contentStatus",
    "identifier",
)
APP_BLANKED = ("Company", "Manager", "HyperlinkBase")
# Attributes naming a person in the document's XML: authors of revisions and comments, their initials, and the
# account behind a person in word/people.xml (e.g. "S::charlie@example.com::...").
PERSON_ATTRIBUTE = re.compile(rb'(\s[\w.-]+:(?:author|initials|userId|providerId))\s*=\s*(?:"[^"]*"|\'[^\']*\')')
CUSTOM_PART = "docProps/custom.xml"


def _blank_elements(xml: bytes, local_names) -> bytes:
    for local in local_names:
        pattern = re.compile(rb"<((?:[\w.-]+:)?" + local.encode() + rb")(\s[^>]*)?(?<!/)>.*?</\1\s*>", re.DOTALL)
        xml = pattern.sub(
            lambda match: b"<" + match.group(1) + (match.group(2) or b"") + b"></" + match.group(1) + b">", xml
        )
    return xml


def _without_custom_part(name: str, xml: bytes) -> bytes:
    """Remove the references to docProps/custom.xml, so Word does not report a missing part."""
    if name == "[Content_Types].xml":
        return re.sub(rb'<Override\b[^>]*PartName\s*=\s*"/docProps/custom\.xml"[^>]*/>', b"", xml)
    return re.sub(rb'<Relationship\b[^>]*Target\s*=\s*"/?docProps/custom\.xml"[^>]*/>', b"", xml)


def _without_external_targets(xml: bytes) -> bytes:
    """word/_rels/settings.xml.rels may point at the author's own template, e.g. file:///C:/Users/charlie/..."""

    def blank(match):
        element = match.group(0)
        if not re.search(rb'TargetMode\s*=\s*"External"', element):
            return element
        return re.sub(rb'(\sTarget\s*=\s*)"[^"]*"', rb'\1""', element)

    return re.sub(rb"<Relationship\b[^>]*>", blank, xml)


def redact_docx(data: bytes) -> bytes:
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        members = source.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise RedactionError(f"unreadable DOCX: {error}") from error
    names = {member.filename for member in members}
    if "word/document.xml" not in names:
        raise RedactionError("not a Word document")
    if len(members) > DOCX_MAX_MEMBERS or sum(member.file_size for member in members) > DOCX_MAX_UNPACKED_BYTES:
        raise RedactionError("the DOCX unpacks to an unreasonable size")
    out = io.BytesIO()
    try:
        with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for member in members:
                name = member.filename
                if name == CUSTOM_PART:
                    continue
                content = source.read(member)
                if name == "docProps/core.xml":
                    content = _blank_elements(content, CORE_BLANKED)
                elif name == "docProps/app.xml":
                    content = _blank_elements(content, APP_BLANKED)
                elif name.startswith("word/") and name.endswith(".xml"):
                    content = PERSON_ATTRIBUTE.sub(rb'\1=""', content)
                elif name == "word/_rels/settings.xml.rels":
                    content = _without_external_targets(content)
                if name == "[Content_Types].xml" or name.endswith(".rels"):
                    content = _without_custom_part(name, content)
                info = zipfile.ZipInfo(name, date_time=member.date_time)
                info.compress_type = (
                    zipfile.ZIP_STORED if member.compress_type == zipfile.ZIP_STORED else (zipfile.ZIP_DEFLATED)
                )
                info.external_attr = member.external_attr
                target.writestr(info, content)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
        raise RedactionError(f"unreadable DOCX: {error}") from error
    return out.getvalue()
