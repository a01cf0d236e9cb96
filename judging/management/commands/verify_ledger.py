"""Check the hash chain of the score ledger: `manage.py verify_ledger [--competition SLUG]`.

Exit status 0 when every link holds; otherwise the first broken link (competition, row, reason) and status 1.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from judging import ledger
from judging.models import LedgerEntry
from portal.models import Competition


class Command(BaseCommand):
    help = "Verify the hash-chained score ledger and report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--competition", metavar="SLUG", help="Check only this competition's chain.")

    def handle(self, *args, competition=None, **options):
        rows = LedgerEntry.objects.all()
        if competition:
            try:
                competition = Competition.objects.get(slug=competition)
            except Competition.DoesNotExist as error:
                raise CommandError(_("There is no competition “%(slug)s”.") % {"slug": competition}) from error
            rows = rows.filter(competition=competition)
        broken = ledger.verify(competition=competition)
        if broken is not None:
            slug = Competition.objects.filter(pk=broken.competition_id).values_list("slug", flat=True).first()
            raise CommandError(
                _("Ledger broken in competition %(competition)s at row %(sequence)s: %(reason)s")
                % {
                    "competition": slug or broken.competition_id,
                    "sequence": broken.sequence,
                    "reason": broken.reason,
                }
            )
        count = rows.count()
        competitions = rows.order_by().values("competition").distinct().count()
        self.stdout.write(
            _("Ledger intact: %(rows)s rows in %(competitions)s competitions.")
            % {"rows": count, "competitions": competitions}
        )
