"""A real Celery worker process (not eager) makes the thumbnails of uploaded posters.

The worker is the session's `celery_worker_process` (tests/conftest.py): it opens the test database and the
media folder that `worker_media` points this process at. Rows must be committed for it to see them, hence
transaction=True; add_material queues the task on commit, exactly as a request does.
"""

import io
import time

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from portal.celery import app
from submissions import services, tasks
from submissions.models import Material, ThumbnailStatus
from tests.submissions.support import make_unit, open_competition, poster, stored_files, work_entry

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def wait_for_thumbnail(material, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        material.refresh_from_db()
        if material.thumbnail_status != ThumbnailStatus.PENDING:
            return material
        time.sleep(0.2)
    raise AssertionError(f"no thumbnail for material {material.pk} within {timeout} s")


def webp_size(name):
    with default_storage.open(name) as stored:
        image = Image.open(io.BytesIO(stored.read()))
        assert image.format == "WEBP"
        return image.size


def test_the_worker_makes_the_thumbnail_and_a_second_delivery_changes_nothing(celery_worker_process, worker_media):
    assert not app.conf.task_always_eager, "this test must reach the worker, not run the task inline"
    entry = work_entry(make_unit(open_competition()))
    material = services.add_material(entry=entry, kind="poster_vertical", upload=poster(exif=True), actor=entry.owner)
    assert material.thumbnail_status == ThumbnailStatus.PENDING  # nothing ran in this process

    material = wait_for_thumbnail(material)
    assert material.thumbnail_status == ThumbnailStatus.READY, celery_worker_process.output()[-3000:]
    assert material.thumbnail.name.startswith("thumbnails/")
    assert (worker_media / material.thumbnail.name).is_file()  # written by the worker, into the shared folder
    assert webp_size(material.thumbnail.name) == (270, 480)
    log = celery_worker_process.output()
    assert "submissions.tasks.make_material_thumbnail[" in log and "succeeded" in log

    # acks_late may deliver a task twice: the second delivery leaves the one thumbnail alone.
    assert tasks.make_material_thumbnail.delay(material.pk).get(timeout=60) == "skipped"
    assert stored_files("thumbnails") == {material.thumbnail.name}
    assert Material.objects.get(pk=material.pk).thumbnail.name == material.thumbnail.name


def test_a_replaced_poster_leaves_only_the_new_files(celery_worker_process, worker_media):
    entry = work_entry(make_unit(open_competition()))
    old = wait_for_thumbnail(
        services.add_material(entry=entry, kind="poster_vertical", upload=poster(), actor=entry.owner)
    )
    new = services.add_material(
        entry=entry, kind="poster_vertical", upload=poster(size=(1080, 1440), colour="maroon"), actor=entry.owner
    )
    # The old files went on commit, in this process; the new thumbnail comes from the worker.
    assert not {old.file.name, old.thumbnail.name} & stored_files()
    new = wait_for_thumbnail(new)
    assert new.thumbnail_status == ThumbnailStatus.READY
    assert webp_size(new.thumbnail.name) == (360, 480)
    assert stored_files() == {new.file.name, new.thumbnail.name}
    assert list(Material.objects.values_list("pk", flat=True)) == [new.pk]
