"""A learner's journey through the pages reaches a real LRS (Ralph) as xAPI 1.0.3 statements, in
order, with the right verbs, objects and results; a second delivery run sends nothing more."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from academy.database import db, utcnow
from academy.training import checkin
from academy.training.models import SessionInvite, TrainingSession
from academy.xapi.models import XapiStatement
from tests.learning.conftest import answers_for, lesson_url, quiz_url, token_from

ADL = "http://adlnet.gov/expapi/verbs/"
SITE = "http://localhost"


@pytest.fixture(autouse=True)
def _many_sign_ins(app):
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"


def make_session(course, organiser, invite):
    starts = utcnow() + timedelta(minutes=5)
    session = TrainingSession(
        title="Chuyển đổi số trong cơ quan nhà nước",
        place="Hội trường A",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        hours=3,
        secret=secrets.token_hex(32),
        organiser_id=organiser.id,
        course_id=course.id,
    )
    db.session.add(session)
    db.session.flush()
    db.session.add_all(SessionInvite(session_id=session.id, user_id=u.id) for u in invite)
    db.session.commit()
    return session


def take_quiz(client, course, module, right):
    token = token_from(client.get(quiz_url(course, module)).get_data(as_text=True))
    sent = client.post(
        quiz_url(course, module), data={"token": token, **answers_for(module, right)}
    )
    assert sent.status_code == 302 and "/attempts/" in sent.location


def test_the_lrs_holds_a_learners_journey_in_order(client, auth, make_user, make_course, lrs):
    course = make_course(title="Lãnh đạo bằng dữ liệu", modules=1)
    module = course.modules[0]
    first, second = module.lessons
    learner = make_user(full_name="Trần Văn Học", email="hoc@hvs.gov.vn")
    forgot_phone = make_user(full_name="Phạm Quên Điện Thoại")
    organiser = make_user(full_name="Lê Tổ Chức", roles=("instructor",))
    session = make_session(course, organiser, invite=[learner, forgot_phone])
    course_url = f"{SITE}/courses/{course.slug}"

    auth.login(learner)
    assert client.post(f"/courses/{course.slug}/enrol").status_code == 302
    assert client.get(lesson_url(course, module, first)).status_code == 200
    assert client.get(lesson_url(course, module, second)).status_code == 200
    assert client.get(lesson_url(course, module, second)).status_code == 200  # reread: no statement
    take_quiz(client, course, module, right=False)
    take_quiz(client, course, module, right=True)
    token = checkin.window_token(session, checkin.current_window())
    assert client.post(f"/attend/{session.id}/in/{token}").status_code == 302
    auth.logout()
    auth.login(organiser)
    manual = client.post(
        f"/sessions/{session.id}/attendance/manual",
        data={"user_id": forgot_phone.id, "reason": "Điện thoại hết pin"},
    )
    assert manual.status_code == 302

    held = lrs.statements()
    assert [s["verb"]["id"].removeprefix(ADL) for s in held] == [
        "experienced",
        "experienced",
        "scored",
        "scored",
        "passed",
        "completed",
        "attended",
        "attended",
    ]
    module_url = f"{course_url}/{module.slug}"
    assert [s["object"]["id"] for s in held] == [
        f"{module_url}/{first.slug}",
        f"{module_url}/{second.slug}",
        f"{module_url}/quiz",
        f"{module_url}/quiz",
        module_url,
        course_url,
        f"{SITE}/sessions/{session.id}",
        f"{SITE}/sessions/{session.id}",
    ]
    kinds = [s["object"]["definition"]["type"].rsplit("/", 1)[1] for s in held]
    assert (
        kinds
        == ["lesson", "lesson", "assessment", "assessment", "module", "course"] + ["meeting"] * 2
    )
    assert held[0]["object"]["definition"]["name"] == {"vi-VN": first.title}

    # The learner is an account on this site, by id: no e-mail, no name leaves the platform.
    me = {"objectType": "Agent", "account": {"homePage": SITE, "name": str(learner.id)}}
    assert all(s["actor"] == me for s in held[:7])
    assert held[7]["actor"]["account"]["name"] == str(forgot_phone.id)
    assert "hoc@hvs.gov.vn" not in str(held) and "Trần Văn Học" not in str(held)

    failed, passed = held[2]["result"], held[3]["result"]
    assert failed["score"]["scaled"] == 0 and failed["success"] is False
    assert passed["score"] == {"scaled": 1.0, "raw": 3.0, "min": 0, "max": 3}
    assert passed["success"] is True and passed["duration"].startswith("PT")
    assert held[4]["result"]["success"] is True and held[5]["result"]["completion"] is True

    # The course is the parent of everything in it; the enrolment is the registration.
    for s in held[:5] + held[6:]:
        assert s["context"]["contextActivities"]["parent"][0]["id"] == course_url
    registrations = {s["context"].get("registration") for s in held[:7]}
    assert len(registrations) == 1 and None not in registrations
    assert "registration" not in held[7]["context"]  # not enrolled in the course
    methods = [
        s["context"]["extensions"][f"{SITE}/xapi/extensions/check-in-method"] for s in held[6:]
    ]
    assert methods == ["qr", "manual"]
    stamps = [s["timestamp"] for s in held]
    assert stamps == sorted(stamps) and all(t.endswith("Z") for t in stamps)

    ours = db.session.scalars(select(XapiStatement)).all()
    assert {row.id for row in ours} == {s["id"] for s in held}
    assert {(row.state, row.tries) for row in ours} == {("sent", 1)}

    again = client.application.test_cli_runner().invoke(args=["xapi", "send"])
    assert again.exit_code == 0 and "Đã gửi 0 bản ghi xAPI" in again.output
    assert len(lrs.statements()) == 8


def test_nothing_is_queued_without_an_lrs(app, client, auth, make_user, make_course):
    app.config["XAPI_LRS_URL"] = None
    course = make_course(modules=1)
    module = course.modules[0]
    auth.login(make_user())
    client.post(f"/courses/{course.slug}/enrol")
    assert client.get(lesson_url(course, module, module.lessons[0])).status_code == 200
    take_quiz(client, course, module, right=True)
    assert db.session.scalars(select(XapiStatement)).all() == []
    said = app.test_cli_runner().invoke(args=["xapi", "send"])
    assert said.exit_code == 1 and "Chưa cấu hình kho LRS" in said.output
