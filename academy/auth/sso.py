"""Single sign-on through the city's identity provider (OpenID Connect, with Authlib).

Signing in: ``/login/sso`` sends the person to the provider (authorization code with PKCE, state
and nonce, all kept by Authlib in the session); ``/login/sso/callback`` checks the answer and the
ID token, then finds the account:

1. by the provider's subject (``User.sso_subject``), kept from an earlier sign-in;
2. else by an e-mail address the provider says it has verified: that account is linked (its
   subject stored) from then on;
3. else, when SSO_CREATE_ACCOUNTS, a new account (name and e-mail from the provider, the default
   unit and roles).

An unverified or missing e-mail, an account linked to another identity, or a deactivated account
is refused with a page saying whom to ask; nothing is written and no one is signed in. Our second
factor still applies (a person who set up an authenticator, or whose role requires one, types the
code), the rest is the usual sign-in (academy.auth.signin), audited with ``via: sso``.

Signing out: ``views.logout`` ends the local session, then sends a person who signed in here to
the provider's end-session endpoint (RP-initiated logout) when the provider offers one.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from academy.auth.models import ROLES, Unit, User
from academy.auth.services import create_user
from academy.auth.signin import SIGN_IN_KEY, begin_second_step, finish_sign_in
from academy.auth.two_factor import asks_for_code
from academy.core.audit import record_audit
from academy.errors import DomainError, Forbidden
from academy.extensions import db
from academy.security import local_target

log = logging.getLogger(__name__)

CLIENT_NAME = "sso"
NEXT_KEY = "sso_next"  # where to go after signing in, kept while the person is at the provider
_EXTENSION = "academy.sso"  # app.extensions: (settings, Authlib client) of this app
_client_lock = threading.Lock()


class SsoRefused(Forbidden):
    """The provider vouched for the person, but we do not sign them in: ``reason`` is audited,
    the message shown."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


class ProviderProblem(DomainError):
    """The provider cannot be reached, or its answer cannot be trusted (answered 502)."""

    status = 502


# ---- configuration ----------------------------------------------------------------------


def sso_enabled() -> bool:
    """Whether single sign-on is configured (an issuer and a client id)."""
    config = current_app.config
    return bool(config.get("SSO_ISSUER") and config.get("SSO_CLIENT_ID"))


def local_passwords_off() -> bool:
    """Whether people linked to the provider may not use a password here."""
    return sso_enabled() and bool(current_app.config.get("SSO_DISABLE_LOCAL_PASSWORDS"))


def password_sign_in_allowed(user: User) -> bool:
    """Whether ``user`` may sign in with (or reset) a password here: not when local passwords are
    turned off for single sign-on and this person is linked to the provider."""
    return not (local_passwords_off() and user.sso_subject)


def button_label() -> str:
    return str(current_app.config.get("SSO_BUTTON_LABEL") or "")


