"""Finding things (issue 14, point 9) and long reports as jobs (point 12).

People are found whatever the case and accents on every page that searches them; HR reaches each
of its pages from the navigation; "my report jobs" lists one's own jobs; a large PDF report is a
background job whose page shows progress and whose file only its owner can download.
"""

from __future__ import annotations

import io
import logging
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from academy import jobs as job_queue
from academy.certificates.services import issue_certificate
from academy.core.audit import AuditEvent, record_audit
from academy.database import db, utcnow
from academy.jobs import Job, export_file
from academy.learning.models import Enrollment
from academy.reports import jobs as report_jobs
from academy.reports.jobs import JOB_KIND, PROGRESS_LOGGER, pages_laid_out

DO = "Đỗ Thị Hà"
DUC = "Nguyễn Văn Đức"
TAM = "Trần Minh Tâm"  # found by none of the searches below

SEARCHES = [
    ("đỗ", {DO}),
    ("ĐỖ", {DO}),
    ("do", {DO}),
    ("Do", {DO}),
    ("Đỗ", {DO}),
    ("nguyen van duc", {DUC}),
    ("van duc", {DUC}),
    ("NGUYỄN VĂN ĐỨC", {DUC}),
    ("duc nguyen", {DUC}),  # every word, in any order
    ("tam do", set()),  # every word must be there
]


@pytest.fixture
def people(make_unit, make_user):
    """Three people in a ward of the city, e-mails and codes that give nothing away."""
    city = make_unit("Thành phố", kind="city", code="TP")
    ward = make_unit("Phường Tân Định", parent=city, kind="ward", code="TD")
    planted = {
        name: make_user(
            full_name=name, unit=ward, email=f"p{n}@hvs.gov.vn", employee_code=f"MK-{n}"
        )
        for n, name in enumerate((DO, DUC, TAM), start=1)
    }
    return type("People", (), dict(city=city, ward=ward, by_name=planted))


def found_on(page: str) -> set[str]:
    return {name for name in (DO, DUC, TAM) if name in page}


def _found(client, url: str, field: str, searches=SEARCHES) -> dict[str, set[str]]:
    """{term: the planted people the page shows for it} for each term of ``searches``."""
    found = {}
    for term, _expected in searches:
        response = client.get(url, query_string={field: term})
        assert response.status_code == 200, (term, response.status_code)
        found[term] = found_on(response.get_data(as_text=True))
    return found


def _expected(searches=SEARCHES) -> dict[str, set[str]]:
    return dict(searches)


def test_hr_people_page_finds_vietnamese_names_whatever_case_and_accents(
    client, auth, make_user, people
):
    auth.login(make_user(full_name="Phạm Thu Hương", roles=("hr",), unit=people.city))
    assert _found(client, "/reports/people", "q") == _expected()


def test_admin_users_page_finds_vietnamese_names_whatever_case_and_accents(
    client, auth, make_user, people
):
    auth.login(make_user(full_name="Quản trị viên", roles=("admin",)))
    assert _found(client, "/admin/users", "q") == _expected()


def test_certificate_admin_list_finds_holders_whatever_case_and_accents(
    client, auth, make_user, make_course, people
):
    course = make_course()
    for person in people.by_name.values():
        db.session.add(Enrollment(user_id=person.id, course_id=course.id, completed_at=utcnow()))
        issue_certificate(person, course)
    db.session.commit()
    auth.login(make_user(full_name="Quản trị viên", roles=("admin",)))
    assert _found(client, "/admin/certificates", "q") == _expected()


def test_instructor_learners_page_finds_learners_whatever_case_and_accents(
    client, auth, make_user, make_course, people
):
    instructor = make_user(full_name="Giảng viên", roles=("instructor",))
    course = make_course(owner=instructor)
    for person in people.by_name.values():
        db.session.add(Enrollment(user_id=person.id, course_id=course.id))
    db.session.commit()
    auth.login(instructor)
    url = f"/authoring/courses/{course.id}/learners"
    assert _found(client, url, "q") == _expected()


def test_audit_log_person_filter_finds_actors_whatever_case_and_accents(
    client, auth, make_user, people
):
    for person in people.by_name.values():
        record_audit("report.download", target="completion.csv", actor=person)
    db.session.commit()
    auth.login(make_user(full_name="Quản trị viên", roles=("admin",)))
    assert _found(client, "/admin/audit", "actor") == _expected()


