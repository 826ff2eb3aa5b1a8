"""Configuration: defaults, then ``instance/config.py``, then ``ACADEMY_*`` variables."""

import json
import logging
import os

from flask import Config

DEV_SECRET = "dev-only-not-secret"
log = logging.getLogger(__name__)


class Defaults:
    ENV_NAME = "production"  # production|development|testing
    SECRET_KEY = None  # required outside dev/testing
    TESTING = False  # Flask's test mode (set by ENV_NAME=testing)
    SQLALCHEMY_DATABASE_URI = None  # filled in by load_config: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}  # over database.engine_options (pool, SQLite)
    REDIS_URL = None  # rate-limit counters and the RQ queue; None: in-process
    CACHE_ENABLED = True  # fragments and derived data kept between requests (academy/cache.py)
    CACHE_DEFAULT_TIMEOUT = 600  # seconds an unused cache entry is kept
    CACHE_LOCAL_ITEMS = 5000  # entries kept in each process's own cache
    CACHE_PAGE_ITEMS = 1000  # whole pages kept in each process (≈ 10–30 KB each)
    CACHE_KEY_PREFIX = "academy:"  # in the shared cache (Redis)
    JOBS_EAGER = False  # run in-process jobs inline instead of on a thread (tests)
    BABEL_DEFAULT_LOCALE = "vi"  # for a reader who chose none
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"  # dates on pages, reports, certificates
    LANGUAGES = ("vi", "en")  # the languages a reader may choose
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True  # page scripts cannot read the session cookie
    SESSION_COOKIE_SAMESITE = "Lax"  # other sites cannot post with it
    SESSION_COOKIE_SECURE = (
        False  # load_config turns it on when PUBLIC_BASE_URL is https://, unless set
    )
    PERMANENT_SESSION_LIFETIME = 8 * 3600  # seconds a sign-in lasts
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # bytes of one request (else 413)
    RATELIMIT_ENABLED = True  # rate limits on sign-in and verification
    RATELIMIT_HEADERS_ENABLED = True  # X-RateLimit-* headers
    RATELIMIT_STORAGE_URI = None  # counters' store; None: REDIS_URL or memory://
    RATELIMIT_STORAGE_OPTIONS: dict = {}  # empty with Redis: 1 s timeouts
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # while the store is down
    RATELIMIT_SWALLOW_ERRORS = True  # a store failure is no error page
    LOGIN_RATE_LIMIT = "5 per minute"  # sign-in attempts per client address
    LOGIN_ACCOUNT_FREE_ATTEMPTS = 5  # sign-in attempts on one account before it must wait
    LOGIN_ACCOUNT_DELAY = 15  # seconds of the first wait; each further attempt doubles it
    LOGIN_ACCOUNT_MAX_DELAY = 900  # the wait never grows beyond this (no lasting lockout)
    LOGIN_ACCOUNT_WINDOW = (
        3600  # seconds without an attempt after which an account's count is forgotten
    )
    TOTP_REQUIRED_ROLES: list = []  # roles signing in with a second factor, e.g. ["admin", "hr"]
    TOTP_ISSUER = "Học viện Số"  # the name authenticator apps show beside the account
    VERIFY_RATE_LIMIT = "30 per minute"  # verifications per client address
    INVITATION_DAYS = 7  # an invitation link (set a first password) works this many days
    PASSWORD_RESET_MINUTES = 60  # a password reset link works this many minutes
    RESET_RATE_LIMIT = "5 per hour"  # "forgot password" requests per client address
    RESET_MAIL_INTERVAL_MINUTES = 5  # at most one reset mail per account in this many minutes
    QUIZ_MAX_ATTEMPTS = 5  # per learner and module; 0 means unlimited
    QUIZ_TOKEN_MAX_AGE = 6 * 3600  # seconds a (placement) quiz form is valid
    QUIZ_TIME_GRACE = 30  # seconds a timed quiz is still accepted after its limit (network, clocks)
    RECOMMENDER_ALGORITHM = (
        "auto"  # chosen by cross-validation on the results; or force one (SVD, Blend, …)
    )
    RECOMMENDER_RETRAIN_EVERY = 500  # new attempts between background retrains; 0 = never
    RECOMMENDER_PARAMS: dict = {}  # overrides of the algorithm's parameters
    RECOMMENDER_CV_FOLDS = 3  # folds for the error recorded with each trained model
    RECOMMENDER_RELOAD_SECONDS = 30  # how often a web worker looks for a newer model
    PATH_CATALOGUE_SECONDS = 60  # how long a worker caches the published module catalogue
    CERTIFICATE_ISSUER_NAME = "PGS.TS. Nguyễn Văn A"  # who signs certificates
    CERTIFICATE_ISSUER_TITLE = "Giám đốc Học viện Số"  # the signer's title, under the name
    CERTIFICATE_ORGANISATION = "Học viện Số"  # heads the certificate
    CERTIFICATE_ORGANISATION_PARENT = ""  # e.g. the city party committee the academy belongs to
    CERTIFICATE_PLACE = "Thành phố"  # printed before the date: "<place>, ngày … tháng … năm …"
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"  # printed in certificate QR codes
    # E-mail. No MAIL_SERVER: messages are written to instance/outbox/*.eml (see /admin/outbox).
    MAIL_SERVER = None  # SMTP host, e.g. "smtp.hvs.gov.vn"
    MAIL_PORT = None  # None: 465 with MAIL_USE_SSL, else 25 (587 is usual with MAIL_USE_TLS)
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USE_SSL = False  # TLS from the start (SMTPS, usually port 465)
    MAIL_USERNAME = None  # SMTP login, if the server wants one
    MAIL_PASSWORD = None  # and its password
    MAIL_DEFAULT_SENDER = "Học viện Số <no-reply@hvs.gov.vn>"  # the From of every message
    MAIL_TIMEOUT = 30  # seconds to wait for the SMTP server before a try counts as failed
    MAIL_MAX_ATTEMPTS = 8  # tries of one message (1, 5, 30 min, 2, 6, 12, 24 h apart), then failed
    MAIL_BATCH_SIZE = 50  # messages claimed at once and sent over one SMTP connection
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # an image, course archive or PDF
    STATIC_BUILD_DIR = None  # where `flask static build` writes; None: <instance>/static-build
    IMPORT_MAX_ROWS = 50_000  # data rows (non-empty) in one user import file
    IMPORT_MAX_COLUMNS = 50  # a value beyond this column of an import file is refused (6 are used)
    IMPORT_MAX_CELL_CHARS = 1_000  # characters in one cell or CSV field of an import file
    IMPORT_MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024  # an XLSX import's members, all decompressed
    IMPORT_MAX_COMPRESSION_RATIO = 200  # uncompressed/compressed size of any XLSX member over 1 MiB
    DOWNLOAD_LINK_HOURS = 24  # a job's file link lives this long
    REPORT_PDF_MAX_ROWS = 2000  # more rows: the PDF points to CSV
    REPORT_XLSX_SYNC_MAX_ROWS = 50_000  # larger: built as a background job
    REPORT_PDF_SYNC_MAX_ROWS = 200  # more rows (about 20 pages): the PDF is a background job
    EVALUATION_PDF_SYNC_MAX_PEOPLE = 300  # more people: the year-end evaluation PDF is a job
    DASHBOARD_CACHE_SECONDS = 15  # dashboard figures reused this long
    WARNING_IDLE_DAYS = 14  # early warning: no activity in a course for this many days
    WARNING_PACE_GRACE_DAYS = 7  # early warning: pace is judged after this many days enrolled
    WARNING_CACHE_SECONDS = 60  # an early-warning list is reused this long (0: always fresh)
    TRAINING_HOURS_REQUIRED = 40  # training hours a year, for a position without its own
    CHECKIN_CODE_SECONDS = 30  # a check-in QR code changes this often; a scan works for 2 of them
    CHECKIN_OPENS_MINUTES = 30  # check-in opens this long before the start; sign-out closes after
    CHECKIN_LATE_MINUTES = 10  # checked in later than the start plus this: marked late
    CHECKIN_POST_GRACE_SECONDS = 30  # more time a scanned code has when its page's button is sent
    HOURS_WARNING_FROM_MONTH = 10  # from this month, people short of hours join the early warning
    ASSIGNMENT_JOINER_MIN_DAYS = 30  # days at least a joiner has for a mandate's fixed due date
    REMINDER_HOUR = 7  # local hour of the daily reminder run the RQ scheduler keeps (0-23)
    PROXY_HOPS = 0  # reverse proxies in front of the app whose X-Forwarded-* headers we trust
    # Single sign-on (OpenID Connect) through the city's identity provider: on when SSO_ISSUER and
    # SSO_CLIENT_ID are set. Register <PUBLIC_BASE_URL>/login/sso/callback at the provider.
    SSO_ISSUER = None  # the provider's issuer URL (discovery at /.well-known/openid-configuration)
    SSO_CLIENT_ID = None  # this site's client id at the provider
    SSO_CLIENT_SECRET = None  # and its secret (client_secret_basic)
    SSO_SCOPES = "openid email profile"  # scopes asked for at sign-in
    SSO_BUTTON_LABEL = "Tài khoản công vụ của thành phố"  # named on the sign-in button
    SSO_DEFAULT_UNIT_CODE = None  # unit of an account created on first sign-in; None: no unit
    SSO_DEFAULT_ROLES: list = ["learner"]  # roles of an account created on first sign-in
    SSO_CREATE_ACCOUNTS = True  # False: only people who already have an account may sign in
    SSO_DISABLE_LOCAL_PASSWORDS = (
        False  # True: a person linked to the provider has no password here
    )
    SSO_TIMEOUT = 10  # seconds to wait for the provider (discovery, token, keys, userinfo)
    # xAPI 1.0.3: learning events as statements to a Learning Record Store (README "xAPI").
    XAPI_LRS_URL = None  # the LRS's xAPI endpoint, e.g. "https://lrs.hvs.gov.vn/xAPI"; None: off
    XAPI_LRS_USERNAME = None  # basic-auth key at the LRS
    XAPI_LRS_PASSWORD = None  # and its secret
    XAPI_ACTOR = "account"  # learner as {homePage, name: user id}; "mbox": by e-mail instead
    XAPI_TIMEOUT = 10  # seconds to wait for the LRS before a try counts as failed
    XAPI_MAX_ATTEMPTS = 10  # tries of one statement (1, 5, 30 min, … 24 h apart), then failed
    XAPI_BATCH_SIZE = 50  # statements claimed at once and sent in one POST


