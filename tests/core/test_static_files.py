"""Static files under hashed names, compressed, cached a year; shared pages answer 304
(issue 17)."""

from __future__ import annotations

import gzip
import json
import posixpath
import re
import shutil

import brotli
import pytest

from academy.certificates.models import Certificate
from academy.database import db, utcnow
from academy.pdf import STATIC_ROOT, static_path_for
from academy.static_files import build_dir
from academy.training.calendar import feed_token
from tests.live_server import HttpSession, LiveServer, live_env, run_steps, schema_step, sqlite_url

YEAR = "public, max-age=31536000, immutable"
HASHED_APP_CSS = re.compile(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"')


@pytest.fixture(scope="session")
def build_folder(tmp_path_factory):
    """One build folder for the module: names are content hashes, so a later build only adds
    what changed (compressing everything at brotli's best takes seconds)."""
    return tmp_path_factory.mktemp("static-build")


@pytest.fixture
def build(app, runner, build_folder):
    """``flask static build`` as the Makefile runs it; returns the manifest it wrote."""
    app.config["STATIC_BUILD_DIR"] = str(build_folder)

    def run() -> dict[str, str]:
        result = runner.invoke(args=["static", "build"])
        assert result.exit_code == 0, result.output
        assert "tệp tĩnh có mã băm" in result.output
        return json.loads((build_dir(app) / "manifest.json").read_text())

    return run


@pytest.fixture
def built(build):
    return build()


def _get(client, url, **headers):
    """A response read in full and closed (a file response holds its file open until then)."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def _login_page(client) -> str:
    return client.get("/login").get_data(as_text=True)


def test_without_a_build_pages_link_plain_names_that_revalidate(client):
    page = _login_page(client)
    assert 'href="/static/css/app.css"' in page and 'src="/static/js/app.js"' in page
    response = _get(client, "/static/css/app.css")
    assert response.status_code == 200
    assert response.data == (STATIC_ROOT / "css/app.css").read_bytes()
    assert "immutable" not in response.headers["Cache-Control"]


def test_a_built_page_links_hashed_names_cached_a_year(client, built):
    page = _login_page(client)
    css = HASHED_APP_CSS.search(page)[1]
    assert css == "/static/" + built["css/app.css"]
    assert f'src="/static/{built["js/app.js"]}"' in page
    assert f'href="/static/{built["vendor/bootstrap/bootstrap.min.css"]}"' in page
    response = _get(client, css)
    assert response.status_code == 200 and response.headers["Cache-Control"] == YEAR
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"].startswith("text/css")
    # The plain name still works (a bookmark, an old page), revalidated rather than kept a year.
    plain = _get(client, "/static/css/app.css")
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]


def test_in_debug_mode_pages_link_the_files_being_edited(app, client, built):
    app.debug = True  # `flask --debug run`: an edited file shows without a rebuild
    assert 'href="/static/css/app.css"' in _login_page(client)


def test_compressed_body_when_the_client_accepts_it(client, built):
    url = "/static/" + built["vendor/bootstrap/bootstrap.min.css"]
    original = _get(client, url).data
    assert len(original) == len((STATIC_ROOT / "vendor/bootstrap/bootstrap.min.css").read_bytes())
    zipped = _get(client, url, **{"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.data) < len(original) / 4
    assert gzip.decompress(zipped.data) == original
    squeezed = _get(client, url, **{"Accept-Encoding": "gzip, deflate, br"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert len(squeezed.data) < len(zipped.data)
    assert brotli.decompress(squeezed.data) == original
    assert squeezed.headers["Cache-Control"] == YEAR


def test_css_references_point_at_hashed_files_that_are_served(client, built):
    css = _get(client, "/static/" + built["css/app.css"]).get_data(as_text=True)
    references = re.findall(r'url\("([^"]+)"\)', css)
    assert "../fonts/" + built["fonts/BeVietnamPro_400Regular.ttf"].split("/")[-1] in references
    assert "../img/" + built["img/bell.svg"].split("/")[-1] in references
    for reference in references:
        response = _get(client, posixpath.normpath("/static/css/" + reference))
        assert response.status_code == 200, reference
        assert response.headers["Cache-Control"] == YEAR


def test_a_changed_file_gets_a_new_name(app, client, build, tmp_path):
    app.static_folder = str(shutil.copytree(STATIC_ROOT, tmp_path / "static"))
    before = build()
    css = tmp_path / "static/css/app.css"
    css.write_text(css.read_text() + "\n.da-new-rule { color: red; }\n")
    after = build()
    assert after["css/app.css"] != before["css/app.css"]
    assert after["js/app.js"] == before["js/app.js"]
    assert f'href="/static/{after["css/app.css"]}"' in _login_page(client)
    assert b".da-new-rule" in _get(client, "/static/" + after["css/app.css"]).data
    # A page rendered before the change still finds the file it names.
    old = _get(client, "/static/" + before["css/app.css"])
    assert old.status_code == 200 and b".da-new-rule" not in old.data


def test_a_changed_font_renames_the_css_that_uses_it(app, build, tmp_path):
    app.static_folder = str(shutil.copytree(STATIC_ROOT, tmp_path / "static"))
    before = build()
    with open(tmp_path / "static/fonts/BeVietnamPro_700Bold.ttf", "ab") as font:
        font.write(b"\0")
    after = build()
    assert after["fonts/BeVietnamPro_700Bold.ttf"] != before["fonts/BeVietnamPro_700Bold.ttf"]
    assert after["css/app.css"] != before["css/app.css"]


def test_unknown_static_names_are_not_found(client, built):
    for url in ("/static/css/app.000000000000.css", "/static/../config.py", "/static/nope.js"):
        assert _get(client, url).status_code == 404, url


def test_pdf_fetcher_finds_a_file_by_its_hashed_name(built):
    assert static_path_for("/static/" + built["fonts/BeVietnamPro_700Bold.ttf"]) == (
        STATIC_ROOT / "fonts/BeVietnamPro_700Bold.ttf"
    )
    with pytest.raises(ValueError):
        static_path_for("/static/css/../../config.000000000000.py")


@pytest.mark.slow
def test_gunicorn_serves_the_build_compressed_and_the_verify_page_304(tmp_path):
    """``make run``'s order under real gunicorn (wsgi.py): build, start, fetch; no nginx."""
    env = live_env(tmp_path, sqlite_url(tmp_path))
    assert "tệp tĩnh có mã băm" in run_steps(env, [schema_step(), ["static", "build"]])
    with LiveServer(env, workers=2) as server:
        http = HttpSession(server.base_url)
        css = HASHED_APP_CSS.search(http.get("/login").text)[1]
        response = http.get(css, headers={"Accept-Encoding": "br, gzip"})
        assert response.status == 200 and response.headers["Content-Encoding"] == "br"
        assert response.headers["Cache-Control"] == YEAR
        assert b"@font-face" in brotli.decompress(response.body)
        lookup = http.get("/verify")
        again = http.get("/verify", headers={"If-None-Match": lookup.headers["ETag"]})
        assert again.status == 304 and again.headers["X-Frame-Options"] == "DENY"


# ---------------------------------------------------------------- shared pages: ETag and 304


@pytest.fixture
def certificate(make_user, make_course):
    found = Certificate(
        serial="HVS-2026-000001",
        verify_code="Ma-Xac-Minh-" + "k" * 30,
        user_id=make_user().id,
        course_id=make_course().id,
        pdf_sha256="0" * 64,
    )
    db.session.add(found)
    db.session.commit()
    return found


def _assert_security_headers(response):
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_verify_page_answers_304_with_its_security_headers(client, certificate):
    url = f"/verify/{certificate.verify_code}"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    assert "no-store" not in first.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    _assert_security_headers(again)
    lookup = client.get("/verify")
    assert (
        client.get("/verify", headers={"If-None-Match": lookup.headers["ETag"]}).status_code == 304
    )


def test_a_revocation_is_never_hidden_behind_a_304(client, certificate):
    url = f"/verify/{certificate.verify_code}"
    etag = client.get(url).headers["ETag"]
    certificate.revoked_at = utcnow()
    db.session.commit()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Đã thu hồi" in response.get_data(as_text=True)


def test_with_csrf_on_a_304_only_revives_a_page_of_the_same_session(csrf_app, certificate):
    url = f"/verify/{certificate.verify_code}"
    visitor = csrf_app.test_client()
    first = visitor.get(url)
    assert 'name="csrf_token"' in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert visitor.get(url, headers={"If-None-Match": etag}).status_code == 304
    stranger = csrf_app.test_client()  # another session: its token differs, so a full page
    assert stranger.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_the_calendar_feed_answers_304(client, make_user):
    url = f"/calendar/{feed_token(make_user())}.ics"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, max-age=300"
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_the_well_known_keys_answer_304_and_keep_their_public_cache(client):
    first = client.get("/.well-known/jwks.json")
    assert first.status_code == 200 and "keys" in first.json
    assert first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get("/.well-known/jwks.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    _assert_security_headers(again)


def test_a_personal_page_has_no_etag_and_is_not_stored(client, auth, make_user, make_course):
    make_course()
    auth.login(make_user())
    for url in ("/me/path", "/courses", "/me/certificates"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "ETag" not in response.headers and response.headers["Cache-Control"] == "no-store"
        assert client.get(url, headers={"If-None-Match": "*"}).status_code == 200
