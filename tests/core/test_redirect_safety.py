"""Every redirect to a client-supplied address (``next`` after sign-in and on the language switch,
the referrer of a resent form) stays on this site, as a browser will read the address.

The oracle below is independent of the application: it normalises a Location the way the WHATWG URL
parser does (strip leading and trailing C0 controls and spaces, drop every tab, CR and LF, read a
backslash as a slash) and resolves it against the page, then asks which host the browser lands on.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from academy.core.once import FormSubmission
from academy.database import db
from tests.conftest import PASSWORD

SITE = "localhost"
HOME = "/"

HOSTILE = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\\evil.example",
    "/\\\\evil.example",
    "\\/evil.example",
    "//evil.example",
    " //evil.example",
    "\t//evil.example",
    "/%09/evil.example",
    "/%5C/evil.example",
    "/%2F/evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\u200b/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "/\r\nSet-Cookie: x=1",
    "\r\nLocation: //evil.example",
    "http://localhost@evil.example/",
    "/\u2028/evil.example",
]


def landing_host(location: str, page: str) -> str:
    """The host a browser on ``page`` goes to when told ``Location: location``."""
    cleaned = re.sub(r"[\t\r\n]", "", location.strip("".join(map(chr, range(0x21))))).replace(
        "\\", "/"
    )
    return urlsplit(urljoin(page, cleaned)).hostname or ""


def sign_in_with_next(app, user, target):
    app.config["LOGIN_RATE_LIMIT"] = "100000 per minute"
    return app.test_client().post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )


def switch_language_with_next(app, target):
    return app.test_client().post("/locale", data={"locale": "en", "next": target})


def assert_stays_on_site(response, page):
    assert response.status_code in (302, 303), response.status_code
    location = response.headers["Location"]
    assert landing_host(location, page) == SITE, location
    assert not re.search(r"[\x00-\x20\x7f]", location), location


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_after_sign_in_falls_back_home(app, make_user, target):
    response = sign_in_with_next(app, make_user(), target)
    assert_stays_on_site(response, f"http://{SITE}/login")
    assert response.headers["Location"] == HOME


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_on_the_language_switch_falls_back_home(app, target):
    response = switch_language_with_next(app, target)
    assert_stays_on_site(response, f"http://{SITE}/locale")
    assert response.headers["Location"] == HOME


@pytest.mark.parametrize(
    "target",
    [
        "/courses",
        "/courses?q=d%E1%BB%AF+li%E1%BB%87u&track=data",
        "/me/path#lo-trinh",
        "http://localhost/courses",
    ],
)
def test_a_path_on_this_site_is_followed(app, make_user, target):
    expected = target.removeprefix("http://localhost")
    assert sign_in_with_next(app, make_user(), target).headers["Location"] == expected
    assert switch_language_with_next(app, target).headers["Location"] == expected


PIECES = st.sampled_from(
    [
        "/",
        "//",
        "\\",
        "\\\\",
        "\t",
        "\n",
        "\r",
        " ",
        "\x00",
        "\x0c",
        "\x1f",
        "\x7f",
        "\x85",
        "\u00a0",
        "\u200b",
        "\u2028",
        "%09",
        "%0a",
        "%2f",
        "%5c",
        "%2F%2F",
        "http:",
        "https:",
        "javascript:",
        "//evil.example",
        "evil.example",
        "@",
        ":",
        "localhost",
        "?",
        "#",
        ".",
        "..",
        "courses",
        "khoá-học",
    ]
)
HEADS = st.sampled_from(
    ["/", "/", "/\t", "/\n", "/\r", "/\\", "\\", "\t/", " /", "/%09", "/%5c", ""]
)
TARGETS = st.tuples(HEADS, st.lists(PIECES, max_size=7)).map(lambda t: t[0] + "".join(t[1]))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=TARGETS)
def test_any_next_on_the_language_switch_stays_on_site(app, target):
    assert_stays_on_site(switch_language_with_next(app, target), f"http://{SITE}/locale")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=TARGETS)
def test_any_next_after_sign_in_stays_on_site(app, make_user, target):
    user = make_user()
    assert_stays_on_site(sign_in_with_next(app, user, target), f"http://{SITE}/login")


def test_a_resent_form_goes_back_only_to_a_referrer_on_this_site(client, auth, make_user):
    """A copy of a form whose first copy is still at work goes back to the referrer if ours."""
    user = make_user(roles=("instructor",))
    auth.login(user)
    db.session.add(
        FormSubmission(token="t" * 32, user_id=user.id, location=None)
    )  # first copy in flight
    db.session.commit()
    data = {"title": "Khoá học", "once_token": "t" * 32}
    for referrer in (
        "http://evil.example/",
        "/\t/evil.example",
        "http://localhost/\\evil.example",
        "//evil.example/authoring/",
    ):
        again = client.post("/authoring/courses/new", data=data, headers={"Referer": referrer})
        assert_stays_on_site(again, f"http://{SITE}/authoring/courses/new")
        assert again.headers["Location"] == HOME
    back = client.post(
        "/authoring/courses/new", data=data, headers={"Referer": "http://localhost/authoring/"}
    )
    assert back.headers["Location"] == "/authoring/"
