"""Invitations (routes on the admin blueprint): admins for everyone, HR for the people of their
units. One page lists who has not signed in yet and where their invitation stands; one person or
everyone with no sign-in yet is invited from there, the people list or the admin's user list."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, func, select

from academy.admin.views import bp
from academy.auth.access import can_see_person, hr_scope, require, roles_required
from academy.auth.account_links import (
    INVITATION,
    count_not_signed_in,
    invite_people,
    may_be_invited,
    never_signed_in,
)
from academy.auth.models import User
from academy.auth.tokens import AccountToken
from academy.core.audit import record_audit
from academy.core.once import submit_once
from academy.database import contains_folded_words, utcnow
from academy.extensions import db
from academy.security import local_target

PER_PAGE = 50


def _people_in(scope):
    """A SELECT of the ids of everyone ``scope`` covers (None: everyone)."""
    query = select(User.id)
    if scope is not None:
        query = query.where(User.unit_id.in_(scope.subtree_ids_select()))
    return query


def _open_invitation():
    return exists().where(
        AccountToken.user_id == User.id,
        AccountToken.purpose == INVITATION,
        AccountToken.used_at.is_(None),
        AccountToken.revoked_at.is_(None),
        AccountToken.expires_at > utcnow(),
    )


@bp.get("/invitations")
@roles_required("hr")
def invitations():
    scope = hr_scope(current_user)
    query = request.args.get("q", "").strip()[:100]
    people = select(User).where(User.id.in_(_people_in(scope)), never_signed_in())
    if (matches := contains_folded_words(User.search_name, query)) is not None:
        people = people.where(matches)
    page = db.paginate(
        people.order_by(User.full_name, User.id),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "admin/invitations.html",
        page=page,
        query=query,
        args={"q": query} if query else {},
        counts=count_not_signed_in(_people_in(scope)),
        latest=_latest_invitations([person.id for person in page.items]),
        scope=scope,
        now=utcnow(),
    )


def _latest_invitations(user_ids: list[int]) -> dict[int, AccountToken]:
    """Each person's most recent invitation link (used or not), for the page's people."""
    if not user_ids:
        return {}
    newest = (
        select(func.max(AccountToken.id))
        .where(AccountToken.user_id.in_(user_ids), AccountToken.purpose == INVITATION)
        .group_by(AccountToken.user_id)
    )
    rows = db.session.scalars(select(AccountToken).where(AccountToken.id.in_(newest)))
    return {row.user_id: row for row in rows}


@bp.post("/invitations")
@roles_required("hr")
@submit_once
def invite_everyone():
    """Everyone in the reader's scope with no sign-in and no password yet; those whose invitation
    is still open only when asked to send again (their earlier link then stops working)."""
    scope = hr_scope(current_user)
    people = _people_in(scope)
    if request.form.get("again") != "1":
        people = people.where(~_open_invitation())
    count = invite_people(people, inviter=current_user, only_without_password=True)
    record_audit(
        "auth.invitation.send",
        target=f"unit:{scope.code}" if scope is not None else "all",
        detail={"count": count, "who": "not_signed_in", "again": request.form.get("again") == "1"},
    )
    db.session.commit()
    flash(_invited_message(count), "success" if count else "info")
    return redirect(url_for("admin.invitations"))


@bp.post("/invitations/<int:user_id>")
@roles_required("hr")
@submit_once
def invite_person(user_id: int):
    hr_scope(current_user)  # HR or admin, else 403
    person = db.session.get(User, user_id)
    require(person is not None and can_see_person(current_user, person))
    back = local_target(request.form.get("next"), url_for("admin.invitations"))
    if not may_be_invited(person):
        flash(
            _(
                "%(name)s đã đăng nhập hoặc tài khoản đang bị khoá, nên không cần lời mời. "
                "Nếu quên mật khẩu, họ dùng “Quên mật khẩu?” ở trang đăng nhập.",
                name=person.full_name,
            ),
            "warning",
        )
        return redirect(back)
    invite_people([person.id], inviter=current_user)
    record_audit("auth.invitation.send", target=f"user:{person.id}", detail={"count": 1})
    db.session.commit()
    flash(
        _(
            "Đã gửi lời mời tới %(email)s; liên kết gửi trước đó (nếu có) không còn dùng được.",
            email=person.email,
        ),
        "success",
    )
    return redirect(back)


def _invited_message(count: int) -> str:
    if not count:
        return _("Không có ai cần mời: ai chưa đăng nhập cũng đã có lời mời còn hạn.")
    return _("Đã gửi lời mời cho %(n)s người.", n=count)
