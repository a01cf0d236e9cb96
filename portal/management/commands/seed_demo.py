from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import DEMO_ENTRANTS, DEMO_JUDGES, DEMO_ORGANIZER, DEMO_PASSWORD, seed_demo
from portal.models import Competition, User


class Command(BaseCommand):
    help = "Create the demo competition and demo accounts (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing unless the database has no accounts or competitions."
        )

    def handle(self, *args, if_empty=False, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with a published password, so it refuses to run with DEBUG off."
            )
        if if_empty and (User.objects.exists() or Competition.objects.exists()):
            self.stdout.write("The database already has data; demo not seeded.")
            return
        competition = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo competition: {competition.name_en} (/c/{competition.slug}/)"))
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write(f"  organizer: {DEMO_ORGANIZER}")
        self.stdout.write(f"  judges:    {', '.join(DEMO_JUDGES)}")
        self.stdout.write(f"  entrants:  {', '.join(DEMO_ENTRANTS)}")
