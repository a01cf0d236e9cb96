"""A hostile corpus for materials.inspect_material: every file is made here, none is committed as a blob.

Each refusal is checked by its error code and its English message; the Chinese catalog is checked by
tests/test_translations.py for every message in the code.
"""

import io
import re
import struct
import time
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image, ImageDraw, ImageFile, PngImagePlugin

from portal.models import MaterialKind
from submissions.materials import (
    DOCX,
    MAX_STILLS,
    PDF,
    clean_filename,
    html_accept,
    inspect_material,
    make_thumbnail,
    random_name,
)

POSTER = MaterialKind.POSTER_VERTICAL
WIDE_POSTER = MaterialKind.POSTER_HORIZONTAL
STILL = MaterialKind.STILLS
SCRIPT = MaterialKind.SCRIPT
ENTRY_FORM = MaterialKind.ENTRY_FORM
RIGHTS_LETTER = MaterialKind.RIGHTS_LETTER


# ---------------------------------------------------------------- makers


def picture(size=(1080, 1920), mode="RGB"):
    """A poster-like picture whose top-left quarter is red, so orientation can be checked on the pixels."""
    image = Image.new(mode, size, "white" if mode != "RGBA" else (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, size[0] // 2, size[1] // 2], fill="red")
    return image


def encode(image, image_format, **params):
    out = io.BytesIO()
    image.save(out, format=image_format, **params)
    return out.getvalue()


def upload(data, name="poster.jpg", content_type="image/jpeg"):
    # The browser's content type and the name are the attacker's to choose; the server must not trust them.
    return SimpleUploadedFile(name, data, content_type=content_type)


def spy_exif(orientation=None):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Model] = "SpyCam X1 serial 0042"
    exif[ExifTags.Base.Artist] = "Wang Wei"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0),  # Tiananmen
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (116.0, 23.0, 27.0),
    }
    return exif


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width, height):
    """A PNG of a few dozen bytes that declares width x height: signature, IHDR, a tiny IDAT, IEND."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + png_chunk(b"IEND", b"")
    )


def pdf(body=b"1 0 obj << /Type /Catalog >> endobj\n", eof=True):
    data = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + b"trailer << /Root 1 0 R >>\n"
    return data + (b"%%EOF\n" if eof else b"")


def docx(extra_members=()):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document>第一集</w:document>')
        for name, data in extra_members:
            archive.writestr(name, data)
    return out.getvalue()


def refusal(data, kind, name="file.bin", content_type="application/octet-stream"):
    with pytest.raises(ValidationError) as caught:
        inspect_material(upload(data, name, content_type), kind)
    error = caught.value
    return error.code, error.messages[0]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def stored_image(inspected):
    inspected.content.seek(0)
    data = inspected.content.read()
    return data, Image.open(io.BytesIO(data))


# ---------------------------------------------------------------- real images are accepted


@pytest.mark.parametrize(
    "image_format, content_type, extension",
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_real_posters_are_accepted_with_their_type_and_size(image_format, content_type, extension):
    data = encode(picture((1080, 1920)), image_format)
    # A misleading name and browser type change nothing: the content decides.
    inspected = inspect_material(upload(data, name="poster.gif", content_type="text/html"), POSTER)
    assert (inspected.content_type, inspected.extension) == (content_type, extension)
    assert (inspected.width, inspected.height) == (1080, 1920)
    stored, image = stored_image(inspected)
    assert image.format == image_format
    assert image.size == (1080, 1920)
    assert inspected.size == len(stored)


def test_a_horizontal_poster_and_a_still():
    wide = inspect_material(upload(encode(picture((1920, 1080)), "JPEG")), WIDE_POSTER)
    assert (wide.width, wide.height) == (1920, 1080)
    # Stills take either orientation.
    assert inspect_material(upload(encode(picture((1280, 720)), "PNG")), STILL).width == 1280
    assert inspect_material(upload(encode(picture((720, 1280)), "PNG")), STILL).height == 1280


def test_a_transparent_png_stays_png_with_its_alpha():
    inspected = inspect_material(upload(encode(picture((1080, 1920), mode="RGBA"), "PNG")), POSTER)
    _data, image = stored_image(inspected)
    assert image.format == "PNG" and image.mode == "RGBA"


def test_a_phone_photo_saved_as_mpo_is_a_jpeg():
    # Many phones write MPO: a JPEG whose extra frames (depth maps) follow the first. Pillow calls it "MPO".
    first, depth = picture((1080, 1920)), Image.new("RGB", (1080, 1920), "grey")
    data = encode(first, "MPO", save_all=True, append_images=[depth])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    inspected = inspect_material(upload(data), POSTER)
    assert (inspected.content_type, inspected.extension) == ("image/jpeg", "jpg")
    _stored, image = stored_image(inspected)
    assert image.format == "JPEG"
    assert getattr(image, "n_frames", 1) == 1


def test_an_image_is_accepted_as_entry_form_and_rights_letter():
    for kind in (ENTRY_FORM, RIGHTS_LETTER):
        inspected = inspect_material(upload(encode(picture((1240, 1754)), "JPEG")), kind)
        assert inspected.content_type == "image/jpeg"


# ---------------------------------------------------------------- metadata is stripped, orientation applied


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_exif_with_gps_never_reaches_storage(image_format):
    data = encode(picture((1080, 1920)), image_format, exif=spy_exif())
    assert b"SpyCam" in data and Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    stored, image = stored_image(inspect_material(upload(data), POSTER))
    assert b"SpyCam" not in stored and b"Wang Wei" not in stored
    assert b"Exif" not in stored
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_exif_orientation_is_applied_to_the_pixels(image_format):
    # A camera held upright stores landscape pixels with Orientation 6 ("rotate 90° clockwise to view").
    sideways = picture((1080, 1920)).transpose(Image.Transpose.ROTATE_90)  # 1920 x 1080, red quarter bottom-left
    assert sideways.size == (1920, 1080)
    data = encode(sideways, image_format, exif=spy_exif(orientation=6))
    inspected = inspect_material(upload(data), POSTER)  # upright it is a vertical poster
    assert (inspected.width, inspected.height) == (1080, 1920)
    _stored, image = stored_image(inspected)
    image = image.convert("RGB")
    assert image.size == (1080, 1920)
    assert ExifTags.Base.Orientation not in image.getexif()  # no viewer rotates it a second time
    red, white = image.getpixel((100, 100)), image.getpixel((1000, 1800))
    assert red[0] > 200 and red[1] < 60, red
    assert min(white) > 200, white


def test_jpeg_comment_and_xmp_and_png_text_are_dropped():
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="SECRET-CREATOR"/></rdf:RDF>'
        b"</x:xmpmeta>"
    )
    jpeg = encode(picture(), "JPEG", comment=b"SECRET-COMMENT", xmp=xmp)
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "SECRET-AUTHOR")
    text.add_itxt("XML:com.adobe.xmp", xmp.decode())
    png = encode(picture(), "PNG", pnginfo=text)
    webp = encode(picture(), "WEBP", xmp=xmp)
    for data in (jpeg, png, webp):
        assert b"SECRET" in data
        stored, _image = stored_image(inspect_material(upload(data), POSTER))
        assert b"SECRET" not in stored


def test_the_icc_colour_profile_is_kept():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(picture(), "JPEG", icc_profile=profile, exif=spy_exif())
    _stored, image = stored_image(inspect_material(upload(data), POSTER))
    assert image.info.get("icc_profile") == profile


# ---------------------------------------------------------------- images that are not what they say


def test_a_png_that_is_really_a_zip():
    code, message = refusal(docx(), POSTER, name="poster.png", content_type="image/png")
    assert code == "type"
    assert message == "This file is not a JPEG, PNG or WebP image (judged by its content, not its name)."


def test_a_truncated_jpeg():
    noisy = Image.effect_noise((1080, 1920), 80).convert("RGB")  # noise does not compress: the cut lands in pixels
    data = encode(noisy, "JPEG", quality=90)
    code, message = refusal(data[: len(data) // 2], POSTER, name="poster.jpg", content_type="image/jpeg")
    assert code == "truncated"
    assert message == "The image is damaged or incomplete (it may have been cut off while uploading)."


def test_a_truncated_png():
    data = encode(Image.effect_noise((1080, 1920), 80).convert("RGB"), "PNG")
    code, _message = refusal(data[: len(data) // 2], POSTER, name="poster.png")
    assert code == "truncated"


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any pixel is decoded."""

    def refuse(*args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_a_30000_by_30000_image_bomb_is_refused_before_decoding(no_decoding, monkeypatch):
    data = png_header_only(30000, 30000)
    assert len(data) < 100
    with monkeypatch.context() as unguarded:
        # The forgery is a well-formed PNG (CRCs right): with Pillow's own guard off it opens, as 30000x30000.
        unguarded.setattr(Image, "MAX_IMAGE_PIXELS", None)
        with Image.open(io.BytesIO(data)) as image:
            assert (image.format, image.size) == ("PNG", (30000, 30000))
    started = time.perf_counter()
    code, message = refusal(data, POSTER, name="poster.png", content_type="image/png")
    assert time.perf_counter() - started < 0.5
    assert code == "bomb"
    assert message == "The image is far too large in pixels and was refused."


@pytest.mark.parametrize(
    "width, height, code",
    [
        (10000, 10000, "bomb"),  # past Pillow's own warning threshold (~89 Mpx), turned into a refusal
        (8000, 7000, "too_many_pixels"),  # past the portal's MATERIAL_IMAGE_MAX_PIXELS (50 Mpx)
        (25000, 1000, "too_many_pixels"),  # few pixels, but one side longer than 20000
    ],
)
def test_other_oversized_images_are_refused_before_decoding(no_decoding, width, height, code):
    got, message = refusal(png_header_only(width, height), STILL)
    assert got == code
    if code == "too_many_pixels":
        assert message == f"The image is {width}×{height} pixels, more than this portal accepts."


def test_the_pixel_limit_follows_the_setting(settings, no_decoding):
    settings.MATERIAL_IMAGE_MAX_PIXELS = 1000 * 1000
    code, _message = refusal(png_header_only(1080, 1920), POSTER)
    assert code == "too_many_pixels"


def test_an_svg_with_a_script():
    svg = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1080" height="1920">'
        b'<script>alert(document.cookie)</script><rect width="1080" height="1920"/></svg>'
    )
    code, message = refusal(svg, POSTER, name="poster.svg", content_type="image/svg+xml")
    assert code == "type"
    assert "not a JPEG, PNG or WebP image" in message


