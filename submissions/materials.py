"""Checks an uploaded material by its content, never by its name, and prepares what is stored.

Images are opened with Pillow (real format, pixel bounds checked before decoding, truncation caught) and
re-encoded without EXIF or other metadata; documents are recognised by their magic bytes and structure.
"""

import io
import re
import secrets
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.models import MaterialKind

IMAGE_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
PDF = ("application/pdf", "pdf")
DOCX = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
MAX_STILLS = 6
DOCX_MAX_UNPACKED_BYTES = 300 * 1024 * 1024
DOCX_MAX_MEMBERS = 10_000
PDF_TRAILING_ALLOWED = b" \t\r\n\x00\x0c"


def _pdf_name(name):
    """A PDF name as a byte pattern that also matches its #xx-escaped spellings (/Java#53cript is /JavaScript)."""
    return b"/" + b"".join(b"(?:%s|#%X|#%x)" % (re.escape(bytes([c])), c, c) for c in name.encode()) + rb"(?![\w#])"


# Actions that make a reader run code or a program; a script, a form or a letter needs none. (Inside compressed
# object streams names are not visible to this scan; pypdf looks at the catalog's own actions as well. The /JS key
# is left out: three bytes turn up by chance in the compressed images of a large PDF, and a JavaScript action
# always names /JavaScript too.)
PDF_ACTIVE = re.compile(b"|".join(_pdf_name(name) for name in ("JavaScript", "Launch", "RichMedia")))
# Word parts that run code, and relationships that make Word fetch something from elsewhere when it opens the
# file (a remote template or object leaks the reader's address and Windows credentials, and can bring macros).
DOCX_XML_PART_MAX_BYTES = 5 * 1024 * 1024  # a content-types or relationships part is a few KB in real documents
DOCX_MACRO_PARTS = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml)$", re.IGNORECASE)
DOCX_MACRO_TYPE = re.compile(rb"macroEnabled|vbaProject", re.IGNORECASE)
DOCX_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.IGNORECASE)
DOCX_REMOTE_TARGET = re.compile(rb'Target\s*=\s*["\']\s*(?:[a-z][a-z0-9+.-]*://(?!/)|\\\\|//)', re.IGNORECASE)
DOCX_EXTERNAL = re.compile(rb'TargetMode\s*=\s*["\']External["\']', re.IGNORECASE)
DOCX_HYPERLINK = re.compile(rb'Type\s*=\s*["\'][^"\']*/hyperlink["\']', re.IGNORECASE)


@dataclass(frozen=True)
class MaterialRule:
    accepts_images: bool = False
    accepts_pdf: bool = False
    accepts_docx: bool = False
    min_width: int = 0
    min_height: int = 0
    orientation: str = ""  # "portrait", "landscape" or "" for either


RULES = {
    MaterialKind.POSTER_VERTICAL: MaterialRule(
        accepts_images=True, min_width=540, min_height=720, orientation="portrait"
    ),
    MaterialKind.POSTER_HORIZONTAL: MaterialRule(
        accepts_images=True, min_width=720, min_height=405, orientation="landscape"
    ),
    MaterialKind.STILLS: MaterialRule(accepts_images=True, min_width=640, min_height=360),
    MaterialKind.SCRIPT: MaterialRule(accepts_pdf=True, accepts_docx=True),
    MaterialKind.ENTRY_FORM: MaterialRule(accepts_pdf=True, accepts_images=True),
    MaterialKind.RIGHTS_LETTER: MaterialRule(accepts_pdf=True, accepts_images=True),
}


@dataclass
class InspectedFile:
    content: File  # the upload itself (documents) or the re-encoded pixels (images)
    content_type: str
    extension: str
    size: int
    width: int | None = None
    height: int | None = None


def accepted_types_label(kind):
    rule = RULES[kind]
    parts = []
    if rule.accepts_images:
        parts.append("JPEG / PNG / WebP")
    if rule.accepts_pdf:
        parts.append("PDF")
    if rule.accepts_docx:
        parts.append("DOCX")
    return ", ".join(parts)


def html_accept(kind):
    """The `accept` attribute for the file input: a hint for the picker; the server decides by content."""
    rule = RULES[kind]
    accept = []
    if rule.accepts_images:
        accept += ["image/jpeg", "image/png", "image/webp"]
    if rule.accepts_pdf:
        accept.append(".pdf")
    if rule.accepts_docx:
        accept.append(".docx")
    return ",".join(accept)


