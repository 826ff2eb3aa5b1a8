"""Who may open what: every role and an anonymous visitor against every route that names an
object; and every form and URL parameter fuzzed with hypothesis, with zero 500s."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.e2e.flows import COURSE, course_answers, enrol_http, pass_quiz_http
from tests.live_fixtures import running_site
from tests.live_server import HttpSession, csrf_token_in
from tests.system.routes import all_routes

pytestmark = pytest.mark.slow


# ---- access matrix ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def people(site):
    """An owner with an attempt and a certificate in ward A; others around them."""
    from academy.auth.models import Unit

    with site.db() as session:
        wards = session.scalars(select(Unit).where(Unit.kind == "ward").order_by(Unit.id)).all()
        ward_a, ward_b = wards[0].code, wards[1].code
    owner = site.add_user(unit_code=ward_a, full_name="Chủ Sở Hữu")
    http = site.http(owner)
    enrol_http(http)
    for module, answers in course_answers(site).items():
        pass_quiz_http(http, COURSE, module, answers)
    return {
        "anonymous": None, "owner": owner,
        "other learner": site.add_user(unit_code=ward_a, full_name="Người Khác"),
        "other instructor": site.add_user(roles=("instructor",), full_name="Giảng Viên Khác"),
        "course owner": "giangvien@hvs.gov.vn",
        "hr of the ward": site.add_user(roles=("hr",), unit_code=ward_a, full_name="Tổ Chức Phường A"),
        "hr of another ward": site.add_user(roles=("hr",), unit_code=ward_b, full_name="Tổ Chức Phường B"),
        "admin": "quantri@hvs.gov.vn",
    }


def _object_urls(site, owner: str) -> dict[str, str]:
    from academy.auth.models import Unit, User
    from academy.catalog.models import Course
    from academy.certificates.models import Certificate
    from academy.learning.models import QuizAttempt

    with site.db() as session:
        user = session.scalar(select(User).where(User.email == owner))
        attempt = session.scalar(select(QuizAttempt.id).where(QuizAttempt.user_id == user.id))
        serial = session.scalar(select(Certificate.serial).where(Certificate.user_id == user.id))
        course = session.scalar(select(Course).where(Course.slug == COURSE))
        module, lesson = course.modules[0], course.modules[0].lessons[0]
        unit = session.scalar(select(Unit.id).order_by(Unit.id))
        return {
            "attempt": f"/attempts/{attempt}",
            "certificate": f"/certificates/{serial}.pdf",
            "authoring course": f"/authoring/courses/{course.id}",
            "authoring lesson": f"/authoring/courses/{course.id}/lessons/{lesson.id}",
            "authoring quiz": f"/authoring/courses/{course.id}/modules/{module.id}/quiz",
            "authoring stats": f"/authoring/courses/{course.id}/stats",
            "authoring export": f"/authoring/courses/{course.id}/export.zip",
            "admin user": f"/admin/users/{user.id}",
            "admin unit": f"/admin/units/{unit}",
        }


ALLOWED = {  # who may open each object; everyone else gets 403/404 (anonymous: the sign-in page)
    "attempt": {"owner", "admin"},
    "certificate": {"owner", "hr of the ward", "admin"},
    "authoring course": {"course owner", "admin"},
    "authoring lesson": {"course owner", "admin"},
    "authoring quiz": {"course owner", "admin"},
    "authoring stats": {"course owner", "admin"},
    "authoring export": {"course owner", "admin"},
    "admin user": {"admin"},
    "admin unit": {"admin"},
}


def test_access_matrix_allows_only_the_intended_cells(site, people):
    urls = _object_urls(site, people["owner"])
    assert set(urls) == set(ALLOWED)
    wrong = []
    for who, email in people.items():
        http = site.http(email) if email else HttpSession(site.base_url)
        for name, url in urls.items():
            status = http.get(url).status
            allowed = who in ALLOWED[name]
            # A published course's pages send its editors to the course page to start a draft (303).
            if allowed and status not in (200, 303 if name.startswith("authoring") else 200):
                wrong.append(f"{who} should open {name} ({url}) but got {status}")
            elif not allowed and who == "anonymous" and status != 302:
                wrong.append(f"anonymous should be sent to sign in for {name} but got {status}")
            elif not allowed and who != "anonymous" and status not in (403, 404):
                wrong.append(f"{who} must not open {name} ({url}) but got {status}")
    assert wrong == []


# ---- fuzzing ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory):
    """Its own site: fuzzed admin forms change things the other tests rely on."""
    with running_site(tmp_path_factory.mktemp("fuzz"), "fuzz", workers=2, demo_learners=3) as live:
        yield live


HOSTILE_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", "0", "-1", "99999999999999999999", "1e309", "NaN", "null", "[]", "{}", "%00",
                     "' OR 1=1 --", "../../etc/passwd", "<script>", "=1+1", "\x00", "１２３", "2026-02-30",
                     "a" * 5000, "Nguyễn Thị Hằng"]),
)
QUERY_KEYS = ["q", "page", "sort", "order", "dir", "unit", "course", "status", "track", "level", "period",
              "from", "to", "per_page", "next", "lang", "a", "b", "format"]
SKIP_POST = re.compile(r"/logout$|/delete$|/remove$|/revoke$|/reissue$|/discard$")


def _fuzz_settings(examples: int):
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def test_url_parameters_fuzzed_never_give_a_500(fuzz_site):
    admin = fuzz_site.http("quantri")
    failures = []
    for route in [r for r in all_routes(fuzz_site) if "GET" in r.methods and not r.path.endswith((".pdf", ".zip"))]:
        @_fuzz_settings(12)
        @given(st.dictionaries(st.sampled_from(QUERY_KEYS), HOSTILE_TEXT, max_size=4))
        def probe(params):
            import urllib.parse

            response = admin.get(route.path + "?" + urllib.parse.urlencode(params))
            if response.status >= 500:
                failures.append(f"GET {route.path} {params!r}: {response.status}")

        probe()
    # Hostile values in the URL path itself.
    for path in ["/courses/%00", "/courses/" + "a" * 3000, "/attempts/99999999999999999999",
                 "/certificates/..%2F..%2Fetc%2Fpasswd.pdf", "/verify/%ff%fe", "/media/..%2Fconfig.py"]:
        if admin.get(path).status >= 500:
            failures.append(f"GET {path}")
    assert failures == []


def test_forms_fuzzed_never_give_a_500(fuzz_site):
    admin = fuzz_site.http("quantri")
    failures = []
    for route in [r for r in all_routes(fuzz_site) if "POST" in r.methods and not SKIP_POST.search(r.path)]:
        page = admin.get(route.path if "GET" in route.methods else "/admin/")
        try:
            token = csrf_token_in(page.text)
        except AssertionError:
            token = admin.csrf_token("/admin/")
        names = sorted(set(re.findall(r'name="([a-zA-Z_][\w\-]*)"', page.text)) - {"csrf_token"}) if "GET" in route.methods else []
        names = names or ["title", "body_md", "reason", "email", "token", "unit", "course", "due_date"]

        @_fuzz_settings(8)
        @given(st.dictionaries(st.sampled_from(names), HOSTILE_TEXT, max_size=len(names)))
        def probe(fields):
            response = admin.post(route.path, {**fields, "csrf_token": token})
            if response.status >= 500:
                failures.append(f"POST {route.path} {fields!r}: {response.status}")

        probe()
    assert failures == []
