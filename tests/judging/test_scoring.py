"""save_score: totals, drafts and submissions, every refusal, versions, the ledger, and one row per judge and entry."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from judging import ledger, scoring
from judging.models import (
    Assignment,
    Conflict,
    ConflictSource,
    Criterion,
    CriterionScore,
    LedgerEntry,
    LedgerKind,
    PanelMembership,
    PeerScores,
    Rubric,
    Score,
    ScoreStatus,
)
from judging.scoring import CriterionInput, ScoreRefused, peer_scores, save_score, weighted_total
from tests.conftest import IN_CI
from tests.factories import AssignmentFactory, PanelMembershipFactory, RoundFactory, RubricFactory, UserFactory


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def criteria_of(assignment):
    rubric = Rubric.objects.get(round=assignment.round, version=1)
    return {criterion.key: criterion for criterion in rubric.criteria.all()}


def form(assignment, story=None, craft=None, craft_comment="", story_comment=""):
    criteria = criteria_of(assignment)
    return {
        criteria["story"].pk: CriterionInput(None if story is None else Decimal(str(story)), story_comment),
        criteria["craft"].pk: CriterionInput(None if craft is None else Decimal(str(craft)), craft_comment),
    }


def score_rows():
    return LedgerEntry.objects.filter(
        kind__in=[LedgerKind.SCORE_CREATED, LedgerKind.SCORE_CHANGED, LedgerKind.SCORE_SUBMITTED]
    )


def messages_of(error):
    return [message for messages in error.message_dict.values() for message in messages]


def test_submitted_score_has_the_hand_computed_total_and_one_ledger_row(assignment, bob):
    # story 8/10 x 60 + craft 6.5/10 x 40 = 48 + 26 = 74 out of 100
    score = save_score(
        assignment=assignment,
        values=form(assignment, 8, "6.5", craft_comment=" Clean cuts. "),
        comment="Strong start.",
        submit=True,
    )
    score.refresh_from_db()
    assert score.status == ScoreStatus.SUBMITTED and score.total == Decimal("74.000")
    assert score.version == 1 and score.submitted_at is not None
    assert score.judge == bob and score.comment == "Strong start."
    values = {row.criterion.key: (row.value, row.comment) for row in score.values.select_related("criterion")}
    assert values == {"story": (Decimal("8"), ""), "craft": (Decimal("6.5"), "Clean cuts.")}

    row = score_rows().get()
    assert row.kind == LedgerKind.SCORE_SUBMITTED and row.actor == bob and row.sequence >= 1
    content = row.content
    assert content["round"] == assignment.round_id and content["entry"] == assignment.entry_id
    assert content["entry_number"] == assignment.entry.number and content["judge"] == bob.pk
    assert content["status"] == "submitted" and content["total"] == "74.000"
    assert content["values"] == {"story": "8", "craft": "6.5"}
    assert content["comments"] == {"craft": "Clean cuts."} and content["comment"] == "Strong start."
    assert content["rubric_version"] == 1
    assert ledger.verify() is None

    assert Rubric.objects.get(round=assignment.round).frozen_at is not None
    assert PanelMembership.objects.get(round=assignment.round, judge=bob).last_active_at is not None


def test_weighted_total_uses_each_criterion_range():
    criteria = [
        Criterion(pk=1, weight=Decimal("30"), min_score=Decimal("0"), max_score=Decimal("10")),
        Criterion(pk=2, weight=Decimal("70"), min_score=Decimal("1"), max_score=Decimal("5")),
    ]
    # 10/10 x 30 + (2-1)/(5-1) x 70 = 30 + 17.5
    assert weighted_total(criteria, {1: Decimal("10"), 2: Decimal("2")}) == Decimal("47.500")
    assert weighted_total(criteria, {1: Decimal("10"), 2: None}) is None
    assert weighted_total(criteria, {1: CriterionInput(Decimal("0")), 2: CriterionInput(Decimal("5"))}) == Decimal(
        "70.000"
    )
    # 1/3 of the way: 33.333...
    thirds = [Criterion(pk=3, weight=Decimal("1"), min_score=Decimal("0"), max_score=Decimal("3"))]
    assert weighted_total(thirds, {3: Decimal("1")}) == Decimal("33.333")


def test_a_draft_may_leave_values_empty(assignment):
    score = save_score(assignment=assignment, values=form(assignment, story="7.5"), submit=False)
    assert score.status == ScoreStatus.DRAFT and score.total is None and score.submitted_at is None
    assert CriterionScore.objects.filter(score=score, value__isnull=True).count() == 1
    assert score_rows().get().kind == LedgerKind.SCORE_CREATED


def test_submitting_with_missing_values_is_refused_and_nothing_is_saved(assignment):
    criteria = criteria_of(assignment)
    with pytest.raises(ValidationError) as caught:
        save_score(assignment=assignment, values=form(assignment, story=8, craft_comment="ok"), submit=True)
    assert caught.value.message_dict[criteria["craft"].pk] == ["Craft: give a score before submitting."]
    assert not Score.objects.exists() and not score_rows().exists()
    assert Rubric.objects.get(round=assignment.round).frozen_at is None


@pytest.mark.parametrize("value", ["10.5", "-1", "7.3", "8.25"])
def test_values_out_of_range_or_off_step_are_refused_with_the_criterion_named(assignment, value):
    criteria = criteria_of(assignment)
    with pytest.raises(ValidationError) as caught:
        save_score(assignment=assignment, values=form(assignment, story=value), submit=False)
    assert caught.value.message_dict[criteria["story"].pk] == ["Story: enter a score between 0 and 10 in steps of 0.5."]
    assert not Score.objects.exists()


def test_text_that_is_not_a_number_is_refused(assignment):
    criteria = criteria_of(assignment)
    values = {criteria["story"].pk: CriterionInput("eight"), criteria["craft"].pk: CriterionInput("NaN")}
    with pytest.raises(ValidationError) as caught:
        save_score(assignment=assignment, values=values, submit=False)
    assert caught.value.message_dict[criteria["story"].pk] == ["Story: enter a number."]
    assert caught.value.message_dict[criteria["craft"].pk] == ["Craft: enter a number."]


def test_a_required_comment_is_needed_to_submit_but_not_for_a_draft(assignment):
    criteria = criteria_of(assignment)
    with pytest.raises(ValidationError) as caught:
        save_score(assignment=assignment, values=form(assignment, 8, 6, craft_comment="   "), submit=True)
    assert caught.value.message_dict[criteria["craft"].pk] == ["Craft: a comment is required for this criterion."]
    draft = save_score(assignment=assignment, values=form(assignment, 8, 6), submit=False)
    assert draft.status == ScoreStatus.DRAFT and draft.total == Decimal("72.000")


def test_values_for_criteria_of_another_rubric_ask_for_a_reload(assignment):
    with pytest.raises(ValidationError) as caught:
        save_score(assignment=assignment, values={999999: CriterionInput(Decimal("5"))}, submit=False)
    assert "Reload the page" in caught.value.message_dict[NON_FIELD_ERRORS][0]


def test_after_the_window_closes_nothing_is_saved(assignment):
    save_score(assignment=assignment, values=form(assignment, 8), submit=False)
    closes = assignment.round.closes_at
    with time_machine.travel(closes + timedelta(seconds=1), tick=False), pytest.raises(ScoreRefused) as caught:
        save_score(assignment=assignment, values=form(assignment, 9, 9, craft_comment="x"), submit=True)
    assert "closed" in str(caught.value)
    score = Score.objects.get()
    assert score.status == ScoreStatus.DRAFT and score.version == 1
    # The window is read from the database, not from the caller's (stale) round object.
    assignment.round.closes_at = closes + timedelta(days=30)
    with pytest.raises(ScoreRefused):
        save_score(assignment=assignment, values=form(assignment, 9), submit=False, now=closes)


def test_before_the_window_opens_nothing_is_saved(assignment):
    with pytest.raises(ScoreRefused) as caught:
        save_score(
            assignment=assignment,
            values=form(assignment, 8),
            submit=False,
            now=assignment.round.opens_at - timedelta(minutes=1),
        )
    assert "opens" in str(caught.value)
    assert not Score.objects.exists()


def test_a_conflicted_judge_cannot_score_and_is_not_told_why(assignment, bob, competition):
    Conflict.objects.create(
        competition=competition,
        judge=bob,
        entry=assignment.entry,
        source=ConflictSource.DETECTED,
        basis="Credit 林导演 = judge name",
    )
    with pytest.raises(ScoreRefused) as caught:
        save_score(assignment=assignment, values=form(assignment, 8), submit=False)
    assert "no longer assigned" in str(caught.value) and "林导演" not in str(caught.value)
    assert not Score.objects.exists()


def test_a_dropped_judge_cannot_score(assignment, bob_membership):
    bob_membership.active = False
    bob_membership.dropped_at = timezone.now()
    bob_membership.save()
    with pytest.raises(ScoreRefused) as caught:
        save_score(assignment=assignment, values=form(assignment, 8), submit=False)
    assert "no longer on this round's panel" in str(caught.value)


def test_an_assignment_that_was_removed_cannot_be_scored(assignment):
    Assignment.objects.filter(pk=assignment.pk).delete()
    with pytest.raises(ScoreRefused):
        save_score(assignment=assignment, values=form(assignment, 8), submit=False)


def test_a_stale_version_is_refused_and_the_current_one_accepted(assignment):
    first = save_score(assignment=assignment, values=form(assignment, 8), submit=False, expected_version=0)
    assert first.version == 1
    # Another tab opened before the first save: it expected no score at all.
    with pytest.raises(ValidationError) as caught:
        save_score(assignment=assignment, values=form(assignment, 5), submit=False, expected_version=0)
    assert "changed in another window" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        save_score(assignment=assignment, values=form(assignment, 5), submit=False, expected_version="7")
    second = save_score(assignment=assignment, values=form(assignment, 5), submit=False, expected_version="1")
    assert second.version == 2
    assert CriterionScore.objects.get(score=second, criterion__key="story").value == Decimal("5")


def test_an_identical_resave_writes_no_ledger_row_and_keeps_the_version(assignment, bob):
    values = form(assignment, 8, 6, craft_comment="Good sound.")
    save_score(assignment=assignment, values=values, comment="Fine.", submit=True)
    before = LedgerEntry.objects.count()
    again = save_score(
        assignment=assignment,
        values=form(assignment, "8.0", "6.00", craft_comment="Good sound. "),
        comment=" Fine.",
        submit=True,
        expected_version=1,
    )
    assert again.version == 1 and LedgerEntry.objects.count() == before
    # A changed comment is a change: new version, one more row.
    changed = save_score(assignment=assignment, values=values, comment="Fine, on reflection.", submit=True)
    assert changed.version == 2 and LedgerEntry.objects.count() == before + 1
    assert LedgerEntry.objects.order_by("-sequence").first().kind == LedgerKind.SCORE_CHANGED
    assert Score.objects.count() == 1 and ledger.verify() is None


def test_a_draft_save_of_a_submitted_score_takes_it_back(assignment):
    save_score(assignment=assignment, values=form(assignment, 8, 6, craft_comment="c"), submit=True)
    draft = save_score(assignment=assignment, values=form(assignment, 8, 6, craft_comment="c"), submit=False)
    assert draft.status == ScoreStatus.DRAFT and draft.submitted_at is None and draft.version == 2
    resubmitted = save_score(assignment=assignment, values=form(assignment, 8, 6, craft_comment="c"), submit=True)
    assert resubmitted.submitted_at is not None
    kinds = list(score_rows().order_by("sequence").values_list("kind", flat=True))
    assert kinds == [LedgerKind.SCORE_SUBMITTED, LedgerKind.SCORE_CHANGED, LedgerKind.SCORE_SUBMITTED]


def test_the_database_keeps_one_score_per_judge_and_entry(assignment, bob):
    save_score(assignment=assignment, values=form(assignment, 8), submit=False)
    rubric = Rubric.objects.get(round=assignment.round)
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(round=assignment.round, entry=assignment.entry, judge=bob, rubric=rubric)


def test_a_parallel_insert_is_caught_and_saved_as_an_update(assignment, bob, monkeypatch):
    """The race, made deterministic: the row appears after this request looked for it and before it inserted."""
    save_score(assignment=assignment, values=form(assignment, 8), submit=False)  # "the other request"
    real = scoring._lock_score
    calls = []

    def lock_missing_once(lookup):
        calls.append(lookup)
        return None if len(calls) == 1 else real(lookup)

    monkeypatch.setattr(scoring, "_lock_score", lock_missing_once)
    score = save_score(assignment=assignment, values=form(assignment, 9), submit=False)
    assert len(calls) == 2
    assert Score.objects.count() == 1 and score.version == 2
    assert score_rows().count() == 2 and ledger.verify() is None
    assert CriterionScore.objects.get(score=score, criterion__key="story").value == Decimal("9")


def test_a_new_rubric_version_moves_the_score_on_its_next_save(assignment, alice):
    from judging.rubrics import new_rubric_version

    first = save_score(assignment=assignment, values=form(assignment, 8, 6, craft_comment="c"), submit=True)
    v1 = first.rubric
    v2 = new_rubric_version(
        rubric=v1,
        actor=alice,
        reason="Weights agreed by the jury",
        criteria=[
            {"key": "story", "name_zh": "故事", "name_en": "Story", "weight": 50},
            {"key": "craft", "name_zh": "制作", "name_en": "Craft", "weight": 50},
        ],
    )
    assert Score.objects.get().rubric == v1  # existing scores keep their version
    new = {c.pk: CriterionInput(Decimal("8")) for c in v2.criteria.all()}
    score = save_score(assignment=assignment, values=new, submit=True)
    assert score.rubric == v2 and score.total == Decimal("80.000")
    assert set(CriterionScore.objects.filter(score=score).values_list("criterion__rubric", flat=True)) == {v2.pk}
    assert Rubric.objects.get(pk=v2.pk).frozen_at is not None


# --- peer scores ----------------------------------------------------------------------------------------------


def add_judge_with_score(assignment, total, *, status=ScoreStatus.SUBMITTED, minutes=0, name="X"):
    judge = UserFactory(display_name=name)
    PanelMembershipFactory(round=assignment.round, judge=judge)
    AssignmentFactory(round=assignment.round, entry=assignment.entry, judge=judge)
    Score.objects.create(
        round=assignment.round,
        entry=assignment.entry,
        judge=judge,
        rubric=Rubric.objects.get(round=assignment.round),
        status=status,
        total=Decimal(total),
        submitted_at=timezone.now() + timedelta(minutes=minutes) if status == ScoreStatus.SUBMITTED else None,
    )
    return judge


def test_peer_scores_are_hidden_when_the_round_never_shows_them(assignment):
    add_judge_with_score(assignment, "60")
    save_score(assignment=assignment, values=form(assignment, 8, 6, craft_comment="c"), submit=True)
    assert assignment.round.peer_scores == PeerScores.NEVER
    assert peer_scores(assignment=assignment) is None


def test_peer_scores_appear_after_own_submission_anonymised_and_without_conflicted_judges(assignment, competition):
    round = assignment.round
    round.peer_scores = PeerScores.AFTER_OWN
    round.save()
    later = add_judge_with_score(assignment, "60", minutes=5, name="Zoe Later")
    add_judge_with_score(assignment, "70", minutes=1, name="Yan Earlier")
    add_judge_with_score(assignment, "10", status=ScoreStatus.DRAFT, name="Drafty")
    conflicted = add_judge_with_score(assignment, "99", minutes=2, name="Conflicted")
    Conflict.objects.create(
        competition=competition, judge=conflicted, entry=assignment.entry, source=ConflictSource.DECLARED, basis="x"
    )
    assert peer_scores(assignment=assignment) is None  # bob has not submitted
    save_score(assignment=assignment, values=form(assignment, 8), submit=False)
    assert peer_scores(assignment=assignment) is None  # a draft is not enough
    save_score(assignment=assignment, values=form(assignment, 8, 6, craft_comment="c"), submit=True)
    peers = peer_scores(assignment=assignment)
    assert peers == [{"label": "Judge A", "total": Decimal("70.000")}, {"label": "Judge B", "total": Decimal("60.000")}]
    assert "Zoe" not in str(peers) and str(later.pk) not in [p["label"] for p in peers]
    assert scoring.judge_label(26) == "Judge AA"


# --- parallel requests (PostgreSQL) ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_saves_leave_one_score_and_one_ledger_row_per_change():
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI runs on PostgreSQL; this test must run there.")
        pytest.skip("Parallel row locking needs PostgreSQL (SQLite serialises whole transactions).")
    from tests.factories import CompetitionFactory, UnitFactory, eligible_entry

    competition = CompetitionFactory()
    round = RoundFactory(competition=competition, position=1)
    # Frozen already (another judge scored first): the first score's rubric lock would otherwise queue the two
    # requests one behind the other, and the race on creating the row would never happen.
    RubricFactory(round=round, frozen_at=timezone.now())
    judge = UserFactory()
    PanelMembershipFactory(round=round, judge=judge)
    entry = eligible_entry(UnitFactory(competition=competition))
    assignment = AssignmentFactory(round=round, entry=entry, judge=judge)
    criteria = {c.key: c for c in Criterion.objects.filter(rubric__round=round)}

    def run_in_parallel(story_values):
        barrier = threading.Barrier(len(story_values))
        errors = []

        def worker(value):
            try:
                barrier.wait(timeout=10)
                values = {
                    criteria["story"].pk: CriterionInput(Decimal(value)),
                    criteria["craft"].pk: CriterionInput(None),
                }
                save_score(
                    assignment=Assignment.objects.select_related("entry__track").get(pk=assignment.pk),
                    values=values,
                    submit=False,
                )
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(value,)) for value in story_values]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []

    # Two different values at once: one row, two versions, two ledger rows.
    run_in_parallel(["5", "6"])
    assert Score.objects.filter(round=round).count() == 1
    assert Score.objects.get(round=round).version == 2
    assert score_rows().filter(competition=competition).count() == 2
    # The same value from two windows at once: one of them is a no-op.
    run_in_parallel(["7", "7"])
    assert Score.objects.get(round=round).version == 3
    assert score_rows().filter(competition=competition).count() == 3
    assert ledger.verify(competition=competition) is None