def test_a_gif_is_refused():
    code, message = refusal(encode(picture(), "GIF"), POSTER, name="poster.gif", content_type="image/gif")
    assert code == "type"
    assert message == "This file is not a JPEG, PNG or WebP image (judged by its content, not its name)."


def test_a_gif_that_is_also_javascript():
    # The classic polyglot: "GIF89a/*" opens a JS comment, the real GIF follows, "*/=1;alert(1)" closes it.
    gif = bytearray(encode(Image.new("P", (10, 10)), "GIF", comment=b"x"))
    gif[6:8] = b"/*"  # the width bytes: 0x2A2F = 10799 pixels
    polyglot = bytes(gif) + b"*/=1;alert(document.domain);"
    assert polyglot.startswith(b"GIF89a/*")
    code, _message = refusal(polyglot, POSTER, name="poster.jpg", content_type="image/jpeg")
    assert code == "type"
    # As a document, too, it is neither an image this portal takes nor a PDF.
    code, _message = refusal(polyglot, ENTRY_FORM, name="form.pdf", content_type="application/pdf")
    assert code == "type"


def test_html_is_not_an_image():
    code, _message = refusal(b"<!doctype html><script>alert(1)</script>", STILL, name="still.jpg")
    assert code == "type"


# ---------------------------------------------------------------- dimensions and orientation


