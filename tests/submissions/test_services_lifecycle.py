"""The entry lifecycle through submissions.services, with a frozen clock around the unit deadline: creating,
completeness, numbering on submission, and what is locked when. Decisions and emails: test_services_decisions.py.

draft -> submitted (numbered) -> eligible / ineligible (with a reason) ; draft or submitted -> withdrawn.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import translation

from portal.models import CompetitionStatus
from submissions import services
from submissions.models import CoOwner, Credit, CreditRole, Entry, EntryEvent, EntryStatus, Material
from submissions.services import EntryError, EntryLocked
from tests.factories import UserFactory, complete_entry
from tests.submissions.support import (
    CLOSES,
    OPENS,
    after,
    before,
    make_competition,
    make_unit,
    still,
    story_entry,
    work_entry,
)

pytestmark = pytest.mark.django_db

MAY = datetime(2026, 5, 1, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MAY, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def competition(db):
    return make_competition(name_zh="追光计划测试", name_en="Light-Chasing Test")


@pytest.fixture
def unit(competition):
    return make_unit(competition, slug="street-life")


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.com")


@pytest.fixture
def organizer(db):
    return UserFactory(email="organizer@example.com")


@pytest.fixture
def videos_uploaded(monkeypatch):
    """Trailer and episode slots count as filled (the video tests fill them for real)."""
    monkeypatch.setattr(services, "missing_videos", lambda entry, code, videos: [])


def submitted_story(unit, owner=None):
    entry = complete_entry(story_entry(unit, owner))
    return services.submit_entry(entry=entry, actor=entry.owner)


def reload(entry):
    return Entry.objects.get(pk=entry.pk)


def codes(missing):
    return [item.code for item in missing]


# ---------------------------------------------------------------- creating


class TestCreate:
    def test_a_new_entry_is_an_unnumbered_draft(self, competition, unit, owner):
        track = competition.tracks.get(kind="work")
        entry = services.create_entry(
            competition=competition, track=track, unit=unit, owner=owner, title="胡同里的光",
            title_en="Light in the Hutong",
        )
        assert entry.status == EntryStatus.DRAFT
        assert (entry.number, entry.sequence, entry.version) == ("", None, 1)
        assert entry.deadline == CLOSES

    def test_a_track_or_unit_of_another_competition_is_refused(self, competition, unit, owner):
        other = make_competition()
        with pytest.raises(EntryError, match="does not belong to this competition"):
            services.create_entry(
                competition=competition, track=other.tracks.first(), unit=unit, owner=owner, title="x"
            )
        with pytest.raises(EntryError):
            services.create_entry(
                competition=competition, track=competition.tracks.first(), unit=make_unit(other), owner=owner,
                title="x",
            )
        assert not Entry.objects.exists()

    @pytest.mark.parametrize(
        "moment, message",
        [
            (before(OPENS), "Submissions have not opened yet."),
            (CLOSES, "The deadline for this unit has passed; the entry is locked."),
        ],
    )
    def test_outside_the_window_nothing_can_be_created(self, clock, competition, unit, owner, moment, message):
        clock.move_to(moment)
        with pytest.raises(EntryLocked) as caught:
            services.create_entry(
                competition=competition, track=competition.tracks.first(), unit=unit, owner=owner, title="x"
            )
        assert caught.value.message == message

    def test_a_competition_not_open_takes_no_entries(self, competition, unit, owner):
        competition.status = CompetitionStatus.CLOSED
        competition.save()
        with pytest.raises(EntryLocked, match="not accepting entries"):
            services.create_entry(
                competition=competition, track=competition.tracks.first(), unit=unit, owner=owner, title="x"
            )

    def test_a_title_over_the_limit_is_refused(self, competition, unit, owner):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError) as caught:
            services.create_entry(
                competition=competition, track=competition.tracks.first(), unit=unit, owner=owner, title="长" * 121
            )
        assert "title" in caught.value.message_dict


# ---------------------------------------------------------------- completeness


class TestMissingItems:
    def test_an_empty_work_lists_everything_in_form_order(self, unit):
        entry = work_entry(unit)
        missing = services.missing_items(entry)
        assert [(item.code, item.step) for item in missing] == [
            ("logline", "basics"),
            ("synopsis", "basics"),
            ("genres", "details"),
            ("languages", "details"),
            ("country", "details"),
            ("completion_date", "details"),
            ("episode_count", "details"),
            ("episode_runtime", "details"),
            ("subtitles", "details"),
            ("director", "credits"),
            ("aigc", "aigc"),
            ("poster_vertical", "materials"),
            ("poster_horizontal", "materials"),
            ("trailer", "videos"),
            ("episodes", "videos"),
            ("entry_form", "materials"),
            ("rights_letter", "materials"),
            ("declarations", "declarations"),
        ]
        labels = {item.code: item.label for item in missing}
        assert labels["poster_vertical"] == "Vertical poster"
        assert labels["trailer"] == "Trailer"
        assert labels["episodes"] == "Episodes (give the number of episodes first)"

    def test_an_empty_story_asks_for_story_things_not_film_things(self, unit):
        entry = story_entry(unit)
        assert codes(services.missing_items(entry)) == [
            "logline", "synopsis", "genres", "languages", "country", "outline", "episode_plan", "writers", "aigc",
            "script", "entry_form", "rights_letter", "declarations",
        ]

    def test_a_complete_story_misses_nothing(self, unit):
        assert services.missing_items(complete_entry(story_entry(unit))) == []

    def test_a_complete_finished_work_still_misses_its_videos(self, unit):
        # Posters, forms, credits and declarations are there; the trailer and each episode are not uploaded yet.
        entry = complete_entry(work_entry(unit))
        entry.episode_count = 2
        entry.save()
        missing = services.missing_items(entry)
        assert [(item.code, item.label, item.step) for item in missing] == [
            ("trailer", "Trailer", "videos"),
            ("episodes", "Episode 1", "videos"),
            ("episodes", "Episode 2", "videos"),
        ]
        with pytest.raises(EntryError) as caught:
            services.submit_entry(entry=entry, actor=entry.owner)
        assert caught.value.message == "The entry is not complete yet."
        assert codes(caught.value.missing) == ["trailer", "episodes", "episodes"]
        assert reload(entry).status == EntryStatus.DRAFT

    def test_uploaded_videos_fill_their_slots_unless_they_failed(self, unit):
        from submissions.models import QCLevel, VideoFile, VideoStatus

        entry = complete_entry(work_entry(unit))
        entry.episode_count = 2
        entry.save()
        VideoFile.objects.create(entry=entry, slot="trailer", file="videos/t.mp4", size=1)
        VideoFile.objects.create(entry=entry, slot="episode-1", episode=1, file="videos/1.mp4", size=1,
                                 status=VideoStatus.READY, qc_level=QCLevel.WARN)
        VideoFile.objects.create(entry=entry, slot="episode-2", episode=2, file="videos/2.mp4", size=1,
                                 status=VideoStatus.READY, qc_level=QCLevel.FAIL)
        assert [item.label for item in services.missing_items(entry)] == ["Episode 2"]
        VideoFile.objects.create(entry=entry, slot="full", file="videos/f.mp4", size=1)
        assert services.missing_items(entry) == []

    def test_submit_lists_what_is_missing_and_changes_nothing(self, unit):
        entry = story_entry(unit)
        with pytest.raises(EntryError) as caught:
            services.submit_entry(entry=entry, actor=entry.owner)
        assert "outline" in codes(caught.value.missing)
        entry.refresh_from_db()
        assert (entry.status, entry.number, entry.version) == (EntryStatus.DRAFT, "", 1)
        assert not EntryEvent.objects.exists()

    def test_the_filing_number_is_asked_only_where_the_competition_requires_it(
        self, competition, unit, videos_uploaded
    ):
        work = complete_entry(work_entry(unit))
        story = complete_entry(story_entry(unit))
        assert services.missing_items(work) == []
        competition.filing_number_required = True
        competition.save()
        work = reload(work)
        assert [(i.code, i.step) for i in services.missing_items(work)] == [("filing_number", "details")]
        assert services.missing_items(reload(story)) == []  # stories are not released works
        work.filing_number = "（京）网微剧审字（2026）第001号"
        work.save()
        assert services.missing_items(work) == []

    def test_aigc_used_needs_tools_and_parts(self, unit):
        entry = complete_entry(story_entry(unit))
        entry.aigc_used = True
        assert codes(services.missing_items(entry)) == ["aigc_details"]
        entry.aigc_tools = "Kling, Suno"
        assert codes(services.missing_items(entry)) == ["aigc_details"]
        entry.aigc_parts = ["video", "music"]
        assert services.missing_items(entry) == []

    def test_declarations_made_under_older_terms_must_be_made_again(self, competition, unit):
        entry = complete_entry(story_entry(unit))
        competition.terms_version = "2"
        competition.save()
        entry = reload(entry)
        assert codes(services.missing_items(entry)) == ["declarations"]
        entry = services.declare(entry=entry, actor=entry.owner, expected_version=entry.version)
        entry = reload(entry)
        assert entry.terms_version == "2"
        assert entry.declared_originality_at == entry.declared_rights_at == entry.declared_terms_at == MAY
        assert services.missing_items(entry) == []

    def test_a_story_names_writers_only_and_at_most_five(self, unit):
        entry = story_entry(unit)
        writers = [{"role": CreditRole.SCREENWRITER, "name": f"编剧{n}"} for n in range(6)]
        with pytest.raises(EntryError, match="at most 5 writers"):
            services.replace_credits(entry=entry, actor=entry.owner, credits=writers, expected_version=1)
        with pytest.raises(EntryError, match="writers only"):
            services.replace_credits(
                entry=entry, actor=entry.owner, credits=[{"role": CreditRole.DIRECTOR, "name": "导演"}],
                expected_version=1,
            )
        assert not Credit.objects.exists()
        services.replace_credits(entry=entry, actor=entry.owner, credits=writers[:5], expected_version=1)
        assert list(entry.credits.values_list("name", "position")) == [(f"编剧{n}", n) for n in range(5)]
        assert reload(entry).version == 2


# ---------------------------------------------------------------- numbering


class TestNumbering:
    def test_numbers_count_up_per_competition(self, competition, unit):
        first, second, third = (submitted_story(unit) for _ in range(3))
        assert [first.number, second.number, third.number] == ["LCP2026-0001", "LCP2026-0002", "LCP2026-0003"]
        assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
        assert first.status == EntryStatus.SUBMITTED and first.submitted_at == MAY
        assert competition.entrycounter.last_sequence == 3

    def test_a_finished_work_is_numbered_like_a_story(self, unit, videos_uploaded):
        story = submitted_story(unit)
        work = complete_entry(work_entry(unit))
        work = services.submit_entry(entry=work, actor=work.owner)
        assert (story.number, work.number) == ("LCP2026-0001", "LCP2026-0002")

    def test_a_withdrawn_entry_keeps_its_number_and_it_is_never_given_again(self, unit):
        first = submitted_story(unit)
        services.withdraw_entry(entry=first, actor=first.owner)
        second = submitted_story(unit)
        first.refresh_from_db()
        assert (first.status, first.number) == (EntryStatus.WITHDRAWN, "LCP2026-0001")
        assert second.number == "LCP2026-0002"

    def test_a_withdrawn_draft_gets_no_number(self, unit):
        draft = story_entry(unit)
        services.withdraw_entry(entry=draft, actor=draft.owner)
        draft.refresh_from_db()
        assert (draft.status, draft.number, draft.sequence) == (EntryStatus.WITHDRAWN, "", None)
        assert submitted_story(unit).number == "LCP2026-0001"

    def test_two_competitions_count_separately(self, unit):
        other = make_competition(entry_prefix="LCP2026")  # the same prefix, another competition
        other_unit = make_unit(other)
        here = [submitted_story(unit), submitted_story(unit)]
        there = submitted_story(other_unit)
        assert [entry.number for entry in here] == ["LCP2026-0001", "LCP2026-0002"]
        assert there.number == "LCP2026-0001"

    def test_the_prefix_is_the_competitions(self):
        prefixed = make_unit(make_competition(entry_prefix="WDF25"))
        assert submitted_story(prefixed).number == "WDF25-0001"

    def test_submitting_twice_is_refused_and_keeps_the_number(self, unit):
        entry = submitted_story(unit)
        with pytest.raises(EntryError, match="already been submitted"):
            services.submit_entry(entry=entry, actor=entry.owner)
        entry.refresh_from_db()
        assert entry.number == "LCP2026-0001"
        assert entry.events.count() == 1


# ---------------------------------------------------------------- editing around the deadline


def all_actions(entry, material):
    """Every entrant action on an entry, each as a callable."""
    owner = entry.owner
    return {
        "update_entry": lambda: services.update_entry(
            entry=_titled(entry, "改过的标题"), actor=owner, fields=["title"], expected_version=entry.version
        ),
        "replace_credits": lambda: services.replace_credits(
            entry=entry, actor=owner, credits=[{"role": "screenwriter", "name": "新编剧"}],
            expected_version=entry.version,
        ),
        "declare": lambda: services.declare(entry=entry, actor=owner, expected_version=entry.version),
        "add_material": lambda: services.add_material(entry=entry, kind="stills", upload=still(), actor=owner),
        "delete_material": lambda: services.delete_material(material=material, actor=owner),
        "submit": lambda: services.submit_entry(entry=entry, actor=owner),
        "withdraw": lambda: services.withdraw_entry(entry=entry, actor=owner),
        "invite": lambda: services.invite_coowner(entry=entry, email="friend@example.com", actor=owner),
        "remove_coowner": lambda: services.remove_coowner(coowner=entry.coowners.get(), actor=owner),
    }


def _titled(entry, title):
    entry.title = title
    return entry


@pytest.fixture
def draft(unit, owner):
    """A complete story draft with an optional still and a co-owner, ready for any action."""
    entry = complete_entry(story_entry(unit, owner))
    CoOwner.objects.create(entry=entry, email="old-friend@example.com")
    material = Material.objects.create(entry=entry, kind="stills", file="materials/still.jpg", size=10,
                                       content_type="image/jpeg")
    return entry, material


ACTIONS = [
    "update_entry", "replace_credits", "declare", "add_material", "delete_material", "submit", "withdraw", "invite",
    "remove_coowner",
]


def snapshot(entry):
    entry = reload(entry)
    return {
        "entry": {f.attname: getattr(entry, f.attname) for f in Entry._meta.concrete_fields},
        "credits": list(entry.credits.values_list("role", "name")),
        "materials": list(entry.materials.values_list("pk", "kind")),
        "coowners": list(entry.coowners.values_list("email", flat=True)),
        "events": entry.events.count(),
    }


class TestDeadline:
    @pytest.mark.parametrize("action", ACTIONS)
    def test_a_draft_can_do_everything_until_the_last_second(self, clock, draft, action):
        entry, material = draft
        clock.move_to(before(CLOSES))
        all_actions(entry, material)[action]()

    @pytest.mark.parametrize("action", ACTIONS)
    @pytest.mark.parametrize("moment", [CLOSES, after(CLOSES), after(CLOSES, days=30)], ids=["at", "after", "later"])
    def test_at_and_after_the_deadline_every_action_is_locked(self, clock, draft, action, moment):
        entry, material = draft
        before_state = snapshot(entry)
        clock.move_to(moment)
        with pytest.raises(EntryLocked) as caught:
            all_actions(entry, material)[action]()
        assert caught.value.message == "The deadline for this unit has passed; the entry is locked."
        assert snapshot(entry) == before_state

    @pytest.mark.parametrize("action", [a for a in ACTIONS if a != "submit"])
    def test_a_submitted_entry_stays_editable_and_submitted_before_the_deadline(self, clock, draft, action):
        entry, material = draft
        entry = services.submit_entry(entry=entry, actor=entry.owner)
        clock.move_to(before(CLOSES))
        all_actions(entry, material)[action]()
        entry.refresh_from_db()
        expected = EntryStatus.WITHDRAWN if action == "withdraw" else EntryStatus.SUBMITTED
        assert (entry.status, entry.number) == (expected, "LCP2026-0001")

    @pytest.mark.parametrize("action", ACTIONS)
    def test_a_submitted_entry_is_locked_after_the_deadline(self, clock, draft, action):
        entry, material = draft
        entry = services.submit_entry(entry=entry, actor=entry.owner)
        before_state = snapshot(entry)
        clock.move_to(after(CLOSES))
        with pytest.raises(EntryLocked):
            all_actions(entry, material)[action]()
        assert snapshot(entry) == before_state

    def test_editing_a_submitted_entry_keeps_it_submitted_and_bumps_the_version(self, draft):
        entry, _material = draft
        entry = services.submit_entry(entry=entry, actor=entry.owner)
        version = entry.version
        entry.synopsis = "新的梗概"
        services.update_entry(entry=entry, actor=entry.owner, fields=["synopsis"], expected_version=version)
        entry = reload(entry)
        assert (entry.status, entry.synopsis, entry.version) == (EntryStatus.SUBMITTED, "新的梗概", version + 1)
        assert entry.events.count() == 1  # an edit is not a status change

    def test_a_unit_with_its_own_later_deadline(self, clock, competition, owner):
        extended = make_unit(competition, slug="extended", closes_at=CLOSES + timedelta(days=7))
        ordinary = make_unit(competition, slug="ordinary")
        late, on_time = complete_entry(story_entry(extended, owner)), complete_entry(story_entry(ordinary, owner))
        assert late.deadline == CLOSES + timedelta(days=7)
        clock.move_to(after(CLOSES, days=3))
        with pytest.raises(EntryLocked):
            services.submit_entry(entry=on_time, actor=owner)
        late = services.submit_entry(entry=late, actor=owner)
        assert late.number == "LCP2026-0001"
        late.title = "延期单元的作品"
        services.update_entry(entry=late, actor=owner, fields=["title"], expected_version=late.version)
        clock.move_to(CLOSES + timedelta(days=7))
        with pytest.raises(EntryLocked):
            services.withdraw_entry(entry=late, actor=owner)

    def test_a_unit_with_an_earlier_deadline(self, clock, competition, owner):
        early = make_unit(competition, slug="early", closes_at=CLOSES - timedelta(days=10))
        entry = complete_entry(story_entry(early, owner))
        clock.move_to(CLOSES - timedelta(days=10))
        with pytest.raises(EntryLocked):
            services.submit_entry(entry=entry, actor=owner)

    def test_moving_an_entry_to_a_unit_whose_deadline_passed_is_refused(self, clock, competition, owner):
        early = make_unit(competition, slug="early", closes_at=CLOSES - timedelta(days=10))
        ordinary = make_unit(competition, slug="ordinary")
        entry = story_entry(ordinary, owner)
        clock.move_to(CLOSES - timedelta(days=5))
        entry.unit = early
        with pytest.raises(EntryLocked):
            services.update_entry(entry=entry, actor=owner, fields=["unit"], expected_version=entry.version)
        assert reload(entry).unit == ordinary

    def test_the_track_of_a_submitted_entry_cannot_change(self, competition, unit, owner):
        entry = services.submit_entry(entry=complete_entry(story_entry(unit, owner)), actor=owner)
        entry.track = competition.tracks.get(kind="work")
        with pytest.raises(EntryError, match="track of a submitted entry"):
            services.update_entry(entry=entry, actor=owner, fields=["track"], expected_version=entry.version)

    def test_closing_the_competition_early_locks_entries(self, competition, draft):
        entry, _material = draft
        competition.status = CompetitionStatus.JUDGING
        competition.save()
        with pytest.raises(EntryLocked, match="not accepting entries"):
            services.submit_entry(entry=reload(entry), actor=entry.owner)

    def test_a_withdrawn_entry_is_locked_for_good(self, draft):
        entry, material = draft
        services.withdraw_entry(entry=entry, actor=entry.owner)
        entry = reload(entry)
        for action, run in all_actions(entry, material).items():
            with pytest.raises(EntryLocked) as caught:
                run()
            assert caught.value.message == "This entry has been withdrawn and can no longer be changed.", action


def test_a_long_run_of_missing_episodes_is_one_range(unit):
    from submissions.models import VideoFile

    entry = complete_entry(work_entry(unit))
    entry.episode_count = 80
    entry.save()
    VideoFile.objects.create(entry=entry, slot="trailer", file="videos/t.mp4", size=1)
    for number in (5, 7):
        VideoFile.objects.create(entry=entry, slot=f"episode-{number}", episode=number, file=f"v/{number}.mp4", size=1)
    assert [item.label for item in services.missing_items(entry)] == ["Episodes 1–4", "Episode 6", "Episodes 8–80"]
    with translation.override("zh-hans"):
        assert [item.label for item in services.missing_items(entry)] == ["第 1–4 集", "第 6 集", "第 8–80 集"]
