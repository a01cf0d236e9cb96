"""Seed a competition at scale for benchmarks: `manage.py seed_scale --entries 20000 --judges 300 --rounds 3
--seed 1` (see judging.scale). Development only: every account gets the published password "scale-password"."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from judging.scale import ScaleSeedRefused, delete_competition, refuse_in_production, seed_scale


class Command(BaseCommand):
    help = "Create a large competition (entries, judges, rounds, scores) for benchmarks (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--entries", type=int, default=20000, help="eligible entries in round 1 (20000)")
        parser.add_argument("--judges", type=int, default=300, help="judges on round 1's panel (300)")
        parser.add_argument("--rounds", type=int, default=3, choices=[1, 2, 3], help="rounds to build (3)")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
        parser.add_argument("--slug", default="scale", help="the competition's short name (scale)")
        parser.add_argument("--judges-per-entry", type=int, default=5, help="judges per entry in round 1 (5)")
        parser.add_argument(
            "--replace", action="store_true", help="delete an existing competition of this slug (and its accounts)"
        )

    def handle(self, *args, **options):
        try:
            refuse_in_production()
            if options["replace"]:
                delete_competition(slug=options["slug"], stdout=self.stdout)
            competition = seed_scale(
                entries=options["entries"],
                judges=options["judges"],
                rounds=options["rounds"],
                seed=options["seed"],
                slug=options["slug"],
                judges_per_entry=options["judges_per_entry"],
                stdout=self.stdout,
            )
        except ScaleSeedRefused as error:
            raise CommandError(str(error)) from error
        message = _("Seeded %(name)s at /c/%(slug)s/.") % {"name": competition.name, "slug": competition.slug}
        self.stdout.write(self.style.SUCCESS(message))