def _public_url(endpoint: str) -> str:
    """The address of ``endpoint`` as the provider must know it: under PUBLIC_BASE_URL."""
    base = str(current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    return base + url_for(endpoint)


def _client():
    """This app's Authlib client for the provider, built on first use (and again when the
    settings change); ProviderProblem while the provider's discovery document cannot be read."""
    config = current_app.config
    issuer = str(config["SSO_ISSUER"]).rstrip("/")
    settings = (
        issuer,
        str(config["SSO_CLIENT_ID"]),
        str(config.get("SSO_CLIENT_SECRET") or ""),
        str(config.get("SSO_SCOPES") or "openid"),
        config.get("SSO_TIMEOUT") or 10,
    )
    app = current_app._get_current_object()
    with _client_lock:
        held = app.extensions.get(_EXTENSION)
        if held is None or held[0] != settings:
            client_kwargs = {
                "scope": settings[3],
                "code_challenge_method": "S256",
                "default_timeout": settings[4],
            }
            if not settings[2]:
                client_kwargs["token_endpoint_auth_method"] = "none"  # a public client: PKCE only
            client = OAuth(app).register(
                CLIENT_NAME,
                client_id=settings[1],
                client_secret=settings[2] or None,
                server_metadata_url=issuer + "/.well-known/openid-configuration",
                client_kwargs=client_kwargs,
            )
            held = (settings, client)
            app.extensions[_EXTENSION] = held
    client = held[1]
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        log.warning("single sign-on: the provider's discovery document failed: %s", exc)
        raise ProviderProblem(_provider_unreachable()) from exc
    if str(metadata.get("issuer", "")).rstrip("/") != issuer:
        log.error(
            "single sign-on: the discovery document names issuer %r, not SSO_ISSUER %r",
            metadata.get("issuer"),
            issuer,
        )
        client.server_metadata.clear()  # read it again next time
        raise ProviderProblem(_provider_unreachable())
    return client


def _provider_unreachable() -> str:
    return _(
        "Không kết nối được với hệ thống đăng nhập của thành phố. Vui lòng thử lại sau ít phút "
        "hoặc đăng nhập bằng email và mật khẩu."
    )


# ---- sign-in ----------------------------------------------------------------------------


def sso_login():
    """Send the person to the provider's sign-in page."""
    if not sso_enabled():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("paths.home"))
    try:
        client = _client()
    except ProviderProblem as exc:
        return _error_page(503, str(exc))
    for key in [k for k in session if k.startswith(f"_state_{CLIENT_NAME}_")]:
        session.pop(key)  # only the latest attempt counts: the cookie stays small
    session[NEXT_KEY] = local_target(request.args.get("next"), "")
    return client.authorize_redirect(
        _public_url("auth.sso_callback"), ui_locales=str(get_locale() or "vi")
    )


def sso_callback():
    """The provider's answer: check it, find the account, sign in."""
    if not sso_enabled():
        abort(404)
    claims: dict = {}
    try:
        claims, id_token = _verified_claims()
        user = account_for(claims)
    except MismatchingStateError:
        db.session.rollback()
        if current_user.is_authenticated:
            return redirect(url_for("paths.home"))  # e.g. the callback opened twice
        return _error_page(
            400,
            _(
                "Yêu cầu đăng nhập này không hợp lệ hoặc đã hết hạn (có thể do mở lại một liên "
                "kết cũ). Vui lòng đăng nhập lại."
            ),
        )
    except SsoRefused as exc:
        db.session.rollback()
        record_audit(
            "auth.sso.refused",
            target=f"sso:{str(claims.get('sub', ''))[:100]}",
            detail={"reason": exc.reason, "email": str(claims.get("email") or "")[:254]},
        )
        db.session.commit()
        return _error_page(403, exc.message)
    except ProviderProblem as exc:
        db.session.rollback()
        return _error_page(exc.status, str(exc))
    target = local_target(session.pop(NEXT_KEY, None), url_for("paths.home"))
    carry = {"via": "sso", "id_token": id_token}
    if asks_for_code(user):
        begin_second_step(user, carry)
        db.session.commit()
        return redirect(url_for("auth.login_code", next=target))
    finish_sign_in(user, carry)
    db.session.commit()
    return redirect(target)


def _verified_claims() -> tuple[dict, str]:
    """The provider's claims about the person, from the verified ID token (completed by the
    userinfo endpoint when the token lacks the e-mail or name), and the raw ID token."""
    client = _client()
    try:
        token = client.authorize_access_token()
    except MismatchingStateError:
        raise
    except OAuthError as exc:
        raise _provider_refusal(exc) from exc
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as exc:
        log.warning("single sign-on: the ID token was refused: %r", exc)
        raise ProviderProblem(
            _(
                "Không xác minh được phản hồi của hệ thống đăng nhập của thành phố. "
                "Vui lòng thử lại."
            )
        ) from exc
    except requests.RequestException as exc:
        log.warning("single sign-on: the token request failed: %s", exc)
        raise ProviderProblem(_provider_unreachable()) from exc
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub") or not token.get("id_token"):
        raise ProviderProblem(
            _("Hệ thống đăng nhập của thành phố không gửi mã định danh (ID token).")
        )
    if not (claims.get("email") and claims.get("name")) and _has_userinfo(client):
        claims = _with_userinfo(client, token, claims)
    return claims, token["id_token"]


