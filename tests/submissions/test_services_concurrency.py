"""Two people on one entry must not silently overwrite each other, and simultaneous submissions in one
competition must get different numbers.

The threaded tests need a database that really runs transactions side by side: PostgreSQL (CI). On SQLite
they skip locally and fail in CI, like every other service the CI run must have.
"""

import threading

import pytest
from django.db import close_old_connections, connection, connections
from django.utils import translation

from submissions import services, tasks
from submissions.models import Entry, EntryStatus
from submissions.services import ConcurrentEdit, EntryError
from tests.conftest import require_service
from tests.factories import UserFactory, complete_entry
from tests.submissions.support import make_unit, open_competition, still, stored_files, story_entry


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def unit(db):
    return make_unit(open_competition())


@pytest.fixture
def pair(unit):
    """An entry and two co-owners' copies of it, both loaded at version 1."""
    entry = story_entry(unit, title="原标题", logline="原来的一句话")
    return entry, Entry.objects.get(pk=entry.pk), Entry.objects.get(pk=entry.pk)


def snapshot(entry):
    fresh = Entry.objects.get(pk=entry.pk)
    return {f.attname: getattr(fresh, f.attname) for f in Entry._meta.concrete_fields}


@pytest.mark.django_db
class TestOptimisticVersion:
    def test_the_second_save_from_a_stale_copy_is_refused_and_changes_nothing(self, pair):
        entry, mine, theirs = pair
        theirs.title = "他们的标题"
        services.update_entry(entry=theirs, actor=entry.owner, fields=["title"], expected_version=1)
        saved = snapshot(entry)
        assert (saved["title"], saved["version"]) == ("他们的标题", 2)

        mine.title = "我的标题"
        mine.logline = "我的一句话"
        with pytest.raises(ConcurrentEdit) as caught:
            services.update_entry(entry=mine, actor=entry.owner, fields=["title", "logline"], expected_version=1)
        assert caught.value.message.startswith("Someone else saved this entry while you were editing it.")
        assert "they are still in the form below" in caught.value.message
        # Which of my fields differ from what is saved now, by label, so the form can point at them.
        assert caught.value.missing == ["title (Chinese)", "logline (Chinese)"]
        assert snapshot(entry) == saved
        # The typed input is untouched in the caller's copy: nothing the user entered is lost.
        assert (mine.title, mine.logline, mine.version) == ("我的标题", "我的一句话", 1)

        # Reloaded at version 2, the same edit goes through.
        services.update_entry(entry=mine, actor=entry.owner, fields=["title", "logline"], expected_version=2)
        assert snapshot(entry)["version"] == 3 and snapshot(entry)["title"] == "我的标题"

    def test_saving_the_same_version_twice_is_refused_the_second_time(self, pair):
        entry, mine, _theirs = pair
        mine.title = "一"
        services.update_entry(entry=mine, actor=entry.owner, fields=["title"], expected_version=1)
        mine.title = "二"
        with pytest.raises(ConcurrentEdit):
            services.update_entry(entry=mine, actor=entry.owner, fields=["title"], expected_version=1)
        assert snapshot(entry)["title"] == "一"

    def test_credits_from_a_stale_copy_are_refused(self, pair):
        entry, mine, theirs = pair
        services.replace_credits(
            entry=theirs, actor=entry.owner, credits=[{"role": "screenwriter", "name": "甲"}], expected_version=1
        )
        with pytest.raises(ConcurrentEdit):
            services.replace_credits(
                entry=mine, actor=entry.owner, credits=[{"role": "screenwriter", "name": "乙"}], expected_version=1
            )
        assert list(entry.credits.values_list("name", flat=True)) == ["甲"]
        assert snapshot(entry)["version"] == 2

    def test_declarations_from_a_stale_copy_are_refused(self, pair):
        entry, mine, theirs = pair
        theirs.title = "新"
        services.update_entry(entry=theirs, actor=entry.owner, fields=["title"], expected_version=1)
        with pytest.raises(ConcurrentEdit):
            services.declare(entry=mine, actor=entry.owner, expected_version=1)
        assert snapshot(entry)["declared_terms_at"] is None

    def test_a_submission_in_between_makes_an_open_form_stale(self, unit):
        entry = complete_entry(story_entry(unit))
        stale = Entry.objects.get(pk=entry.pk)
        services.submit_entry(entry=entry, actor=entry.owner)
        stale.title = "改"
        with pytest.raises(ConcurrentEdit):
            services.update_entry(entry=stale, actor=entry.owner, fields=["title"], expected_version=stale.version)
        assert snapshot(entry)["status"] == EntryStatus.SUBMITTED


# ---------------------------------------------------------------- real parallel transactions (PostgreSQL)


