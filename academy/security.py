"""The security headers every response carries, and the one check for redirect targets.

The user loader (sessions that really end) lives in ``academy.auth.sessions``."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

from academy.http_cache import make_shared_conditional

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def local_target(target: str | None, default: str) -> str:
    """Where to send the reader back to: ``target`` if it is a path on this site, else ``default``.

    The one check for every redirect to a client-supplied address (``next``, the referrer). It
    judges the address as a browser will read it (WHATWG URL parsing: backslashes count as slashes,
    tabs and line breaks vanish), so ``/\\evil.example`` or ``/<TAB>/evil.example`` cannot turn into
    ``//evil.example``, another site. Anything carrying a control, format or space character, even
    percent-encoded in the path, is refused outright; so is any other host. An absolute address on
    this very site is shortened to its path.
    """
    path = _same_site_path(target)
    return path if path is not None else default


MAX_TARGET_LENGTH = 2048


def _same_site_path(target) -> str | None:
    if not isinstance(target, str) or not target or len(target) > MAX_TARGET_LENGTH or _odd(target):
        return None
    address = target.replace("\\", "/")
    if address.startswith("//"):  # scheme-relative: another host (and "///x" would hide the netloc)
        return None
    try:
        parts = urlsplit(address)
    except ValueError:  # e.g. an unbalanced "[" taken for an IPv6 host
        return None
    if (parts.scheme or parts.netloc) and not _this_site(parts.scheme, parts.netloc):
        return None
    path = parts.path or ("/" if parts.netloc else "")
    decoded = unquote(path)
    if not path.startswith("/") or decoded.startswith("//") or "\\" in decoded or _odd(decoded):
        return None
    query = f"?{parts.query}" if parts.query else ""
    return path + query + (f"#{parts.fragment}" if parts.fragment else "")


def _odd(text: str) -> bool:
    """A control (C0, DEL, C1), invisible format (zero-width, bidi) or space/line separator."""
    return any(unicodedata.category(ch)[0] in "CZ" for ch in text)


def _this_site(scheme: str, netloc: str) -> bool:
    return (
        has_request_context()
        and scheme.lower() == request.scheme
        and netloc.lower() == request.host.lower()
    )


def static_file_headers() -> dict[str, str]:
    """The headers every response carries whatever the request (WhiteNoise adds them to the
    static files it serves before Flask runs)."""
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def set_security_headers(response):
    headers = response.headers
    for name, value in static_file_headers().items():
        headers.setdefault(name, value)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint and not request.endpoint.endswith("static"):
        # A page the same for everyone gets an ETag (304 on If-None-Match); any other no-store.
        response = make_shared_conditional(response)
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_security(app) -> None:
    app.after_request(set_security_headers)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        # Behind a reverse proxy: trust exactly that many X-Forwarded-* hops (client IP, scheme).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