# ---- navigation --------------------------------------------------------------------------------

HR_PAGES = [
    "/dashboard",
    "/reports/matrix",
    "/reports/completion",
    "/reports/warnings",
    "/reports/assignments",
    "/reports/people",
    "/certificates/bulk",
    "/reports/jobs",
]
ADMIN_ONLY = ["/admin/certificates", "/admin/audit"]


def _nav(client, url: str = "/me/certificates") -> str:
    page = client.get(url).get_data(as_text=True)
    return page[page.index('id="mainnav"') : page.index("</nav>")]


def _links(html: str) -> set[str]:
    return {href.split("?")[0] for href in re.findall(r'href="([^"]+)"', html)}


def test_navigation_reaches_every_hr_page_for_hr(client, auth, make_user, people):
    auth.login(make_user(roles=("hr",), unit=people.ward))
    nav = _nav(client)
    links = _links(nav)
    assert set(HR_PAGES) <= links
    assert not set(ADMIN_ONLY) & links
    assert "Nhân sự" in nav and "/me/transcript" in links
    for url in HR_PAGES:  # and each page it links opens
        assert client.get(url).status_code == 200, url


def test_navigation_adds_certificates_and_audit_log_for_admins(client, auth, make_user):
    auth.login(make_user(roles=("admin",)))
    links = _links(_nav(client))
    assert set(HR_PAGES + ADMIN_ONLY) <= links
    for url in ADMIN_ONLY:
        assert client.get(url).status_code == 200, url


def test_navigation_shows_a_learner_no_hr_page(client, auth, make_user):
    auth.login(make_user())
    nav = _nav(client)
    links = _links(nav)
    assert not set(HR_PAGES + ADMIN_ONLY) & links
    assert "Nhân sự" not in nav
    assert "/me/transcript" in links and "Hồ sơ học tập của tôi" in nav


def test_the_current_hr_page_is_marked_in_the_menu(client, auth, make_user, people):
    auth.login(make_user(roles=("hr",), unit=people.ward))
    nav = _nav(client, "/reports/people")
    assert re.search(
        r'class="dropdown-item active" href="/reports/people" aria-current="page"', nav
    )


def test_bulk_zip_lives_with_hr_and_admin_pages_not_under_my_certificates(client, auth, make_user):
    auth.login(make_user(roles=("admin",)))
    mine = client.get("/me/certificates").get_data(as_text=True)
    assert "/certificates/bulk" not in mine[mine.index("<main") :]
    listing = client.get("/admin/certificates").get_data(as_text=True)
    assert "/certificates/bulk" in listing[listing.index("<main") :]


# ---- my report jobs ----------------------------------------------------------------------------


def _job(owner, *, kind=JOB_KIND, fmt="xlsx", status="finished", created=None, **values) -> Job:
    job = Job(
        kind=kind,
        params={"format": fmt} if kind == JOB_KIND else {"unit_id": None},
        status=status,
        created_by_id=owner.id,
        created_at=created or utcnow(),
        **values,
    )
    db.session.add(job)
    db.session.commit()
    return job


def _file(name: str, size: int) -> str:
    path = export_file(name)
    with open(path, "wb") as out:
        out.write(b"x" * size)
    return path


def _row(page: str, job: Job) -> str:
    start = page.index(f'data-job="{job.id}"')
    return page[start : page.index("</tr>", start)]


