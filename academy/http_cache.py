"""ETags for the pages that are the same for everyone; every other page stays ``no-store``.

A shared page (public, naming no person: the certificate check, the public JSON documents, the
calendar feed a link names) gets an ETag from its body and answers ``If-None-Match`` with 304,
the security headers kept (``academy.security.set_security_headers`` calls this after setting
them). The body is still rendered: a 304 saves the transfer, not the work.

A page carrying a form also carries the visitor's CSRF token, signed afresh on each request.
That token is left out of the hash and the session's own token put in, so the tag is weak
("the same page") and a 304 only ever revives a page whose token still works in this session.
"""

from __future__ import annotations

import hashlib

from flask import current_app, g, request, session

# Endpoints whose successful GET is the same for whoever asks for that URL.
SHARED_PAGES = frozenset(
    {
        "certificates.verify",  # /verify/<code>: valid or revoked, nothing personal
        "certificates.verify_lookup",  # /verify: the form to type a code
        "training.calendar_feed",  # /calendar/<token>.ics: the link is the credential
        "certificates.jwks",  # /.well-known/jwks.json: the credential keys
        "certificates.issuer",  # /credentials/issuer: the issuer profile
        "certificates.status",  # /credentials/status/<n>: the revocation list
    }
)


def is_shared_page(response) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and request.endpoint in SHARED_PAGES
        and response.status_code == 200
        and not response.is_streamed
        and not response.direct_passthrough
        and "ETag" not in response.headers
    )


def make_shared_conditional(response):
    """Tag a shared page and turn it into a 304 when the client already holds it."""
    if not is_shared_page(response):
        return response
    body = response.get_data()
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    signed = g.get(field)
    weak = isinstance(signed, str) and bool(signed)
    if weak:
        body = body.replace(signed.encode(), b"") + b"\0" + str(session.get(field)).encode()
    response.set_etag(hashlib.sha256(body).hexdigest()[:32], weak=weak)
    response.headers.setdefault("Cache-Control", "private, no-cache")
    return response.make_conditional(request)
