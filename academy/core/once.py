"""One record per form, however often it is sent.

A creating form carries ``{{ once_token() }}``: a random token rendered with the page. The view,
decorated with ``@submit_once``, stores the token in the same transaction as what it creates, so a
double click, a resent POST or two concurrent copies create one record; the copy is redirected to
where the first submission led.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import wraps

from flask import flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import ForeignKey, String, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from academy.database import UTCDateTime, db, utcnow
from academy.errors import BadRequest
from academy.security import local_target

FIELD = "once_token"


class FormSubmission(db.Model):
    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def once_token() -> Markup:
    """The hidden field a creating form carries (a Jinja global)."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (FIELD, secrets.token_urlsafe(24))


def submit_once(view):
    """Let the first POST bearing a token through; answer later copies with its outcome."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        token = request.form.get(FIELD, "") if request.method == "POST" else ""
        if not token:
            return view(*args, **kwargs)
        if len(token) > 64:
            raise BadRequest
        user_id = current_user.id if current_user.is_authenticated else None
        db.session.add(FormSubmission(token=token, user_id=user_id))
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return _already_sent(token)
        response = make_response(view(*args, **kwargs))
        if 300 <= response.status_code < 400 and response.location:
            db.session.execute(
                update(FormSubmission)
                .where(FormSubmission.token == token)
                .values(location=response.location[:500])
            )
            db.session.commit()
        return response

    return wrapped


def _already_sent(token: str):
    previous = db.session.get(FormSubmission, token)
    flash(_("Biểu mẫu này đã được gửi; không tạo thêm bản ghi nào."), "info")
    location = previous.location if previous is not None else None
    home = url_for("paths.home")
    return redirect(local_target(location, "") or local_target(request.referrer, home), 303)
