"""Background jobs (imports, large exports) with progress that the user who started them can watch,
and the file they produced. One model for every long job, run by Celery tasks."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobQuerySet(models.QuerySet):
    def for_user(self, user):
        """A user sees the jobs they started; nobody else's, whatever their role."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(created_by=user)


class Job(models.Model):
    class Kind(models.TextChoices):
        IMPORT_ASSESSMENTS = "import_assessments", _("assessment import")
        IMPORT_ENTERPRISES = "import_enterprises", _("enterprise import")
        EXPORT = "export", _("export")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveIntegerField(_("progress"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    message = models.TextField(_("message"), blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    input_file = models.FileField(_("input file"), upload_to="jobs/in/%Y/%m/", blank=True)
    output_file = models.FileField(_("output file"), upload_to="jobs/out/%Y/%m/", blank=True)
    output_name = models.CharField(_("file name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Liveness, for the reconciler (``jobs.reconcile``): the last time a worker said it was alive
    # (claim, progress, and a beat every SXSH_JOB_HEARTBEAT seconds while it runs), and the Celery
    # task id of the delivery that holds the job. A redelivery of that message (same id) takes the
    # job over; another message for it does nothing while it lives. ``claimed_by`` is the claim of
    # the delivery that holds it, new at every claim: each write of a worker to the job is
    # conditioned on it, so a worker whose job was taken over writes nothing (``jobs.services``).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    claimed_by = models.CharField(_("claim"), max_length=64, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=models.F("total")) | models.Q(total=0),
                name="job_progress_within_total",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self):
        return reverse("jobs:detail", args=[self.pk])

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.progress / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def is_stalled(self) -> bool:
        """Running, but its worker has not given a sign of life for three beats: it will be put
        back in the queue (``jobs.reconcile``) and started again."""
        from .services import running_stale_after

        last = self.heartbeat_at or self.started_at
        return (
            self.status == self.Status.RUNNING
            and last is not None
            and timezone.now() - last > running_stale_after()
        )


class Requeue(models.Model):
    """The reconciler's ledger: work recorded in the database that it put back in the queue, when,
    and how many times. Claimed with one conditional upsert, so that two reconcilers at once never
    enqueue the same work twice, and work put back recently is left alone."""

    target = models.CharField(_("kind of work"), max_length=24)
    object_id = models.BigIntegerField(_("id"))
    count = models.PositiveIntegerField(_("times re-enqueued"), default=0)
    requeued_at = models.DateTimeField(_("last re-enqueued"))

    class Meta:
        verbose_name = _("re-enqueued work")
        verbose_name_plural = _("re-enqueued work")
        constraints = [models.UniqueConstraint(fields=["target", "object_id"], name="requeue_once_per_work")]

    def __str__(self):
        return f"{self.target} #{self.object_id} ({self.count})"
