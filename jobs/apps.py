from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        from .reconcile import files_of_jobs
        from .registry import register_upload_folder

        # Jobs' inputs and outputs (jobs/in, jobs/out): kept while a job points at them.
        job = self.get_model("Job")
        for field in ("input_file", "output_file"):
            folder = job._meta.get_field(field).upload_to.split("%")[0]
            register_upload_folder(folder, in_use=files_of_jobs)
