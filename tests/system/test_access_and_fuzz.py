"""Who may open what: every role and an anonymous visitor against every route that names an
object; and every form and URL parameter fuzzed with hypothesis, with zero 500s."""

from __future__ import annotations

import json
import re
import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from academy.api.models import ApiToken
from academy.auth.models import Unit, User
from academy.catalog.models import Course, CourseAuthor
from academy.certificates.models import Certificate
from academy.database import utcnow
from academy.learning.models import Assignment, QuizAttempt
from academy.notify.models import Notification
from academy.training.calendar import feed_token
from academy.training.models import (
    ExternalTraining,
    HoursRequirement,
    SessionInvite,
    TrainingSession,
    UnitTarget,
)
from tests.authoring.helpers import PNG_1PX
from tests.e2e.flows import COURSE, course_answers, enrol_http, pass_quiz_http
from tests.live_fixtures import running_site
from tests.live_server import HttpSession, csrf_token_in
from tests.system.routes import all_routes, build_path, object_rules

pytestmark = pytest.mark.slow


# ---- access matrix ---------------------------------------------------------------------------
#
# Every route whose URL names an object, for every role and an anonymous visitor, by GET and by
# POST. Everyone POSTs with a valid CSRF token (taken from a page they can open), so a refusal comes
# from the permission check, never from the CSRF guard. GETs open the course owner's draft, so
# editors get the real pages; POSTs go to the published course, whose editors are sent to the draft
# (303) before anything is written, and carry nothing but the token (or one invalid field,
# INVALID_FORM), so an allowed POST shows that the permission check let it through and changes
# nothing that matters: an empty form is a 400, a publish with no draft a 303, removing someone who
# is not a co-author a no-op, enrolling or marking a lesson done only what it says. Only the HR
# assignment is really deleted, and assigned again for the next cell; the test checks that the rest
# is as it was.

ROLES = (
    "anonymous",
    "owner",
    "other learner",
    "other instructor",
    "co-author",
    "course owner",
    "hr of the ward",
    "hr of another ward",
    "admin",
)
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
EDITORS = frozenset({"course owner", "co-author", "admin"})
COURSE_OWNER = frozenset({"course owner", "admin"})
OWNER, ADMIN = frozenset({"owner", "admin"}), frozenset({"admin"})
HR_OF_THE_WARD = frozenset({"hr of the ward", "admin"})
INVITED = frozenset({"owner", "other learner", "hr of the ward"})  # all three are in ward A
JOB_CREATOR = frozenset(
    {"hr of the ward"}
)  # a download job is its creator's alone; admins get 404 too
DRAFT = " · draft"  # the same route on the course owner's draft course instead of the published one