def test_a_vertical_poster_must_be_vertical():
    code, message = refusal(encode(picture((1920, 1080)), "JPEG"), POSTER)
    assert code == "orientation"
    assert message == "A vertical poster must be taller than it is wide; this one is 1920×1080."
    code, _message = refusal(encode(picture((1500, 1500)), "JPEG"), POSTER)  # square is not vertical either
    assert code == "orientation"


def test_a_horizontal_poster_must_be_horizontal():
    code, message = refusal(encode(picture((1080, 1920)), "JPEG"), WIDE_POSTER)
    assert code == "orientation"
    assert message == "A horizontal poster must be wider than it is tall; this one is 1080×1920."


@pytest.mark.parametrize(
    "kind, size, minimum",
    [(POSTER, (300, 500), "540×720"), (WIDE_POSTER, (640, 360), "720×405"), (STILL, (320, 180), "640×360")],
)
def test_too_small_images(kind, size, minimum):
    code, message = refusal(encode(picture(size), "PNG"), kind)
    assert code == "too_small"
    assert message == f"The image is {size[0]}×{size[1]} pixels; at least {minimum} is needed."


def test_a_still_in_portrait_is_measured_by_its_short_side():
    code, _message = refusal(encode(picture((300, 1280)), "PNG"), STILL)
    assert code == "too_small"


# ---------------------------------------------------------------- documents


