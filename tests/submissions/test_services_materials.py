"""Materials through submissions.services: stored under random names, replaced and deleted after commit only,
limited in number and size, and thumbnailed in the background (eagerly here; test_pipeline_worker.py runs a
real worker)."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import translation
from PIL import Image

from submissions import services, tasks
from submissions.models import Material, ThumbnailStatus
from submissions.services import EntryError
from tests.factories import UserFactory, complete_entry
from tests.submissions.support import (
    make_unit,
    open_competition,
    pdf,
    poster,
    still,
    stored_files,
    story_entry,
    wide_poster,
    work_entry,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def unit(db):
    return make_unit(open_competition())


@pytest.fixture
def entry(unit):
    return work_entry(unit, owner=UserFactory(email="owner@example.com"))


def add(entry, kind, upload, commit=True):
    """add_material as a request makes it; with commit=True its on-commit work (thumbnail, deletions) runs too."""
    if not commit:
        return services.add_material(entry=entry, kind=kind, upload=upload, actor=entry.owner)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.add_material(entry=entry, kind=kind, upload=upload, actor=entry.owner)


class TestAdd:
    def test_a_poster_is_stored_cleaned_under_a_random_name_and_thumbnailed_after_commit(
        self, entry, django_capture_on_commit_callbacks
    ):
        upload = poster(name="../../我的海报\u202egpj.exe", exif=True)
        with django_capture_on_commit_callbacks() as callbacks:
            material = add(entry, "poster_vertical", upload, commit=False)
        # Until the transaction commits no thumbnail task has been queued.
        assert material.thumbnail_status == ThumbnailStatus.PENDING
        assert stored_files("thumbnails") == set()
        assert material.file.name.startswith("materials/") and material.file.name.endswith(".jpg")
        assert len(material.file.name) == len("materials/") + 32 + len(".jpg")
        assert material.original_name == "我的海报gpj.exe"
        assert (material.content_type, material.width, material.height) == ("image/jpeg", 1080, 1920)
        assert material.uploaded_by == entry.owner
        with default_storage.open(material.file.name) as stored:
            data = stored.read()
        assert material.size == len(data)
        assert b"SpyCam" not in data  # EXIF (with GPS) was stripped before anything was stored
        assert stored_files() == {material.file.name}

        for callback in callbacks:
            callback()
        material.refresh_from_db()
        assert material.thumbnail_status == ThumbnailStatus.READY
        assert material.thumbnail.name.startswith("thumbnails/") and material.thumbnail.name.endswith(".webp")
        with default_storage.open(material.thumbnail.name) as thumbnail:
            image = Image.open(io.BytesIO(thumbnail.read()))
            assert image.format == "WEBP" and max(image.size) == 480
        assert stored_files() == {material.file.name, material.thumbnail.name}

    def test_a_pdf_is_stored_as_uploaded_and_needs_no_thumbnail(self, entry, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            material = add(entry, "entry_form", pdf(name="报名表.pdf"), commit=False)
        assert callbacks == []
        assert (material.content_type, material.thumbnail_status) == ("application/pdf", ThumbnailStatus.NONE)
        assert material.file.name.endswith(".pdf")
        with default_storage.open(material.file.name) as stored:
            assert stored.read().startswith(b"%PDF-")

    def test_a_refused_file_stores_nothing(self, entry):
        with pytest.raises(ValidationError) as caught:
            add(entry, "poster_vertical", pdf(name="poster.jpg"))
        assert caught.value.code == "type"
        with pytest.raises(ValidationError):
            add(entry, "poster_vertical", wide_poster())
        assert stored_files() == set()
        assert not Material.objects.exists()

    def test_stills_are_limited_to_six(self, entry):
        stills = [add(entry, "stills", still(colour=(n * 40, 0, 0))) for n in range(6)]
        files_before = stored_files()
        assert len(files_before) == 12  # six stills, six thumbnails
        with pytest.raises(EntryError) as caught:
            add(entry, "stills", still())
        assert caught.value.message == "An entry can have at most 6 stills; remove one first."
        assert stored_files() == files_before
        assert entry.materials.filter(kind="stills").count() == 6
        services.delete_material(material=stills[0], actor=entry.owner)
        add(entry, "stills", still())
        assert entry.materials.filter(kind="stills").count() == 6

    def test_the_per_entry_quota(self, entry, settings):
        first = add(entry, "poster_vertical", poster())
        settings.ENTRY_MATERIALS_MAX_BYTES = first.size + 3000
        files_before = stored_files()
        with pytest.raises(EntryError) as caught:
            add(entry, "poster_horizontal", wide_poster())
        assert caught.value.message.startswith("This file would take the entry's materials past 0 MB.")
        assert stored_files() == files_before
        assert entry.materials.count() == 1
        # Replacing counts without the file being replaced.
        replacement = add(entry, "poster_vertical", poster(colour="maroon"))
        assert list(entry.materials.values_list("pk", flat=True)) == [replacement.pk]
        # Another entry has its own quota.
        other = work_entry(entry.unit)
        add(other, "poster_horizontal", wide_poster())

    def test_a_failed_save_leaves_no_file_behind(self, entry, monkeypatch):
        def broken_create(**kwargs):
            raise IntegrityError("the database refused the row")

        monkeypatch.setattr(Material.objects, "create", broken_create)
        with pytest.raises(IntegrityError):
            add(entry, "poster_vertical", poster())
        assert stored_files() == set()

    def test_a_failed_replacement_keeps_the_old_file_and_row(
        self, entry, monkeypatch, django_capture_on_commit_callbacks
    ):
        old = add(entry, "poster_vertical", poster())
        kept = stored_files()

        def broken_create(**kwargs):
            raise IntegrityError("the database refused the row")

        monkeypatch.setattr(Material.objects, "create", broken_create)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(IntegrityError):
            add(entry, "poster_vertical", poster(colour="maroon"), commit=False)
        assert stored_files() == kept
        assert Material.objects.get().pk == old.pk

    def test_a_video_slot_is_not_a_file_material(self, entry):
        with pytest.raises(ValidationError) as caught:
            add(entry, "trailer", pdf())
        assert caught.value.code == "kind"


class TestReplace:
    def test_replacing_a_poster_deletes_the_old_files_after_commit_only(
        self, entry, django_capture_on_commit_callbacks
    ):
        old = add(entry, "poster_vertical", poster())
        old.refresh_from_db()
        old_files = {old.file.name, old.thumbnail.name}
        assert old_files <= stored_files() and old.thumbnail.name

        with django_capture_on_commit_callbacks() as callbacks:
            new = add(entry, "poster_vertical", poster(colour="maroon"), commit=False)
            assert old_files <= stored_files()  # still there inside the transaction
        assert old_files <= stored_files()  # and still there until the commit callbacks run
        assert list(entry.materials.values_list("pk", flat=True)) == [new.pk]
        for callback in callbacks:
            callback()
        new.refresh_from_db()
        assert stored_files() == {new.file.name, new.thumbnail.name}
        assert not old_files & stored_files()

    def test_a_rolled_back_replacement_keeps_the_old_poster(self, entry, django_capture_on_commit_callbacks):
        old = add(entry, "poster_vertical", poster())
        old.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
            add(entry, "poster_vertical", poster(colour="maroon"), commit=False)
            raise RuntimeError("the request failed after the upload")
        assert {old.file.name, old.thumbnail.name} <= stored_files()
        assert Material.objects.get() == old
        old.refresh_from_db()
        assert old.thumbnail_status == ThumbnailStatus.READY

    def test_documents_are_replaced_too(self, entry, django_capture_on_commit_callbacks):
        first = add(entry, "rights_letter", pdf())
        with django_capture_on_commit_callbacks(execute=True):
            second = add(entry, "rights_letter", poster((1240, 1754), name="letter-scan.jpg"), commit=False)
        assert list(entry.materials.values_list("pk", "content_type")) == [(second.pk, "image/jpeg")]
        assert first.file.name not in stored_files()


class TestDelete:
    def test_deleting_removes_the_files_after_commit(self, entry, django_capture_on_commit_callbacks):
        material = add(entry, "stills", still())
        material.refresh_from_db()
        names = {material.file.name, material.thumbnail.name}
        with django_capture_on_commit_callbacks() as callbacks:
            services.delete_material(material=material, actor=entry.owner)
        assert names <= stored_files()
        assert not Material.objects.exists()
        for callback in callbacks:
            callback()
        assert stored_files() == set()

    def test_deleting_a_script_also_removes_its_redacted_copy(self, unit, django_capture_on_commit_callbacks):
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        from submissions.redact import redacted_name

        entry = story_entry(unit)
        script = add(entry, "script", pdf(name="剧本.pdf"))
        copy = default_storage.save(redacted_name(script.file.name), ContentFile(b"%PDF-1.4 redacted"))
        with django_capture_on_commit_callbacks(execute=True):
            services.delete_material(material=script, actor=entry.owner)
        assert copy not in stored_files() and script.file.name not in stored_files()

    def test_a_draft_may_delete_a_required_file(self, entry):
        material = add(entry, "poster_vertical", poster())
        services.delete_material(material=material, actor=entry.owner)
        assert not entry.materials.exists()

    def test_a_submitted_entry_keeps_its_required_files(self, unit, django_capture_on_commit_callbacks):
        entry = complete_entry(story_entry(unit), materials=False)
        script = add(entry, "script", pdf(name="剧本.pdf"))
        add(entry, "entry_form", pdf())
        add(entry, "rights_letter", pdf())
        extra = add(entry, "stills", still())
        entry = services.submit_entry(entry=entry, actor=entry.owner)
        files_before = stored_files()
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(EntryError) as caught:
            services.delete_material(material=script, actor=entry.owner)
        assert caught.value.message == (
            "This entry has been submitted and needs this file. Upload a replacement instead of removing it."
        )
        assert stored_files() == files_before
        assert entry.materials.filter(pk=script.pk).exists()
        # Replacing it is the way, and an optional file may go.
        add(entry, "script", pdf(name="剧本-修订.pdf"))
        services.delete_material(material=extra, actor=entry.owner)
        assert sorted(entry.materials.values_list("kind", flat=True)) == ["entry_form", "rights_letter", "script"]


class TestThumbnailTask:
    @pytest.fixture
    def material(self, entry, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False):  # the thumbnail is left to the test
            return add(entry, "poster_vertical", poster(), commit=False)

    def test_running_twice_leaves_one_thumbnail(self, material):
        first = tasks.make_material_thumbnail(material.pk)
        second = tasks.make_material_thumbnail(material.pk)
        assert second == "skipped"
        material.refresh_from_db()
        assert material.thumbnail.name == first
        assert stored_files("thumbnails") == {first}

    def test_two_deliveries_at_once_leave_one_thumbnail(self, material, monkeypatch):
        # acks_late may hand the task to a second worker while the first is still making the thumbnail.
        from submissions import materials

        real = materials.make_thumbnail
        calls = []

        def overlapping(source, long_side=480):
            calls.append(1)
            if len(calls) == 1:
                tasks.make_material_thumbnail(material.pk)  # the other delivery finishes first
            return real(source, long_side)

        monkeypatch.setattr(materials, "make_thumbnail", overlapping)
        assert tasks.make_material_thumbnail(material.pk) == "skipped"
        material.refresh_from_db()
        assert material.thumbnail_status == ThumbnailStatus.READY
        assert stored_files("thumbnails") == {material.thumbnail.name}

    def test_a_material_deleted_meanwhile_leaves_no_thumbnail(self, material, monkeypatch):
        from submissions import materials

        real = materials.make_thumbnail

        def deleting(source, long_side=480):
            Material.objects.filter(pk=material.pk).delete()
            return real(source, long_side)

        monkeypatch.setattr(materials, "make_thumbnail", deleting)
        assert tasks.make_material_thumbnail(material.pk) == "skipped"
        assert stored_files("thumbnails") == set()

    def test_a_deleted_material_is_skipped(self, material):
        Material.objects.filter(pk=material.pk).delete()
        assert tasks.make_material_thumbnail(material.pk) == "skipped"

    def test_an_unreadable_image_is_marked_failed(self, material):
        with default_storage.open(material.file.name, "wb") as stored:
            stored.write(b"not an image any more")
        assert tasks.make_material_thumbnail(material.pk) == "failed"
        material.refresh_from_db()
        assert material.thumbnail_status == ThumbnailStatus.FAILED
        assert stored_files("thumbnails") == set()


def test_a_thumbnail_whose_original_vanished_is_marked_failed_not_left_pending(db):
    from submissions.models import Material, ThumbnailStatus
    from submissions.tasks import make_material_thumbnail
    from tests.factories import EntryFactory

    material = Material.objects.create(
        entry=EntryFactory(), kind="stills", file="materials/gone.png", content_type="image/png", size=10,
        width=800, height=600, thumbnail_status=ThumbnailStatus.PENDING,
    )
    assert make_material_thumbnail(material.pk) == "failed"
    material.refresh_from_db()
    assert material.thumbnail_status == ThumbnailStatus.FAILED and not material.thumbnail