# route → who may use it (GET and POST alike); all others get 403/404, anonymous the sign-in page
ALLOWED = {
    "/verify/<code>": EVERYONE,
    # the Open Badges credential: public to whoever holds the verify code, like the verify page
    "/verify/<code>/open-badge.<any(json, jwt):fmt>": EVERYONE,
    "/credentials/status/<int:list_number>": EVERYONE,  # a revocation list, public by design
    # single-use links: anyone holding one may use it; a made-up one is 410 for everyone
    "/account/activate/<token>": EVERYONE,
    "/account/reset/<token>": EVERYONE,
    "/invitations/<int:user_id>": HR_OF_THE_WARD,
    "/courses/<slug>": SIGNED_IN,
    "/courses/<slug>" + DRAFT: EDITORS,
    "/courses/<slug>/enrol": SIGNED_IN,
    "/courses/<slug>/complete": frozenset({"owner"}),  # only who completed it; admins too get 404
    "/courses/<slug>/enrol" + DRAFT: EDITORS,
    "/courses/<slug>/<module_slug>/<lesson_slug>": SIGNED_IN,
    "/courses/<slug>/<module_slug>/<lesson_slug>" + DRAFT: EDITORS,
    "/courses/<slug>/<module_slug>/<lesson_slug>/done": SIGNED_IN,
    "/courses/<slug>/<module_slug>/<lesson_slug>/done" + DRAFT: EDITORS,
    "/courses/<slug>/<module_slug>/quiz": SIGNED_IN,
    "/courses/<slug>/<module_slug>/quiz" + DRAFT: EDITORS,
    "/me/placement/<track>": SIGNED_IN,
    "/media/<name>": SIGNED_IN,
    "/attempts/<int:attempt_id>": OWNER,
    "/notifications/<int:notification_id>": frozenset({"owner"}),  # admins too get 404
    # the ward HR's session, inviting ward A (the owner, the other learner and the ward's HR)
    "/sessions/<int:session_id>": INVITED | ADMIN,
    "/sessions/<int:session_id>/answer": INVITED,  # an empty answer is a 400
    "/sessions/<int:session_id>/edit": HR_OF_THE_WARD,  # its organiser; an empty form is a 400
    "/sessions/<int:session_id>/cancel": HR_OF_THE_WARD,  # a POST without "confirm" is a 400
    "/sessions/<int:session_id>/checkin": HR_OF_THE_WARD,
    "/sessions/<int:session_id>/checkin.json": HR_OF_THE_WARD,
    "/sessions/<int:session_id>/attendance": HR_OF_THE_WARD,
    "/sessions/<int:session_id>/attendance/manual": HR_OF_THE_WARD,
    # invitees only (others are refused, 403); a made-up code is 410 for them
    "/attend/<int:session_id>/<any(in, out):direction>/<token>": INVITED,
    "/calendar/<token>.ics": EVERYONE,  # the owner's feed: the token is the key, no sign-in
    # the API takes bearer tokens only: a session cookie is refused (401 problem) for everyone
    "/api/v1/units/<int:unit_id>": frozenset(),
    "/api/v1/people/<int:person_id>": frozenset(),
    "/api/v1/people/<int:person_id>/progress": frozenset(),
    "/me/api-tokens/<int:token_id>/revoke": OWNER,  # the owner's API token; others get 404
    "/hours/people/<int:user_id>": HR_OF_THE_WARD,
    "/hours/people/<int:user_id>/external": HR_OF_THE_WARD,
    "/hours/external/<int:record_id>/document": OWNER | HR_OF_THE_WARD,
    "/hours/requirements/<int:requirement_id>": ADMIN,  # and HR of the city, not in the matrix
    "/targets/<int:target_id>/edit": HR_OF_THE_WARD,  # set by the ward's HR
    "/targets/<int:target_id>/delete": HR_OF_THE_WARD,
    "/evaluation/jobs/<job_id>": JOB_CREATOR,
    "/evaluation/jobs/<job_id>/download": JOB_CREATOR,
    "/certificates/<serial>.pdf": OWNER | HR_OF_THE_WARD,
    "/certificates/<serial>/open-badge.<any(json, jwt):fmt>": OWNER | HR_OF_THE_WARD,
    "/certificates/bulk/<job_id>": JOB_CREATOR,
    "/certificates/bulk/<job_id>.json": JOB_CREATOR,
    "/certificates/bulk/<job_id>.zip": JOB_CREATOR,
    "/reports/jobs/<job_id>": JOB_CREATOR,
    "/reports/jobs/<job_id>/download": JOB_CREATOR,
    "/reports/assignments/<int:assignment_id>/delete": HR_OF_THE_WARD,
    "/reports/people/<int:user_id>/attempts": HR_OF_THE_WARD,
    "/reports/people/<int:user_id>/transcript": HR_OF_THE_WARD,
    "/reports/people/<int:user_id>/transcript.pdf": HR_OF_THE_WARD,
    "/reports/people/<int:user_id>/modules/<int:module_id>/grant": HR_OF_THE_WARD,
    "/authoring/courses/<int:course_id>": EDITORS,
    "/authoring/courses/<int:course_id>/settings": EDITORS,
    "/authoring/courses/<int:course_id>/draft": EDITORS,
    "/authoring/courses/<int:course_id>/publish": EDITORS,
    "/authoring/courses/<int:course_id>/discard": EDITORS,
    "/authoring/courses/<int:course_id>/authors": COURSE_OWNER,
    "/authoring/courses/<int:course_id>/authors/<int:user_id>/remove": COURSE_OWNER,
    "/authoring/courses/<int:course_id>/media": EDITORS,
    "/authoring/courses/<int:course_id>/stats": EDITORS,
    "/authoring/courses/<int:course_id>/learners": EDITORS,
    "/authoring/courses/<int:course_id>/learners/<int:user_id>": EDITORS,
    (
        "/authoring/courses/<int:course_id>/learners/<int:user_id>/modules/<int:module_id>/grant"
    ): EDITORS,
    "/authoring/courses/<int:course_id>/export.zip": EDITORS,
    "/authoring/courses/<int:course_id>/modules/new": EDITORS,
    "/authoring/courses/<int:course_id>/modules/<int:module_id>": EDITORS,
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/move": EDITORS,
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/delete": EDITORS,
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/lessons/new": EDITORS,
    "/authoring/courses/<int:course_id>/lessons/<int:lesson_id>": EDITORS,
    "/authoring/courses/<int:course_id>/lessons/<int:lesson_id>/move": EDITORS,
    "/authoring/courses/<int:course_id>/lessons/<int:lesson_id>/delete": EDITORS,
    "/authoring/courses/<int:course_id>/lessons/<int:lesson_id>/preview": EDITORS,
    "/authoring/courses/<int:course_id>/lessons/<int:lesson_id>/history": EDITORS,
    "/authoring/courses/<int:course_id>/lessons/<int:lesson_id>/restore/<int:number>": EDITORS,
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/quiz": EDITORS,
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/quiz/new": EDITORS,
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/quiz/text": EDITORS,
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/quiz/<int:question_id>": EDITORS,
    (
        "/authoring/courses/<int:course_id>/modules/<int:module_id>/quiz/<int:question_id>/delete"
    ): EDITORS,
    "/admin/users/<int:user_id>": ADMIN,
    "/admin/units/<int:unit_id>": ADMIN,
    "/admin/certificates/<int:certificate_id>/revoke": ADMIN,
    "/admin/certificates/<int:certificate_id>/reissue": ADMIN,
}
ASSIGNMENT_DELETE = "/reports/assignments/<int:assignment_id>/delete"
# What a POST carries besides the CSRF token where an empty form would be valid and change things:
# an edit form starts from the record, and a field left out means "empty" (an unticked "active"
# box).
INVALID_FORM = {
    "/admin/users/<int:user_id>": {"email": "không phải email"},
    "/admin/units/<int:unit_id>": {"code": ""},
}