def test_a_real_pdf_and_docx_are_accepted_unchanged():
    inspected = inspect_material(upload(pdf(), name="剧本.pdf", content_type="application/pdf"), SCRIPT)
    assert (inspected.content_type, inspected.extension) == PDF
    assert inspected.content.read() == pdf()
    assert inspected.width is None
    inspected = inspect_material(upload(docx(), name="script.docx"), SCRIPT)
    assert (inspected.content_type, inspected.extension) == DOCX
    for kind in (ENTRY_FORM, RIGHTS_LETTER):
        assert inspect_material(upload(pdf(), name="form.pdf"), kind).content_type == "application/pdf"


@pytest.mark.parametrize(
    "executable",
    [
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200,
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"PE\x00\x00" + b"\x00" * 200,
    ],
    ids=["elf", "windows-exe"],
)
def test_a_pdf_that_is_an_executable(executable):
    code, message = refusal(executable, SCRIPT, name="script.pdf", content_type="application/pdf")
    assert code == "type"
    assert message == "This file is not a PDF, DOCX file (judged by its content, not its name)."
    code, message = refusal(executable, ENTRY_FORM, name="form.pdf", content_type="application/pdf")
    assert code == "type"
    assert message == "This file is not a JPEG, PNG, WebP or PDF file (judged by its content, not its name)."


def test_a_truncated_pdf():
    code, message = refusal(pdf(eof=False), SCRIPT, name="script.pdf", content_type="application/pdf")
    assert code == "truncated"
    assert message == "The PDF is incomplete (it may have been cut off while uploading)."


def test_a_pdf_cut_in_the_middle():
    whole = pdf(body=b"stream\n" + bytes(range(256)) * 40 + b"\nendstream\n")
    code, _message = refusal(whole[: len(whole) // 2], RIGHTS_LETTER, name="letter.pdf")
    assert code == "truncated"


def test_a_zip_that_is_not_a_docx():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("readme.txt", "hello")
        zipped.writestr("payload.exe", b"MZ" + b"\x00" * 100)
    code, message = refusal(archive.getvalue(), SCRIPT, name="script.docx")
    assert code == "type"
    assert message == "This archive is not a Word (DOCX) document."


def test_a_damaged_docx():
    code, message = refusal(docx()[:-40], SCRIPT, name="script.docx")  # the central directory is cut off
    assert code == "damaged"
    assert message == "The DOCX file is damaged or incomplete."


def test_a_docx_zip_bomb_is_refused_without_unpacking():
    data = bytearray(docx(extra_members=[("word/media/bomb.bin", b"\x00" * 1024)]))
    # Forge the declared size (central directory record, offset 24) of the padding member to 4 GB - 1.
    record = data.rfind(b"PK\x01\x02")
    assert data[record + 46 : record + 46 + len(b"word/media/bomb.bin")] == b"word/media/bomb.bin"
    data[record + 24 : record + 28] = struct.pack("<I", 0xFFFFFFFF)
    started = time.perf_counter()
    code, message = refusal(bytes(data), SCRIPT, name="script.docx")
    assert time.perf_counter() - started < 0.5
    assert code == "bomb"
    assert message == "This document unpacks to an unreasonable size and was refused."


def test_a_docx_with_too_many_members(monkeypatch):
    monkeypatch.setattr("submissions.materials.DOCX_MAX_MEMBERS", 5)
    data = docx(extra_members=[(f"word/media/{n}.xml", "<x/>") for n in range(5)])
    code, _message = refusal(data, SCRIPT, name="script.docx")
    assert code == "bomb"


def test_a_docx_is_not_an_entry_form():
    code, _message = refusal(docx(), ENTRY_FORM, name="form.docx")
    assert code == "type"


def test_a_pdf_is_not_a_poster():
    code, _message = refusal(pdf(), POSTER, name="poster.pdf")
    assert code == "type"


# ---------------------------------------------------------------- sizes


@pytest.mark.parametrize("kind", [POSTER, SCRIPT, ENTRY_FORM])
def test_a_zero_byte_file(kind):
    code, message = refusal(b"", kind, name="empty.pdf")
    assert code == "empty"
    assert message == "The file is empty."


def test_an_image_over_the_limit(settings):
    settings.MATERIAL_IMAGE_MAX_BYTES = 1024 * 1024
    data = encode(picture(), "PNG") + b"\x00" * (1024 * 1024)  # size is checked first, before any parsing
    code, message = refusal(data, POSTER, name="poster.png")
    assert code == "too_large"
    assert message == f"The file is {round(len(data) / 1024 / 1024, 1)} MB; the limit is 1 MB."


def test_a_document_over_the_limit(settings):
    settings.MATERIAL_DOCUMENT_MAX_BYTES = 2 * 1024 * 1024
    settings.MATERIAL_IMAGE_MAX_BYTES = 1024 * 1024
    big = pdf(body=b"%" + b"x" * (3 * 1024 * 1024) + b"\n")
    code, message = refusal(big, SCRIPT, name="script.pdf")
    assert code == "too_large"
    assert message.endswith("the limit is 2 MB.")
    # Just under the limit is fine.
    assert inspect_material(upload(pdf(body=b"%" + b"x" * (1024 * 1024) + b"\n")), SCRIPT).extension == "pdf"


def test_an_unknown_kind_is_refused():
    code, message = refusal(pdf(), MaterialKind.TRAILER, name="trailer.pdf")
    assert code == "kind"
    assert message == "This kind of material cannot be uploaded here."


# ---------------------------------------------------------------- file names


@pytest.mark.parametrize(
    "given, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("..", "file"),
        ("poster\x00.php.jpg", "poster.php.jpg"),
        ("poster\x00", "poster"),
        ("evil\u202egpj.exe", "evilgpj.exe"),  # RIGHT-TO-LEFT OVERRIDE would show it as "evilexe.jpg"
        ("a\u200bb\u2066c\u2069.pdf", "abc.pdf"),  # zero-width space and isolates
        ("line\r\nbreak\t.pdf", "linebreak.pdf"),
        ("C:\\Users\\王伟\\Desktop\\海报.jpg", "海报.jpg"),
        ("\\\\server\\share\\script.docx", "script.docx"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("  .hidden.  ", "hidden"),
        ("", "file"),
        (None, "file"),
        ("追光 计划 海报 final(2).JPG", "追光 计划 海报 final(2).JPG"),
    ],
)
def test_clean_filename(given, expected):
    assert clean_filename(given) == expected


def test_clean_filename_shortens_300_characters_keeping_the_extension():
    cleaned = clean_filename("长" * 300 + ".pdf")
    assert len(cleaned) == 150
    assert cleaned.endswith("长.pdf")
    assert len(clean_filename("x" * 300)) == 150
    assert len(clean_filename("x" * 280 + "." + "y" * 20)) == 150  # an "extension" this long is not kept


def test_stored_names_are_random_and_carry_only_the_checked_extension():
    names = {random_name("materials", "jpg") for _ in range(50)}
    assert len(names) == 50
    for name in names:
        folder, file_name = name.split("/")
        assert folder == "materials" and file_name.endswith(".jpg") and len(file_name) == 36


# ---------------------------------------------------------------- helpers used by forms and the thumbnail task


def test_html_accept_hints():
    assert html_accept(POSTER) == "image/jpeg,image/png,image/webp"
    assert html_accept(SCRIPT) == ".pdf,.docx"
    assert html_accept(ENTRY_FORM) == "image/jpeg,image/png,image/webp,.pdf"


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "CMYK", "L"])
def test_make_thumbnail_is_a_small_webp(mode):
    source = picture((1080, 1920)).convert(mode)
    image_format = "JPEG" if mode in ("CMYK", "L") else "PNG"
    thumbnail = Image.open(io.BytesIO(make_thumbnail(io.BytesIO(encode(source, image_format)))))
    assert thumbnail.format == "WEBP"
    assert max(thumbnail.size) == 480 and thumbnail.size[1] > thumbnail.size[0]