def _has_userinfo(client) -> bool:
    return bool(client.server_metadata.get("userinfo_endpoint"))


def _with_userinfo(client, token: dict, claims: dict) -> dict:
    """The ID token's claims completed by the userinfo endpoint (same subject only)."""
    try:
        info = dict(client.userinfo(token=token))
    except (requests.RequestException, AuthlibBaseError, ValueError) as exc:
        log.warning("single sign-on: the userinfo request failed: %s", exc)
        return claims
    if str(info.get("sub")) != str(claims["sub"]):
        log.warning("single sign-on: userinfo names another subject; ignored")
        return claims
    return {**info, **claims}


def _provider_refusal(exc: OAuthError) -> ProviderProblem:
    """The provider answered with an error (the person cancelled, or the request was refused)."""
    code = exc.error if re.fullmatch(r"[a-z_]{1,40}", str(exc.error or "")) else "error"
    log.info("single sign-on: the provider answered %s: %s", code, exc.description)
    if code == "access_denied":
        problem = ProviderProblem(
            _(
                "Đăng nhập bằng tài khoản của thành phố đã bị huỷ hoặc bị từ chối. Bạn có thể "
                "thử lại, hoặc đăng nhập bằng email và mật khẩu."
            )
        )
    else:
        problem = ProviderProblem(
            _(
                "Hệ thống đăng nhập của thành phố từ chối yêu cầu (mã: %(code)s). Vui lòng thử "
                "lại; nếu vẫn lỗi, hãy báo quản trị viên.",
                code=code,
            )
        )
    problem.status = 400
    return problem


def _error_page(status: int, message: str):
    return render_template("auth/sso_error.html", message=message), status


# ---- accounts ---------------------------------------------------------------------------


def account_for(claims: dict) -> User:
    """The active account the provider's ``claims`` name (linked or created as the module says;
    the caller commits), or SsoRefused."""
    subject = str(claims["sub"])[:255]
    user = db.session.scalar(select(User).where(User.sso_subject == subject))
    if user is None:
        user = _link_or_create(subject, claims)
    if not user.is_active:
        raise SsoRefused(
            "deactivated",
            _(
                "Tài khoản của bạn trên Học viện Số đã bị khoá. Vui lòng liên hệ bộ phận nhân sự "
                "của đơn vị nếu cần mở lại."
            ),
        )
    return user


def _verified_email(claims: dict) -> str | None:
    email = str(claims.get("email") or "").strip().lower()
    verified = claims.get("email_verified") in (True, "true")
    if not verified or not email or len(email) > 254 or "@" not in email:
        return None
    return email


def _link_or_create(subject: str, claims: dict) -> User:
    email = _verified_email(claims)
    if email is None:
        raise SsoRefused(
            "email_unverified",
            _(
                "Hệ thống đăng nhập của thành phố chưa xác nhận địa chỉ email của bạn, nên Học "
                "viện Số chưa thể nhận ra tài khoản của bạn. Vui lòng liên hệ bộ phận nhân sự."
            ),
        )
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None:
        if user.sso_subject and user.sso_subject != subject:
            raise SsoRefused(
                "linked_elsewhere",
                _(
                    "Tài khoản Học viện Số có email này đã gắn với một tài khoản khác của thành "
                    "phố. Vui lòng liên hệ quản trị viên."
                ),
            )
        if user.is_active:
            user.sso_subject = subject
            record_audit("auth.sso.linked", target=f"user:{user.id}", actor=user)
        return user
    if not current_app.config.get("SSO_CREATE_ACCOUNTS", True):
        raise SsoRefused(
            "no_account",
            _(
                "Chưa có tài khoản Học viện Số cho %(email)s. Vui lòng liên hệ bộ phận nhân sự.",
                email=email,
            ),
        )
    return _create_account(subject, email, claims)


