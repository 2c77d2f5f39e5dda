from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import seed_demo
from common.scale import CHUNK, seed_scale


class Command(BaseCommand):
    help = (
        "Create demo users for each role, centres, enterprises and the history that reproduces the "
        "published end-2017 figures (idempotent; demo mode only). With --scale N, then add N benchmark "
        "enterprises with one assessment and three options each, written with COPY."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=300)
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="also make sure N benchmark enterprises exist (N assessments, 3N options), dated 2020-2026",
        )
        parser.add_argument("--chunk", type=int, default=CHUNK, help="enterprises per COPY transaction")

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
        if options["scale"]:
            self.stdout.write(f"Benchmark data: {options['scale']:,} enterprises with COPY …")
            written = seed_scale(options["scale"], chunk=options["chunk"], log=self.stdout.write)
            options_per_s = written["options"] / written["seconds"] if written["seconds"] else 0
            self.stdout.write(
                f"Benchmark data: {written['enterprises']:,} new enterprises, {written['assessments']:,} "
                f"assessments, {written['options']:,} options in {written['seconds']} s "
                f"({options_per_s:,.0f} options/s)"
            )
