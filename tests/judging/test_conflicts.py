"""Conflicts of interest: detection rules, normalisation, declarations, waivers (judging.conflicts)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from judging import conflicts
from judging.models import (
    Assignment,
    Conflict,
    ConflictDeclaration,
    ConflictSource,
    DeclarationKind,
    LedgerEntry,
    LedgerKind,
)
from portal.models import ActionLog, LoggedAction, Profile, Role
from submissions import services as submission_services
from submissions.models import CoOwner, Credit
from tests.factories import (
    CompetitionFactory,
    CreditFactory,
    EntryFactory,
    PanelMembershipFactory,
    RoleFactory,
    RoundFactory,
    UnitFactory,
    UserFactory,
)


def submitted_entry(unit, n, **kwargs):
    return EntryFactory(
        unit=unit, status="submitted", sequence=n, number=f"{unit.competition.entry_prefix}-{n:04d}", **kwargs
    )


def set_profile(user, **fields):
    Profile.objects.update_or_create(user=user, defaults=fields)


def set_affiliations(user, text):
    from judging.models import JudgeProfile

    JudgeProfile.objects.update_or_create(user=user, defaults={"affiliations": text})


def detect(competition, **kwargs):
    return conflicts.detect_conflicts(competition=competition, **kwargs)


def pairs(competition, source=None):
    rows = Conflict.objects.filter(competition=competition)
    if source:
        rows = rows.filter(source=source)
    return set(rows.values_list("judge__email", "entry_id"))


# --- Normalisation --------------------------------------------------------------------------------------------------


def test_normalise():
    assert conflicts.normalise("ＢＯＢ　Ｓｍｉｔｈ") == "bobsmith"
    assert conflicts.normalise("  Bob  SMITH ") == "bobsmith"
    assert conflicts.normalise("北京·电影（学院）") == "北京电影学院"
    assert conflicts.normalise("Straße") == conflicts.normalise("STRASSE")
    assert conflicts.normalise("") == "" and conflicts.normalise(None) == ""


# --- Matching rules -------------------------------------------------------------------------------------------------


def test_judge_name_matches_a_credit(competition, bob, entrant_entry):
    bob.display_name = "林导演"
    bob.save()
    assert detect(competition) == 1
    conflict = Conflict.objects.get(judge=bob)
    assert conflict.entry == entrant_entry and conflict.source == ConflictSource.DETECTED
    assert "林导演" in conflict.basis


def test_names_match_after_normalisation(competition, bob, entrant_entry):
    Credit.objects.filter(entry=entrant_entry).update(name="ｌｉｎ　Ｄａｏ-Ｙａｎ")
    bob.display_name = "Lin Daoyan"
    bob.save()
    assert detect(competition) == 1
    assert pairs(competition) == {("bob@example.com", entrant_entry.pk)}


def test_judge_email_matches_a_coowner(competition, bob, entrant_entry):
    CoOwner.objects.create(entry=entrant_entry, email="BOB@Example.com")
    detect(competition)
    conflict = Conflict.objects.get(judge=bob)
    assert conflict.entry == entrant_entry and "bob@example.com" in conflict.basis.lower()


def test_judge_email_matches_the_entrant(competition, bob, unit):
    entry = submitted_entry(unit, 1, owner=bob)
    detect(competition)
    assert pairs(competition) == {("bob@example.com", entry.pk)}


def test_judge_real_name_matches_the_entrant_real_name(competition, bob, entrant_entry, charlie):
    set_profile(bob, real_name="王小明")
    set_profile(charlie, real_name="王 小明")
    detect(competition)
    assert pairs(competition) == {("bob@example.com", entrant_entry.pk)}


def test_affiliation_matches_the_entrant_organisation(competition, bob, entrant_entry, charlie):
    set_profile(charlie, organisation="北京电影学院")
    set_affiliations(bob, "星光影业\n北京电影学院\n")
    detect(competition)
    conflict = Conflict.objects.get(judge=bob)
    assert "“北京电影学院”" in conflict.basis


def test_affiliation_contained_in_the_organisation(competition, bob, entrant_entry, charlie):
    set_profile(charlie, organisation="北京电影学院 表演系")
    set_affiliations(bob, "北京电影")  # 4 characters: long enough to match by containment
    detect(competition)
    assert pairs(competition) == {("bob@example.com", entrant_entry.pk)}


def test_organisation_contained_in_the_affiliation(competition, bob, entrant_entry, charlie):
    set_profile(charlie, organisation="Starlight")
    set_affiliations(bob, "Starlight Pictures Ltd.")
    detect(competition)
    assert pairs(competition) == {("bob@example.com", entrant_entry.pk)}


def test_short_strings_do_not_match_by_containment(competition, bob, entrant_entry, charlie):
    set_profile(charlie, organisation="ABC Pictures")
    set_affiliations(bob, "ABC\n北影")
    detect(competition)
    assert not Conflict.objects.exists()
    # ... but an exact short name does.
    set_affiliations(bob, "A.B.C. pictures")
    detect(competition)
    assert pairs(competition) == {("bob@example.com", entrant_entry.pk)}


def test_affiliation_matches_a_coowner_organisation(competition, bob, entrant_entry):
    dana = UserFactory(email="dana@example.com")
    set_profile(dana, organisation="北京电影学院")
    CoOwner.objects.create(entry=entrant_entry, email=dana.email, user=dana)
    set_affiliations(bob, "北京电影学院")
    detect(competition)
    assert "北京电影学院" in Conflict.objects.get(judge=bob).basis


def test_judge_name_is_not_matched_against_organisations(competition, bob, entrant_entry, charlie):
    set_profile(charlie, organisation="Bob")
    detect(competition)
    assert not Conflict.objects.exists()


def test_draft_entries_and_other_competitions_are_ignored(competition, bob, unit):
    EntryFactory(unit=unit, owner=bob)  # a draft
    other_unit = UnitFactory(competition=CompetitionFactory())
    submitted_entry(other_unit, 1, owner=bob)
    assert detect(competition) == 0
    assert not Conflict.objects.exists()


def test_only_judges_are_checked(competition, charlie, entrant_entry, unit):
    # charlie enters and is no judge: his own entry is no conflict.
    detect(competition)
    assert not Conflict.objects.exists()


def test_panel_members_without_the_role_are_checked(competition, entrant_entry, unit):
    judge = UserFactory(display_name="林导演")
    PanelMembershipFactory(round=RoundFactory(competition=competition), judge=judge, with_role=False)
    detect(competition)
    assert Conflict.objects.filter(judge=judge, entry=entrant_entry).exists()


# --- Declarations ---------------------------------------------------------------------------------------------------


def test_declared_entry_makes_a_declared_row(competition, bob, entrant_entry):
    declaration = conflicts.declare_conflict(
        competition=competition, judge=bob, kind=DeclarationKind.ENTRY, entry=entrant_entry, reason="My cousin's work"
    )
    conflict = Conflict.objects.get(judge=bob, entry=entrant_entry)
    assert conflict.source == ConflictSource.DECLARED and conflict.declaration == declaration
    assert "My cousin's work" in conflict.basis
    # Declaring it again changes nothing; detection keeps the row.
    assert (
        conflicts.declare_conflict(competition=competition, judge=bob, kind=DeclarationKind.ENTRY, entry=entrant_entry)
        == declaration
    )
    detect(competition)
    assert Conflict.objects.filter(judge=bob).count() == 1
    conflicts.withdraw_declaration(declaration=declaration, judge=bob)
    assert not Conflict.objects.exists()


def test_declared_person_matches_a_credit(competition, bob, entrant_entry):
    declaration = conflicts.declare_conflict(
        competition=competition, judge=bob, kind=DeclarationKind.PERSON, value="  林 导演 "
    )
    conflict = Conflict.objects.get(judge=bob, entry=entrant_entry)
    assert conflict.source == ConflictSource.DECLARED and conflict.declaration == declaration


def test_declared_person_by_email_matches_the_entrant(competition, bob, entrant_entry):
    conflicts.declare_conflict(
        competition=competition, judge=bob, kind=DeclarationKind.PERSON, value="Charlie@example.com"
    )
    assert Conflict.objects.get(judge=bob).entry == entrant_entry


def test_declared_organisation_matches_the_entrant_organisation(competition, bob, entrant_entry, charlie):
    set_profile(charlie, organisation="星光影业有限公司")
    conflicts.declare_conflict(competition=competition, judge=bob, kind=DeclarationKind.ORGANISATION, value="星光影业")
    conflict = Conflict.objects.get(judge=bob, entry=entrant_entry)
    assert conflict.source == ConflictSource.DECLARED and "星光影业" in conflict.basis


def test_declarations_are_validated(competition, bob, entrant_entry):
    other_entry = submitted_entry(UnitFactory(competition=CompetitionFactory()), 1)
    with pytest.raises(ValidationError):
        conflicts.declare_conflict(competition=competition, judge=bob, kind=DeclarationKind.ENTRY, entry=other_entry)
    with pytest.raises(ValidationError):
        conflicts.declare_conflict(competition=competition, judge=bob, kind=DeclarationKind.ENTRY)
    with pytest.raises(ValidationError):
        conflicts.declare_conflict(competition=competition, judge=bob, kind=DeclarationKind.PERSON, value=" ·· ")
    with pytest.raises(ValidationError):
        conflicts.declare_conflict(competition=competition, judge=bob, kind="friend", value="x")
    assert not ConflictDeclaration.objects.exists() and not Conflict.objects.exists()


def test_only_the_judge_withdraws_their_declaration(competition, bob, charlie, entrant_entry):
    declaration = conflicts.declare_conflict(
        competition=competition, judge=bob, kind=DeclarationKind.ENTRY, entry=entrant_entry
    )
    with pytest.raises(ValidationError):
        conflicts.withdraw_declaration(declaration=declaration, judge=charlie)
    assert Conflict.objects.filter(judge=bob).exists()


# --- Re-running -----------------------------------------------------------------------------------------------------


def test_stale_detected_rows_are_removed(competition, bob, entrant_entry):
    bob.display_name = "林导演"
    bob.save()
    detect(competition)
    Credit.objects.filter(entry=entrant_entry).update(name="张导演")
    assert detect(competition) == 0
    assert not Conflict.objects.exists()


def test_rerunning_creates_nothing_new(competition, bob, entrant_entry):
    bob.display_name = "林导演"
    bob.save()
    assert detect(competition) == 1
    assert detect(competition) == 0
    assert Conflict.objects.count() == 1


def test_waived_rows_are_kept_while_the_basis_holds(competition, bob, alice, entrant_entry):
    bob.display_name = "林导演"
    bob.save()
    detect(competition)
    conflict = conflicts.waive_conflict(conflict=Conflict.objects.get(), actor=alice, reason="A common name")
    assert detect(competition) == 0
    conflict.refresh_from_db()
    assert conflict.waived_at is not None and conflict.waiver_reason == "A common name"
    # Once the match is gone the waiver goes with it; a match that comes back needs a new decision.
    Credit.objects.filter(entry=entrant_entry).update(name="张导演")
    detect(competition)
    assert not Conflict.objects.exists()


def test_detection_for_some_judges_leaves_the_others_alone(competition, bob, entrant_entry, erin):
    bob.display_name = erin.display_name = "林导演"
    bob.save()
    erin.save()
    assert detect(competition, judges=[bob]) == 1
    assert pairs(competition) == {("bob@example.com", entrant_entry.pk)}
    Credit.objects.filter(entry=entrant_entry).update(name="张导演")
    detect(competition, judges=[erin.pk])
    assert pairs(competition) == {("bob@example.com", entrant_entry.pk)}


def test_approving_an_entry_runs_detection(competition, bob, alice, unit):
    bob.display_name = "林导演"
    bob.save()
    entry = submitted_entry(unit, 1)
    CreditFactory(entry=entry, name="林导演")
    submission_services.decide_eligibility(entry=entry, actor=alice, eligible=True)
    assert pairs(competition) == {("bob@example.com", entry.pk)}


def test_a_failing_detection_never_blocks_the_entrant(competition, bob, alice, unit, monkeypatch):
    def broken(**kwargs):
        Conflict.objects.create(competition=competition, judge=bob, entry=entry, source="detected", basis="half")
        raise RuntimeError("bug")

    monkeypatch.setattr(conflicts, "detect_entry_conflicts", broken)
    entry = submitted_entry(unit, 1)
    submission_services.decide_eligibility(entry=entry, actor=alice, eligible=True)
    entry.refresh_from_db()
    assert entry.status == "eligible"
    assert not Conflict.objects.exists()  # the half-done detection was rolled back to its savepoint


def test_detection_query_count_is_flat(competition, unit, bob, erin):
    set_affiliations(bob, "星光影业\n北京电影学院")
    set_affiliations(erin, "北京电影")

    def add_entries(start, count):
        for n in range(start, start + count):
            owner = UserFactory()
            set_profile(owner, real_name=f"作者{n}", organisation="北京电影学院" if n % 2 else "别的公司")
            entry = submitted_entry(unit, n, owner=owner)
            CreditFactory(entry=entry, name=f"导演{n}")
            CoOwner.objects.create(entry=entry, email=f"co{n}@example.com")

    add_entries(1, 5)
    with CaptureQueriesContext(connection) as five:
        detect(competition)
    add_entries(6, 25)
    with CaptureQueriesContext(connection) as thirty:
        detect(competition)
    assert Conflict.objects.filter(judge=bob).count() == 15
    assert Conflict.objects.filter(judge=erin).count() == 15
    assert len(five) == len(thirty)


# --- Waivers --------------------------------------------------------------------------------------------------------


@pytest.fixture
def detected(competition, bob, entrant_entry, assignment):
    bob.display_name = "林导演"
    bob.save()
    detect(competition)
    return Conflict.objects.get(judge=bob)


def test_waive_needs_a_reason(detected, alice):
    for reason in ("", "   "):
        with pytest.raises(ValidationError):
            conflicts.waive_conflict(conflict=detected, actor=alice, reason=reason)
    detected.refresh_from_db()
    assert detected.waived_at is None
    assert not LedgerEntry.objects.exists() and not ActionLog.objects.filter(action=LoggedAction.CONFLICT_WAIVED)


def test_declared_conflicts_cannot_be_waived(competition, bob, alice, entrant_entry):
    conflicts.declare_conflict(competition=competition, judge=bob, kind=DeclarationKind.ENTRY, entry=entrant_entry)
    with pytest.raises(ValidationError):
        conflicts.waive_conflict(conflict=Conflict.objects.get(), actor=alice, reason="Fine")
    assert not LedgerEntry.objects.exists()


def test_waiver_and_its_revocation_are_recorded(detected, alice, bob, entrant_entry, competition, assignment):
    assert not Assignment.objects.active().filter(pk=assignment.pk).exists()
    assert conflicts.conflicted_pairs(competition) == {(bob.pk, entrant_entry.pk)}

    conflicts.waive_conflict(conflict=detected, actor=alice, reason="Different person, same name")
    detected.refresh_from_db()
    assert detected.waived_by == alice and detected.waiver_reason == "Different person, same name"
    assert Assignment.objects.active().filter(pk=assignment.pk).exists()
    assert conflicts.conflicted_pairs(competition) == set()
    assert not Conflict.objects.effective().exists()
    with pytest.raises(ValidationError):
        conflicts.waive_conflict(conflict=detected, actor=alice, reason="again")

    with pytest.raises(ValidationError):
        conflicts.revoke_waiver(conflict=detected, actor=alice, reason="")
    conflicts.revoke_waiver(conflict=detected, actor=alice, reason="It is the same person after all")
    detected.refresh_from_db()
    assert detected.waived_at is None and detected.waived_by is None
    assert not Assignment.objects.active().filter(pk=assignment.pk).exists()
    with pytest.raises(ValidationError):
        conflicts.revoke_waiver(conflict=detected, actor=alice, reason="again")

    waived, revoked = LedgerEntry.objects.filter(competition=competition).order_by("sequence")
    assert waived.kind == LedgerKind.CONFLICT_WAIVED and revoked.kind == LedgerKind.CONFLICT_WAIVER_REVOKED
    assert waived.actor == alice
    assert waived.content == {
        "conflict": detected.pk,
        "judge": bob.pk,
        "entry": entrant_entry.pk,
        "basis": detected.basis,
        "reason": "Different person, same name",
    }
    assert revoked.content["reason"] == "It is the same person after all"
    assert ActionLog.objects.filter(action=LoggedAction.CONFLICT_WAIVED, actor=alice).count() == 1
    assert ActionLog.objects.filter(action=LoggedAction.CONFLICT_WAIVER_REVOKED, actor=alice).count() == 1


def test_effective_semantics(competition, bob, entrant_entry, alice, unit):
    other = submitted_entry(unit, 77)
    declared = Conflict.objects.create(
        competition=competition, judge=bob, entry=entrant_entry, source=ConflictSource.DECLARED, basis="d"
    )
    found = Conflict.objects.create(
        competition=competition, judge=bob, entry=other, source=ConflictSource.DETECTED, basis="x"
    )
    assert set(Conflict.objects.effective()) == {declared, found}
    conflicts.waive_conflict(conflict=found, actor=alice, reason="ok")
    assert set(Conflict.objects.effective()) == {declared}
    assert conflicts.conflicted_pairs(competition) == {(bob.pk, entrant_entry.pk)}


def test_conflicted_pairs_is_one_query(competition, detected):
    with CaptureQueriesContext(connection) as queries:
        conflicts.conflicted_pairs(competition)
    assert len(queries) == 1


def test_roles_of_other_competitions_do_not_make_judges(competition, entrant_entry):
    outsider = UserFactory(display_name="林导演")
    RoleFactory(competition=CompetitionFactory(), user=outsider, role=Role.JUDGE)
    detect(competition)
    assert not Conflict.objects.exists()
