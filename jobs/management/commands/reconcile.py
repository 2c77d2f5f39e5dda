from django.core.management.base import BaseCommand

from jobs.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Put work recorded in the database as waiting or running, but stale (its Celery message was "
        "lost), back in the queue: import and export jobs, rollup runs; remove old uploads no live "
        "job needs. Beat runs the same every few minutes; run it by hand after restoring Redis."
    )

    def handle(self, *args, **options):
        outcome = reconcile()
        for target, object_id in outcome.requeued:
            self.stdout.write(f"requeued {target} #{object_id}")
        for target, object_id in outcome.failed:
            self.stdout.write(f"failed {target} #{object_id} (interrupted too many times)")
        for name in outcome.removed:
            self.stdout.write(f"removed {name} (an upload no live job needs)")
        self.stdout.write(f"{len(outcome.requeued)} requeued, {len(outcome.failed)} failed")