ENV_OVERRIDES = {
    "development": {"SECRET_KEY": DEV_SECRET},
    "testing": {
        "SECRET_KEY": DEV_SECRET,
        "TESTING": True,
        "JOBS_EAGER": True,
        "WARNING_CACHE_SECONDS": 0,
        "HOURS_WARNING_FROM_MONTH": 0,  # off: other tests must not depend on the month
    },
}


TEXT_SETTINGS = (
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "XAPI_LRS_USERNAME",
    "XAPI_LRS_PASSWORD",
)  # never read as JSON


def _coerce(raw: str):
    """Read an environment value as JSON where it parses (numbers, booleans), else as text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def env_settings(environ=os.environ) -> dict:
    """ACADEMY_FOO=bar becomes FOO; ACADEMY_DATABASE_URL names the SQLAlchemy URI."""
    settings = {}
    for key, raw in environ.items():
        if key.startswith("ACADEMY_") and key != "ACADEMY_TEST_DATABASE_URL":
            settings[key.removeprefix("ACADEMY_")] = _coerce(raw)
    if "DATABASE_URL" in settings:
        settings["SQLALCHEMY_DATABASE_URI"] = str(settings.pop("DATABASE_URL"))
    if "REDIS_URL" in settings:
        settings["REDIS_URL"] = str(settings["REDIS_URL"]) or None
    for key in TEXT_SETTINGS:  # "123456" or "true" as a password stays that text
        if f"ACADEMY_{key}" in environ:
            settings[key] = environ[f"ACADEMY_{key}"]
    return settings


def load_config(app, test_config=None) -> None:
    """Fill app.config in order: defaults, ENV_NAME presets, instance/config.py, environment,
    test_config."""
    app.config.from_object(Defaults)
    instance = Config(app.instance_path)
    instance.from_pyfile("config.py", silent=True)
    explicit = dict(instance)
    explicit.update(env_settings())
    explicit.update(test_config or {})
    env_name = explicit.get("ENV_NAME", Defaults.ENV_NAME)
    app.config.update(ENV_OVERRIDES.get(env_name, {}))
    app.config.update(explicit)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "ACADEMY_SECRET_KEY is not set. Set a long random value "
            "(python -c 'import secrets; print(secrets.token_hex(32))'), "
            "or ACADEMY_ENV_NAME=development for local work."
        )
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + os.path.join(app.instance_path, "academy.sqlite3")
    if uri.startswith(("postgresql://", "postgres://")):
        uri = "postgresql+psycopg://" + uri.split("://", 1)[1]  # psycopg 3 is the driver we ship
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    _secure_cookie(app, explicit)


def _secure_cookie(app, explicit: dict) -> None:
    """A site served over https sends its session cookie over https only, unless told otherwise;
    production without that says so at start-up."""
    if "SESSION_COOKIE_SECURE" not in explicit:
        app.config["SESSION_COOKIE_SECURE"] = str(
            app.config.get("PUBLIC_BASE_URL") or ""
        ).startswith("https://")
    if app.config.get("ENV_NAME") == "production" and not app.config["SESSION_COOKIE_SECURE"]:
        log.warning(
            "SESSION_COOKIE_SECURE is off in production: the session cookie also travels over "
            "plain http. Serve over https and set ACADEMY_PUBLIC_BASE_URL=https://…, or set "
            "ACADEMY_SESSION_COOKIE_SECURE=true."
        )
