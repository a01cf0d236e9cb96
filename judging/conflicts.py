"""Conflicts of interest (回避): declared by judges, detected by the portal, waived by organizers with a reason.

Detection compares normalised text (NFKC, casefold, whitespace and punctuation removed):
- the judge's display name and email, and each line of their affiliations and person/organisation declarations,
- against each entry's owner (display name, real name, email, organisation), co-owners (email, display name,
  real name, organisation), and credit names.
Names and emails match when equal; organisations also match when one contains the other and the shorter has
at least 4 characters. Runs over one competition's non-draft entries with a fixed number of queries.

Also matched: the judge's real name (their portal profile) and every verified address of their account, and
the email of an account linked to a credit. A match with a person or organisation the judge declared makes a
DECLARED row (it cannot be waived); other matches make DETECTED rows. Each row's `basis` says what matched, in
the site's language (settings.LANGUAGE_CODE), for organizers only: it names entrants, so it is never shown to
judges or entrants.

Callers that rely on conflicts being current (automatic assignment, the organizer's conflicts page) run
`detect_conflicts` first; it also re-runs for a judge whenever their affiliations or declarations change, and
for an entry when it is submitted or found eligible (judging.receivers, in the same transaction).
"""

import unicodedata
from collections import defaultdict

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from judging.models import (
    Conflict,
    ConflictDeclaration,
    ConflictSource,
    DeclarationKind,
    LedgerKind,
    PanelMembership,
)
from portal.models import Competition, LoggedAction, Role, User
from portal.services import log_action
from submissions.models import CoOwner, Credit, CreditRole, Entry, EntryStatus

# Organisations also match by containment when the shorter normalised name has at least this many characters.
MIN_CONTAINED_LENGTH = 4
BASIS_MAX_LENGTH = Conflict._meta.get_field("basis").max_length
REASON_MAX_LENGTH = Conflict._meta.get_field("waiver_reason").max_length
VALUE_MAX_LENGTH = ConflictDeclaration._meta.get_field("value").max_length
DECLARATION_REASON_MAX_LENGTH = ConflictDeclaration._meta.get_field("reason").max_length

NAME, EMAIL, ORGANISATION = "name", "email", "organisation"
OWNER, COOWNER, CREDIT = "owner", "coowner", "credit"


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), casefolded, without whitespace, punctuation or control characters."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(char for char in text if unicodedata.category(char)[0] not in "PZC")