def test_constants():
    assert MAX_STILLS == 6


# ---------------------------------------------------------------- in Chinese


def test_every_refusal_reads_in_chinese():
    """The same refusals under zh-hans. Until the catalog has these messages (tests/test_translations.py fails
    meanwhile) this test reports them as an expected failure; once it has them, it checks them."""
    cases = {
        "type": (docx(), POSTER),
        "truncated": (pdf(eof=False), SCRIPT),
        "bomb": (png_header_only(30000, 30000), POSTER),
        "too_many_pixels": (png_header_only(8000, 7000), STILL),
        "orientation": (encode(picture((1920, 1080)), "JPEG"), POSTER),
        "too_small": (encode(picture((300, 500)), "PNG"), POSTER),
        "empty": (b"", POSTER),
        "damaged": (docx()[:-40], SCRIPT),
    }
    with translation.override("zh-hans"):
        messages = {code: refusal(data, kind)[1] for code, (data, kind) in cases.items()}
    english = [f"{code}: {message}" for code, message in messages.items() if not re.search(r"[\u4e00-\u9fff]", message)]
    if english:
        pytest.xfail(f"not in the zh-hans catalog yet: {english}")
    assert "1920" in messages["orientation"] and "1080" in messages["orientation"]
    assert "540" in messages["too_small"] and "720" in messages["too_small"]
