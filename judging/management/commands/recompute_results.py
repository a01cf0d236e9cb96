"""Reproduce a published result: `manage.py recompute_results <round_id> [--version N]`.

Loads the round's newest public version (or version N), checks that the scores it was computed from are still
the same (the snapshot taken now against the stored sha256; changed score ids are listed), recomputes the
ranking with the version's aggregation method and compares it with the stored ranking entry by entry (rank,
score, raw, normalised). Prints "Reproduced exactly: N entries." (exit status 0), or every difference (exit
status 1).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from judging.aggregation import compute_ranking, take_snapshot
from judging.models import ResultVersion, Round

COMPARED = ("rank", "score", "raw", "normalised")


def _entry_id(row):
    value = row.get("entry_id", row.get("entry"))
    if isinstance(value, dict):
        value = value.get("id")
    return int(value) if value is not None else None


def _scores_by_id(snapshot):
    return {row.get("score"): row for row in (snapshot or {}).get("scores") or [] if isinstance(row, dict)}


def changed_score_ids(stored, current) -> list:
    """Score ids that were added, removed or changed between two snapshots, ascending."""
    before, after = _scores_by_id(stored), _scores_by_id(current)
    changed = {pk for pk in before.keys() | after.keys() if before.get(pk) != after.get(pk)}
    return sorted(changed, key=lambda pk: (pk is None, pk if isinstance(pk, int) else str(pk)))


def compare_rankings(stored, current) -> list[str]:
    """Lines describing every difference between two ranking JSON lists; empty when identical."""
    before = {_entry_id(row): row for row in stored or []}
    after = {_entry_id(row): row for row in current or []}
    lines = []
    order = [pk for pk in before if pk in after] + [pk for pk in before if pk not in after]
    order += [pk for pk in after if pk not in before]
    for pk in order:
        old, new = before.get(pk), after.get(pk)
        label = (old or new).get("number") or str(pk)
        if new is None:
            lines.append(_("%(entry)s: in the published ranking, missing now") % {"entry": label})
            continue
        if old is None:
            lines.append(_("%(entry)s: not in the published ranking, ranked now") % {"entry": label})
            continue
        changes = [
            f"{field} {old.get(field)} -> {new.get(field)}"
            for field in COMPARED
            if str(old.get(field)) != str(new.get(field))
        ]
        if changes:
            lines.append(f"{label}: " + ", ".join(changes))
    return lines


class Command(BaseCommand):
    help = "Recompute a published result of a round from the scores and compare it with what was published."

    def add_base_argument(self, parser, *args, **kwargs):
        if "--version" in args:
            return  # here --version picks a result version, not Django's version
        super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)
        parser.add_argument("--version", type=int, dest="number", metavar="N", help="Check version N instead.")

    def handle(self, *args, round_id, number=None, **options):
        round = Round.objects.select_related("competition").filter(pk=round_id).first()
        if round is None:
            raise CommandError(_("There is no round %(id)s.") % {"id": round_id})
        versions = ResultVersion.objects.filter(round=round)
        if number is not None:
            version = versions.filter(number=number).first()
            if version is None:
                raise CommandError(_("Round %(id)s has no version %(number)s.") % {"id": round_id, "number": number})
        else:
            version = versions.public().order_by("-number").first()
            if version is None:
                raise CommandError(_("Round %(id)s has no published result.") % {"id": round_id})

        problems = []
        if ResultVersion.digest(version.snapshot) != version.snapshot_sha256:
            problems.append(_("The stored snapshot does not match its sha256: it was altered after it was taken."))
        notes = []
        snapshot = take_snapshot(round)
        stored = version.snapshot or {}
        # The round's settings may have changed since (method, flag thresholds): the version's own settings are the
        # ones it is recomputed with, so only the inputs (scores, criteria, entry list) are compared.
        for key in ("method", "thresholds"):
            if key in stored and snapshot.get(key) != stored[key]:
                notes.append(_("The round's %(setting)s changed since; the version's own is used.") % {"setting": key})
                snapshot[key] = stored[key]
        if ResultVersion.digest(snapshot) != version.snapshot_sha256:
            changed = changed_score_ids(stored, snapshot)
            problems.append(
                _("Scores changed since publication: %(ids)s")
                % {"ids": ", ".join(str(pk) for pk in changed) or _("(criteria or entry list only)")}
            )
        ranking = compute_ranking(round, method=version.method).as_json()
        problems += compare_rankings(version.ranking, ranking)

        heading = _("Round %(id)s, version %(number)s (%(method)s):") % {
            "id": round.pk,
            "number": version.number,
            "method": version.method,
        }
        self.stdout.write(heading)
        for line in notes:
            self.stdout.write(f"  {line}")
        if problems:
            for line in problems:
                self.stdout.write(f"  {line}")
            raise CommandError(
                _("The published result is not reproduced: %(count)s differences.") % {"count": len(problems)}
            )
        self.stdout.write(_("Reproduced exactly: %(count)s entries.") % {"count": len(ranking)})