@pytest.fixture(scope="module")
def matrix_site(tmp_path_factory):
    """Its own site: the matrix makes a draft, jobs and an assignment, and allowed POSTs really run.
    Jobs run inside the request, and every XLSX report is made as a background job."""
    with running_site(
        tmp_path_factory.mktemp("matrix"),
        "matrix",
        workers=2,
        demo_learners=0,
        JOBS_EAGER=True,
        REPORT_XLSX_SYNC_MAX_ROWS=0,
        EVALUATION_PDF_SYNC_MAX_PEOPLE=0,
    ) as live:
        yield live


@dataclass
class Matrix:
    site: object
    sessions: dict  # role → HttpSession (signed in unless anonymous)
    tokens: dict  # role → a CSRF token of that session
    get_values: dict  # URL argument → value, for GETs (the draft course)
    post_values: dict  # the same for POSTs (the published course)
    rules: dict  # rule text → werkzeug Rule, for every route that names an object

    def path(self, key: str, method: str) -> str:
        rule = key.removesuffix(DRAFT)
        values = dict(self.post_values if method == "POST" else self.get_values)
        if key.endswith(DRAFT):
            values["slug"] = values["draft_slug"]
        if rule.endswith("/authors/<int:user_id>/remove"):
            values["user_id"] = values[
                "not_a_coauthor_id"
            ]  # removing someone who is not a co-author: a no-op
        if rule.startswith("/reports/jobs/"):
            values["job_id"] = values["report_job_id"]
        if rule.startswith("/evaluation/jobs/"):
            values["job_id"] = values["evaluation_job_id"]
        if rule.startswith("/calendar/"):
            values["token"] = values["calendar_token"]
        if rule.startswith("/attend/"):
            values["token"] = "1-Zm9yZ2VkY29kZQ"  # a code of a long-gone window
        if rule.startswith("/targets/"):
            values["target_id"] = self.target_id()
        if rule == ASSIGNMENT_DELETE:
            values["assignment_id"] = self.assignment_id()
        if rule.startswith("/reports/people/"):
            self.assignment_id()  # HR grants attempts on the ward's mandatory courses only
        return build_path(self.rules[rule], values)

    def assignment_id(self) -> int:
        """The HR's assignment of the course to the ward, assigned (again) if a cell deleted it."""
        unit, course = self.get_values["unit_id"], self.post_values["course_id"]
        with self.site.db() as session:
            found = session.scalar(
                select(Assignment.id).where(
                    Assignment.unit_id == unit,
                    Assignment.course_id == course,
                    Assignment.cancelled_at.is_(None),  # a cancelled mandate is assigned again
                )
            )
        if found is not None:
            return found
        response = self.sessions["hr of the ward"].post(
            "/reports/assignments",
            {
                "unit": unit,
                "course": course,
                "due_date": "2030-12-31",
                "confirm": "Xác nhận giao",  # the second step of the form (the first previews)
                "csrf_token": self.tokens["hr of the ward"],
            },
        )
        assert response.status == 302, response.status
        return self.assignment_id()

    def target_id(self) -> int:
        """The ward HR's target for the ward, set again if a cell deleted it."""
        with self.site.db() as session:
            hr = session.get(User, self.get_values["hr_id"])
            target = session.scalar(
                select(UnitTarget).where(
                    UnitTarget.unit_id == hr.unit_id, UnitTarget.created_by_id == hr.id
                )
            )
            if target is None:
                year = utcnow().year
                target = UnitTarget(
                    unit_id=hr.unit_id,
                    year=year,
                    kind="average_hours",
                    target=40.0,
                    due_on=date(year, 12, 31),
                    created_by_id=hr.id,
                )
                session.add(target)
                session.commit()
            return target.id


