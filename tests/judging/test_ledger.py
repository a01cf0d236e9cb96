"""The hash-chained ledger: appending, verifying, every way of breaking it, and `manage.py verify_ledger`."""

import hashlib
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import translation

from judging import ledger
from judging.models import LedgerEntry, LedgerHead, LedgerKind
from tests.conftest import IN_CI
from tests.factories import CompetitionFactory, UserFactory


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def append(competition, n=1, actor=None):
    return [
        ledger.append(
            competition=competition,
            kind=LedgerKind.SCORE_CHANGED,
            actor=actor,
            content={"score": i, "total": Decimal("74.500"), "comment": f"第 {i} 条 — ok"},
        )
        for i in range(1, n + 1)
    ]


def test_rows_are_chained_and_the_head_follows(competition, alice):
    rows = append(competition, 3, actor=alice)
    assert [row.sequence for row in rows] == [1, 2, 3]
    assert rows[0].previous_hash == ledger.GENESIS_HASH
    assert rows[1].previous_hash == rows[0].hash and rows[2].previous_hash == rows[1].hash
    head = LedgerHead.objects.get(competition=competition)
    assert head.last_sequence == 3 and head.last_hash == rows[2].hash
    assert ledger.verify() is None and ledger.verify(competition=competition) is None


def test_the_hash_is_sha256_of_the_previous_hash_and_canonical_json(competition, alice):
    row = append(competition, actor=alice)[0]
    row.refresh_from_db()
    assert row.content == {"score": 1, "total": "74.500", "comment": "第 1 条 — ok"}  # Decimal stored as text
    created_at = row.created_at.astimezone(ledger.datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    canonical = (
        f'{{"actor":{alice.pk},"competition":{competition.pk},'
        '"content":{"comment":"第 1 条 — ok","score":1,"total":"74.500"},'
        f'"created_at":"{created_at}","kind":"score_changed","sequence":1}}'
    )
    expected = hashlib.sha256((ledger.GENESIS_HASH + canonical).encode("utf-8")).hexdigest()
    assert row.hash == expected
    assert ledger.iso_utc(row.created_at).endswith("Z") and len(ledger.iso_utc(row.created_at)) == 27


def test_each_competition_has_its_own_chain(competition):
    other = CompetitionFactory()
    append(competition, 2)
    first_other = append(other, 1)[0]
    assert first_other.sequence == 1 and first_other.previous_hash == ledger.GENESIS_HASH
    append(competition, 1)
    assert list(LedgerEntry.objects.filter(competition=competition).values_list("sequence", flat=True)) == [1, 2, 3]
    assert ledger.verify() is None


def test_tampered_content_is_found(competition):
    append(competition, 4)
    LedgerEntry.objects.filter(competition=competition, sequence=3).update(content={"score": 3, "total": "99.000"})
    broken = ledger.verify()
    assert broken == ledger.Break(competition.pk, 3, "hash does not match the row's content")


def test_a_rewritten_row_with_a_fresh_hash_breaks_the_next_link(competition):
    rows = append(competition, 4)
    row = LedgerEntry.objects.get(pk=rows[1].pk)
    row.content = {"score": 2, "total": "1.000"}
    row.hash = ledger.entry_hash(row)
    row.save()
    broken = ledger.verify(competition=competition)
    assert (broken.sequence, broken.reason) == (3, "previous_hash does not match row 2")


def test_a_deleted_row_is_found(competition):
    append(competition, 4)
    LedgerEntry.objects.filter(competition=competition, sequence=2).delete()
    broken = ledger.verify()
    assert broken.sequence == 2 and "missing" in broken.reason


def test_a_deleted_last_row_is_found_through_the_head(competition):
    append(competition, 3)
    LedgerEntry.objects.filter(competition=competition, sequence=3).delete()
    broken = ledger.verify()
    assert broken.sequence == 3 and "head" in broken.reason


def test_an_edited_hash_is_found(competition):
    append(competition, 3)
    LedgerEntry.objects.filter(competition=competition, sequence=2).update(hash="f" * 64)
    assert ledger.verify() == ledger.Break(competition.pk, 2, "hash does not match the row's content")


def test_the_first_break_is_reported_by_competition_then_sequence(competition):
    later = CompetitionFactory()
    append(competition, 3)
    append(later, 3)
    LedgerEntry.objects.filter(competition=later, sequence=1).update(hash="0" * 64)
    LedgerEntry.objects.filter(competition=competition, sequence=3).update(content={})
    assert ledger.verify().competition_id == competition.pk
    assert ledger.verify(competition=later).sequence == 1


def test_a_head_whose_rows_are_all_gone_is_found(competition):
    append(competition, 2)
    LedgerEntry.objects.filter(competition=competition).delete()
    broken = ledger.verify()
    assert broken == ledger.Break(competition.pk, 1, "row 1 is missing: the head records 2 rows")


def test_the_command_reports_an_intact_ledger(competition):
    other = CompetitionFactory()
    append(competition, 3)
    append(other, 2)
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert out.getvalue().strip() == "Ledger intact: 5 rows in 2 competitions."
    out = StringIO()
    call_command("verify_ledger", "--competition", competition.slug, stdout=out)
    assert out.getvalue().strip() == "Ledger intact: 3 rows in 1 competitions."


def test_the_command_on_an_empty_ledger(db):
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert "Ledger intact: 0 rows" in out.getvalue()


@pytest.mark.parametrize(
    ("tamper", "sequence", "reason"),
    [
        (lambda qs: qs.filter(sequence=2).update(content={"score": 2, "total": "100.000"}), 2, "hash does not match"),
        (lambda qs: qs.filter(sequence=2).delete(), 2, "row 2 is missing"),
        (lambda qs: qs.filter(sequence=3).update(hash="a" * 64), 3, "hash does not match"),
    ],
    ids=["content", "deleted", "hash"],
)
def test_the_command_fails_on_a_broken_chain(competition, tamper, sequence, reason):
    append(competition, 4)
    tamper(LedgerEntry.objects.filter(competition=competition))
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger", stdout=StringIO())
    message = str(caught.value)
    assert competition.slug in message and f"row {sequence}" in message and reason in message
    assert caught.value.returncode == 1


def test_the_command_refuses_an_unknown_competition(db):
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger", "--competition", "no-such-thing", stdout=StringIO())
    assert "no-such-thing" in str(caught.value)


def test_verify_streams_in_chunks(competition, monkeypatch):
    append(competition, 3)
    seen = {}
    real = QuerySet.iterator

    def spy(self, chunk_size=None):
        seen["chunk_size"] = chunk_size
        return real(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    assert ledger.verify() is None and seen["chunk_size"] == 2000


@pytest.mark.django_db(transaction=True)
def test_parallel_appends_never_fork_the_chain():
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI runs on PostgreSQL; this test must run there.")
        pytest.skip("Parallel row locking needs PostgreSQL.")
    competition = CompetitionFactory()
    actor = UserFactory()
    barrier = threading.Barrier(4)
    errors = []

    def worker(number):
        try:
            barrier.wait(timeout=10)
            for i in range(5):
                with transaction.atomic():
                    ledger.append(
                        competition=competition,
                        kind=LedgerKind.SCORE_CHANGED,
                        actor=actor,
                        content={"worker": number, "i": i},
                    )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert list(LedgerEntry.objects.filter(competition=competition).values_list("sequence", flat=True)) == list(
        range(1, 21)
    )
    assert ledger.verify(competition=competition) is None


def test_the_admin_shows_ledger_rows_but_never_adds_changes_or_deletes_them(client, competition):
    from django.urls import reverse

    row = append(competition, 1)[0]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:judging_ledgerentry_changelist")).status_code == 200
    page = client.get(reverse("admin:judging_ledgerentry_change", args=[row.pk]))
    assert page.status_code == 200 and row.hash in page.content.decode()
    assert client.get(reverse("admin:judging_ledgerentry_add")).status_code == 403
    assert client.post(reverse("admin:judging_ledgerentry_change", args=[row.pk]), {"hash": "x"}).status_code == 403
    assert client.post(reverse("admin:judging_ledgerentry_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.get(pk=row.pk).hash == row.hash and ledger.verify() is None
