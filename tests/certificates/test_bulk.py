"""Bulk ZIP: a background job over a unit subtree and/or course, for its requester only; expires."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from academy.database import db, utcnow
from academy.jobs import Job


def _request(client, unit_id=0, course_id=0):
    return client.post("/certificates/bulk", data={"unit_id": unit_id, "course_id": course_id})


def test_hr_gets_a_zip_of_their_subtree_only(
    client, auth, make_user, make_unit, district, ward, issue, course, learner
):
    mine = issue(learner, course)
    other = issue(make_user(unit=make_unit(name="Sở Y tế")), course)
    auth.login(make_user(roles=("hr",), unit=district))
    response = _request(client, unit_id=district.id)
    assert response.status_code == 302
    status_page = client.get(response.headers["Location"])
    assert status_page.status_code == 200
    job = db.session.scalars(db.select(Job)).one()
    progress = client.get(f"/certificates/bulk/{job.id}.json").json
    assert progress["status"] == "finished" and progress["progress"] == progress["total"] == 1
    with client.get(progress["download_url"]) as download:
        assert download.status_code == 200 and download.mimetype == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert names == ["danh-sach.csv", f"{mine.serial}.pdf"]  # the list, then the PDFs
    assert other.serial not in names


def test_hr_cannot_ask_for_a_unit_outside_their_scope(client, auth, make_user, make_unit, ward):
    auth.login(make_user(roles=("hr",), unit=ward))
    outside = make_unit(name="Sở Xây dựng")
    assert _request(client, unit_id=outside.id).status_code == 400  # not among the offered units
    assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 0


def test_learners_cannot_request_a_zip(client, auth, learner):
    auth.login(learner)
    assert client.get("/certificates/bulk").status_code == 403


def test_someone_elses_job_is_404_and_an_expired_link_is_gone(
    client, auth, make_user, district, issue, learner, course
):
    issue(learner, course)
    auth.login(make_user(roles=("hr",), unit=district))
    location = _request(client, unit_id=district.id).headers["Location"]
    job = db.session.scalars(db.select(Job)).one()
    auth.logout()
    auth.login(make_user(roles=("hr",), unit=district))
    assert client.get(location).status_code == 404
    assert client.get(f"/certificates/bulk/{job.id}.zip").status_code == 404
    auth.logout()
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    job.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    auth.login(job.created_by_id and db.session.get(type(learner), job.created_by_id))
    assert client.get(f"/certificates/bulk/{job.id}.zip").status_code == 410


def test_the_course_choice_offers_published_courses_only(
    client, auth, make_user, make_course, district, issue, learner, course
):
    stranger = make_user(roles=("instructor",))
    draft = make_course(title="Bản nháp của giảng viên khác", status="draft", owner=stranger)
    auth.login(make_user(roles=("hr",), unit=district))
    page = client.get("/certificates/bulk").get_data(as_text=True)
    assert course.title in page and draft.title not in page
    # a draft's id posted by hand is not among the choices: refused, no job
    assert _request(client, unit_id=district.id, course_id=draft.id).status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 0
    assert _request(client, unit_id=district.id, course_id=course.id).status_code == 302