def test_my_jobs_lists_my_jobs_with_status_size_and_local_times(client, auth, make_user, people):
    me = make_user(roles=("hr",), unit=people.ward)
    other = make_user(roles=("hr",), unit=people.ward)
    # 17:30 UTC on 1 March is 00:30 on 2 March in Hà Nội / Hồ Chí Minh (UTC+7)
    asked = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
    ready = _job(
        me,
        created=asked,
        progress=1200,
        total=1200,
        result_path=_file("ready.xlsx", 2560),
        expires_at=utcnow() + timedelta(hours=5),
        finished_at=utcnow(),
    )
    laying_out = _job(me, fmt="pdf", status="running", progress=12, total=0)
    failed = _job(me, fmt="pdf", status="failed", error="boom")
    expired = _job(
        me, result_path=_file("old.xlsx", 10), expires_at=utcnow() - timedelta(minutes=1)
    )
    zipped = _job(
        me,
        kind="certificates.zip",
        progress=3,
        total=3,
        result_path=_file("c.zip", 3 * 1024 * 1024),
        expires_at=utcnow() + timedelta(hours=1),
    )
    theirs = _job(other)
    auth.login(me)
    page = client.get("/reports/jobs").get_data(as_text=True)

    assert theirs.id not in page
    row = _row(page, ready)
    assert "Báo cáo hoàn thành (XLSX)" in row and "Đã xong" in row
    assert "00:30 2/3/26" in row and "17:30" not in row  # local time
    assert "2,5 KB" in row and "1.200 / 1.200 dòng" in row
    assert f"/reports/jobs/{ready.id}/download" in row and "Tải về" in row
    row = _row(page, laying_out)
    assert "Báo cáo hoàn thành (PDF)" in row and "Đang tạo" in row and "12 trang" in row
    assert "/download" not in row
    assert "Không tạo được" in _row(page, failed)
    row = _row(page, expired)
    assert "Đã hết hạn" in row and "/download" not in row
    row = _row(page, zipped)
    assert "Giấy chứng nhận hàng loạt (ZIP)" in row and "3 MB" in row
    assert f"/certificates/bulk/{zipped.id}.zip" in row
    # newest first: the one asked in March 2026 comes last
    assert page.index(f'data-job="{zipped.id}"') < page.index(f'data-job="{ready.id}"')


def test_my_jobs_is_paginated_newest_first(client, auth, make_user, people):
    me = make_user(roles=("hr",), unit=people.ward)
    start = utcnow() - timedelta(days=30)
    made = [_job(me, created=start + timedelta(hours=n)) for n in range(23)]
    auth.login(me)
    first = client.get("/reports/jobs").get_data(as_text=True)
    second = client.get("/reports/jobs?page=2").get_data(as_text=True)
    assert made[-1].id in first and made[0].id not in first
    assert made[0].id in second and made[-1].id not in second
    assert 'href="/reports/jobs?page=2"' in first


def test_my_jobs_is_for_hr_only(client, auth, make_user):
    auth.login(make_user())
    assert client.get("/reports/jobs").status_code == 403


# ---- a large PDF is a job ----------------------------------------------------------------------


def _download(client, url: str):
    """The body and headers of a file download (the response closed, so is its file)."""
    with client.get(url) as response:
        assert response.status_code == 200, response.status_code
        return response.get_data(), response.headers


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_large_pdf_becomes_a_job_whose_file_only_its_owner_downloads(
    app, client, auth, city, make_user
):
    app.config["REPORT_PDF_SYNC_MAX_ROWS"] = 1  # Bến Nghé's two rows are "large"
    auth.login(city.hr_bn)
    response = client.get("/reports/completion.pdf")
    assert response.status_code == 302 and "/reports/jobs/" in response.location
    job_url = response.location
    job_page = client.get(job_url).get_data(as_text=True)
    assert "Báo cáo hoàn thành khoá học (PDF)" in job_page and "Tải tệp PDF" in job_page
    assert re.search(r"Tệp đã sẵn sàng \(\d+ trang\)", job_page)

    data, headers = _download(client, job_url + "/download")
    assert headers["Content-Type"] == "application/pdf"
    assert re.search(
        r'filename="?bao-cao-hoan-thanh-\d{8}-\d{4}\.pdf', headers["Content-Disposition"]
    )
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert "Nguyễn Văn Ánh" in text and "Trần Thị Bình" in text and "Lê Văn Cường" not in text

    job = db.session.get(Job, job_url.rsplit("/", 1)[-1])
    assert job.total == len(PdfReader(io.BytesIO(data)).pages)  # pages counted as laid out
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "report.download").order_by(AuditEvent.id)
    ).all()
    assert [(e.target, e.detail["via"]) for e in events] == [
        ("completion.pdf", "job"),
        ("completion.pdf", "job file"),
    ]
    listing = client.get("/reports/jobs").get_data(as_text=True)
    assert "Báo cáo hoàn thành (PDF)" in _row(listing, job)

    auth.logout()
    auth.login(make_user(roles=("hr",), unit=city.ben_nghe))  # same unit, not the owner
    assert client.get(job_url).status_code == 404
    assert client.get(job_url + "/download").status_code == 404
    assert job.id not in client.get("/reports/jobs").get_data(as_text=True)