def _training(site, emails: dict, http: HttpSession, token: str) -> dict:
    """The ward HR's session (open for check-in, inviting ward A), an external training of the
    owner with its document, a requirement, an evaluation PDF job and the owner's calendar key."""
    with site.db() as session:
        hr = session.scalar(select(User).where(User.email == emails["hr of the ward"]))
        owner = session.scalar(select(User).where(User.email == emails["owner"]))
        now = utcnow()
        meeting = TrainingSession(
            title="Hội nghị quán triệt nghị quyết",
            place="Hội trường phường",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(days=2),
            hours=4,
            secret=secrets.token_hex(32),
            organiser_id=hr.id,
        )
        session.add(meeting)
        session.flush()
        session.add(SessionInvite(session_id=meeting.id, unit_id=hr.unit_id))
        requirement = HoursRequirement(position="Chuyên viên chính", hours=60)
        session.add(requirement)
        session.commit()
        values = {
            "session_id": meeting.id,
            "requirement_id": requirement.id,
            "calendar_token": feed_token(owner),
            "direction": "in",
            "hr_id": hr.id,
        }
        owner_id = owner.id
    recorded = http.post_files(
        f"/hours/people/{owner_id}/external",
        {
            "csrf_token": token,
            "title": "Bồi dưỡng kiến thức quốc phòng",
            "provider": "Trường Chính trị thành phố",
            "hours": "8",
            "completed_on": (utcnow() - timedelta(days=3)).date().isoformat(),
        },
        {"document": ("giay-chung-nhan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
    )
    evaluation = http.get("/evaluation.pdf")
    assert recorded.status in (302, 303) and evaluation.status == 302, (
        recorded.status,
        recorded.text[:300],
        evaluation.status,
    )
    with site.db() as session:
        values["record_id"] = session.scalar(
            select(ExternalTraining.id).where(ExternalTraining.user_id == owner_id)
        )
    values["evaluation_job_id"] = evaluation.headers["Location"].rsplit("/", 1)[1]
    return values


def _people(site) -> dict[str, str | None]:
    """role → email: an owner and another learner in ward A, instructors, HR of wards A and B."""
    with site.db() as session:
        ward_a, ward_b = session.scalars(
            select(Unit.code).where(Unit.kind == "ward").order_by(Unit.id)
        ).all()[:2]
    return {
        "anonymous": None,
        "owner": site.add_user(unit_code=ward_a, full_name="Chủ Sở Hữu"),
        "other learner": site.add_user(unit_code=ward_a, full_name="Người Khác"),
        "other instructor": site.add_user(roles=("instructor",), full_name="Giảng Viên Khác"),
        "co-author": site.add_user(roles=("instructor",), full_name="Đồng Tác Giả"),
        "course owner": "giangvien@hvs.gov.vn",
        "hr of the ward": site.add_user(
            roles=("hr",), unit_code=ward_a, full_name="Tổ Chức Phường A"
        ),
        "hr of another ward": site.add_user(
            roles=("hr",), unit_code=ward_b, full_name="Tổ Chức Phường B"
        ),
        "admin": "quantri@hvs.gov.vn",
    }


def _made_by_the_course_owner(http: HttpSession, token: str, course_id: int, coauthor: str) -> dict:
    """A co-author, a draft of the published course, an image uploaded to it."""
    added = http.post(
        f"/authoring/courses/{course_id}/authors", {"csrf_token": token, "email": coauthor}
    )
    draft = http.post(f"/authoring/courses/{course_id}/draft", {"csrf_token": token})
    assert added.status == draft.status == 303
    draft_id = int(draft.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    upload = http.post_files(
        f"/authoring/courses/{draft_id}/media",
        {"csrf_token": token},
        {"file": ("anh.png", PNG_1PX, "image/png")},
    )
    assert upload.status == 201, upload.text[:300]
    return {"draft_id": draft_id, "name": json.loads(upload.text)["url"].rsplit("/", 1)[1]}


def _made_by_the_hr(http: HttpSession, token: str, unit_id: int) -> dict:
    """A bulk certificate ZIP of the ward and a completion report (XLSX, as a background job)."""
    bulk = http.post(
        "/certificates/bulk", {"csrf_token": token, "unit_id": str(unit_id), "course_id": "0"}
    )
    report = http.get("/reports/completion.xlsx")
    assert bulk.status == report.status == 302, (bulk.status, report.status)
    return {
        "job_id": bulk.headers["Location"].rsplit("/", 1)[1],
        "report_job_id": report.headers["Location"].rsplit("/", 1)[1],
    }


def _url_values(site, emails: dict, made: dict) -> tuple[dict, dict]:
    """Values of the URL arguments (GETs on the draft course, POSTs on the published one)."""

    def content(course):
        module = course.modules[0]
        lesson, question = module.lessons[0], module.active_questions[0]
        return {
            "course_id": course.id,
            "module_id": module.id,
            "lesson_id": lesson.id,
            "question_id": question.id,
            "number": max(r.number for r in lesson.revisions),
        }

    with site.db() as session:
        user = session.scalar(select(User).where(User.email == emails["owner"]))
        certificate = session.scalar(select(Certificate).where(Certificate.user_id == user.id))
        draft = session.get(Course, made["draft_id"])
        live = draft.draft_of
        assert certificate is not None and live.slug == COURSE
        common = {
            **made,
            "slug": COURSE,
            "draft_slug": draft.slug,
            "module_slug": live.modules[0].slug,
            "lesson_slug": live.modules[0].lessons[0].slug,
            "track": live.track,
            "attempt_id": session.scalar(
                select(QuizAttempt.id).where(QuizAttempt.user_id == user.id)
            ),
            "serial": certificate.serial,
            "code": certificate.verify_code,
            "fmt": "json",
            "list_number": 1,  # the status list of the first 131,072 certificates
            "token": "Zm9yLXRoZS1hY2Nlc3MtbWF0cml4LW9ubHktbm90LWEtbGluaw",
            "certificate_id": certificate.id,
            "notification_id": session.scalar(
                select(Notification.id).where(
                    Notification.user_id == user.id,
                    Notification.dedupe_key == f"certificate:{certificate.id}",
                )
            ),
            "user_id": user.id,
            "person_id": user.id,
            "unit_id": user.unit_id,
            "not_a_coauthor_id": session.scalar(
                select(User.id).where(User.email == emails["other instructor"])
            ),
        }
        return {**common, **content(draft)}, {**common, **content(live)}


def _api_token(site, http, csrf_token: str, email: str) -> int:
    """The owner makes an API token on the page (/me/api-tokens); its id."""
    http.post(
        "/me/api-tokens",
        {"name": "matrix", "scopes": "learning:read", "csrf_token": csrf_token},
    )
    with site.db() as session:
        owner_id = session.scalar(select(User.id).where(User.email == email))
        return session.scalar(select(ApiToken.id).where(ApiToken.user_id == owner_id))


@pytest.fixture(scope="module")
def matrix(matrix_site):
    """Everyone signed in and enrolled; the owner has passed every module (attempts, a certificate);
    the course owner's draft, co-author and image; the ward HR's jobs and assignment."""
    site = matrix_site
    emails = _people(site)
    assert tuple(emails) == ROLES
    sessions = {
        who: site.http(email) if email else HttpSession(site.base_url)
        for who, email in emails.items()
    }
    tokens = {who: http.csrf_token("/") for who, http in sessions.items()}
    for who in sorted(SIGNED_IN):
        enrol_http(sessions[who])
    for module, answers in course_answers(site).items():
        pass_quiz_http(sessions["owner"], COURSE, module, answers)
    with site.db() as session:
        live_id = session.scalar(select(Course.id).where(Course.slug == COURSE))
        ward_id = session.scalar(select(User.unit_id).where(User.email == emails["owner"]))
    made = {
        **_made_by_the_course_owner(
            sessions["course owner"], tokens["course owner"], live_id, emails["co-author"]
        ),
        **_made_by_the_hr(sessions["hr of the ward"], tokens["hr of the ward"], ward_id),
        **_training(site, emails, sessions["hr of the ward"], tokens["hr of the ward"]),
        "token_id": _api_token(site, sessions["owner"], tokens["owner"], emails["owner"]),
    }
    matrix = Matrix(
        site, sessions, tokens, *_url_values(site, emails, made), object_rules(site.app())
    )
    matrix.assignment_id()
    return matrix


def _state(matrix: Matrix) -> dict:
    """What the POSTs of the matrix must leave as it was: the people, the unit, the certificate,
    both versions of the course (content, version, co-authors)."""

    def course(course_id):
        course = session.get(Course, course_id)
        content = [
            (
                m.slug,
                m.title,
                [(lesson.slug, lesson.body_md, len(lesson.revisions)) for lesson in m.lessons],
                [q.prompt_md for q in m.active_questions],
            )
            for m in course.modules
        ]
        return course.status, course.version, course.title, content

    values = matrix.get_values
    with matrix.site.db() as session:
        return {
            "people": [
                (u.email, u.full_name, sorted(u.roles), u.unit_id, u.is_active, u.session_version)
                for u in session.scalars(select(User).order_by(User.id))
            ],
            "unit": [
                (u.code, u.name, u.kind, u.parent_id)
                for u in [session.get(Unit, values["unit_id"])]
            ],
            "certificates": [
                (c.serial, c.revoked_at) for c in session.scalars(select(Certificate))
            ],
            "draft": course(values["course_id"]),
            "live": course(matrix.post_values["course_id"]),
            "co-authors": sorted(session.scalars(select(CourseAuthor.user_id))),
        }


def _misjudged(who: str, allowed: bool, method: str, response) -> str | None:
    """What is wrong with this answer for this cell, or None."""
    api_refusal = response.status == 401 and response.headers.get("Content-Type", "").startswith(
        "application/problem+json"
    )
    if not allowed and api_refusal:  # the API's answer to a request without a bearer token
        return None
    to_sign_in = response.status in (302, 303) and "/login" in response.headers.get("Location", "")
    if response.status >= 500:
        return f"server error {response.status}"
    if not allowed and who == "anonymous":
        return None if to_sign_in else f"should be sent to sign in, got {response.status}"
    if not allowed:
        return (
            None
            if response.status in (403, 404)
            else f"must be refused (403/404), got {response.status}"
        )
    if response.status in (401, 403, 404) or to_sign_in:
        return f"should be let through, got {response.status}"
    if method == "GET" and response.status not in (200, 302, 303, 410):  # 410: a used link
        return f"should open, got {response.status}"
    return None


def test_access_matrix_allows_only_the_intended_cells(matrix):
    rules = matrix.rules
    rows = {key.removesuffix(DRAFT) for key in ALLOWED}
    assert sorted(set(rules) - rows) == [], (
        "routes that name an object: say in ALLOWED who may use them"
    )
    assert sorted(rows - set(rules)) == [], "rows of ALLOWED for routes that no longer exist"
    before = _state(matrix)
    wrong, cells = [], 0
    for key, allowed in ALLOWED.items():
        for method in sorted(rules[key.removesuffix(DRAFT)].methods & {"GET", "POST"}):
            for who in ROLES:
                path = matrix.path(key, method)
                http = matrix.sessions[who]
                form = {**INVALID_FORM.get(key, {}), "csrf_token": matrix.tokens[who]}
                response = http.get(path) if method == "GET" else http.post(path, form)
                cells += 1
                if problem := _misjudged(who, who in allowed, method, response):
                    wrong.append(f"{method} {path} as {who}: {problem}")
    assert wrong == [], f"{len(wrong)} of {cells} cells:\n" + "\n".join(wrong)
    assert _state(matrix) == before, "an allowed POST changed what the matrix's objects are"


# ---- fuzzing ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory):
    """Its own site: fuzzed admin forms change things the other tests rely on."""
    with running_site(tmp_path_factory.mktemp("fuzz"), "fuzz", workers=2, demo_learners=3) as live:
        yield live


HOSTILE_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "99999999999999999999",
            "1e309",
            "NaN",
            "null",
            "[]",
            "{}",
            "%00",
            "' OR 1=1 --",
            "../../etc/passwd",
            "<script>",
            "=1+1",
            "\x00",
            "１２３",
            "2026-02-30",
            "a" * 5000,
            "Nguyễn Thị Hằng",
        ]
    ),
)
QUERY_KEYS = [
    "q",
    "page",
    "sort",
    "order",
    "dir",
    "unit",
    "course",
    "status",
    "track",
    "level",
    "period",
    "from",
    "to",
    "per_page",
    "next",
    "lang",
    "a",
    "b",
    "format",
]
SKIP_POST = re.compile(r"/logout$|/delete$|/remove$|/revoke$|/reissue$|/discard$")


