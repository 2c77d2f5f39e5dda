from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from .models import Job


@login_required
def job_detail(request, pk):
    """The job's progress; HTMX polls the partial until the job finishes."""
    job = get_object_or_404(Job.objects.for_user(request.user), pk=pk)
    template = "jobs/_progress.html" if request.headers.get("HX-Request") else "jobs/job_detail.html"
    from .exports import title_of

    return render(request, template, {"job": job, "title": title_of(job)})


@login_required
def job_download(request, pk):
    job = get_object_or_404(Job.objects.for_user(request.user), pk=pk)
    if job.status != Job.Status.DONE or not job.output_file:
        raise Http404
    return FileResponse(job.output_file.open("rb"), as_attachment=True, filename=job.output_name or None)