def _create_account(subject: str, email: str, claims: dict) -> User:
    unit = _default_unit()
    roles = default_roles()
    try:
        with db.session.begin_nested():
            user = create_user(email, _full_name(claims, email), roles=roles, unit=unit)
            user.sso_subject = subject
            user.locale = _locale(claims)
            db.session.flush()
    except IntegrityError:
        # the same person's other tab got there first: use what it made
        user = db.session.scalar(select(User).where(User.sso_subject == subject))
        if user is None:
            raise SsoRefused(
                "conflict", _("Không tạo được tài khoản lúc này. Vui lòng thử lại.")
            ) from None
        return user
    record_audit(
        "auth.sso.account_created",
        target=f"user:{user.id}",
        actor=user,
        detail={"email": email, "unit": unit.code if unit else None, "roles": sorted(roles)},
    )
    return user


def default_roles() -> list[str]:
    """SSO_DEFAULT_ROLES as known role names (a list, or one text split at commas and spaces);
    a learner when none is left."""
    raw = current_app.config.get("SSO_DEFAULT_ROLES") or []
    names = re.split(r"[,\s]+", raw) if isinstance(raw, str) else [str(name) for name in raw]
    roles = [name for name in dict.fromkeys(n.strip() for n in names) if name in ROLES]
    unknown = [name for name in names if name and name not in ROLES]
    if unknown:
        log.warning("SSO_DEFAULT_ROLES: unknown roles ignored: %s", unknown)
    return roles or ["learner"]


def _default_unit() -> Unit | None:
    code = current_app.config.get("SSO_DEFAULT_UNIT_CODE")
    if not code:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == str(code)))
    if unit is None:
        log.warning(
            "SSO_DEFAULT_UNIT_CODE %r names no unit: the account is created without one", code
        )
    return unit


def _full_name(claims: dict, email: str) -> str:
    """The provider's ``name``; else family then given name (the Vietnamese order); else the
    preferred user name; else the e-mail's local part."""
    parts = [str(claims.get(key) or "").strip() for key in ("family_name", "given_name")]
    for candidate in (
        claims.get("name"),
        " ".join(part for part in parts if part),
        claims.get("preferred_username"),
        email.split("@", 1)[0],
    ):
        text = " ".join(str(candidate or "").split())
        if text:
            return text[:200]
    return email[:200]


def _locale(claims: dict) -> str:
    wanted = str(claims.get("locale") or "").lower()[:2]
    languages = current_app.config.get("LANGUAGES") or ("vi",)
    return wanted if wanted in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


# ---- sign-out ---------------------------------------------------------------------------


def provider_logout_url() -> str | None:
    """Where to send a person signing out (call before the session is cleared): the provider's
    end-session endpoint when they signed in through it and it offers one; else None."""
    signed_in = session.get(SIGN_IN_KEY)
    if not (sso_enabled() and isinstance(signed_in, dict) and signed_in.get("via") == "sso"):
        return None
    try:
        endpoint = _client().server_metadata.get("end_session_endpoint")
    except ProviderProblem:
        return None  # the local session still ends
    if not endpoint:
        return None
    params = {
        "client_id": current_app.config["SSO_CLIENT_ID"],
        "post_logout_redirect_uri": _public_url("auth.login"),
    }
    if signed_in.get("id_token"):
        params["id_token_hint"] = signed_in["id_token"]
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def add_routes(bp) -> None:
    """Put the sign-in routes on the auth blueprint (views.py calls this)."""
    bp.add_url_rule("/login/sso", "sso_login", sso_login)
    bp.add_url_rule("/login/sso/callback", "sso_callback", sso_callback)
