"""Browser-side defences: the Content-Security-Policy and security headers on pages, htmx and JSON answers and
error pages; user files that can never render as a page on the portal's origin; cookie flags in production."""

import json

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import include, path, reverse

from judging import objections
from judging.models import RoundEntry
from portal import urls as portal_urls
from submissions.models import Material
from tests.factories import (
    AssignmentFactory,
    EntryFactory,
    PanelMembershipFactory,
    RoundFactory,
    RubricFactory,
    eligible_entry,
)
from tests.judging.judge_support import DOCX, make_document, make_image, make_video
from tests.judging.test_public_entry import entry_url
from tests.judging.test_public_objections import png_upload
from tests.judging.test_public_results import award_round, results_world
from tests.portal.test_settings import production_variables, run_python
from tests.submissions.entrant_support import PDF_BYTES, docx_bytes

PAGE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "media-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response):
    """The Content-Security-Policy header as {directive: sources}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, _, sources = part.strip().partition(" ")
        directives[name] = sources.strip()
    return directives


def assert_page_headers(response):
    directives = policy(response)
    for name, sources in PAGE_POLICY.items():
        assert directives[name] == sources, (name, directives)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def assert_inert_file(response, content_type, disposition):
    """A user's file: its own sandboxing policy (never the page policy), nosniff, a fixed type and disposition."""
    directives = policy(response)
    assert "sandbox" in directives and directives["default-src"] == "'none'", directives
    assert "script-src" not in directives  # nothing may run: default-src 'none' covers scripts
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith(f"{disposition}; filename=")


