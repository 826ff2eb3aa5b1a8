"""The real application under gunicorn, on its own database, for browser, system and bench runs.

Nothing here imports the app at module level: a live server is a separate set of processes,
configured only through ``ACADEMY_*`` environment variables as in production.

    env = live_env(tmp_dir, database_url)
    prepare_database(env, demo_learners=10)
    with LiveServer(env, workers=3) as server:
        urllib.request.urlopen(server.url("/healthz"))
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
GUNICORN = str(BIN / "gunicorn") if (BIN / "gunicorn").exists() else shutil.which("gunicorn")
SECRET = "live-server-secret-" + "x" * 40
DEMO_PASSWORD = "HocVienSo@2026"  # academy.demo.data.DEMO_PASSWORD
DEMO_DOMAIN = "hvs.gov.vn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sqlite_url(directory: Path | str) -> str:
    return "sqlite:///" + str(Path(directory) / "live.sqlite3")


def live_env(directory: Path | str, database_url: str, **settings) -> dict:
    """Environment for the CLI and gunicorn: production config with a real secret, a fresh
    instance folder, the given database. ``settings`` become ``ACADEMY_<NAME>`` variables."""
    instance = Path(directory) / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACADEMY_")}
    env.update(
        {
            "ACADEMY_ENV_NAME": "production",
            "ACADEMY_SECRET_KEY": SECRET,
            "ACADEMY_DATABASE_URL": database_url,
            "ACADEMY_INSTANCE_PATH": str(instance),
            "ACADEMY_REDIS_URL": "",
            "ACADEMY_PUBLIC_BASE_URL": "http://127.0.0.1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    for name, value in settings.items():
        env["ACADEMY_" + name.upper()] = value if isinstance(value, str) else _json(value)
    return env


def _json(value) -> str:
    return json.dumps(value)


# ---- database preparation ----------------------------------------------------------------

PREPARE = """
import sys
from academy import create_app

app = create_app()
steps = [s.split("\x1f") for s in sys.argv[1:]]
for step in steps:
    result = app.test_cli_runner().invoke(args=step, catch_exceptions=False)
    print(result.output)
    if result.exit_code:
        sys.exit(f"flask {' '.join(step)} exited with {result.exit_code}")
"""


def schema_step() -> list[str]:
    """How a live server's tables are built: the migrations, as in a deployment."""
    return ["db", "upgrade"]


def run_steps(env: dict, steps: list[list[str]], timeout: float = 900) -> str:
    """Run CLI commands (``["courses", "import", PATH]``…) in one process: the app is built once."""
    return _run(
        [PYTHON, "-c", PREPARE, *("\x1f".join(step) for step in steps)], env, timeout=timeout
    ).stdout


def _run(cmd: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[:6])[:200]} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def prepare_database(
    env: dict, *, courses: bool = True, demo_learners: int | None = 0, extra: list[list[str]] = ()
) -> str:
    """Tables, the shipped curriculum (``flask courses import courses/``) and the demo data
    (``flask demo seed``: one account per role, ``demo_learners`` learners); returns the output."""
    steps = [schema_step()]
    if courses:
        steps.append(["courses", "import", str(REPO / "courses")])
    if demo_learners is not None:
        steps.append(["demo", "seed", "--learners", str(demo_learners)])
    return run_steps(env, steps + list(extra))


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


# ---- PostgreSQL: a fresh database on a server we are given ---------------------------------