def run_together(count, work):
    """Run work(index) in `count` threads released at the same moment; return results or exceptions by index."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        close_old_connections()
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - reported to the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung: a lock was never released"
    return results


@pytest.fixture
def postgresql(transactional_db):
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def queued(monkeypatch):
    """Tasks queued on commit, recorded instead of run: eager Celery is not thread-safe (its "inside a task"
    flag is one global), and the tasks are not what these tests are about."""
    calls = []
    for task in (tasks.send_entry_notification, tasks.make_material_thumbnail, tasks.send_coowner_invitation):
        monkeypatch.setattr(task, "delay", lambda *args, name=task.name: calls.append((name, args)))
    return calls


@pytest.mark.django_db(transaction=True)
class TestParallel:
    def test_simultaneous_first_submissions_get_different_numbers(self, postgresql, unit, queued):
        # No counter row exists yet: all threads race to create it, then queue on its lock.
        entries = [complete_entry(story_entry(unit)) for _ in range(8)]
        results = run_together(8, lambda i: services.submit_entry(entry=entries[i], actor=entries[i].owner).number)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(results) == [f"LCP2026-{n:04d}" for n in range(1, 9)]
        numbers = Entry.objects.values_list("number", flat=True)
        assert len(set(numbers)) == 8
        # Each submission queued its one confirmation email, after its own commit.
        assert sorted(args for name, args in queued if name.endswith("send_entry_notification")) == sorted(
            (entry.pk, "submissions/email/entry_submitted") for entry in entries
        )

    def test_simultaneous_submissions_after_the_first(self, postgresql, unit, queued):
        first = complete_entry(story_entry(unit))
        services.submit_entry(entry=first, actor=first.owner)
        entries = [complete_entry(story_entry(unit)) for _ in range(6)]
        other_unit = make_unit(open_competition())
        elsewhere = [complete_entry(story_entry(other_unit)) for _ in range(2)]
        everyone = entries + elsewhere
        results = run_together(8, lambda i: services.submit_entry(entry=everyone[i], actor=everyone[i].owner).number)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(results[:6]) == [f"LCP2026-{n:04d}" for n in range(2, 8)]
        assert sorted(results[6:]) == ["LCP2026-0001", "LCP2026-0002"]

    def test_simultaneous_saves_of_one_version_let_exactly_one_through(self, postgresql, unit, queued):
        entry = story_entry(unit)
        owner = UserFactory()

        def save(index):
            copy = Entry.objects.get(pk=entry.pk)
            copy.title = f"版本{index}"
            services.update_entry(entry=copy, actor=owner, fields=["title"], expected_version=1)
            return copy.title

        results = run_together(6, save)
        winners = [r for r in results if isinstance(r, str)]
        assert len(winners) == 1, results
        assert all(isinstance(r, ConcurrentEdit) for r in results if not isinstance(r, str)), results
        fresh = Entry.objects.get(pk=entry.pk)
        assert (fresh.title, fresh.version) == (winners[0], 2)

    def test_simultaneous_stills_respect_the_limit(self, postgresql, unit, queued):
        entry = story_entry(unit)
        uploads = [still(colour=(n * 30, 0, 0)) for n in range(8)]

        def upload(index):
            return services.add_material(entry=entry, kind="stills", upload=uploads[index], actor=entry.owner)

        results = run_together(8, upload)
        refused = [r for r in results if isinstance(r, EntryError)]
        assert len(refused) == 2, results
        assert entry.materials.count() == 6
        assert len(stored_files("materials")) == 6  # the refused ones stored nothing
        assert len(queued) == 6  # one thumbnail task per stored still

    def test_an_upload_in_progress_blocks_neither_other_entries_nor_the_competition(
        self, postgresql, unit, monkeypatch, queued
    ):
        # An upload holds its entry's row lock while Pillow checks the file; that lock must not spread to the
        # competition and unit rows, or every entrant and organizer would queue behind it near the deadline.
        busy, other = story_entry(unit), story_entry(unit)
        inside, release = threading.Event(), threading.Event()
        real_inspect = services.inspect_material

        def slow_inspect(upload, kind):
            inside.set()
            assert release.wait(timeout=20)
            return real_inspect(upload, kind)

        monkeypatch.setattr(services, "inspect_material", slow_inspect)
        uploading = threading.Thread(
            target=lambda: run_together(1, lambda i: services.add_material(
                entry=busy, kind="stills", upload=still(), actor=busy.owner
            ))
        )
        uploading.start()
        try:
            assert inside.wait(timeout=10)
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '3s'")  # a blocked statement fails instead of hanging
            try:
                other.title = "另一部作品"
                services.update_entry(entry=other, actor=other.owner, fields=["title"], expected_version=1)
                unit.competition.name_en = "Renamed while someone uploads"
                unit.competition.save()
                unit.name_en = "Renamed unit"
                unit.save()
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("SET lock_timeout = 0")
        finally:
            release.set()
            uploading.join(timeout=30)
        assert busy.materials.count() == 1