def clean_filename(name, limit=150):
    """The entrant's file name made safe to show: no folders, control or direction-override characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .") or "file"
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: limit - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:limit]
    return name


def random_name(folder, extension):
    return f"{folder}/{secrets.token_hex(16)}.{extension}"


def max_bytes_for(kind):
    rule = RULES[kind]
    if rule.accepts_images and not (rule.accepts_pdf or rule.accepts_docx):
        return settings.MATERIAL_IMAGE_MAX_BYTES
    return max(settings.MATERIAL_DOCUMENT_MAX_BYTES, settings.MATERIAL_IMAGE_MAX_BYTES if rule.accepts_images else 0)


def inspect_material(upload, kind) -> InspectedFile:
    """Return what to store for `upload` as material `kind`, or raise ValidationError saying what is wrong."""
    rule = RULES.get(kind)
    if rule is None:
        raise ValidationError(_("This kind of material cannot be uploaded here."), code="kind")
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    limit = max_bytes_for(kind)
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB."),
            params={"size": round(size / 1024 / 1024, 1), "limit": limit // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-") and rule.accepts_pdf:
        return _inspect_pdf(upload, size)
    if head.startswith(b"PK\x03\x04") and rule.accepts_docx:
        return _inspect_docx(upload, size)
    if rule.accepts_images:
        return _inspect_image(upload, rule, accepts_documents=rule.accepts_pdf or rule.accepts_docx)
    raise ValidationError(
        _("This file is not a %(types)s file (judged by its content, not its name)."),
        params={"types": accepted_types_label(kind)},
        code="type",
    )


def _inspect_pdf(upload, size):
    upload.seek(max(0, size - 2048))
    tail = upload.read()
    upload.seek(0)
    end = tail.rfind(b"%%EOF")
    after = tail[end + 5 :].strip(PDF_TRAILING_ALLOWED) if end >= 0 else tail
    if b"PK\x05\x06" in after or b"PK\x03\x04" in after:
        # A ZIP archive after the PDF: one file that is two (a polyglot); nothing a document needs.
        raise ValidationError(_("The PDF has other data attached after its end and was refused."), code="appended")
    if end < 0 or after:
        # Cut off (also in a later revision, whose data then follows an earlier revision's %%EOF).
        raise ValidationError(_("The PDF is incomplete (it may have been cut off while uploading)."), code="truncated")
    if _pdf_is_active(upload):
        raise ValidationError(
            _("The PDF contains JavaScript or launches a program when opened, and was refused. Save or print it "
              "again as a plain PDF."),
            code="active",
        )
    return InspectedFile(content=upload, content_type=PDF[0], extension=PDF[1], size=size)


def _pdf_is_active(upload):
    upload.seek(0)
    try:
        overlap = b""
        while chunk := upload.read(1024 * 1024):
            if PDF_ACTIVE.search(overlap + chunk):
                return True
            overlap = chunk[-64:]
        return _pdf_catalog_is_active(upload)
    finally:
        upload.seek(0)


def _pdf_catalog_is_active(upload):
    """The document's open action and additional actions, read by pypdf (they may sit in compressed streams)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            root = PdfReader(upload).trailer["/Root"].get_object()
            actions = [root.get("/OpenAction"), root.get("/AA")]
            names = root.get("/Names")
            if names is not None and "/JavaScript" in names.get_object():
                return True
            for action in actions:
                action = action.get_object() if action is not None else None
                if hasattr(action, "values"):
                    kinds = [action.get("/S")] + [
                        getattr(item.get_object(), "get", lambda key: None)("/S") for item in action.values()
                    ]
                    if any(kind in ("/JavaScript", "/Launch", "/RichMedia") for kind in kinds):
                        return True
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError, OSError, RecursionError):
        return False  # a file pypdf cannot read is judged by the byte scan alone
    return False


def _inspect_docx(upload, size):
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            unpacked = sum(member.file_size for member in members)
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise ValidationError(_("This archive is not a Word (DOCX) document."), code="type")
            if unpacked > DOCX_MAX_UNPACKED_BYTES or len(members) > DOCX_MAX_MEMBERS:
                raise ValidationError(_("This document unpacks to an unreasonable size and was refused."), code="bomb")
            _check_docx_parts(archive, members)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        raise ValidationError(_("The DOCX file is damaged or incomplete."), code="damaged") from None
    finally:
        upload.seek(0)
    return InspectedFile(content=upload, content_type=DOCX[0], extension=DOCX[1], size=size)


