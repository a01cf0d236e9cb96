"""Organizers' eligibility decisions, every status change's history and bilingual email, and update_entry's
guards, through submissions.services (the lifecycle up to submission is in test_services_lifecycle.py)."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import translation

from submissions import services
from submissions.models import CoOwner, Entry, EntryEvent, EntryStatus
from submissions.services import ConcurrentEdit, EntryError, EntryLocked
from tests.factories import UserFactory, complete_entry
from tests.submissions.support import CLOSES, after, make_competition, make_unit, still, story_entry

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


def submitted_story(unit, owner=None):
    entry = complete_entry(story_entry(unit, owner))
    return services.submit_entry(entry=entry, actor=entry.owner)


def reload(entry):
    return Entry.objects.get(pk=entry.pk)


# ---------------------------------------------------------------- organizers' decisions and withdrawal


class TestDecisions:
    def test_eligible(self, unit, organizer):
        entry = submitted_story(unit)
        entry = services.decide_eligibility(entry=entry, actor=organizer, eligible=True)
        assert entry.status == EntryStatus.ELIGIBLE
        event = entry.events.first()
        assert (event.from_status, event.to_status, event.actor) == ("submitted", "eligible", organizer)

    @pytest.mark.parametrize("reason", ["", "   ", None])
    def test_ineligible_needs_a_reason(self, unit, organizer, reason):
        entry = submitted_story(unit)
        with pytest.raises(EntryError, match="Give the reason"):
            services.decide_eligibility(entry=entry, actor=organizer, eligible=False, reason=reason)
        assert reload(entry).status == EntryStatus.SUBMITTED
        assert entry.events.count() == 1

    def test_ineligible_with_a_reason(self, unit, organizer):
        entry = submitted_story(unit)
        entry = services.decide_eligibility(
            entry=entry, actor=organizer, eligible=False,
            reason="  剧本超过规定篇幅 / The script is over the length limit.  ",
        )
        entry = reload(entry)
        assert entry.status == EntryStatus.INELIGIBLE
        assert entry.eligibility_reason == "剧本超过规定篇幅 / The script is over the length limit."
        assert entry.events.first().reason == entry.eligibility_reason

    def test_a_decision_can_be_reversed_after_the_deadline(self, clock, unit, organizer):
        entry = submitted_story(unit)
        clock.move_to(after(CLOSES, days=5))  # organizers decide after entries close
        services.decide_eligibility(entry=entry, actor=organizer, eligible=False, reason="缺少授权书")
        services.decide_eligibility(entry=entry, actor=organizer, eligible=True, reason="已补交授权书")
        entry = reload(entry)
        assert entry.status == EntryStatus.ELIGIBLE
        assert [e.to_status for e in entry.events.order_by("id")] == ["submitted", "ineligible", "eligible"]

    def test_an_entrant_cannot_change_or_withdraw_a_decided_entry(self, unit, organizer):
        entry = submitted_story(unit)
        services.decide_eligibility(entry=entry, actor=organizer, eligible=True)
        with pytest.raises(EntryLocked, match="organizers have decided"):
            services.withdraw_entry(entry=entry, actor=entry.owner)
        with pytest.raises(EntryLocked):
            services.add_material(entry=entry, kind="stills", upload=still(), actor=entry.owner)

    @pytest.mark.parametrize(
        "start, target",
        [
            ("draft", "eligible"),
            ("draft", "ineligible"),
            ("draft", "draft"),
            ("submitted", "draft"),
            ("submitted", "submitted"),
            ("eligible", "submitted"),
            ("eligible", "withdrawn"),
            ("ineligible", "withdrawn"),
            ("withdrawn", "submitted"),
            ("withdrawn", "draft"),
            ("withdrawn", "eligible"),
        ],
    )
    def test_invalid_transitions_are_refused(self, unit, organizer, start, target):
        entry = story_entry(unit)
        if start != "draft":
            Entry.objects.filter(pk=entry.pk).update(status=start, sequence=99, number="LCP2026-0099")
        with pytest.raises(EntryError) as caught:
            services.change_status(entry=entry, to=target, actor=organizer, reason="x")
        assert caught.value.message == (
            f"An entry that is {EntryStatus(start).label} cannot become {EntryStatus(target).label}."
        )
        assert reload(entry).status == start
        assert not EntryEvent.objects.exists()

    def test_an_unknown_status_is_a_programming_error(self, unit, organizer):
        with pytest.raises(ValueError):
            services.change_status(entry=story_entry(unit), to="published", actor=organizer)

# ---------------------------------------------------------------- history and notifications


def parts(message):
    """The Chinese and English halves of a bilingual email: (text, html) each."""
    texts = message.body.split("————————————————")
    (html, mimetype), = message.alternatives
    assert mimetype == "text/html"
    htmls = html.split('<hr style="margin:24px 0;border:0;border-top:1px solid #ddd">')
    assert len(texts) == len(htmls) == 2
    return texts, htmls


@pytest.fixture
def team(unit, owner):
    """A complete story draft with a co-owner who has an account and one who has not signed up yet."""
    entry = complete_entry(story_entry(unit, owner))
    friend = UserFactory(email="friend@example.com")
    CoOwner.objects.create(entry=entry, email=friend.email, user=friend)
    CoOwner.objects.create(entry=entry, email="invited@example.com")
    return entry


class TestHistoryAndEmails:
    def test_submitting_sends_one_bilingual_email_after_commit(self, team, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            entry = services.submit_entry(entry=team, actor=team.owner)
            assert mail.outbox == []  # nothing leaves before the transaction commits
        assert len(callbacks) == 1
        assert mail.outbox == []
        callbacks[0]()
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert sorted(message.to) == ["friend@example.com", "invited@example.com", "owner@example.com"]
        assert "LCP2026-0001" in message.subject
        (text_zh, text_en), (html_zh, html_en) = parts(message)
        # Chinese first, then English: each half names the competition in its own language.
        assert "追光计划测试" in text_zh and "Light-Chasing Test" not in text_zh
        assert "Light-Chasing Test" in text_en and "追光计划测试" not in text_en
        assert "追光计划测试" in html_zh and "Light-Chasing Test" in html_en
        for half in (text_zh, text_en, html_zh, html_en):
            assert "LCP2026-0001" in half
            assert f"/entries/{entry.pk}/" in half
        # The deadline is shown in the competition's time zone (Beijing): 2026-06-30 15:59 UTC is 23:59 there.
        assert "2026-06-30 23:59" in text_en

    def test_every_status_change_is_one_event_and_one_email(
        self, team, organizer, django_capture_on_commit_callbacks
    ):
        steps = [
            (lambda e: services.submit_entry(entry=e, actor=e.owner), "submitted", "Entry received: LCP2026-0001"),
            (lambda e: services.decide_eligibility(entry=e, actor=organizer, eligible=False, reason="缺少授权书"),
             "ineligible", "Entry LCP2026-0001 is not eligible"),
            (lambda e: services.decide_eligibility(entry=e, actor=organizer, eligible=True),
             "eligible", "Entry LCP2026-0001 is eligible"),
        ]
        entry = team
        for count, (step, status, subject) in enumerate(steps, start=1):
            with django_capture_on_commit_callbacks(execute=True):
                entry = step(entry)
            assert entry.events.count() == count
            assert entry.events.first().to_status == status
            assert len(mail.outbox) == count
            assert subject in mail.outbox[-1].subject
            assert len(mail.outbox[-1].to) == 3
        text = mail.outbox[1].body
        assert text.count("缺少授权书") == 2  # the reason, in both halves

    def test_withdrawing_is_logged_and_announced(self, team, django_capture_on_commit_callbacks):
        entry = services.submit_entry(entry=team, actor=team.owner)
        with django_capture_on_commit_callbacks(execute=True):
            services.withdraw_entry(entry=entry, actor=entry.owner)
        event = entry.events.first()
        assert (event.from_status, event.to_status, event.actor) == ("submitted", "withdrawn", entry.owner)
        assert len(mail.outbox) == 1
        assert "Entry withdrawn: LCP2026-0001" in mail.outbox[0].subject
        assert "will not be given to another entry" in mail.outbox[0].body

    def test_a_refused_change_sends_nothing(self, unit, django_capture_on_commit_callbacks):
        entry = story_entry(unit)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(EntryError):
            services.submit_entry(entry=entry, actor=entry.owner)
        assert mail.outbox == []

    def test_a_rolled_back_change_sends_nothing_and_frees_nothing(self, team, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
            services.submit_entry(entry=team, actor=team.owner)
            raise RuntimeError("the request failed after submitting")
        assert mail.outbox == []
        assert reload(team).status == EntryStatus.DRAFT
        assert not EntryEvent.objects.exists()
        # The number taken inside the rolled-back transaction is free again: no gap appears.
        assert services.submit_entry(entry=team, actor=team.owner).number == "LCP2026-0001"

    def test_seeding_can_change_status_without_email(self, team, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            entry = services.change_status(entry=team, to=EntryStatus.SUBMITTED, actor=team.owner, notify=False)
        assert entry.number == "LCP2026-0001"
        assert entry.events.count() == 1
        assert mail.outbox == []


class TestUpdateEntry:
    def test_lifecycle_fields_cannot_be_written_by_update_entry(self, unit):
        entry = story_entry(unit)
        entry.status = EntryStatus.ELIGIBLE
        entry.number = "LCP2026-9999"
        for field in ("status", "number", "sequence", "owner", "competition", "version", "eligibility_reason"):
            with pytest.raises(ValueError):
                services.update_entry(entry=entry, actor=entry.owner, fields=[field, "title"], expected_version=1)
        entry = reload(entry)
        assert (entry.status, entry.number, entry.version) == (EntryStatus.DRAFT, "", 1)

    def test_the_version_may_come_from_a_form_as_text(self, unit):
        entry = story_entry(unit)
        entry.title = "新标题"
        services.update_entry(entry=entry, actor=entry.owner, fields=["title"], expected_version="1")
        assert entry.version == 2
        assert reload(entry).title == "新标题"

    def test_invalid_values_are_refused_by_field(self, unit):
        from django.core.exceptions import ValidationError

        entry = story_entry(unit)
        entry.synopsis = "长" * 301
        with pytest.raises(ValidationError) as caught:
            services.update_entry(entry=entry, actor=entry.owner, fields=["synopsis"], expected_version=1)
        assert list(caught.value.message_dict) == ["synopsis"]
        assert reload(entry).synopsis == ""

    def test_a_stale_version_is_a_concurrent_edit(self, unit):
        entry = story_entry(unit)
        entry.title = "x"
        with pytest.raises(ConcurrentEdit):
            services.update_entry(entry=entry, actor=entry.owner, fields=["title"], expected_version=7)