def fresh_postgres_database(base_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``base_url``; return its URL."""
    server, _, _ = base_url.rpartition("/")
    admin = server + "/postgres"
    with psycopg.connect(
        admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def drop_postgres_database(url: str) -> None:
    server, _, name = url.rpartition("/")
    with (
        contextlib.suppress(Exception),
        psycopg.connect(
            server.replace("postgresql+psycopg://", "postgresql://") + "/postgres", autocommit=True
        ) as conn,
    ):
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- gunicorn --------------------------------------------------------------------------------

ACCESS_FORMAT = (
    '%(h)s %(t)s "%(r)s" %(s)s %(b)s pid=%(p)s %(L)ss'  # which worker served it, and how long
)


class LiveServer:
    """``gunicorn wsgi:app`` on a free port; started on enter, always stopped on exit."""

    def __init__(
        self,
        env: dict,
        *,
        workers: int = 2,
        worker_class: str = "sync",
        threads: int = 1,
        app: str = "wsgi:app",
        timeout: int = 30,
        log_dir: Path | str | None = None,
    ):
        self.env = env
        self.port = free_port()
        self.workers, self.worker_class, self.threads = workers, worker_class, threads
        self.app, self.timeout = app, timeout
        self.log_path = Path(log_dir or env["ACADEMY_INSTANCE_PATH"]) / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def command(self) -> list[str]:
        return [
            GUNICORN,
            "-w",
            str(self.workers),
            "-k",
            self.worker_class,
            "--threads",
            str(self.threads),
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            str(self.timeout),
            "--graceful-timeout",
            "3",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            "--access-logformat",
            ACCESS_FORMAT,
            self.app,
        ]

    def start(self, wait: float = 60) -> LiveServer:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.command(),
            cwd=REPO,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_healthy(wait)
        return self

    def wait_healthy(self, wait: float = 60) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log()[-4000:]}"
                )
            if self.health() == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"/healthz never answered 200 within {wait}s:\n{self.log()[-4000:]}")

    def health(self) -> int | None:
        try:
            with urllib.request.urlopen(self.url("/healthz"), timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return None

    def worker_pids(self) -> list[int]:
        import psutil  # noqa: PLC0415 - from the optional `bench` extra; only fault tests need it

        if self.process is None:
            return []
        return [child.pid for child in psutil.Process(self.process.pid).children()]

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        self._log.close()

    def __enter__(self) -> LiveServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


# ---- private servers for fault tests (never the machine's shared ones) -----------------------


def _pg_bin(name: str) -> str | None:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else shutil.which(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    return (
        [runuser, "-u", "postgres", "--", *cmd]
        if runuser
        else ["su", "postgres", "-c", " ".join(cmd)]
    )


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on its own port, which a test may stop and start at will."""

    def __init__(self):
        self.port = free_port()
        self.dir: Path | None = None

    @staticmethod
    def available() -> bool:
        if not (_pg_bin("initdb") and _pg_bin("pg_ctl")):
            return False
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return False
        return True

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/academy"

    def init(self) -> PrivatePostgres:
        self.dir = Path(tempfile.mkdtemp(prefix="academy-pg-"))
        self.dir.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        subprocess.run(
            _as_postgres(
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.start()
        subprocess.run(
            _as_postgres(
                [
                    _pg_bin("createdb") or "createdb",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "academy",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres(
                [
                    _pg_bin("pg_ctl"),
                    "-D",
                    str(self.dir / "data"),
                    "-l",
                    str(self.dir / "pg.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_postgres(
                [_pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "-w", "stop"]
            ),
            capture_output=True,
            timeout=90,
        )

    def destroy(self) -> None:
        if self.dir is None:
            return
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


class PrivateRedis:
    """``redis-server`` on its own port with no persistence; started and killed by the test."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


# ---- a small HTTP client with cookies (the venv has no requests) ------------------------------


class Response:
    def __init__(self, status: int, headers, body: bytes, url: str):
        self.status, self.headers, self.body, self.url = status, headers, body, url

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.url}>"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpSession:
    """Cookies kept, redirects not followed unless asked, errors returned as responses."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url, self.timeout = base_url, timeout
        self.cookies = http.cookiejar.CookieJar()
        cookie_handler = urllib.request.HTTPCookieProcessor(self.cookies)
        self._plain = urllib.request.build_opener(cookie_handler, _NoRedirect())
        self._follow = urllib.request.build_opener(cookie_handler)

    def request(
        self,
        method: str,
        path: str,
        data: dict | list | bytes | None = None,
        *,
        headers: dict | None = None,
        follow: bool = False,
    ) -> Response:
        body = data
        headers = dict(headers or {})
        if isinstance(data, (dict, list)):
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        url = path if path.startswith("http") else self.base_url + path
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        opener = self._follow if follow else self._plain
        try:
            with opener.open(req, timeout=self.timeout) as resp:
                return Response(resp.status, resp.headers, resp.read(), resp.geturl())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.headers, exc.read(), url)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data=None, **kwargs) -> Response:
        return self.request("POST", path, data if data is not None else {}, **kwargs)

    def post_files(
        self, path: str, fields: dict, files: dict[str, tuple[str, bytes, str]]
    ) -> Response:
        """A multipart/form-data POST; ``files`` maps a field to (file name, content, type)."""
        boundary = uuid.uuid4().hex
        parts = [
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
            for name, value in fields.items()
        ]
        for name, (filename, content, content_type) in files.items():
            parts.append(
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            "POST",
            path,
            body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def csrf_token(self, path: str) -> str:
        return csrf_token_in(self.get(path, follow=True).text)

    def login(self, email: str, password: str = DEMO_PASSWORD) -> Response:
        token = self.csrf_token("/login")
        response = self.post("/login", {"email": email, "password": password, "csrf_token": token})
        if response.status != 302:
            raise AssertionError(f"login as {email} failed: {response.status}")
        return response


def csrf_token_in(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not match:
        raise AssertionError("no CSRF token in the page")
    return match.group(1)