def _check_docx_parts(archive, members):
    """Refuse macros and relationships that fetch from elsewhere (only the small XML parts are read)."""
    content_types = archive.getinfo("[Content_Types].xml")
    declared = archive.read(content_types) if content_types.file_size <= DOCX_XML_PART_MAX_BYTES else b"macroEnabled"
    if any(DOCX_MACRO_PARTS.search(member.filename) for member in members) or DOCX_MACRO_TYPE.search(declared):
        raise ValidationError(
            _("This Word document contains macros and was refused. Save it as a plain .docx document."), code="macros"
        )
    for member in members:
        if not member.filename.endswith(".rels"):
            continue
        if member.file_size > DOCX_XML_PART_MAX_BYTES:
            raise ValidationError(_("This document unpacks to an unreasonable size and was refused."), code="bomb")
        for relationship in DOCX_RELATIONSHIP.findall(archive.read(member)):
            if (
                DOCX_EXTERNAL.search(relationship)
                and DOCX_REMOTE_TARGET.search(relationship)
                and not DOCX_HYPERLINK.search(relationship)
            ):
                raise ValidationError(
                    _("This Word document loads a template or an object from another computer or a web address, "
                      "and was refused. Save it again as a plain .docx document."),
                    code="external",
                )


def _inspect_image(upload, rule, *, accepts_documents):
    not_an_image = (
        _("This file is not a JPEG, PNG, WebP or PDF file (judged by its content, not its name).")
        if accepts_documents
        else _("This file is not a JPEG, PNG or WebP image (judged by its content, not its name).")
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:
                # Phones save many photos as MPO: a JPEG with extra frames (depth maps) after the first.
                image_format = "JPEG" if probe.format == "MPO" else probe.format
                width, height = probe.size
            if image_format not in IMAGE_TYPES:
                raise ValidationError(not_an_image, code="type")
            if width * height > settings.MATERIAL_IMAGE_MAX_PIXELS or max(width, height) > 20000:
                raise ValidationError(
                    _("The image is %(width)s×%(height)s pixels, more than this portal accepts."),
                    params={"width": width, "height": height},
                    code="too_many_pixels",
                )
            upload.seek(0)
            with Image.open(upload) as image:
                image.load()  # decodes every pixel: a truncated file fails here
                cleaned = ImageOps.exif_transpose(image)
                width, height = cleaned.size
                _check_dimensions(rule, width, height)
                content_type, extension = IMAGE_TYPES[image_format]
                data = _reencode(cleaned, image_format, icc_profile=image.info.get("icc_profile"))
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("The image is far too large in pixels and was refused."), code="bomb") from None
    except (UnidentifiedImageError, SyntaxError, ValueError, TypeError):
        raise ValidationError(not_an_image, code="type") from None
    except OSError:
        raise ValidationError(
            _("The image is damaged or incomplete (it may have been cut off while uploading)."), code="truncated"
        ) from None
    finally:
        upload.seek(0)
    return InspectedFile(
        content=ContentFile(data), content_type=content_type, extension=extension, size=len(data),
        width=width, height=height,
    )


def _check_dimensions(rule, width, height):
    if rule.orientation == "portrait" and width >= height:
        raise ValidationError(
            _("A vertical poster must be taller than it is wide; this one is %(width)s×%(height)s."),
            params={"width": width, "height": height},
            code="orientation",
        )
    if rule.orientation == "landscape" and height >= width:
        raise ValidationError(
            _("A horizontal poster must be wider than it is tall; this one is %(width)s×%(height)s."),
            params={"width": width, "height": height},
            code="orientation",
        )
    short, long_ = sorted((width, height))
    need_short, need_long = sorted((rule.min_width, rule.min_height))
    if short < need_short or long_ < need_long:
        raise ValidationError(
            _("The image is %(width)s×%(height)s pixels; at least %(min_w)s×%(min_h)s is needed."),
            params={"width": width, "height": height, "min_w": rule.min_width, "min_h": rule.min_height},
            code="too_small",
        )


def _reencode(image, image_format, icc_profile=None):
    """Write the pixels again with no EXIF, XMP or text chunks: GPS and camera data never reach storage."""
    out = io.BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        # Pillow copies a JPEG comment (COM) over unless told otherwise; it may name a camera or a person.
        image.save(out, format="JPEG", quality=92, optimize=True, comment=b"", **extra)
    elif image_format == "PNG":
        image.save(out, format="PNG", **extra)
    else:
        image.save(out, format="WEBP", quality=90, **extra)
    return out.getvalue()


def make_thumbnail(source, long_side=480) -> bytes:
    """A small WebP of an image, for lists and galleries."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(source) as image:
            image.thumbnail((long_side, long_side))
            if image.mode not in ("RGB", "RGBA", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format="WEBP", quality=80)
            return out.getvalue()
