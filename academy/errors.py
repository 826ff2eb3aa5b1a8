"""Domain errors: what services raise instead of speaking HTTP.

Views and ``academy.core.errors`` turn each into the page of the status it names.
"""

from __future__ import annotations


class DomainError(Exception):
    """Something the request asked for cannot be done; ``status`` is the HTTP answer it gets."""

    status = 400


class BadRequest(DomainError):
    """The request itself is malformed (answered 400)."""

    status = 400


class Forbidden(DomainError):
    """The reader may not do this, and may know the thing exists (answered 403)."""

    status = 403


class NotFound(DomainError):
    """No such thing, or not one the reader may know of (answered 404)."""

    status = 404
