from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import seed_demo


class Command(BaseCommand):
    help = "Create demo users for each role, centres and enterprises (idempotent; demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=300)

    def handle(self, *args, **options):
        if not settings.DEMO:
            raise CommandError("Demo data is off: set SXSH_DEMO=1 to create demo users with demo passwords.")
        result = seed_demo(n_enterprises=options["enterprises"])
        self.stdout.write(
            f"Demo data: {result['centres']} centres, {result['enterprises']} enterprises, "
            f"{result['assessments']} new assessments"
        )
        self.stdout.write("Demo logins (demo passwords, for this machine only):")
        for username, password, role, unit, centre in result["users"]:
            scope = unit.name_vi if unit else (centre.name if centre else "")
            self.stdout.write(f"  {role:<20} {username:<16} {password:<20} {scope}")