def test_large_pdf_request_returns_before_the_report_is_made(app, client, auth, city, monkeypatch):
    """Not eager (as in production without Redis): the request queues the job and answers; the
    PDF is laid out afterwards, on the worker thread."""
    app.config.update(REPORT_PDF_SYNC_MAX_ROWS=1, JOBS_EAGER=False)
    started = []

    class NotYet:  # holds the worker thread back until the test runs it
        def __init__(self, target, args, daemon):
            started.append((target, args))

        def start(self):
            pass

    monkeypatch.setattr(job_queue.threading, "Thread", NotYet)
    auth.login(city.admin)
    response = client.get("/reports/completion.pdf")
    assert response.status_code == 302
    job_id = response.location.rsplit("/", 1)[-1]
    waiting = client.get(response.location).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="5">' in waiting
    assert "Đang chờ đến lượt" in waiting
    assert client.get(response.location + "/download").status_code == 404

    [(target, args)] = started
    target(*args)  # the worker thread's work
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == "finished"
    done = client.get(response.location).get_data(as_text=True)
    assert "http-equiv" not in done and "Tải tệp PDF" in done
    assert _download(client, response.location + "/download")[0][:4] == b"%PDF"


@pytest.mark.parametrize(
    "progress,total,says",
    [
        (0, 0, "Đang đọc dữ liệu và chuẩn bị dàn trang PDF."),
        (37, 0, "Đang dàn trang PDF: đã xong 37 trang."),
        (138, 138, "Đã dàn xong 138 trang; đang ghi tệp PDF."),
    ],
)
def test_running_pdf_job_page_shows_its_stage_and_refreshes(
    client, auth, city, progress, total, says
):
    job = _job(city.hr_bn, fmt="pdf", status="running", progress=progress, total=total)
    auth.login(city.hr_bn)
    page = client.get(f"/reports/jobs/{job.id}").get_data(as_text=True)
    assert says in page and '<meta http-equiv="refresh" content="5">' in page
    assert "<script>" not in page  # nothing inline: the Content-Security-Policy forbids it


def test_small_pdf_still_downloads_at_once(client, auth, city):
    auth.login(city.hr_bn)
    response = client.get("/reports/completion.pdf")
    assert response.status_code == 200 and response.get_data()[:4] == b"%PDF"
    assert db.session.scalar(select(Job.id)) is None


def test_xlsx_job_download_is_an_xlsx_file(app, client, auth, city):
    app.config["REPORT_XLSX_SYNC_MAX_ROWS"] = 1
    auth.login(city.hr_bn)
    location = client.get("/reports/completion.xlsx").location
    data, headers = _download(client, location + "/download")
    assert headers["Content-Type"] == report_jobs.MIMETYPES["xlsx"]
    assert ".xlsx" in headers["Content-Disposition"] and data[:2] == b"PK"


def test_expired_job_page_says_so_and_offers_no_download(client, auth, city):
    path = _file("gone.pdf", 10)
    job = _job(city.hr_bn, fmt="pdf", result_path=path, expires_at=utcnow() - timedelta(hours=1))
    auth.login(city.hr_bn)
    page = client.get(f"/reports/jobs/{job.id}").get_data(as_text=True)
    assert "đã hết hạn" in page and "/download" not in page
    assert client.get(f"/reports/jobs/{job.id}/download").status_code == 404
    assert os.path.exists(path)  # the sweep on the next job removes it, not the page


def test_pages_are_heard_as_weasyprint_lays_them_out(app):
    from weasyprint import HTML  # noqa: PLC0415 - 2 s to import: only this test needs it

    heard = []
    with pages_laid_out(heard.append, lambda: heard.append("done")):
        data = HTML(string="<p>Trang</p>" * 300).write_pdf()
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert pages > 3 and heard == [*range(1, pages + 1), "done"]
    HTML(string="<p>Sau</p>").write_pdf()  # nobody listening any more
    assert len(heard) == pages + 1
    assert not PROGRESS_LOGGER.filters and PROGRESS_LOGGER.level == logging.NOTSET  # as before
