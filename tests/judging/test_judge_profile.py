"""The judge profile: affiliations and bio, and the judge's own conflict declarations (added and withdrawn)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from judging.models import Conflict, ConflictDeclaration, ConflictSource, DeclarationKind, JudgeProfile
from tests.factories import CompetitionFactory, PanelMembershipFactory, RoundFactory

PROFILE = reverse("judging:judge_profile")


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def bob_client(client, bob, bob_membership):
    client.force_login(bob)
    return client


def declare(competition, judge, value, kind=DeclarationKind.PERSON, reason=""):
    return ConflictDeclaration.objects.create(
        competition=competition, judge=judge, kind=kind, value=value, reason=reason
    )


def page(response):
    return response.content.decode()


# --- Who gets in ---------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, bob_membership):
    for response in (client.get(PROFILE), client.post(reverse("judging:declaration_delete", args=[1]))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login") + "?next=")


@pytest.mark.parametrize("who", ["charlie", "alice", "dave"])
def test_people_on_no_panel_get_404(request, client, bob_membership, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(PROFILE).status_code == 404


def test_a_judge_without_mfa_is_sent_to_set_it_up(bob_client, settings):
    settings.STAFF_MFA_REQUIRED = True
    response = bob_client.get(PROFILE)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


# --- The profile ---------------------------------------------------------------------------------------------


def test_the_profile_shows_what_the_judge_told_us(bob_client, bob):
    JudgeProfile.objects.create(user=bob, affiliations="北京电影学院\nLight Studio", bio="Screenwriter.")
    html = page(bob_client.get(PROFILE))
    assert "北京电影学院\nLight Studio</textarea>" in html and "Screenwriter.</textarea>" in html
    assert "You have not declared any conflict." in html


def test_saving_the_profile_updates_affiliations_and_bio(bob_client, bob):
    response = bob_client.post(
        PROFILE, {"action": "profile", "affiliations": "上海戏剧学院\n<script>alert(1)</script>", "bio": "导演"}
    )
    assert response.status_code == 302 and response["Location"] == PROFILE
    profile = JudgeProfile.objects.get(user=bob)
    assert profile.affiliation_list == ["上海戏剧学院", "<script>alert(1)</script>"] and profile.bio == "导演"
    html = page(bob_client.get(PROFILE))
    assert "Your judge profile has been saved." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_a_profile_too_long_is_refused_and_kept(bob_client, bob):
    response = bob_client.post(PROFILE, {"action": "profile", "affiliations": "长" * 2001, "bio": "kept bio"})
    assert response.status_code == 200
    html = page(response)
    assert "at most 2000 characters" in html and "kept bio</textarea>" in html
    assert not JudgeProfile.objects.filter(user=bob, affiliations__startswith="长").exists()


# --- Declarations --------------------------------------------------------------------------------------------


def test_declaring_a_person_records_it(bob_client, bob, competition):
    response = bob_client.post(
        PROFILE,
        {
            "action": "declare",
            "declaration-competition": competition.pk,
            "declaration-kind": "person",
            "declaration-value": "林导演",
            "declaration-reason": "My cousin",
        },
    )
    assert response.status_code == 302
    declaration = ConflictDeclaration.objects.get(judge=bob)
    assert (declaration.competition, declaration.kind, declaration.value, declaration.reason) == (
        competition,
        DeclarationKind.PERSON,
        "林导演",
        "My cousin",
    )
    html = page(bob_client.get(PROFILE))
    assert "Your declaration has been recorded." in html and "林导演" in html and "My cousin" in html


def test_declaring_an_organisation_records_it(bob_client, bob, competition):
    bob_client.post(
        PROFILE,
        {
            "action": "declare",
            "declaration-competition": competition.pk,
            "declaration-kind": "organisation",
            "declaration-value": "Light Studio",
        },
    )
    assert ConflictDeclaration.objects.get(judge=bob).kind == DeclarationKind.ORGANISATION


@pytest.mark.parametrize(
    "data, error",
    [
        ({"declaration-value": "   "}, "Please give a name."),
        ({"declaration-kind": "entry"}, "Select a valid choice."),
        ({"declaration-value": "名" * 151}, "at most 150 characters"),
    ],
)
def test_bad_declarations_are_refused_and_kept(bob_client, bob, competition, data, error):
    fields = {
        "action": "declare",
        "declaration-competition": competition.pk,
        "declaration-kind": "person",
        "declaration-value": "林导演",
        "declaration-reason": "kept reason",
        **data,
    }
    response = bob_client.post(PROFILE, fields)
    assert response.status_code == 200
    html = page(response)
    assert error in html and 'value="kept reason"' in html
    assert not ConflictDeclaration.objects.filter(judge=bob).exists()


def test_a_declaration_in_a_competition_the_judge_does_not_judge_is_refused(bob_client, bob):
    elsewhere = CompetitionFactory(slug="elsewhere")
    response = bob_client.post(
        PROFILE,
        {
            "action": "declare",
            "declaration-competition": elsewhere.pk,
            "declaration-kind": "person",
            "declaration-value": "林导演",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice." in page(response)
    assert not ConflictDeclaration.objects.filter(judge=bob).exists()


def test_only_the_judges_own_declarations_are_shown_never_detected_conflicts(
    bob_client, bob, erin, competition, assignment
):
    declare(competition, bob, "Bob's declared person")
    declare(competition, erin, "Erin's declared person")
    Conflict.objects.create(
        competition=competition,
        judge=bob,
        entry=assignment.entry,
        source=ConflictSource.DETECTED,
        basis="Affiliation SECRET-BASIS = entrant's organisation",
    )
    html = page(bob_client.get(PROFILE))
    assert "Bob&#x27;s declared person" in html
    assert "Erin" not in html.split('id="declarations"')[1]
    assert "SECRET-BASIS" not in html


def test_withdrawing_a_declaration(bob_client, bob, competition):
    declaration = declare(competition, bob, "林导演")
    response = bob_client.post(reverse("judging:declaration_delete", args=[declaration.pk]))
    assert response.status_code == 302 and response["Location"] == PROFILE
    assert not ConflictDeclaration.objects.filter(pk=declaration.pk).exists()
    assert "Your declaration has been withdrawn." in page(bob_client.get(PROFILE))


def test_another_judges_declaration_cannot_be_withdrawn(bob_client, erin, competition):
    theirs = declare(competition, erin, "林导演")
    assert bob_client.post(reverse("judging:declaration_delete", args=[theirs.pk])).status_code == 404
    assert bob_client.post(reverse("judging:declaration_delete", args=[theirs.pk + 1000])).status_code == 404
    assert ConflictDeclaration.objects.filter(pk=theirs.pk).exists()


def test_withdrawing_needs_a_post(bob_client, bob, competition):
    declaration = declare(competition, bob, "林导演")
    assert bob_client.get(reverse("judging:declaration_delete", args=[declaration.pk])).status_code == 405
    assert ConflictDeclaration.objects.filter(pk=declaration.pk).exists()


def test_declarations_of_each_judged_competition_are_listed_and_offered(bob_client, bob, competition):
    other = RoundFactory(competition=CompetitionFactory(slug="second-edition", name_en="Second Edition"))
    PanelMembershipFactory(round=other, judge=bob)
    declare(other.competition, bob, "Someone else")
    html = page(bob_client.get(PROFILE))
    assert "Second Edition" in html and "Someone else" in html
    assert f'<option value="{competition.pk}"' in html and f'<option value="{other.competition.pk}"' in html


def test_the_profile_query_count_stays_flat(bob_client, bob, competition):
    declare(competition, bob, "One")
    with CaptureQueriesContext(connection) as one:
        assert bob_client.get(PROFILE).status_code == 200
    for index in range(9):
        declare(competition, bob, f"Person {index}", reason="why")
    with CaptureQueriesContext(connection) as ten:
        assert bob_client.get(PROFILE).status_code == 200
    assert len(ten) == len(one)