def english(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


# --------------------------------------------------------------------------------------------------- pages


@pytest.mark.django_db
def test_a_page_has_the_strict_policy_and_the_security_headers(competition):
    response = english().get(reverse("portal:competition_list"))
    assert response.status_code == 200
    assert_page_headers(response)
    html = response.content.decode()
    assert competition.name in html
    # No inline code for the policy to block: scripts and styles are files.
    assert "<script>" not in html and " style=" not in html and "<style" not in html


@pytest.mark.django_db
def test_an_htmx_fragment_has_the_policy_too(charlie, unit):
    entry = EntryFactory(unit=unit, owner=charlie)
    response = english(charlie).get(reverse("submissions:video_status", args=[entry.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="video-slots"' in response.content.decode()
    assert_page_headers(response)


@pytest.mark.django_db
def test_a_json_answer_has_the_policy_too(competition, bob, unit, charlie):
    round = RoundFactory(competition=competition, position=1)
    RubricFactory(round=round)
    PanelMembershipFactory(round=round, judge=bob)
    entry = eligible_entry(unit, owner=charlie)
    RoundEntry.objects.create(round=round, entry=entry)
    AssignmentFactory(round=round, entry=entry, judge=bob)
    video = make_video(entry)
    url = reverse("judging:watch", args=[round.pk, entry.pk, video.pk])
    response = english(bob).post(url, data=json.dumps({"start": 0, "end": 50}), content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"share": 0.5}
    assert_page_headers(response)


# ------------------------------------------------------------------------------------------------ errors


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("", include(portal_urls.urlpatterns))]
handler500 = getattr(portal_urls, "handler500", "django.views.defaults.server_error")


@pytest.mark.django_db
def test_error_pages_have_the_policy(settings, client):
    response = english().get("/no-such-page/")
    assert response.status_code == 404
    assert "<h1>" in response.content.decode()
    assert_page_headers(response)

    csrf_client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = csrf_client.post(reverse("portal:set_language"), {"language": "en"})
    assert response.status_code == 403
    assert_page_headers(response)

    settings.ROOT_URLCONF = __name__
    crashing = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    response = crashing.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert_page_headers(response)


# ------------------------------------------------------------------------------------------------- files


@pytest.mark.django_db
def test_entrant_files_of_each_kind_are_inert(charlie, unit):
    entry = EntryFactory(unit=unit, owner=charlie)
    client = english(charlie)
    poster = make_image(entry)
    pdf = make_document(entry, kind="entry_form", data=PDF_BYTES)
    docx = make_document(entry, kind="script", data=docx_bytes(), content_type=DOCX)
    video = make_video(entry)
    cases = [
        (reverse("submissions:material_file", args=[poster.pk]), "image/jpeg", "inline"),
        (reverse("submissions:material_thumbnail", args=[poster.pk]), "image/webp", "inline"),
        (reverse("submissions:material_file", args=[pdf.pk]), "application/pdf", "attachment"),
        (reverse("submissions:material_file", args=[docx.pk]), DOCX, "attachment"),
        (reverse("submissions:video_preview", args=[video.pk]), "video/mp4", "inline"),
        (reverse("submissions:video_poster", args=[video.pk]), "image/jpeg", "inline"),
    ]
    for url, content_type, disposition in cases:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert_file(response, content_type, disposition)


@pytest.mark.django_db
def test_a_stored_type_that_could_render_as_a_page_goes_out_as_a_download(charlie, unit):
    """Should a row ever say text/html or image/svg+xml (a bug, a hand edit), the browser still gets bytes to save."""
    entry = EntryFactory(unit=unit, owner=charlie)
    for content_type in ("text/html", "image/svg+xml", "application/xhtml+xml", ""):
        material = Material.objects.create(
            entry=entry, kind="poster_vertical", file=ContentFile(b"<script>alert(1)</script>", name="p.png"),
            content_type=content_type, size=25, original_name="p.html",
        )
        response = english(charlie).get(reverse("submissions:material_file", args=[material.pk]))
        assert response.status_code == 200
        assert_inert_file(response, "application/octet-stream", "attachment")
        assert response["Content-Disposition"].endswith('.png"')  # the portal's name, never "p.html"
        material.delete()


@pytest.mark.django_db
def test_judge_files_are_inert(competition, bob, unit, charlie):
    round = RoundFactory(competition=competition, position=1)
    RubricFactory(round=round)
    PanelMembershipFactory(round=round, judge=bob)
    entry = eligible_entry(unit, owner=charlie)
    RoundEntry.objects.create(round=round, entry=entry)
    AssignmentFactory(round=round, entry=entry, judge=bob)
    poster = make_image(entry)
    script = make_document(entry)
    video = make_video(entry)
    client = english(bob)
    cases = [
        (reverse("judging:entry_material", args=[round.pk, entry.pk, poster.pk]), "image/jpeg", "inline"),
        (reverse("judging:entry_material", args=[round.pk, entry.pk, script.pk]), "application/pdf", "attachment"),
        (reverse("judging:entry_video_preview", args=[round.pk, entry.pk, video.pk]), "video/mp4", "inline"),
    ]
    for url, content_type, disposition in cases:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert_file(response, content_type, disposition)


@pytest.mark.django_db
def test_public_files_and_objection_evidence_are_inert(alice, competition, charlie):
    world = award_round(results_world(competition, alice), alice)
    winner = world["winner"]
    make_image(winner)
    anonymous = english()
    assert reverse("judging:public_poster", args=[competition.slug, winner.number]) in anonymous.get(
        entry_url(winner)
    ).content.decode()
    response = anonymous.get(reverse("judging:public_poster", args=[competition.slug, winner.number]))
    assert_inert_file(response, "image/webp", "inline")
    response = anonymous.get(reverse("judging:laurel", args=[competition.slug, winner.number, "best-work"]))
    assert response.status_code == 200
    assert_inert_file(response, "image/png", "attachment")

    version = world["version"]
    objection = objections.lodge_objection(
        version=version, entry=winner, author=charlie, text="证据见附件。", evidence=png_upload()
    )
    response = english(charlie).get(reverse("judging:objection_evidence", args=[objection.pk]))
    assert response.status_code == 200
    assert_inert_file(response, "image/png", "attachment")


# ----------------------------------------------------------------------------------------- production


SHOW_COOKIES = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
# No collectstatic here: plain static URLs instead of the manifest's.
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
response = Client().get("/accounts/login/", secure=True)
cookie = response.cookies[settings.CSRF_COOKIE_NAME]
print(json.dumps({
    "status": response.status_code,
    "csrf": {"secure": bool(cookie["secure"]), "httponly": bool(cookie["httponly"]), "samesite": cookie["samesite"]},
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "SESSION_COOKIE_SAMESITE": settings.SESSION_COOKIE_SAMESITE,
    "hsts": response.get("Strict-Transport-Security"),
    "csp": response.get("Content-Security-Policy"),
}))
"""


def show_cookies(tmp_path, **variables):
    result = run_python(["-c", SHOW_COOKIES], tmp_path, **production_variables(tmp_path), **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_and_http_only_with_hsts(tmp_path):
    shown = show_cookies(tmp_path)
    assert shown["status"] == 200
    assert shown["csrf"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["SESSION_COOKIE_HTTPONLY"] is True
    assert shown["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert shown["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "img-src 'self' data:;" in shown["csp"] + ";"
    assert "frame-ancestors 'none'" in shown["csp"]


def test_media_from_s3_is_allowed_only_from_its_endpoint(tmp_path):
    shown = show_cookies(
        tmp_path, STORAGE_BACKEND="s3", S3_BUCKET="zhuiguang", S3_ENDPOINT_URL="https://minio.example.org:9000"
    )
    directives = dict(part.strip().partition(" ")[::2] for part in shown["csp"].split(";"))
    origins = "https://minio.example.org:9000 https://*.minio.example.org:9000"
    assert directives["img-src"] == f"'self' data: {origins}"
    assert directives["media-src"] == f"'self' {origins}"
    assert directives["script-src"] == "'self'"  # scripts never come from the bucket

    shown = show_cookies(tmp_path, PLAYBACK_BACKEND="s3", S3_BUCKET="zhuiguang", S3_REGION="ap-east-1")
    directives = dict(part.strip().partition(" ")[::2] for part in shown["csp"].split(";"))
    assert directives["media-src"] == (
        "'self' https://zhuiguang.s3.amazonaws.com https://zhuiguang.s3.ap-east-1.amazonaws.com"
    )
