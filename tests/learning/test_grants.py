"""Extra quiz attempts: instructors (their courses) and HR (their people, mandatory courses) grant
a blocked learner more attempts, with a reason, audited, once per form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from academy.core.audit import AuditEvent
from academy.database import db, utcnow
from academy.learning.grants import GrantError, attempts_left, extra_attempts, grant_attempts
from academy.learning.models import AttemptGrant, ModuleResult
from academy.learning.services import enrol_learner
from academy.reports.assignments import assign_course
from tests.authoring.helpers import login_client
from tests.conftest import PASSWORD, csrf_token_from

REASON = "Mất kết nối mạng trong lúc làm bài"


def once_token(html: str, module) -> str:
    """The one-time token of the grant form for ``module`` on a page."""
    form = html[html.index(f'id="module-{module.id}"') :]
    return re.search(r'name="once_token" value="([^"]+)"', form).group(1)


def used_up(learner, module, attempts=3, best=0.33):
    """The learner took every attempt the limit allows, without passing."""
    db.session.add(
        ModuleResult(
            user_id=learner.id,
            module_id=module.id,
            best_score=best,
            attempts_count=attempts,
            updated_at=utcnow(),
        )
    )
    db.session.commit()


def grants_and_audits():
    return (
        db.session.scalar(select(func.count()).select_from(AttemptGrant)),
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "quiz.attempts.grant")
        ),
    )


@pytest.fixture
def setting(app, make_unit, make_user, make_course):
    """A three-attempt limit; a ward with a learner who used up module 1's attempts, in a course
    owned by an instructor."""
    app.config["QUIZ_MAX_ATTEMPTS"] = 3
    city = make_unit(name="Thành phố", kind="city")
    ward = make_unit(name="Phường Bến Thành", kind="ward", parent=city)
    instructor = make_user(full_name="Lê Giảng Viên", roles=("instructor",), unit=city)
    learner = make_user(full_name="Phạm Thị Lan", unit=ward)
    course = make_course(owner=instructor, title="An toàn thông tin")
    enrol_learner(learner, course)
    db.session.commit()
    module = course.modules[0]
    used_up(learner, module)
    return {
        "city": city,
        "ward": ward,
        "instructor": instructor,
        "learner": learner,
        "course": course,
        "module": module,
    }


def learners_url(s, query=""):
    return f"/authoring/courses/{s['course'].id}/learners{query}"


def learner_url(s):
    return learners_url(s, f"/{s['learner'].id}")


def grant_url(s):
    return learner_url(s) + f"/modules/{s['module'].id}/grant"


def hr_grant_url(s):
    return f"/reports/people/{s['learner'].id}/modules/{s['module'].id}/grant"


def grant_form(s, extra="1", reason=REASON, **more):
    """The grant form for the module, as the browser sends it (field names carry its prefix)."""
    prefix = f"m{s['module'].id}-"
    return {prefix + "extra": extra, prefix + "reason": reason, **more}


def test_instructor_sees_the_blocked_learner_and_grants_attempts(app, setting):
    s = setting
    client = login_client(app, s["instructor"])
    course_page = client.get(f"/authoring/courses/{s['course'].id}").get_data(as_text=True)
    assert f"/authoring/courses/{s['course'].id}/learners" in course_page
    listing = client.get(learners_url(s, "?blocked=1")).get_data(as_text=True)
    assert "Phạm Thị Lan" in listing and "3/3" in listing and "Hết lượt" in listing
    assert attempts_left(s["learner"], s["module"]) == 0

    page = client.get(learner_url(s)).get_data(as_text=True)
    assert 'name="once_token"' in page
    token = once_token(page, s["module"])
    response = client.post(grant_url(s), data=grant_form(s, "2", once_token=token))
    assert response.status_code == 303
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã cấp thêm 2 lượt làm bài cho Phạm Thị Lan" in after
    assert "gồm 2 lượt cấp thêm" in after and REASON in after and "Lê Giảng Viên" in after

    db.session.expire_all()
    grant = db.session.scalar(select(AttemptGrant))
    assert (grant.user_id, grant.module_id, grant.extra, grant.reason, grant.granted_by_id) == (
        s["learner"].id,
        s["module"].id,
        2,
        REASON,
        s["instructor"].id,
    )
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quiz.attempts.grant"))
    assert audit.actor_id == s["instructor"].id
    assert audit.detail == {
        "learner": s["learner"].id,
        "module": s["module"].id,
        "course": s["course"].id,
        "extra": 2,
        "reason": REASON,
    }
    assert extra_attempts(s["learner"], s["module"]) == 2
    assert attempts_left(s["learner"], s["module"]) == 2
    listing = client.get(learners_url(s)).get_data(as_text=True)
    assert "3/5" in listing and "Hết lượt" not in listing
    blocked = client.get(learners_url(s, "?blocked=1")).get_data(as_text=True)
    assert "Phạm Thị Lan" not in blocked


def test_an_instructor_who_is_not_an_author_gets_404_and_writes_nothing(app, setting, make_user):
    s = setting
    other = login_client(app, make_user(roles=("instructor",)))
    assert other.get(learners_url(s)).status_code == 404
    assert other.get(learner_url(s)).status_code == 404
    assert other.post(grant_url(s), data=grant_form(s)).status_code == 404
    assert grants_and_audits() == (0, 0)


def test_a_learner_not_enrolled_in_the_course_is_not_found(app, setting, make_user):
    s = setting
    stranger = make_user(full_name="Người Ngoài")
    client = login_client(app, s["instructor"])
    url = learners_url(s, f"/{stranger.id}/modules/{s['module'].id}/grant")
    assert client.post(url, data=grant_form(s)).status_code == 404
    assert grants_and_audits() == (0, 0)


def test_a_double_submit_grants_once(app, setting):
    s = setting
    client = login_client(app, s["instructor"])
    page = client.get(learner_url(s)).get_data(as_text=True)
    data = grant_form(s, once_token=once_token(page, s["module"]))
    first, second = client.post(grant_url(s), data=data), client.post(grant_url(s), data=data)
    assert first.status_code == 303 and second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert grants_and_audits() == (1, 1)
    assert attempts_left(s["learner"], s["module"]) == 1


@pytest.mark.parametrize(
    "extra, reason, message",
    [
        ("2", "", "Hãy ghi lý do cấp thêm lượt."),
        ("2", "   ", "Lý do phải dài từ 3 đến 500 ký tự."),
        ("2", "ok", "Lý do phải dài từ 3 đến 500 ký tự."),
        ("2", "x" * 501, "Lý do phải dài từ 3 đến 500 ký tự."),
        ("0", REASON, "Số lượt cấp thêm phải từ 1 đến 10."),
        ("11", REASON, "Số lượt cấp thêm phải từ 1 đến 10."),
        ("hai", REASON, "Số lượt cấp thêm phải từ 1 đến 10."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(
    app, setting, extra, reason, message
):
    s = setting
    client = login_client(app, s["instructor"])
    token = "mot-lan-duy-nhat-0001"
    response = client.post(grant_url(s), data=grant_form(s, extra, reason, once_token=token))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and "is-invalid" in page
    assert grants_and_audits() == (0, 0)
    assert attempts_left(s["learner"], s["module"]) == 0
    # the same form, corrected, still goes through: a refused form did not spend its token
    fixed = client.post(grant_url(s), data=grant_form(s, once_token=token))
    assert fixed.status_code == 303 and grants_and_audits() == (1, 1)


def test_a_post_without_the_csrf_token_is_refused(csrf_app, setting):
    s = setting
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post(
        "/login", data={"email": s["instructor"].email, "password": PASSWORD, "csrf_token": token}
    )
    page = client.get(learner_url(s)).get_data(as_text=True)
    name = f"m{s['module'].id}-csrf_token"  # the form's fields carry its module's prefix
    form_token = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(grant_url(s), data=grant_form(s)).status_code == 400
    assert grants_and_audits() == (0, 0)
    assert client.post(grant_url(s), data=grant_form(s, **{name: form_token})).status_code == 303
    assert grants_and_audits() == (1, 1)


def test_hr_grants_to_people_of_its_units_on_mandatory_courses(app, setting, make_user):
    s = setting
    assign_course(s["ward"], s["course"], None)
    db.session.commit()
    hr = make_user(full_name="Võ Nhân Sự", roles=("hr",), unit=s["city"])
    client = login_client(app, hr)
    assert "/reports/people" in client.get("/reports/completion").get_data(as_text=True)
    people = client.get("/reports/people?q=lan&blocked=1").get_data(as_text=True)
    assert "Phạm Thị Lan" in people
    page = client.get(f"/reports/people/{s['learner'].id}/attempts").get_data(as_text=True)
    assert "An toàn thông tin" in page and "Hết lượt" in page
    token = once_token(page, s["module"])
    response = client.post(hr_grant_url(s), data=grant_form(s, once_token=token))
    assert response.status_code == 303
    assert "Đã cấp thêm 1 lượt làm bài cho Phạm Thị Lan" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert grants_and_audits() == (1, 1)
    assert db.session.scalar(select(AttemptGrant.granted_by_id)) == hr.id
    assert attempts_left(s["learner"], s["module"]) == 1


def test_hr_of_another_unit_gets_404(app, setting, make_unit, make_user):
    s = setting
    assign_course(s["ward"], s["course"], None)
    db.session.commit()
    elsewhere = make_unit(name="Xã Bình Chánh", kind="ward", parent=s["city"])
    client = login_client(app, make_user(roles=("hr",), unit=elsewhere))
    assert "Phạm Thị Lan" not in client.get("/reports/people").get_data(as_text=True)
    assert client.get(f"/reports/people/{s['learner'].id}/attempts").status_code == 404
    response = client.post(hr_grant_url(s), data=grant_form(s))
    assert response.status_code == 404
    assert grants_and_audits() == (0, 0)


def test_hr_cannot_grant_on_a_course_that_is_not_mandatory(app, setting, make_user):
    s = setting
    client = login_client(app, make_user(roles=("hr",), unit=s["city"]))
    page = client.get(f"/reports/people/{s['learner'].id}/attempts").get_data(as_text=True)
    assert "An toàn thông tin" not in page and "không có khoá học bắt buộc" in page
    assert "Phạm Thị Lan" in client.get("/reports/people").get_data(as_text=True)
    # blocked, but not on a course mandatory for her: not among those HR can help
    assert "Phạm Thị Lan" not in client.get("/reports/people?blocked=1").get_data(as_text=True)
    response = client.post(hr_grant_url(s), data=grant_form(s))
    assert response.status_code == 403
    assert grants_and_audits() == (0, 0)


def test_grant_service_checks_its_input_and_unlimited_means_none(app, setting):
    s = setting
    with pytest.raises(GrantError) as error:
        grant_attempts(s["learner"], s["module"], 3, " ", s["instructor"])
    assert error.value.field == "reason"
    db.session.rollback()
    grant_attempts(s["learner"], s["module"], 1, REASON, s["instructor"])
    grant_attempts(s["learner"], s["module"], 4, REASON, s["instructor"])
    db.session.commit()
    assert extra_attempts(s["learner"], s["module"]) == 5
    assert extra_attempts(s["learner"], s["course"].modules[1]) == 0
    assert attempts_left(s["learner"], s["module"]) == 5  # 3 + 5 allowed, 3 used
    assert attempts_left(s["learner"], s["course"].modules[1]) == 3  # not started
    app.config["QUIZ_MAX_ATTEMPTS"] = 0
    assert attempts_left(s["learner"], s["module"]) is None
