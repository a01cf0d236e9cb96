"""Organizer page of a round's rubric for one track: editing the criteria, frozen rubrics and new versions."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from judging.models import Criterion, LedgerEntry, LedgerKind, Rubric, Score
from portal.models import ActionLog, LoggedAction
from tests.factories import CompetitionFactory, RoundFactory, RubricFactory, UserFactory, eligible_entry


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def rubric(judging_round):
    return judging_round.rubrics.get()


def url(round, kind="work", competition=None):
    return reverse("judging:rubric_edit", args=[(competition or round.competition).slug, round.pk, kind])


STORY = {
    "key": "story",
    "name_zh": "故事",
    "name_en": "Story",
    "weight": "60",
    "min_score": "0",
    "max_score": "10",
    "step": "0.5",
    "comment_required": False,
}
CRAFT = {
    "key": "craft",
    "name_zh": "制作",
    "name_en": "Craft",
    "weight": "40",
    "min_score": "0",
    "max_score": "10",
    "step": "0.5",
    "comment_required": True,
}


def row(base, **changes):
    return {**base, **changes}


def formset_data(rows, initial=None, reason=None, **extra):
    """POST data of the rubric form: `rows` are dicts of criterion fields (+ ORDER, DELETE)."""
    data = {
        "criteria-TOTAL_FORMS": str(len(rows)),
        "criteria-INITIAL_FORMS": str(len(rows) if initial is None else initial),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "30",
    }
    for index, values in enumerate(rows):
        for name, value in values.items():
            if isinstance(value, bool):
                if value:
                    data[f"criteria-{index}-{name}"] = "on"
            elif value is not None:
                data[f"criteria-{index}-{name}"] = str(value)
    if reason is not None:
        data["version-reason"] = reason
    data.update(extra)
    return data


def keys(rubric):
    return list(rubric.criteria.order_by("position", "id").values_list("key", flat=True))


def freeze(rubric, judge, entry, at=datetime(2026, 7, 2, 2, 30, tzinfo=UTC)):
    Score.objects.create(round=rubric.round, entry=entry, judge=judge, rubric=rubric, status="submitted", total=50)
    rubric.frozen_at = at
    rubric.save()


# --- Access --------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, judging_round):
    response = client.get(url(judging_round))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_others_get_404_and_change_nothing(client, judging_round, rubric, bob_membership, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(judging_round)).status_code == 404
    response = client.post(url(judging_round), formset_data([row(STORY, name_zh="改"), CRAFT]))
    assert response.status_code == 404
    assert rubric.criteria.get(key="story").name_zh == "故事"


def test_a_round_of_another_competition_is_404(alice_client, competition):
    other = RoundFactory(competition=CompetitionFactory(slug="elsewhere"))
    other_rubric = RubricFactory(round=other)
    assert alice_client.get(url(other, competition=competition)).status_code == 404
    response = alice_client.post(url(other, competition=competition), formset_data([row(STORY, name_zh="改"), CRAFT]))
    assert response.status_code == 404
    assert other_rubric.criteria.get(key="story").name_zh == "故事"


@pytest.mark.parametrize("kind", ["judge", "WORK", "any"])
def test_unknown_track_kind_is_404(alice_client, judging_round, kind):
    assert alice_client.get(url(judging_round, kind)).status_code == 404


def test_a_track_the_competition_does_not_have_is_404(alice_client, competition, judging_round):
    competition.tracks.filter(kind="story").delete()
    assert alice_client.get(url(judging_round, "story")).status_code == 404
    assert alice_client.get(url(judging_round, "work")).status_code == 200


# --- Viewing -------------------------------------------------------------------------------------------------


def test_page_shows_the_criteria_the_weight_sum_and_the_versions(alice_client, judging_round, rubric, alice):
    response = alice_client.get(url(judging_round))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="story"' in html and 'value="craft"' in html and 'value="故事"' in html
    assert "Sum of weights: <strong>100</strong>" in html
    assert "This rubric is frozen" not in html and "Reason for the new version" not in html
    assert response.context["formset"].total_form_count() == 3  # two criteria and a blank row
    assert "Rubric for Finished work, version 1" in html
    assert len(response.context["versions"]) == 1
    # Tabs to the other track's rubric.
    assert url(judging_round, "story") in html


def test_the_story_track_gets_the_default_rubric(alice_client, judging_round):
    response = alice_client.get(url(judging_round, "story"))
    assert response.status_code == 200
    rubric = Rubric.objects.get(round=judging_round, track__kind="story")
    assert rubric.criteria.count() >= 1
    assert "Sum of weights: <strong>100</strong>" in response.content.decode()


# --- Saving an unfrozen rubric -------------------------------------------------------------------------------


def test_save_changes_adds_and_orders_criteria(alice_client, judging_round, rubric, alice):
    innovation = {
        "key": "innovation",
        "name_zh": "创新性",
        "name_en": "Innovation",
        "weight": "15",
        "min_score": "0",
        "max_score": "10",
        "step": "0.5",
        "guidance_high_zh": "大胆使用 AIGC",
    }
    response = alice_client.post(
        url(judging_round),
        formset_data(
            [row(STORY, weight="50", ORDER="2"), row(CRAFT, ORDER="3"), row(innovation, ORDER="1")], initial=2
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == url(judging_round)
    rubric = Rubric.objects.get(round=judging_round, track__kind="work")
    assert rubric.version == 1
    assert keys(rubric) == ["innovation", "story", "craft"]
    assert rubric.criteria.get(key="story").weight == Decimal("50")
    assert rubric.criteria.get(key="innovation").guidance_high_zh == "大胆使用 AIGC"
    assert rubric.criteria.get(key="craft").comment_required is True
    assert LedgerEntry.objects.filter(competition=judging_round.competition, kind=LedgerKind.RUBRIC_CHANGED).exists()
    html = alice_client.get(response["Location"]).content.decode()
    assert "The rubric has been saved." in html
    assert "Sum of weights: <strong>105</strong>" in html


def test_remove_a_criterion_and_skip_the_blank_row(alice_client, judging_round, rubric):
    blank = {
        "key": "",
        "name_zh": "",
        "name_en": "",
        "weight": "25",
        "min_score": "0",
        "max_score": "10",
        "step": "0.5",
    }
    response = alice_client.post(url(judging_round), formset_data([STORY, row(CRAFT, DELETE=True), blank], initial=2))
    assert response.status_code == 302
    assert keys(rubric) == ["story"]


def test_duplicate_keys_are_refused_and_nothing_changes(alice_client, judging_round, rubric):
    response = alice_client.post(
        url(judging_round), formset_data([row(STORY, name_zh="新故事"), row(CRAFT, key="story")])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Another criterion already uses this identifier." in html
    assert 'value="新故事"' in html
    assert keys(rubric) == ["story", "craft"]
    assert rubric.criteria.get(key="story").name_zh == "故事"


def test_duplicate_keys_are_flagged_even_when_another_row_has_errors(alice_client, judging_round, rubric):
    response = alice_client.post(url(judging_round), formset_data([row(STORY, weight="abc"), row(CRAFT, key="story")]))
    assert response.status_code == 200
    assert response.context["formset"].forms[1].errors["key"] == ["Another criterion already uses this identifier."]


def test_a_range_upside_down_is_refused_and_typed_rows_kept(alice_client, judging_round, rubric):
    response = alice_client.post(
        url(judging_round), formset_data([row(STORY, min_score="10", max_score="5", name_en="Typed"), CRAFT])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The highest score must be above the lowest." in html
    assert 'value="Typed"' in html
    assert rubric.criteria.get(key="story").max_score == Decimal("10")


def test_service_errors_are_shown_at_the_top(alice_client, judging_round, rubric):
    # A range that is not a whole number of steps passes the form but not the service.
    response = alice_client.post(url(judging_round), formset_data([row(STORY, step="3", name_en="Kept"), CRAFT]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "must be a whole number of steps" in html
    assert 'value="Kept"' in html
    assert rubric.criteria.get(key="story").step == Decimal("0.5")


def test_removing_every_criterion_is_refused(alice_client, judging_round, rubric):
    response = alice_client.post(url(judging_round), formset_data([row(STORY, DELETE=True), row(CRAFT, DELETE=True)]))
    assert response.status_code == 200
    assert "A rubric needs at least one criterion." in response.content.decode()
    assert keys(rubric) == ["story", "craft"]


@pytest.mark.parametrize("weight", ["0", "-5", "abc"])
def test_bad_weights_are_refused(alice_client, judging_round, rubric, weight):
    response = alice_client.post(url(judging_round), formset_data([row(STORY, weight=weight), CRAFT]))
    assert response.status_code == 200
    assert response.context["formset"].total_error_count()
    assert rubric.criteria.get(key="story").weight == Decimal("60")


def test_script_in_names_is_escaped(alice_client, judging_round, rubric):
    response = alice_client.post(
        url(judging_round), formset_data([row(STORY, name_zh="<script>alert(1)</script>"), CRAFT])
    )
    assert response.status_code == 302
    html = alice_client.get(url(judging_round)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    detail = alice_client.get(reverse("judging:round_detail", args=[judging_round.competition.slug, judging_round.pk]))
    assert "<script>alert(1)</script>" not in detail.content.decode()


def test_add_a_row_keeps_what_was_typed_and_saves_nothing(alice_client, judging_round, rubric):
    response = alice_client.post(
        url(judging_round), formset_data([row(STORY, name_zh="改过的故事"), CRAFT], add_row="1")
    )
    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.total_form_count() == 3
    assert 'value="改过的故事"' in response.content.decode()
    assert "Please correct" not in response.content.decode()
    assert rubric.criteria.get(key="story").name_zh == "故事"


def test_saving_over_a_newer_version_is_refused(alice_client, judging_round, rubric):
    response = alice_client.post(
        url(judging_round), formset_data([row(STORY, name_en="Typed"), CRAFT], rubric_version="0")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The rubric has changed since you opened this page: it is now version 1." in html
    assert 'value="Typed"' in html
    assert rubric.criteria.get(key="story").name_en == "Story"


def test_missing_management_form_is_an_error_not_a_crash(alice_client, judging_round, rubric):
    response = alice_client.post(url(judging_round), {"criteria-0-key": "story"})
    assert response.status_code == 200
    assert "ManagementForm data is missing" in response.content.decode()
    assert keys(rubric) == ["story", "craft"]


# --- Frozen rubrics ------------------------------------------------------------------------------------------


def test_frozen_rubric_says_so(alice_client, judging_round, rubric, unit, bob):
    freeze(rubric, bob, eligible_entry(unit))
    html = alice_client.get(url(judging_round)).content.decode()
    assert "This rubric is frozen." in html
    assert "The first score was saved at 2026-07-02 10:30 (Asia/Shanghai)." in html
    assert "Saving creates version 2" in html
    assert "Reason for the new version" in html


def test_saving_a_frozen_rubric_without_a_reason_changes_nothing(alice_client, judging_round, rubric, unit, bob):
    freeze(rubric, bob, eligible_entry(unit))
    ledger_rows = LedgerEntry.objects.count()
    response = alice_client.post(url(judging_round), formset_data([row(STORY, weight="70"), CRAFT], reason=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Say why the rubric changes" in html
    assert 'value="70"' in html
    assert Rubric.objects.filter(round=judging_round).count() == 1
    assert rubric.criteria.get(key="story").weight == Decimal("60")
    assert LedgerEntry.objects.count() == ledger_rows
    assert not ActionLog.objects.filter(action=LoggedAction.RUBRIC_VERSIONED).exists()


def test_saving_a_frozen_rubric_with_a_reason_makes_a_new_version(
    alice_client, judging_round, rubric, unit, bob, alice
):
    freeze(rubric, bob, eligible_entry(unit))
    response = alice_client.post(
        url(judging_round), formset_data([row(STORY, weight="70"), row(CRAFT, weight="30")], reason="评委会决定")
    )
    assert response.status_code == 302
    versions = list(Rubric.objects.filter(round=judging_round, track=rubric.track).order_by("version"))
    assert [version.version for version in versions] == [1, 2]
    old, new = versions
    assert old.criteria.get(key="story").weight == Decimal("60")  # earlier scores keep their version
    assert new.criteria.get(key="story").weight == Decimal("70")
    assert new.frozen_at is None and new.created_by == alice
    log = ActionLog.objects.get(action=LoggedAction.RUBRIC_VERSIONED)
    assert log.data["reason"] == "评委会决定"
    assert LedgerEntry.objects.filter(kind=LedgerKind.RUBRIC_VERSIONED).count() == 1
    html = alice_client.get(url(judging_round)).content.decode()
    assert "Version 2 of the rubric has been saved" in html
    assert "Rubric for Finished work, version 2" in html
    assert "This rubric is frozen." not in html
    assert html.count("<td>v") == 2


def test_a_score_without_frozen_at_still_counts_as_frozen(alice_client, judging_round, rubric, unit, bob):
    Score.objects.create(round=judging_round, entry=eligible_entry(unit), judge=bob, rubric=rubric, total=10)
    assert not Rubric.objects.get(pk=rubric.pk).is_frozen
    html = alice_client.get(url(judging_round)).content.decode()
    assert "This rubric is frozen." in html
    response = alice_client.post(url(judging_round), formset_data([row(STORY, weight="70"), CRAFT]))
    assert response.status_code == 200
    assert Criterion.objects.get(rubric=rubric, key="story").weight == Decimal("60")


def test_a_judge_cannot_post_to_the_rubric(client, judging_round, rubric, bob_membership):
    client.force_login(bob_membership.judge)
    response = client.post(url(judging_round), formset_data([row(STORY, weight="99"), CRAFT], reason="x"))
    assert response.status_code == 404
    assert Rubric.objects.filter(round=judging_round).count() == 1
    assert rubric.criteria.get(key="story").weight == Decimal("60")
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(url(judging_round)).status_code == 404
