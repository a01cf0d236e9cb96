"""Who may do what with entries. Views and templates ask only these predicates."""

import rules

from portal.rules import is_organizer
from submissions.models import CoOwner


@rules.predicate
def is_entry_owner(user, entry):
    return user.is_authenticated and entry is not None and entry.owner_id == user.pk


@rules.predicate
def is_entry_coowner(user, entry):
    if not user.is_authenticated or entry is None:
        return False
    return CoOwner.objects.filter(entry=entry, user=user).exists()


@rules.predicate
def organizes_entry_competition(user, entry):
    return entry is not None and is_organizer(user, entry.competition)


is_entrant_of_entry = is_entry_owner | is_entry_coowner

rules.add_perm("submissions.view_entry", is_entrant_of_entry | organizes_entry_competition)
rules.add_perm("submissions.edit_entry", is_entrant_of_entry)
rules.add_perm("submissions.manage_coowners", is_entry_owner)
rules.add_perm("submissions.decide_entry", organizes_entry_competition)
