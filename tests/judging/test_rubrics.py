"""Rubrics: default criteria, validation, editing until the first score, new versions afterwards, the ledger."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from judging import ledger
from judging.models import Criterion, LedgerEntry, LedgerKind, Rubric
from judging.rubrics import (
    current_rubric,
    current_rubrics,
    default_criteria,
    new_rubric_version,
    save_rubric,
)
from judging.scoring import CriterionInput, save_score
from portal.models import ActionLog, LoggedAction, Track, TrackKind


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def criterion(key="story", name="故事", **extra):
    return {"key": key, "name_zh": name, "name_en": key.title(), **extra}


@pytest.mark.parametrize("kind", [TrackKind.WORK, TrackKind.STORY])
def test_default_criteria_weigh_100_with_guidance_in_both_languages(kind):
    criteria = default_criteria(kind)
    assert sum(c["weight"] for c in criteria) == 100
    assert len({c["key"] for c in criteria}) == len(criteria) == 4
    for c in criteria:
        assert (c["min_score"], c["max_score"], c["step"]) == (0, 10, Decimal("0.5"))
        for level in ("low", "mid", "high"):
            zh, en = c[f"guidance_{level}_zh"], c[f"guidance_{level}_en"]
            assert zh and en and len(zh) <= 300 and len(en) <= 300
        assert c["guidance_low_en"].startswith("About 2") and c["guidance_high_zh"].startswith("约8分")


def test_the_work_track_follows_the_demo_rubric():
    work = {c["name_zh"]: c["weight"] for c in default_criteria(TrackKind.WORK)}
    assert work == {"思想性": 30, "艺术性": 30, "制作水准": 25, "创新性": 15}
    assert "AIGC" in default_criteria(TrackKind.WORK)[3]["name_en"]
    story = [c["key"] for c in default_criteria(TrackKind.STORY)]
    assert story == ["story_theme", "characters", "structure_pacing", "originality"]


def rubric_of(judging_round):
    return Rubric.objects.get(round=judging_round, track__kind=TrackKind.WORK)


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ([], "A rubric needs at least one criterion."),
        ([criterion(), criterion(name="又一个")], "The key “story” is used by two criteria"),
        ([criterion(min_score=5, max_score=5)], "故事: the highest score must be above the lowest."),
        ([criterion(min_score=8, max_score=2)], "故事: the highest score must be above the lowest."),
        ([criterion(step=0)], "故事: the step must be above zero."),
        ([criterion(step="-0.5")], "故事: the step must be above zero."),
        ([criterion(max_score=10, step=3)], "故事: the range from 0 to 10 must be a whole number of steps of 3."),
        ([criterion(weight=0)], "故事: the weight must be above zero."),
        ([criterion(weight="abc")], "故事: “weight” must be a number."),
        ([criterion(weight="1.234")], "故事: “weight” must be below 1000 with at most two decimal places."),
        ([criterion(key="not a key!")], "故事: give a key of at most 40 letters"),
        ([{"key": "x", "name_zh": " ", "name_en": ""}], "Criterion 1: give the criterion a name."),
        ([criterion(guidance_low_en="x" * 301)], "is too long (at most 300 characters)"),
    ],
)
def test_invalid_criteria_are_refused_with_a_clear_message(judging_round, alice, criteria, message):
    rubric = rubric_of(judging_round)
    before = list(rubric.criteria.values_list("key", flat=True))
    with pytest.raises(ValidationError) as caught:
        save_rubric(rubric=rubric, actor=alice, criteria=criteria)
    assert any(message in text for text in caught.value.messages), caught.value.messages
    assert list(rubric.criteria.values_list("key", flat=True)) == before
    assert not LedgerEntry.objects.exists()


def test_every_problem_is_listed_at_once(judging_round, alice):
    with pytest.raises(ValidationError) as caught:
        save_rubric(
            rubric=rubric_of(judging_round),
            actor=alice,
            criteria=[criterion(weight=0), criterion(key="craft", name="制作", step=0)],
        )
    assert len(caught.value.messages) == 2


def test_an_unfrozen_rubric_is_replaced_and_the_change_is_in_the_ledger(judging_round, alice):
    rubric = rubric_of(judging_round)
    story_id = rubric.criteria.get(key="story").pk
    save_rubric(
        rubric=rubric,
        actor=alice,
        criteria=[
            criterion(weight="70", comment_required=True, guidance_mid_en="Holds together"),
            criterion(key="sound", name="声音", weight="30", max_score="5", step="1"),
        ],
    )
    criteria = list(rubric.criteria.all())
    assert [(c.key, c.weight, c.position) for c in criteria] == [("story", 70, 1), ("sound", 30, 2)]
    assert criteria[0].pk == story_id and criteria[0].comment_required  # updated in place, keys are stable
    assert not Criterion.objects.filter(rubric=rubric, key="craft").exists()
    row = LedgerEntry.objects.get()
    assert row.kind == LedgerKind.RUBRIC_CHANGED and row.actor == alice
    assert row.content["round"] == judging_round.pk and row.content["track"] == "work"
    assert row.content["version"] == 1
    assert [c["key"] for c in row.content["criteria"]] == ["story", "sound"]
    assert row.content["criteria"][1]["max_score"] == "5" and row.content["criteria"][0]["weight"] == "70"
    assert row.content["criteria"][0]["guidance_mid_en"] == "Holds together"


def score_once(assignment):
    rubric = Rubric.objects.get(round=assignment.round)
    values = {c.pk: CriterionInput(Decimal("5")) for c in rubric.criteria.all()}
    return save_score(assignment=assignment, values=values, submit=False)


def test_the_first_score_freezes_the_rubric_and_edits_are_refused(assignment, alice):
    score_once(assignment)
    rubric = Rubric.objects.get(round=assignment.round)
    assert rubric.is_frozen
    with pytest.raises(ValidationError) as caught:
        save_rubric(rubric=rubric, actor=alice, criteria=[criterion()])
    assert "Create a new version" in caught.value.messages[0]
    assert rubric.criteria.count() == 2


def test_a_new_version_after_scoring_began(assignment, alice):
    score = score_once(assignment)
    v1 = Rubric.objects.get(round=assignment.round)
    rows_before = LedgerEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        new_rubric_version(rubric=v1, actor=alice, criteria=[criterion()], reason="  ")
    assert "Say why" in caught.value.messages[0]

    v2 = new_rubric_version(
        rubric=v1, actor=alice, criteria=[criterion(weight=100)], reason="Jury asked for a single criterion"
    )
    assert (v2.version, v2.frozen_at, v2.created_by) == (2, None, alice)
    assert list(v2.criteria.values_list("key", flat=True)) == ["story"]
    assert current_rubric(assignment.round, v1.track) == v2
    score.refresh_from_db()
    assert score.rubric == v1 and v1.criteria.count() == 2  # existing scores keep their version

    row = LedgerEntry.objects.order_by("-sequence").first()
    assert LedgerEntry.objects.count() == rows_before + 1
    assert row.kind == LedgerKind.RUBRIC_VERSIONED and row.content["version"] == 2
    assert row.content["reason"] == "Jury asked for a single criterion"
    log = ActionLog.objects.get(action=LoggedAction.RUBRIC_VERSIONED)
    assert log.actor == alice and log.data["reason"] == "Jury asked for a single criterion"
    assert log.data["version"] == 2
    assert ledger.verify() is None

    # A version made from an older one still numbers after the newest.
    v3 = new_rubric_version(rubric=v1, actor=alice, criteria=[criterion(weight=1)], reason="again")
    assert v3.version == 3


def test_current_rubric_creates_version_1_from_the_defaults(judging_round, competition):
    story = Track.objects.get(competition=competition, kind=TrackKind.STORY)
    rubric = current_rubric(judging_round, story)
    assert rubric.version == 1
    assert list(rubric.criteria.values_list("key", flat=True)) == [c["key"] for c in default_criteria("story")]
    assert current_rubric(judging_round, story) == rubric
    row = LedgerEntry.objects.get()
    assert row.kind == LedgerKind.RUBRIC_CHANGED and row.actor is None and row.content["track"] == "story"


def test_current_rubrics_has_every_track_in_two_queries(judging_round, competition, alice):
    first = current_rubrics(judging_round)  # makes the missing story rubric
    assert set(first) == set(Track.objects.filter(competition=competition).values_list("pk", flat=True))
    work = Track.objects.get(competition=competition, kind=TrackKind.WORK)
    new_rubric_version(rubric=first[work.pk], actor=alice, criteria=[criterion()], reason="r")
    with CaptureQueriesContext(connection) as queries:
        rubrics = current_rubrics(judging_round)
        keys = {track_id: [c.key for c in rubric.criteria.all()] for track_id, rubric in rubrics.items()}
        kinds = {rubric.track.kind for rubric in rubrics.values()}
    assert len(queries) == 2
    assert rubrics[work.pk].version == 2 and keys[work.pk] == ["story"] and kinds == {"work", "story"}
