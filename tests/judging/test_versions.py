"""Result versions: prepare (refused with the unscored list), schedule, publish on time, supersede, revise, and
published versions that never change."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from judging import advancement, tasks, versions
from judging.aggregation import compute_ranking, take_snapshot
from judging.models import (
    AwardCategory,
    Decision,
    Nomination,
    Outcome,
    ResultVersion,
    Score,
    VersionStatus,
)
from portal.models import ActionLog, CompetitionStatus, LoggedAction
from tests.factories import AssignmentFactory, eligible_entry
from tests.judging.results_support import closed_round, judges, score_all, scored_competition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def setup(competition, unit, alice):
    data = scored_competition(competition, unit)
    advancement.advance(round=data["first"], actor=alice, top_k_per_unit=2)
    return data


def prepared(setup, alice):
    return versions.prepare_version(round=setup["first"], actor=alice)


def publish_now(version, alice, days=7):
    version.notice_ends_at = timezone.now() + timedelta(days=days)
    version.save(update_fields=["notice_ends_at"])
    with mock.patch.object(versions, "queue_notifications"):
        return versions.publish_version(version=version, actor=alice)


def test_prepare_freezes_snapshot_ranking_decisions(setup, alice):
    first = setup["first"]
    version = prepared(setup, alice)

    assert (version.number, version.status, version.method) == (1, VersionStatus.DRAFT, first.aggregation_method)
    assert version.snapshot == take_snapshot(first)
    assert version.snapshot_sha256 == ResultVersion.digest(version.snapshot)
    assert len(version.snapshot["scores"]) == 12
    assert version.ranking == compute_ranking(first).as_json()
    assert [row["number"] for row in version.ranking] == [entry.number for entry in setup["entries"]]
    assert [(row["number"], row["outcome"]) for row in version.decisions] == [
        (entry.number, outcome)
        for entry, outcome in zip(setup["entries"], ["advanced", "advanced", "not_advanced"] * 2, strict=True)
    ]
    assert ActionLog.objects.filter(action=LoggedAction.RESULT_PREPARED, data__version=1).exists()

    with pytest.raises(ValidationError, match="already has version 1"):
        versions.prepare_version(round=first, actor=alice)


def test_prepare_refused_while_open_or_without_decisions(competition, unit, alice):
    data = scored_competition(competition, unit)
    with pytest.raises(ValidationError, match="Decide which entries go on"):
        versions.prepare_version(round=data["first"], actor=alice)
    data["first"].closes_at = timezone.now() + timedelta(hours=3)
    data["first"].save()
    with pytest.raises(ValidationError, match="still open until"):
        versions.prepare_version(round=data["first"], actor=alice)
    assert not ResultVersion.objects.exists()


def test_prepare_refused_with_the_list_of_unscored_assignments(competition, unit, alice):
    round = closed_round(competition, position=1, kind="final")  # the last round: no decisions needed
    panel = judges(round, count=2)
    entries = [eligible_entry(unit) for _ in range(12)]
    for entry in entries:
        for judge in panel:
            AssignmentFactory(round=round, entry=entry, judge=judge)
    # 24 active assignments, none scored: 20 lines and "and 4 more".
    with pytest.raises(ValidationError) as error:
        versions.prepare_version(round=round, actor=alice)
    lines = error.value.messages
    assert "24 assigned entries have no submitted score yet" in lines[0]
    assert lines[1] == f"{entries[0].number} — Judge 1"
    assert lines[2] == f"{entries[0].number} — Judge 2"
    assert len(lines) == 1 + 20 + 1 and lines[-1] == "and 4 more"
    assert not ResultVersion.objects.exists()
    assert len(versions.unscored_assignments(round)) == 24


def test_awards_json_from_nominations(competition, unit, alice):
    final = closed_round(competition, position=1, kind="final")
    panel = judges(final, count=1)
    entry = eligible_entry(unit)
    score_all(final, [entry], panel, [[(8, 8)]])
    category = AwardCategory.objects.create(
        competition=competition, slug="best-work", name_zh="最佳作品", name_en="Best Work", position=1
    )
    Nomination.objects.create(category=category, round=final, entry=entry, is_winner=True, citation_zh="光影动人")
    version = versions.prepare_version(round=final, actor=alice)
    assert version.decisions == []
    (award,) = version.awards
    assert award["category"] == category.pk and award["slug"] == "best-work" and award["entry"] == entry.pk
    assert award["winner"] is True and award["citation_zh"] == "光影动人" and award["name_en"] == "Best Work"

    # Publishing the last round's result publishes the competition's results.
    publish_now(version, alice)
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.PUBLISHED


def test_schedule_validates_and_queues_the_eta_task(setup, alice, django_capture_on_commit_callbacks):
    version = prepared(setup, alice)
    now = timezone.now()
    with pytest.raises(ValidationError, match="already passed"):
        versions.schedule_publication(
            version=version, publish_at=now - timedelta(hours=1), notice_ends_at=now + timedelta(days=7), actor=alice
        )
    with pytest.raises(ValidationError, match="must end after"):
        versions.schedule_publication(
            version=version, publish_at=now + timedelta(days=1), notice_ends_at=now + timedelta(hours=1), actor=alice
        )
    publish_at = now + timedelta(days=1)
    with (
        mock.patch.object(tasks.publish_due_versions, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        version = versions.schedule_publication(
            version=version, publish_at=publish_at, notice_ends_at=publish_at + timedelta(days=7), actor=alice
        )
    queued.assert_called_once_with(eta=publish_at)
    assert version.status == VersionStatus.SCHEDULED
    assert ActionLog.objects.filter(action=LoggedAction.RESULT_SCHEDULED).exists()
    # Not due: the beat task leaves it alone; the task (not an organizer) cannot publish it early.
    assert versions.publish_due_versions() == 0
    with pytest.raises(ValidationError, match="scheduled for"):
        versions.publish_version(version=version, actor=None)


def test_publish_due_versions_publishes_only_due_ones(competition, unit, alice, django_capture_on_commit_callbacks):
    # Two rounds' results, scheduled for tomorrow and for next week.
    data = scored_competition(competition, unit)
    advancement.advance(round=data["first"], actor=alice, top_k_per_unit=2)
    soon = versions.prepare_version(round=data["first"], actor=alice)
    final = closed_round(competition, position=3, kind="final")
    score_all(final, data["entries"][:1], judges(final, count=1), [[(7, 7)]])
    later = versions.prepare_version(round=final, actor=alice)
    now = timezone.now()
    with mock.patch.object(tasks.publish_due_versions, "apply_async"):
        versions.schedule_publication(
            version=soon, publish_at=now + timedelta(days=1), notice_ends_at=now + timedelta(days=8), actor=alice
        )
        versions.schedule_publication(
            version=later, publish_at=now + timedelta(days=7), notice_ends_at=now + timedelta(days=14), actor=alice
        )

    with time_machine.travel(now + timedelta(days=2), tick=False):
        with (
            mock.patch.object(versions, "queue_notifications") as queue,
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert tasks.publish_due_versions.delay().get() == 1
        soon.refresh_from_db()
        later.refresh_from_db()
        assert soon.status == VersionStatus.PUBLISHED and soon.published_at == now + timedelta(days=2)
        assert later.status == VersionStatus.SCHEDULED and later.published_at is None
        assert soon.in_notice()
        queue.assert_called_once()
        # Publishing again publishes nothing twice.
        assert versions.publish_due_versions() == 0
    competition.refresh_from_db()
    assert competition.status != CompetitionStatus.PUBLISHED  # only the final round's result does that
    log = ActionLog.objects.get(action=LoggedAction.RESULT_PUBLISHED)
    assert log.actor is None and log.data["scheduled"] is True


def test_publish_now_supersedes_and_revise(setup, alice):
    first = setup["first"]
    version = prepared(setup, alice)
    with pytest.raises(ValidationError, match="Set when the public notice ends"):
        versions.publish_version(version=version, actor=alice)
    version = publish_now(version, alice)
    assert version.status == VersionStatus.PUBLISHED and version.published_at
    assert versions.publish_version(version=version, actor=alice).published_at == version.published_at  # idempotent

    with pytest.raises(ValidationError, match="already has version 1"):
        versions.prepare_version(round=first, actor=alice)
    with pytest.raises(ValidationError, match="Say why"):
        versions.revise_version(version=version, actor=alice, reason=" ")
    revision = versions.revise_version(version=version, actor=alice, reason="Objection upheld for one entry")
    version.refresh_from_db()
    # One live version per round: the published one is superseded at once but stays public (readable).
    assert (revision.number, revision.status, revision.reason) == (
        2,
        VersionStatus.DRAFT,
        "Objection upheld for one entry",
    )
    assert version.status == VersionStatus.SUPERSEDED and version.is_public()
    assert list(ResultVersion.objects.public().filter(round=first)) == [version]

    # Decisions may change again while the revision is a draft, and the draft follows them.
    decision = Decision.objects.get(round=first, entry=setup["entries"][2])
    advancement.override_decision(decision=decision, outcome=Outcome.ADVANCED, reason="Upheld objection", actor=alice)
    revision.refresh_from_db()
    assert {row["number"]: row["outcome"] for row in revision.decisions}[decision.entry.number] == "advanced"

    revision = publish_now(revision, alice)
    assert revision.status == VersionStatus.PUBLISHED
    assert list(ResultVersion.objects.current_public().filter(round=first)) == [revision]


def test_published_versions_never_change(setup, alice):
    first, entries = setup["first"], setup["entries"]
    version = publish_now(prepared(setup, alice), alice)
    frozen = (
        ResultVersion.objects.filter(pk=version.pk)
        .values("snapshot", "snapshot_sha256", "ranking", "decisions", "awards")
        .get()
    )

    # Decisions are locked while a published version stands; a score changed behind the portal's back and a
    # new nomination do not reach the published version either.
    decision = Decision.objects.get(round=first, entry=entries[0])
    with pytest.raises(ValidationError, match="cannot change now"):
        advancement.override_decision(decision=decision, outcome=Outcome.NOT_ADVANCED, reason="Try", actor=alice)
    with pytest.raises(ValidationError, match="cannot change now"):
        advancement.advance(round=first, actor=alice, top_k_per_unit=1)
    Score.objects.filter(round=first, entry=entries[0]).update(total=1)
    category = AwardCategory.objects.create(competition=first.competition, slug="x", name_zh="奖", position=1)
    Nomination.objects.create(category=category, round=first, entry=entries[0])
    versions.publish_version(version=version, actor=alice)
    with pytest.raises(ValidationError, match="cannot change"):
        versions._write_content(version, ranking=[])
    with pytest.raises(ValidationError):
        versions.schedule_publication(
            version=version,
            publish_at=timezone.now(),
            notice_ends_at=timezone.now() + timedelta(days=1),
            actor=alice,
        )
    versions.revise_version(version=version, actor=alice, reason="New nomination")

    after = (
        ResultVersion.objects.filter(pk=version.pk)
        .values("snapshot", "snapshot_sha256", "ranking", "decisions", "awards")
        .get()
    )
    assert after == frozen
    assert Decision.objects.get(round=first, entry=entries[0]).outcome == Outcome.ADVANCED