def normalise_email(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(char for char in text if not char.isspace())


def _organisations_match(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= MIN_CONTAINED_LENGTH and shorter in longer


# --- Basis sentences ----------------------------------------------------------------------------------------------


def _judge_side(source, value):
    texts = {
        "name": _("Judge's name “%(value)s”"),
        "real_name": _("Judge's real name “%(value)s”"),
        "email": _("Judge's email %(value)s"),
        "affiliation": _("Judge's affiliation “%(value)s”"),
        "declared_person": _("The person “%(value)s” the judge declared"),
        "declared_organisation": _("The organisation “%(value)s” the judge declared"),
    }
    return texts[source] % {"value": value}


def _entry_side(who, kind, value, role=""):
    texts = {
        (OWNER, NAME): _("the entrant's name “%(value)s”"),
        (OWNER, EMAIL): _("the entrant's email %(value)s"),
        (OWNER, ORGANISATION): _("the entrant's organisation “%(value)s”"),
        (COOWNER, NAME): _("a co-owner's name “%(value)s”"),
        (COOWNER, EMAIL): _("a co-owner's email %(value)s"),
        (COOWNER, ORGANISATION): _("a co-owner's organisation “%(value)s”"),
        (CREDIT, NAME): _("the credit “%(value)s” (%(role)s)"),
        (CREDIT, EMAIL): _("the account linked to the credit “%(value)s” (%(role)s)"),
    }
    return texts[(who, kind)] % {"value": value, "role": role}


def _basis(judge_source, judge_value, fact):
    return _("%(judge)s matches %(entrant)s") % {
        "judge": _judge_side(judge_source, judge_value),
        "entrant": _entry_side(fact.who, fact.kind, fact.raw, fact.role),
    }


def _entry_declaration_basis(reason):
    if reason:
        return _("The judge declared a conflict with this entry: %(reason)s") % {"reason": reason}
    return _("The judge declared a conflict with this entry")


def _join(bases):
    text = "; ".join(dict.fromkeys(bases))
    if len(text) > BASIS_MAX_LENGTH:
        text = text[: BASIS_MAX_LENGTH - 1] + "…"
    return text


# --- Loading ------------------------------------------------------------------------------------------------------


class Fact:
    """Something about an entry's people: a name, email or organisation, and whose it is."""

    __slots__ = ("entry_id", "who", "kind", "raw", "role")

    def __init__(self, entry_id, who, kind, raw, role=""):
        self.entry_id, self.who, self.kind, self.raw, self.role = entry_id, who, kind, raw, role


class EntryIndex:
    """Normalised names, emails and organisations of entries' people -> the facts holding them."""

    def __init__(self):
        self.names = defaultdict(list)
        self.emails = defaultdict(list)
        self.organisations = defaultdict(list)

    def add(self, entry_id, who, kind, raw, role=""):
        if not raw:
            return
        if kind == EMAIL:
            key, target = normalise_email(raw), self.emails
        else:
            key, target = normalise(raw), self.names if kind == NAME else self.organisations
        if key:
            target[key].append(Fact(entry_id, who, kind, raw.strip(), role))

    def organisation_matches(self, key):
        for other, facts in self.organisations.items():
            if _organisations_match(key, other):
                yield from facts


def _credit_role(role, role_other):
    if role == CreditRole.OTHER and role_other:
        return role_other
    try:
        return str(CreditRole(role).label)
    except ValueError:
        return role_other or role


def _load_entries(competition, entry_ids):
    """Three queries: entries with their owners, co-owners, credits (non-draft entries only)."""
    entries = Entry.objects.filter(competition=competition).exclude(status=EntryStatus.DRAFT)
    coowners = CoOwner.objects.filter(entry__competition=competition).exclude(entry__status=EntryStatus.DRAFT)
    credits = Credit.objects.filter(entry__competition=competition).exclude(entry__status=EntryStatus.DRAFT)
    if entry_ids is not None:
        entries = entries.filter(pk__in=entry_ids)
        coowners = coowners.filter(entry_id__in=entry_ids)
        credits = credits.filter(entry_id__in=entry_ids)
    index = EntryIndex()
    for row in entries.values(
        "pk", "owner__email", "owner__display_name", "owner__profile__real_name", "owner__profile__organisation"
    ):
        entry_id = row["pk"]
        index.add(entry_id, OWNER, EMAIL, row["owner__email"])
        index.add(entry_id, OWNER, NAME, row["owner__display_name"])
        index.add(entry_id, OWNER, NAME, row["owner__profile__real_name"])
        index.add(entry_id, OWNER, ORGANISATION, row["owner__profile__organisation"])
    for row in coowners.values(
        "entry_id",
        "email",
        "user__email",
        "user__display_name",
        "user__profile__real_name",
        "user__profile__organisation",
    ):
        entry_id = row["entry_id"]
        index.add(entry_id, COOWNER, EMAIL, row["email"])
        index.add(entry_id, COOWNER, EMAIL, row["user__email"])
        index.add(entry_id, COOWNER, NAME, row["user__display_name"])
        index.add(entry_id, COOWNER, NAME, row["user__profile__real_name"])
        index.add(entry_id, COOWNER, ORGANISATION, row["user__profile__organisation"])
    for row in credits.values("entry_id", "name", "role", "role_other", "user__email"):
        role = _credit_role(row["role"], row["role_other"])
        index.add(row["entry_id"], CREDIT, NAME, row["name"], role)
        key = normalise_email(row["user__email"])
        if key:  # an account linked to the credit: matched by its email, named by the credit
            index.emails[key].append(Fact(row["entry_id"], CREDIT, EMAIL, row["name"].strip(), role))
    return index


def _judge_ids(competition, judges):
    if judges is not None:
        return sorted({judge if isinstance(judge, int) else judge.pk for judge in judges})
    return sorted(
        User.objects.filter(
            Q(competition_roles__competition=competition, competition_roles__role=Role.JUDGE)
            | Q(pk__in=PanelMembership.objects.filter(round__competition=competition).values("judge"))
        )
        .distinct()
        .values_list("pk", flat=True)
    )


# --- Detection ----------------------------------------------------------------------------------------------------


def _match(competition, judge_ids, entry_ids, *, scoped):
    """{pair: basis} of detected matches and {pair: (declaration id, basis)} of declared ones. Declarations of
    every judge of the competition count unless `scoped` to the judges given."""
    index = _load_entries(competition, entry_ids)
    detected = defaultdict(list)
    declared = {}

    def add_declared(pair, declaration_id, basis):
        declared.setdefault(pair, (declaration_id, basis))

    judges = User.objects.filter(pk__in=judge_ids).values(
        "pk", "email", "display_name", "profile__real_name", "judge_profile__affiliations"
    )
    emails = defaultdict(set)
    for user_id, address in EmailAddress.objects.filter(user_id__in=judge_ids, verified=True).values_list(
        "user_id", "email"
    ):
        emails[user_id].add(address)
    declarations = ConflictDeclaration.objects.filter(competition=competition).order_by("created_at", "pk")
    if scoped:
        declarations = declarations.filter(judge_id__in=judge_ids)
    if entry_ids is not None:
        declarations = declarations.filter(Q(entry__isnull=True) | Q(entry_id__in=entry_ids))

    with translation.override(settings.LANGUAGE_CODE):
        for judge in judges:
            judge_id = judge["pk"]
            for source, value in (("name", judge["display_name"]), ("real_name", judge["profile__real_name"])):
                key = normalise(value)
                for fact in index.names.get(key, ()) if key else ():
                    detected[(judge_id, fact.entry_id)].append(_basis(source, value.strip(), fact))
            for address in sorted({judge["email"], *emails[judge_id]}):
                for fact in index.emails.get(normalise_email(address), ()):
                    detected[(judge_id, fact.entry_id)].append(_basis("email", address, fact))
            for line in (judge["judge_profile__affiliations"] or "").splitlines():
                key = normalise(line)
                if key:
                    for fact in index.organisation_matches(key):
                        detected[(judge_id, fact.entry_id)].append(_basis("affiliation", line.strip(), fact))

        for declaration in declarations.values("pk", "judge_id", "kind", "entry_id", "value", "reason"):
            judge_id, value = declaration["judge_id"], declaration["value"].strip()
            if declaration["kind"] == DeclarationKind.ENTRY:
                pair = (judge_id, declaration["entry_id"])
                add_declared(pair, declaration["pk"], _entry_declaration_basis(declaration["reason"].strip()))
            elif declaration["kind"] == DeclarationKind.PERSON:
                facts = list(index.names.get(normalise(value), ())) if normalise(value) else []
                if "@" in value:
                    facts += index.emails.get(normalise_email(value), ())
                for fact in facts:
                    pair = (judge_id, fact.entry_id)
                    add_declared(pair, declaration["pk"], _basis("declared_person", value, fact))
            elif declaration["kind"] == DeclarationKind.ORGANISATION:
                key = normalise(value)
                for fact in index.organisation_matches(key) if key else ():
                    pair = (judge_id, fact.entry_id)
                    add_declared(pair, declaration["pk"], _basis("declared_organisation", value, fact))
    return {pair: _join(bases) for pair, bases in detected.items()}, declared


def _detect(*, competition, judges=None, entry_ids=None) -> int:
    # One detection at a time per competition, so two runs never create the same row twice.
    Competition.objects.select_for_update().filter(pk=competition.pk).values_list("pk", flat=True).first()
    judge_ids = _judge_ids(competition, judges)
    if judges is not None and not judge_ids:
        return 0
    detected, declared = _match(competition, judge_ids, entry_ids, scoped=judges is not None)

    existing = Conflict.objects.filter(competition=competition)
    if judges is not None:
        existing = existing.filter(judge_id__in=judge_ids)
    if entry_ids is not None:
        existing = existing.filter(entry_id__in=entry_ids)
    stale, changed, present = [], [], set()
    for row in existing.only("pk", "judge_id", "entry_id", "source", "basis", "declaration_id", "waived_at"):
        pair = (row.judge_id, row.entry_id)
        if row.source == ConflictSource.DETECTED:
            if pair not in detected:
                stale.append(row.pk)  # the basis no longer holds, waived or not
                continue
            if row.waived_at is None and row.basis != detected[pair]:
                row.basis = detected[pair]
                changed.append(row)
        else:
            if pair not in declared:
                stale.append(row.pk)
                continue
            declaration_id, basis = declared[pair]
            if (row.declaration_id, row.basis) != (declaration_id, basis):
                row.declaration_id, row.basis = declaration_id, basis
                changed.append(row)
        present.add((row.source, *pair))

    new = [
        Conflict(
            competition=competition, judge_id=judge_id, entry_id=entry_id, source=ConflictSource.DETECTED, basis=basis
        )
        for (judge_id, entry_id), basis in detected.items()
        if (ConflictSource.DETECTED, judge_id, entry_id) not in present
    ] + [
        Conflict(
            competition=competition,
            judge_id=judge_id,
            entry_id=entry_id,
            source=ConflictSource.DECLARED,
            basis=basis,
            declaration_id=declaration_id,
        )
        for (judge_id, entry_id), (declaration_id, basis) in declared.items()
        if (ConflictSource.DECLARED, judge_id, entry_id) not in present
    ]
    if stale:
        Conflict.objects.filter(pk__in=stale).delete()
    if changed:
        Conflict.objects.bulk_update(changed, ["basis", "declaration"])
    if new:
        Conflict.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def detect_conflicts(*, competition, judges=None) -> int:
    """Create DETECTED Conflict rows for every (judge, entry) match among the competition's judges (or those
    given); delete unwaived detected rows whose basis no longer holds. Returns the number of new rows.

    The competition's judges are those with the judge role and everyone on one of its panels. Waived rows are
    kept while the judge and entry still match (and deleted when they no longer do, so a match that comes back
    needs a new waiver). DECLARED rows follow the judges' declarations the same way. `judges` may hold users or
    ids. Runs a fixed number of queries whatever the number of entries and judges."""
    return _detect(competition=competition, judges=judges)


@transaction.atomic
def detect_entry_conflicts(*, entry) -> int:
    """Detection for one entry against every judge of its competition (an entry was submitted or found
    eligible). One query when the competition has no judges. Returns the number of new rows."""
    if not _judge_ids(entry.competition, None):
        return 0
    return _detect(competition=entry.competition, entry_ids=[entry.pk])


# --- Declarations -------------------------------------------------------------------------------------------------


@transaction.atomic
def declare_conflict(*, competition, judge, kind, entry=None, value="", reason="") -> ConflictDeclaration:
    """Record a declaration; an entry declaration immediately creates a DECLARED Conflict row, person and
    organisation declarations are matched by detect_conflicts (run here for this judge).

    Declaring the same entry, person or organisation again returns the earlier declaration."""
    value = (value or "").strip()
    reason = (reason or "").strip()
    if kind not in DeclarationKind.values:
        raise ValidationError(_("Choose what the conflict is with: an entry, a person or an organisation."))
    if len(reason) > DECLARATION_REASON_MAX_LENGTH:
        raise ValidationError(
            _("Keep the reason under %(count)s characters."), params={"count": DECLARATION_REASON_MAX_LENGTH}
        )
    existing = ConflictDeclaration.objects.filter(competition=competition, judge=judge, kind=kind)
    if kind == DeclarationKind.ENTRY:
        if entry is None or entry.competition_id != competition.pk:
            raise ValidationError(_("Choose an entry of this competition."), code="entry")
        value = ""
        declaration = existing.filter(entry=entry).first()
    else:
        entry = None
        if not normalise(value):
            raise ValidationError(
                _("Enter the name of the person or organisation you have a conflict with."), code="value"
            )
        if len(value) > VALUE_MAX_LENGTH:
            raise ValidationError(_("Keep the name under %(count)s characters."), params={"count": VALUE_MAX_LENGTH})
        key = normalise(value)
        declaration = next((row for row in existing if normalise(row.value) == key), None)
    if declaration is None:
        declaration = ConflictDeclaration.objects.create(
            competition=competition, judge=judge, kind=kind, entry=entry, value=value, reason=reason
        )
    _detect(competition=competition, judges=[judge])
    return declaration


@transaction.atomic
def withdraw_declaration(*, declaration, judge) -> None:
    """The judge withdraws their own declaration; its DECLARED rows go with it (unless another declaration
    of theirs still covers the entry)."""
    if declaration.judge_id != judge.pk:
        raise ValidationError(_("You can only withdraw your own declarations."), code="owner")
    competition = declaration.competition
    declaration.delete()
    _detect(competition=competition, judges=[judge])


# --- Waivers ------------------------------------------------------------------------------------------------------


def _clean_reason(reason, message):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(message, code="required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("Keep the reason under %(count)s characters."), params={"count": REASON_MAX_LENGTH}, code="max_length"
        )
    return reason


def _record(conflict, *, actor, kind, action, reason):
    from judging import ledger

    content = {
        "conflict": conflict.pk,
        "judge": conflict.judge_id,
        "entry": conflict.entry_id,
        "basis": conflict.basis,
        "reason": reason,
    }
    ledger.append(competition=conflict.competition, kind=kind, actor=actor, content=content)
    log_action(
        competition=conflict.competition,
        actor=actor,
        action=action,
        subject=f"{conflict.judge.email} · {conflict.entry.number or conflict.entry.title}",
        data=content,
    )


def _lock(conflict):
    return Conflict.objects.select_for_update().select_related("competition", "judge", "entry").get(pk=conflict.pk)


@transaction.atomic
def waive_conflict(*, conflict, actor, reason) -> Conflict:
    """Only DETECTED conflicts; a reason is required (ValidationError). Ledger row CONFLICT_WAIVED + ActionLog."""
    reason = _clean_reason(reason, _("Give the reason for the waiver."))
    conflict = _lock(conflict)
    if conflict.source != ConflictSource.DETECTED:
        raise ValidationError(_("A conflict the judge declared cannot be waived."), code="declared")
    if conflict.waived_at is not None:
        raise ValidationError(_("This conflict is already waived."), code="waived")
    conflict.waived_at = timezone.now()
    conflict.waived_by = actor
    conflict.waiver_reason = reason
    conflict.save(update_fields=["waived_at", "waived_by", "waiver_reason"])
    _record(conflict, actor=actor, kind=LedgerKind.CONFLICT_WAIVED, action=LoggedAction.CONFLICT_WAIVED, reason=reason)
    return conflict


@transaction.atomic
def revoke_waiver(*, conflict, actor, reason) -> Conflict:
    """The conflict bars the judge again (scores they gave stop counting). A reason is required. Ledger row
    CONFLICT_WAIVER_REVOKED + ActionLog."""
    reason = _clean_reason(reason, _("Give the reason for revoking the waiver."))
    conflict = _lock(conflict)
    if conflict.waived_at is None:
        raise ValidationError(_("This conflict is not waived."), code="not_waived")
    conflict.waived_at = None
    conflict.waived_by = None
    conflict.waiver_reason = ""
    conflict.save(update_fields=["waived_at", "waived_by", "waiver_reason"])
    _record(
        conflict,
        actor=actor,
        kind=LedgerKind.CONFLICT_WAIVER_REVOKED,
        action=LoggedAction.CONFLICT_WAIVER_REVOKED,
        reason=reason,
    )
    return conflict


def conflicted_pairs(competition) -> set[tuple[int, int]]:
    """{(judge_id, entry_id)} with an effective conflict; one query."""
    return set(Conflict.objects.filter(competition=competition).effective().values_list("judge_id", "entry_id"))
