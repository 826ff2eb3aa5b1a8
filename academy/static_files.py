"""Static files under content-hashed names, compressed, cached for a year; served by WhiteNoise.

``flask static build`` (run by ``make run``) copies academy/static into
``<instance>/static-build/files`` as ``css/app.<hash>.css`` (CSS ``url(...)`` references rewritten
to the hashed names first, so a changed font renames the CSS too), writes ``.gz`` and ``.br``
beside each file worth compressing, and last ``manifest.json`` (source name → hashed name).

At run time ``url_for('static', filename=…)`` stays the one call templates make: a URL-defaults
hook swaps in the hashed name when the manifest lists it. WhiteNoise, wrapped around the WSGI app,
answers for the hashed files (precompressed body as ``Accept-Encoding`` allows, one-year immutable
cache) before Flask runs. Without a manifest (a clean clone, the tests' bare app) nothing changes:
Flask's own static route serves the source files under their plain names, revalidated each time.

``create_app()`` does no I/O for this: the manifest is read, and WhiteNoise scans the build,
on the first request (and again after a build in the same process).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import threading
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from academy.security import static_file_headers

ONE_YEAR = 31_536_000
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"
SHORT_MAX_AGE = 60  # seconds, for a file WhiteNoise serves under a name without a hash
HASH_LENGTH = 12
CSS_URL = re.compile(r"""url\(\s*(?P<quote>['"]?)(?P<ref>[^'")\s]+)(?P=quote)\s*\)""")
EXTERNAL = re.compile(r"^([a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)


# ---------------------------------------------------------------- the build


def build_dir(app: Flask) -> Path:
    return Path(app.config.get("STATIC_BUILD_DIR") or Path(app.instance_path) / "static-build")


def build_static(app: Flask) -> dict[str, str]:
    """Hash, rewrite and compress every file of ``app.static_folder`` into the build directory;
    return the manifest. Content-addressed names never clash, so a server still running on the
    previous manifest keeps finding its files; the new manifest replaces the old one atomically."""
    source = Path(app.static_folder).resolve()
    target = build_dir(app)
    files = target / "files"
    names = sorted(_source_files(source))
    manifest: dict[str, str] = {}
    compressor = Compressor(quiet=True)
    # CSS last: its url(...) references point at files already hashed.
    for name in sorted(names, key=lambda n: n.endswith(".css")):
        data = (source / name).read_bytes()
        if name.endswith(".css"):
            data = rewrite_css(name, data.decode("utf-8"), manifest).encode("utf-8")
        hashed = manifest[name] = hashed_name(name, data)
        path = files / hashed
        if path.is_file() and (_compressed(path) or not compressor.should_compress(hashed)):
            continue  # built before: same name, same bytes (brotli at its best takes seconds)
        _write(path, data)
        if compressor.should_compress(hashed):
            compressor.compress(str(path))
    _write(target / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True).encode())
    reset(app)
    return manifest


def _source_files(source: Path):
    for path in source.rglob("*"):
        relative = path.relative_to(source).as_posix()
        if path.is_file() and not any(part.startswith(".") for part in relative.split("/")):
            yield relative


def _compressed(path: Path) -> bool:
    return any(path.with_name(path.name + suffix).is_file() for suffix in (".br", ".gz"))


def hashed_name(name: str, data: bytes) -> str:
    """``css/app.css`` → ``css/app.<first 12 hex of sha256>.css``."""
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    directory, base = posixpath.split(name)
    stem, dot, extension = base.rpartition(".")
    base = f"{stem}.{digest}.{extension}" if dot and stem else f"{base}.{digest}"
    return posixpath.join(directory, base)


def rewrite_css(name: str, text: str, manifest: dict[str, str]) -> str:
    """Point each relative ``url(...)`` of the CSS file ``name`` at the hashed file it names,
    still relative (so the CSS works under any prefix); data:, absolute and unknown URLs stay."""
    folder = posixpath.dirname(name)

    def replace(match: re.Match) -> str:
        ref = match["ref"]
        if EXTERNAL.match(ref) or ref.startswith("/"):
            return match[0]
        path, suffix = _split_suffix(ref)
        hashed = manifest.get(posixpath.normpath(posixpath.join(folder, path)))
        if hashed is None:
            return match[0]
        new = posixpath.relpath(hashed, folder or ".") + suffix
        return f"url({match['quote']}{new}{match['quote']})"

    return CSS_URL.sub(replace, text)


def _split_suffix(ref: str) -> tuple[str, str]:
    cut = min((i for i in (ref.find("?"), ref.find("#")) if i >= 0), default=len(ref))
    return ref[:cut], ref[cut:]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(data)
    os.replace(partial, path)


# ---------------------------------------------------------------- serving


class StaticFiles:
    """Per app: the manifest and the WhiteNoise in front of Flask, both loaded at first use."""

    def __init__(self, app: Flask):
        self.app = app
        self.flask_wsgi = app.wsgi_app
        self._lock = threading.Lock()
        self._manifest: dict[str, str] | None = None
        self._server = None

    def reset(self) -> None:
        with self._lock:
            self._manifest, self._server = None, None

    @property
    def manifest(self) -> dict[str, str]:
        if self._manifest is None:
            with self._lock:
                if self._manifest is None:  # debug (`flask --debug run`): edits show at once
                    self._manifest = {} if self.app.debug else self._read()
        return self._manifest

    def _read(self) -> dict[str, str]:
        return _read_manifest(build_dir(self.app) / "manifest.json")

    def wsgi(self, environ, start_response):
        server = self._server
        if server is None:
            manifest = self.manifest  # outside the lock: it takes the lock itself
            with self._lock:
                if self._server is None:
                    self._server = self._make_server(manifest)
                server = self._server
        return server(environ, start_response)

    def _make_server(self, manifest: dict[str, str]):
        if not manifest:
            return self.flask_wsgi
        hashed = frozenset(manifest.values())
        prefix = self.app.static_url_path.rstrip("/") + "/"

        def add_headers(headers, path, url):
            for name, value in static_file_headers().items():
                headers.setdefault(name, value)
            if url.startswith(prefix) and url[len(prefix) :] in hashed:
                headers["Cache-Control"] = IMMUTABLE

        return WhiteNoise(
            self.flask_wsgi,
            root=str(build_dir(self.app) / "files"),
            prefix=prefix,
            max_age=SHORT_MAX_AGE,
            allow_all_origins=False,
            add_headers_function=add_headers,
        )


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict):
        return {}
    return {k: v for k, v in manifest.items() if isinstance(k, str) and isinstance(v, str)}


def reset(app: Flask) -> None:
    state = app.extensions.get("academy_static")
    if state is not None:
        state.reset()


def init_static_files(app: Flask) -> None:
    state = StaticFiles(app)
    app.extensions["academy_static"] = state

    @app.url_defaults
    def hashed_static_name(endpoint: str, values: dict) -> None:
        if endpoint == "static" and isinstance(values.get("filename"), str):
            values["filename"] = state.manifest.get(values["filename"], values["filename"])

    app.wsgi_app = state.wsgi
    app.cli.add_command(static_cli)


# ---------------------------------------------------------------- flask static build

static_cli = AppGroup("static", help="Tệp tĩnh: tên có mã băm, nén sẵn, lưu đệm một năm.")


@static_cli.command("build")
def build_command():
    """Tạo bản tệp tĩnh có mã băm (gzip, brotli) và manifest trong thư mục instance."""
    manifest = build_static(current_app)
    click.echo(f"Đã tạo {len(manifest)} tệp tĩnh có mã băm trong {build_dir(current_app)}.")