def _fuzz_settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


def test_url_parameters_fuzzed_never_give_a_500(fuzz_site):
    admin = fuzz_site.http("quantri")
    failures = []
    for route in [
        r
        for r in all_routes(fuzz_site)
        if "GET" in r.methods and not r.path.endswith((".pdf", ".zip"))
    ]:
        _fuzz_query(admin, route.path, failures)
    # Hostile values in the URL path itself.
    for path in [
        "/courses/%00",
        "/courses/" + "a" * 3000,
        "/attempts/99999999999999999999",
        "/certificates/..%2F..%2Fetc%2Fpasswd.pdf",
        "/verify/%ff%fe",
        "/media/..%2Fconfig.py",
    ]:
        if admin.get(path).status >= 500:
            failures.append(f"GET {path}")
    assert failures == []


def test_forms_fuzzed_never_give_a_500(fuzz_site):
    admin = fuzz_site.http("quantri")
    failures = []
    for route in [
        r for r in all_routes(fuzz_site) if "POST" in r.methods and not SKIP_POST.search(r.path)
    ]:
        page = admin.get(route.path if "GET" in route.methods else "/admin/")
        try:
            token = csrf_token_in(page.text)
        except AssertionError:
            token = admin.csrf_token("/admin/")
        names = (
            sorted(set(re.findall(r'name="([a-zA-Z_][\w\-]*)"', page.text)) - {"csrf_token"})
            if "GET" in route.methods
            else []
        )
        names = names or [
            "title",
            "body_md",
            "reason",
            "email",
            "token",
            "unit",
            "course",
            "due_date",
        ]
        _fuzz_form(admin, route.path, token, names, failures)
    assert failures == []


def _fuzz_query(admin, path: str, failures: list) -> None:
    @_fuzz_settings(12)
    @given(st.dictionaries(st.sampled_from(QUERY_KEYS), HOSTILE_TEXT, max_size=4))
    def probe(params):
        response = admin.get(path + "?" + urllib.parse.urlencode(params))
        if response.status >= 500:
            failures.append(f"GET {path} {params!r}: {response.status}")

    probe()


def _fuzz_form(admin, path: str, token: str, names: list, failures: list) -> None:
    @_fuzz_settings(8)
    @given(st.dictionaries(st.sampled_from(names), HOSTILE_TEXT, max_size=len(names)))
    def probe(fields):
        response = admin.post(path, {**fields, "csrf_token": token})
        if response.status >= 500:
            failures.append(f"POST {path} {fields!r}: {response.status}")

    probe()
