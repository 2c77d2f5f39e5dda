"""List the webhook endpoints whose callback URL fails the address check today."""

from django.core.management.base import BaseCommand

from webhooks.models import WebhookEndpoint
from webhooks.selectors import endpoints_failing_check


class Command(BaseCommand):
    help = (
        "List the webhook endpoints whose URL fails the check today, tab-separated (id, centre, url, "
        "reason), then a count on standard error. Deliveries to them fail or are retried."
    )

    def handle(self, *args, **options):
        self.stdout.write("id\tcentre\turl\treason")
        failing = 0
        for endpoint, reason in endpoints_failing_check():
            failing += 1
            row = (str(endpoint.pk), str(endpoint.centre), endpoint.url, reason)
            self.stdout.write("\t".join(" ".join(cell.split()) for cell in row))
        total = WebhookEndpoint.objects.count()
        self.stderr.write(f"{failing} of {total} webhook endpoints fail the check.")
