"""A person's report jobs: the large reports and certificate ZIPs they asked for, newest first."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from academy.auth.access import roles_required
from academy.reports import jobs
from academy.reports.views import bp


@bp.get("/reports/jobs")
@roles_required("hr")
def my_jobs():
    page = jobs.my_jobs(current_user, request.args.get("page", 1, type=int))
    rows = [jobs.describe_job(job) for job in page.items]
    return render_template("reports/my_jobs.html", page=page, rows=rows, size=jobs.readable_size)
