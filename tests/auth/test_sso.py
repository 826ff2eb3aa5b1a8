"""Single sign-on through an OpenID provider (issue 15): a REAL provider (the npm package
oidc-provider, tests/oidc/provider.js) runs under Node for these tests; the Flask test client
plays the browser on our pages and ``requests`` on the provider's, following the redirects
between them by hand."""

from __future__ import annotations

import fcntl
import re
import select
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pyotp
import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select as sql_select

from academy.auth.models import User
from academy.auth.sso import default_roles, password_sign_in_allowed
from academy.auth.two_factor import confirm_enrolment, pending_secret
from academy.core.audit import AuditEvent
from academy.extensions import db

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
NODE = shutil.which("node")
NPM = shutil.which("npm")
CLIENT_ID = "hoc-vien-so"
CLIENT_SECRET = "bi-mat-cua-hoc-vien-so-trong-kiem-thu"
SITE = "http://localhost"  # the app fixture's PUBLIC_BASE_URL
CALLBACK = SITE + "/login/sso/callback"

pytestmark = pytest.mark.slow


def _install_provider() -> None:
    """npm ci in tests/oidc when `make oidc-provider` has not run (one worker at a time)."""
    if (OIDC_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        return
    if NPM is None:
        pytest.skip("npm is missing: cannot install the OpenID provider (make oidc-provider)")
    with open(OIDC_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (OIDC_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
            subprocess.run(
                [NPM, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=OIDC_DIR,
                check=True,
                timeout=600,
            )


@pytest.fixture(scope="session")
def provider(tmp_path_factory):
    """The issuer URL of a running oidc-provider, started once per test process."""
    if NODE is None:
        pytest.skip(
            "Node.js is not installed: the single sign-on tests need it (make oidc-provider)"
        )
    _install_provider()
    log_path = tmp_path_factory.mktemp("oidc") / "provider.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                NODE,
                str(OIDC_DIR / "provider.js"),
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                CLIENT_SECRET,
                "--redirect-uri",
                CALLBACK,
                "--post-logout-redirect-uri",
                SITE + "/login",
            ],
            cwd=OIDC_DIR,
            stdin=subprocess.PIPE,  # the provider stops when this closes
            stdout=subprocess.PIPE,
            stderr=log,
        )
    try:
        issuer = _wait_until_ready(process, log_path)
        yield issuer
    finally:
        process.stdin.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def _wait_until_ready(process, log_path, timeout=30.0) -> str:
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or process.poll() is not None:
            raise RuntimeError(f"the OpenID provider did not start: {log_path.read_text()}")
        if select.select([process.stdout], [], [], left)[0]:
            line += process.stdout.read1(4096)
    issuer = line.decode().split()[1]
    while time.monotonic() < deadline:
        try:
            if requests.get(issuer + "/.well-known/openid-configuration", timeout=2).ok:
                return issuer
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the OpenID provider's discovery never answered: {log_path.read_text()}")


@pytest.fixture
def sso(app, provider, make_unit):
    """The app signed up at the provider; accounts created on first sign-in go to a ward."""
    unit = make_unit(name="Phường Ba Đình", kind="ward", code="P-BADINH")
    app.config.update(
        SSO_ISSUER=provider,
        SSO_CLIENT_ID=CLIENT_ID,
        SSO_CLIENT_SECRET=CLIENT_SECRET,
        SSO_DEFAULT_UNIT_CODE=unit.code,
        LOGIN_RATE_LIMIT="1000 per minute",
    )
    return unit


@dataclass
class Page:
    url: str
    status: int
    text: str


class Browser:
    """One person's browser: the test client on our site, a requests session on the provider."""

    def __init__(self, client, issuer):
        self.client = client
        self.issuer = issuer
        self.provider = requests.Session()
        self.trail: list[str] = []  # every address visited, in order

    def open(self, url, method="GET", data=None) -> Page:
        """Go to ``url`` and follow redirects across both sites until a page answers."""
        for _ in range(20):
            self.trail.append(url)
            if url.startswith(self.issuer):
                answer = self.provider.request(
                    method, url, data=data, allow_redirects=False, timeout=10
                )
                status, location, text = (
                    answer.status_code,
                    answer.headers.get("Location"),
                    answer.text,
                )
            else:
                parts = urlsplit(urljoin(SITE, url))
                assert parts.netloc == "localhost", f"unexpected site: {url}"
                path = urlunsplit(("", "", parts.path, parts.query, ""))
                answer = self.client.open(path, method=method, data=data)
                status, location = answer.status_code, answer.headers.get("Location")
                text = answer.get_data(as_text=True)
            if status not in (301, 302, 303, 307, 308):
                return Page(url, status, text)
            url = urljoin(url, location)
            if status in (301, 302, 303):
                method, data = "GET", None
        raise AssertionError(f"too many redirects: {self.trail}")

    def to_provider_login(self, start="/login/sso") -> Page:
        page = self.open(start)
        assert page.url.startswith(self.issuer + "/interaction/"), self.trail
        assert "Test provider sign-in" in page.text
        return page

    def sign_in(self, login: str, start="/login/sso") -> Page:
        """Sign in at the provider as the test account ``login``; the page we land on."""
        page = self.to_provider_login(start)
        return self.open(page.url + "/login", "POST", {"login": login})

    def stop_before_callback(self, login: str) -> str:
        """Sign in at the provider but keep the callback address instead of opening it."""
        page = self.to_provider_login()
        url, method, data = page.url + "/login", "POST", {"login": login}
        while True:
            answer = self.provider.request(
                method, url, data=data, allow_redirects=False, timeout=10
            )
            url, method, data = urljoin(url, answer.headers["Location"]), "GET", None
            if url.startswith(CALLBACK):
                return url

    def signed_in(self) -> bool:
        return self.client.get("/account/password").status_code == 200


@pytest.fixture
def browser(client, provider):
    return Browser(client, provider)


def _user(email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sql_select(User).where(User.email == email))


def _user_count() -> int:
    return db.session.scalar(sql_select(func.count()).select_from(User))


def _audits(action) -> list[AuditEvent]:
    return list(db.session.scalars(sql_select(AuditEvent).where(AuditEvent.action == action)))


# ---- signing in ---------------------------------------------------------------------------


def test_login_page_offers_the_city_sign_in_only_when_configured(app, client, provider):
    page = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập bằng tài khoản của thành phố" not in page
    assert client.get("/login/sso").status_code == 404
    app.config.update(SSO_ISSUER=provider, SSO_CLIENT_ID=CLIENT_ID)
    page = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập bằng tài khoản của thành phố" in page
    assert "Tài khoản công vụ của thành phố" in page  # SSO_BUTTON_LABEL
    assert 'href="/login/sso"' in page


def test_first_sign_in_creates_the_account_in_the_default_unit_as_a_learner(sso, browser):
    start = browser.client.get("/login/sso")
    asked = parse_qs(urlsplit(start.headers["Location"]).query)
    # authorization code flow with PKCE, state and nonce
    assert asked["response_type"] == ["code"]
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"][0]
    assert asked["state"][0] and asked["nonce"][0]
    assert asked["redirect_uri"] == [CALLBACK]
    assert asked["scope"] == ["openid email profile"]

    home = browser.sign_in("an.nguyen")
    assert home.status == 200
    assert urlsplit(home.url).path == "/"
    assert "Nguyễn Văn An" in home.text  # the name the provider gave, in the menu
    user = _user("an.nguyen@hanoi.gov.vn")
    assert user.full_name == "Nguyễn Văn An"
    assert user.unit_id == sso.id
    assert user.roles == {"learner"}
    assert user.sso_subject == "sub-an-nguyen"
    assert not user.password_hash  # no password here: the provider authenticates
    created = _audits("auth.sso.account_created")
    assert [e.target for e in created] == [f"user:{user.id}"]
    assert created[0].detail["unit"] == "P-BADINH"
    assert [e.detail for e in _audits("auth.signin")] == [{"via": "sso"}]
    assert browser.signed_in()


def test_second_sign_in_finds_the_account_by_subject(sso, browser, client):
    browser.sign_in("an.nguyen")
    user = _user("an.nguyen@hanoi.gov.vn")
    user.email = "an.nv@hanoi.gov.vn"  # HR changed the address meanwhile
    db.session.commit()
    client.post("/logout")
    assert not browser.signed_in()

    browser.provider = requests.Session()  # a new day: no session at the provider either
    browser.sign_in("an.nguyen")
    assert browser.signed_in()
    assert _user_count() == 1
    assert _user("an.nv@hanoi.gov.vn").id == user.id
    assert len(_audits("auth.sso.account_created")) == 1
    assert len(_audits("auth.signin")) == 2


def test_a_provider_session_still_open_signs_in_without_asking_again(sso, browser, client):
    browser.sign_in("an.nguyen")
    browser.client = client.application.test_client()  # our session forgotten, the provider's kept
    assert not browser.signed_in()
    home = browser.open("/login/sso")
    assert urlsplit(home.url).path == "/" and home.status == 200
    assert not any("/interaction/" in url for url in browser.trail[-5:])
    assert browser.signed_in()


def test_an_existing_account_with_the_same_verified_email_is_linked(
    sso, browser, make_user, make_unit
):
    agency = make_unit(name="Sở Nội vụ")
    person = make_user(
        email="binh.tran@hanoi.gov.vn", full_name="Trần Thị Bình", roles=("hr",), unit=agency
    )
    home = browser.sign_in("binh.tran")
    assert home.status == 200 and "Trần Thị Bình" in home.text
    linked = _user("binh.tran@hanoi.gov.vn")
    assert linked.id == person.id and _user_count() == 1
    assert linked.sso_subject == "sub-binh-tran"
    assert linked.roles == {"hr"} and linked.unit_id == agency.id  # nothing else changed
    assert [e.target for e in _audits("auth.sso.linked")] == [f"user:{person.id}"]
    assert not _audits("auth.sso.account_created")


def test_an_unverified_email_is_never_linked_nor_given_an_account(sso, browser, make_user):
    make_user(email="cuong.le@hanoi.gov.vn", full_name="Lê Văn Cường")
    page = browser.sign_in("cuong.le")
    assert page.status == 403
    assert "chưa xác nhận địa chỉ email" in page.text
    assert "bộ phận nhân sự" in page.text
    assert _user("cuong.le@hanoi.gov.vn").sso_subject is None
    assert not browser.signed_in()
    refused = _audits("auth.sso.refused")
    assert [e.detail["reason"] for e in refused] == ["email_unverified"]

    db.session.delete(_user("cuong.le@hanoi.gov.vn"))
    db.session.commit()
    browser.provider = requests.Session()
    page = browser.sign_in("cuong.le")
    assert page.status == 403 and "chưa xác nhận địa chỉ email" in page.text
    assert _user_count() == 0


def test_a_deactivated_account_is_refused_and_nothing_is_signed_in(sso, browser, make_user):
    person = make_user(email="dung.pham@hanoi.gov.vn", full_name="Phạm Tiến Dũng")
    person.is_active = False
    db.session.commit()
    page = browser.sign_in("dung.pham")
    assert page.status == 403
    assert "đã bị khoá" in page.text
    assert not browser.signed_in()
    assert _user("dung.pham@hanoi.gov.vn").sso_subject is None
    assert not _audits("auth.signin")
    assert [e.detail["reason"] for e in _audits("auth.sso.refused")] == ["deactivated"]


def test_an_account_deactivated_after_linking_is_refused_too(sso, browser, client):
    browser.sign_in("dung.pham")
    user = _user("dung.pham@hanoi.gov.vn")
    assert user.full_name == "Phạm Tiến Dũng"  # family then given name when there is no "name"
    client.post("/logout")
    user.is_active = False
    db.session.commit()
    browser.provider = requests.Session()
    page = browser.sign_in("dung.pham")
    assert page.status == 403 and "đã bị khoá" in page.text
    assert not browser.signed_in()


def test_without_account_creation_a_newcomer_is_sent_to_hr(app, sso, browser):
    app.config["SSO_CREATE_ACCOUNTS"] = False
    page = browser.sign_in("an.nguyen")
    assert page.status == 403
    assert "Chưa có tài khoản Học viện Số cho an.nguyen@hanoi.gov.vn" in page.text
    assert _user_count() == 0


def test_the_page_asked_for_before_signing_in_opens_after(sso, browser):
    page = browser.sign_in("an.nguyen", start="/login/sso?next=/account/password")
    assert urlsplit(page.url).path == "/account/password" and page.status == 200
    page = browser.client.get("/login/sso?next=https://evil.example/")
    assert page.status_code == 302  # already signed in: home, never elsewhere
    assert "evil" not in page.headers["Location"]


# ---- passwords and the second factor --------------------------------------------------------


def test_local_passwords_can_be_turned_off_for_people_linked_to_the_provider(
    app, sso, browser, client, auth, make_user
):
    linked = make_user(email="binh.tran@hanoi.gov.vn", full_name="Trần Thị Bình")
    other = make_user(email="khong.lien.ket@hanoi.gov.vn")
    browser.sign_in("binh.tran")
    client.post("/logout")
    assert auth.login(linked).status_code == 302  # setting off: the password still works
    client.post("/logout")

    app.config["SSO_DISABLE_LOCAL_PASSWORDS"] = True
    login_page = client.get("/login").get_data(as_text=True)
    assert "mật khẩu tại Học viện Số không còn dùng được" in login_page
    refused = auth.login(linked)
    assert refused.status_code == 403
    assert "Tài khoản này đăng nhập bằng tài khoản của thành phố" in refused.get_data(as_text=True)
    assert not browser.signed_in()
    assert _audits("auth.signin.failed")[-1].detail["reason"] == "sso_only"
    wrong = auth.login(linked, "sai-mat-khau")
    assert wrong.status_code == 401
    assert "hãy bấm «Đăng nhập bằng tài khoản của thành phố»" in wrong.get_data(as_text=True)
    assert password_sign_in_allowed(_user(linked.email)) is False
    assert password_sign_in_allowed(_user(other.email)) is True
    assert auth.login(other).status_code == 302  # not linked: the password works


def test_our_second_factor_still_applies_and_the_sign_out_reaches_the_provider(
    app, sso, browser, client, make_user
):
    person = make_user(email="binh.tran@hanoi.gov.vn", full_name="Trần Thị Bình")
    secret = pending_secret(person)
    confirm_enrolment(person, pyotp.TOTP(secret).now())
    db.session.commit()
    page = browser.sign_in("binh.tran")
    assert urlsplit(page.url).path == "/login/code"
    assert not browser.signed_in()
    next_code = pyotp.TOTP(secret).at(time.time() + 30)  # the enrolment's code is spent
    done = client.post("/login/code", data={"code": next_code})
    assert done.status_code == 302
    assert browser.signed_in()
    assert _audits("auth.signin")[-1].detail == {"via": "sso"}
    out = client.post("/logout")
    assert out.headers["Location"].startswith(browser.issuer + "/session/end?")


def test_a_role_that_requires_a_second_factor_enrols_first(app, sso, browser, make_user):
    app.config["TOTP_REQUIRED_ROLES"] = ["hr"]
    make_user(email="binh.tran@hanoi.gov.vn", full_name="Trần Thị Bình", roles=("hr",))
    page = browser.sign_in("binh.tran")
    assert urlsplit(page.url).path == "/login/enrol"
    assert not browser.signed_in()


def test_default_roles_read_from_configuration(app):
    app.config["SSO_DEFAULT_ROLES"] = "learner, instructor"
    assert default_roles() == ["learner", "instructor"]
    app.config["SSO_DEFAULT_ROLES"] = ["no-such-role"]
    assert default_roles() == ["learner"]


# ---- signing out ----------------------------------------------------------------------------


def test_sign_out_ends_our_session_and_the_providers(sso, browser, client):
    browser.sign_in("an.nguyen")
    assert browser.signed_in()
    out = client.post("/logout")
    assert not browser.signed_in()  # our session ended at once
    end = out.headers["Location"]
    assert end.startswith(browser.issuer + "/session/end?")
    sent = parse_qs(urlsplit(end).query)
    assert sent["post_logout_redirect_uri"] == [SITE + "/login"]
    assert sent["client_id"] == [CLIENT_ID] and sent["id_token_hint"][0].count(".") == 2

    confirm = browser.open(end)  # the provider asks to confirm, then returns to our login page
    form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', confirm.text, re.S)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    back = browser.open(urljoin(end, form.group(1)), "POST", {**fields, "logout": "yes"})
    assert urlsplit(back.url).path == "/login" and back.status == 200
    assert "Bạn đã đăng xuất." in back.text

    # the provider's session is gone too: signing in again asks who you are
    page = browser.open("/login/sso")
    assert page.url.startswith(browser.issuer + "/interaction/")
    assert not browser.signed_in()


def test_sign_out_after_a_password_stays_on_our_site(sso, client, auth, make_user):
    person = make_user()
    auth.login(person)
    out = client.post("/logout")
    assert out.headers["Location"] == "/login"


# ---- what goes wrong ------------------------------------------------------------------------


def test_a_tampered_state_gets_a_clear_400_page(sso, browser):
    callback = browser.stop_before_callback("an.nguyen")
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    query["state"] = ["gia-mao-" + query["state"][0][8:]]
    tampered = urlunsplit(("", "", parts.path, urlencode(query, doseq=True), ""))
    page = browser.client.get(tampered)
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Yêu cầu đăng nhập này không hợp lệ hoặc đã hết hạn" in text
    assert "Thử lại" in text
    assert not browser.signed_in()
    assert _user_count() == 0


def test_the_callback_replayed_signs_nobody_else_in(sso, browser, client):
    callback = browser.stop_before_callback("an.nguyen")
    path = callback.removeprefix(SITE)
    assert client.get(path).status_code == 302  # signed in
    assert client.get(path).status_code == 302  # again while signed in: home, nothing new
    assert _user_count() == 1
    stranger = client.application.test_client()
    page = stranger.get(path)  # another browser holding the address: no state of its own
    assert page.status_code == 400
    assert stranger.get("/account/password").status_code == 302


def test_the_person_cancelling_at_the_provider_gets_a_clear_page(sso, browser):
    page = browser.to_provider_login()
    answer = browser.open(page.url + "/abort", "POST", {})
    assert urlsplit(answer.url).path == "/login/sso/callback"
    assert answer.status == 400
    assert "đã bị huỷ hoặc bị từ chối" in answer.text
    assert not browser.signed_in()


def test_an_unreachable_provider_gets_a_clear_page_not_an_error(app, client):
    app.config.update(SSO_ISSUER="http://127.0.0.1:9", SSO_CLIENT_ID=CLIENT_ID, SSO_TIMEOUT=2)
    page = client.get("/login/sso")
    assert page.status_code == 503
    assert "Không kết nối được với hệ thống đăng nhập của thành phố" in page.get_data(as_text=True)
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 502
