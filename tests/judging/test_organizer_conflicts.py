"""The organizer's conflict page of a competition: detected and declared conflicts, filters, detection, waivers."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from judging.models import Conflict, ConflictDeclaration, ConflictSource, DeclarationKind, LedgerEntry
from portal.models import ActionLog, LoggedAction
from tests.factories import CompetitionFactory, EntryFactory, PanelMembershipFactory, UnitFactory, UserFactory


def english_client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def list_url(competition, query=""):
    target = reverse("judging:conflicts", args=[competition.slug])
    return f"{target}?{query}" if query else target


def action_url(name, conflict, competition=None):
    competition = competition or conflict.competition
    return reverse(f"judging:{name}", args=[competition.slug, conflict.pk])


@pytest.fixture
def client(alice):
    return english_client(alice)


@pytest.fixture
def detected(competition, bob, entrant_entry):
    return Conflict.objects.create(
        competition=competition,
        judge=bob,
        entry=entrant_entry,
        source=ConflictSource.DETECTED,
        basis="Credit 林导演 = judge's name",
    )


@pytest.fixture
def declared(competition, erin, entrant_entry):
    declaration = ConflictDeclaration.objects.create(
        competition=competition, judge=erin, kind=DeclarationKind.ENTRY, entry=entrant_entry, reason="我的学生"
    )
    return Conflict.objects.create(
        competition=competition,
        judge=erin,
        entry=entrant_entry,
        source=ConflictSource.DECLARED,
        basis="Declared by the judge",
        declaration=declaration,
    )


def all_requests(competition, conflict):
    return [
        ("get", list_url(competition), None),
        ("post", reverse("judging:conflicts_detect", args=[competition.slug]), {}),
        ("post", action_url("conflict_waive", conflict), {"reason": "known"}),
        ("post", action_url("conflict_unwaive", conflict), {"reason": ""}),
    ]


def send(client, method, target, data):
    return client.post(target, data) if method == "post" else client.get(target)


# --- Access -----------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(competition, detected):
    client = english_client()
    for method, target, data in all_requests(competition, detected):
        response = send(client, method, target, data)
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("account_login"))
    detected.refresh_from_db()
    assert detected.waived_at is None


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_entrants_judges_and_other_organizers_get_404(request, competition, detected, bob_membership, who):
    client = english_client(request.getfixturevalue(who))
    for method, target, data in all_requests(competition, detected):
        response = send(client, method, target, data)
        assert response.status_code == 404, (who, target)
        assert "林导演".encode() not in response.content
    detected.refresh_from_db()
    assert detected.waived_at is None and detected.waiver_reason == ""
    assert not ActionLog.objects.filter(action=LoggedAction.CONFLICT_WAIVED).exists()


def test_a_conflict_of_another_competition_is_404(client, competition, alice):
    other = CompetitionFactory(slug="elsewhere")
    foreign = Conflict.objects.create(
        competition=other,
        judge=UserFactory(),
        entry=EntryFactory(unit=UnitFactory(competition=other)),
        source=ConflictSource.DETECTED,
        basis="x",
    )
    assert client.post(action_url("conflict_waive", foreign, competition), {"reason": "ok"}).status_code == 404
    assert client.post(action_url("conflict_unwaive", foreign, competition), {}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.waived_at is None


# --- The list -----------------------------------------------------------------------------------------------------


def test_the_list_shows_conflicts_and_declarations(client, competition, detected, declared, entrant_entry):
    response = client.get(list_url(competition))
    assert response.status_code == 200
    html = response.content.decode()
    assert entrant_entry.number in html and entrant_entry.title in html
    assert "bob@example.com" in html and "erin@example.com" in html
    assert "Credit 林导演 = judge&#x27;s name" in html
    assert "Detected by the portal" in html and "Declared by the judge" in html
    assert "我的学生" in html  # the declaration's reason
    assert action_url("conflict_waive", detected) in html
    assert action_url("conflict_waive", declared) not in html  # declared conflicts are never waived


def test_waiver_details_are_shown_in_the_competitions_time_zone(client, competition, detected, alice):
    detected.waived_at = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    detected.waived_by = alice
    detected.waiver_reason = "只是同名"
    detected.save()
    html = client.get(list_url(competition)).content.decode()
    assert "2026-03-02 00:30" in html  # Asia/Shanghai
    assert "只是同名" in html and "Alice" in html
    assert action_url("conflict_unwaive", detected) in html


def test_filters(client, competition, detected, declared, bob, erin, alice):
    detected_row = f'data-conflict="{detected.pk}"'
    declared_row = f'data-conflict="{declared.pk}"'

    def rows(query):
        html = client.get(list_url(competition, query)).content.decode()
        return (detected_row in html, declared_row in html)

    assert rows("") == (True, True)
    assert rows("source=detected") == (True, False)
    assert rows("source=declared") == (False, True)
    assert rows(f"judge={erin.pk}") == (False, True)
    assert rows("waived=yes") == (False, False)
    assert rows("waived=no") == (True, True)
    detected.waived_at, detected.waived_by, detected.waiver_reason = timezone.now(), alice, "ok"
    detected.save()
    assert rows("waived=yes") == (True, False)
    # Forged values are ignored, never an error page.
    assert rows("source=evil&judge=abc&waived=maybe") == (True, True)


def test_pagination_at_50(client, competition, unit):
    judges = [UserFactory() for _ in range(3)]
    for judge in judges:
        PanelMembershipFactory(round__competition=competition, judge=judge)
    entries = [EntryFactory(unit=unit) for _ in range(9)]
    for judge in judges:
        for entry in entries:
            for source in ConflictSource.values:
                Conflict.objects.create(competition=competition, judge=judge, entry=entry, source=source, basis="b")
    first = client.get(list_url(competition)).content.decode()
    second = client.get(list_url(competition, "page=2")).content.decode()
    assert first.count("data-conflict=") == 50 and second.count("data-conflict=") == 4
    assert "Page 1 of 2" in first


def test_query_count_is_flat_as_conflicts_grow(client, competition, unit, alice):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(list_url(competition))
        assert response.status_code == 200
        return len(queries)

    def add(number):
        for _ in range(number):
            judge = UserFactory()
            entry = EntryFactory(unit=unit, number=f"LCP2026-{judge.pk:04d}")
            Conflict.objects.create(
                competition=competition,
                judge=judge,
                entry=entry,
                source=ConflictSource.DETECTED,
                basis="b",
                waived_at=timezone.now(),
                waived_by=alice,
                waiver_reason="r",
            )
            declaration = ConflictDeclaration.objects.create(
                competition=competition, judge=judge, kind=DeclarationKind.ENTRY, entry=entry
            )
            Conflict.objects.create(
                competition=competition,
                judge=judge,
                entry=entry,
                source=ConflictSource.DECLARED,
                basis="d",
                declaration=declaration,
            )

    add(1)
    one = count()
    add(19)
    assert count() == one


def test_script_in_a_basis_or_reason_is_escaped(client, competition, detected, erin):
    ConflictDeclaration.objects.create(
        competition=competition, judge=erin, kind=DeclarationKind.PERSON, value="<script>alert(1)</script>"
    )
    detected.basis = "<script>alert(2)</script>"
    detected.save()
    html = client.get(list_url(competition)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)" in html and "&lt;script&gt;alert(2)" in html


# --- Detection and waivers ----------------------------------------------------------------------------------------


def test_running_detection_finds_a_judge_named_in_the_credits(client, competition, judging_round, entrant_entry):
    judge = PanelMembershipFactory(round=judging_round, judge=UserFactory(display_name="林导演")).judge
    response = client.post(reverse("judging:conflicts_detect", args=[competition.slug]), follow=True)
    conflict = Conflict.objects.get(judge=judge, entry=entrant_entry)
    assert conflict.source == ConflictSource.DETECTED
    html = response.content.decode()
    assert "Detection found 1 new conflict of interest." in html
    assert f'data-conflict="{conflict.pk}"' in html
    response = client.post(reverse("judging:conflicts_detect", args=[competition.slug]), follow=True)
    assert "Detection found no new conflicts of interest." in response.content.decode()


def test_waiving_with_a_reason(client, competition, detected, alice):
    response = client.post(
        action_url("conflict_waive", detected), {"reason": "同名不同人", "next_query": "source=detected&page=1"}
    )
    assert response.status_code == 302
    assert response["Location"] == list_url(competition, "source=detected&page=1")
    detected.refresh_from_db()
    assert detected.waived_at is not None and detected.waived_by == alice and detected.waiver_reason == "同名不同人"
    assert ActionLog.objects.filter(action=LoggedAction.CONFLICT_WAIVED).count() == 1
    assert LedgerEntry.objects.filter(competition=competition, kind="conflict_waived").count() == 1
    html = client.get(response["Location"]).content.decode()
    assert "is waived" in html


def test_waiving_without_a_reason_changes_nothing(client, competition, detected):
    response = client.post(action_url("conflict_waive", detected), {"reason": "   "}, follow=True)
    assert "Give the reason for the waiver" in response.content.decode()
    detected.refresh_from_db()
    assert detected.waived_at is None
    assert not ActionLog.objects.filter(action=LoggedAction.CONFLICT_WAIVED).exists()


def test_a_declared_conflict_cannot_be_waived(client, competition, declared):
    response = client.post(action_url("conflict_waive", declared), {"reason": "please"}, follow=True)
    assert "cannot be waived" in response.content.decode()
    declared.refresh_from_db()
    assert declared.waived_at is None


def test_the_redirect_keeps_only_the_lists_own_query(client, competition, detected):
    response = client.post(
        action_url("conflict_waive", detected),
        {"reason": "ok", "next_query": "//evil.example.com&x=1\r\nSet-Cookie: a"},
    )
    assert response["Location"] == list_url(competition)


def test_revoking_a_waiver(client, competition, detected, alice):
    client.post(action_url("conflict_waive", detected), {"reason": "同名不同人"})
    response = client.post(action_url("conflict_unwaive", detected), {"reason": "查实有关"}, follow=True)
    detected.refresh_from_db()
    assert detected.waived_at is None
    assert "barred from" in response.content.decode()
    assert LedgerEntry.objects.filter(competition=competition, kind="waiver_revoked").count() == 1


def test_revoking_a_waiver_that_does_not_exist_changes_nothing(client, competition, detected):
    response = client.post(action_url("conflict_unwaive", detected), {}, follow=True)
    assert "This conflict is not waived." in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_revoking_a_waiver_needs_a_reason(client, competition, detected):
    client.post(action_url("conflict_waive", detected), {"reason": "同名不同人"})
    response = client.post(action_url("conflict_unwaive", detected), {"reason": ""}, follow=True)
    assert "Give the reason for revoking the waiver" in response.content.decode()
    detected.refresh_from_db()
    assert detected.waived_at is not None and detected.waiver_reason == "同名不同人"
