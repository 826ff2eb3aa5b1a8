"""Pages of results: ``?page=&per_page=``, the page in the body and a ``Link`` header."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request
from sqlalchemy import func, select

from academy.extensions import db


def link_header(page: int, per_page: int, total: int) -> str:
    last = max(1, -(-total // per_page))
    links = []
    for rel, number in (("first", 1), ("prev", page - 1), ("next", page + 1), ("last", last)):
        if 1 <= number <= last and not (rel in ("prev", "next") and number == page):
            args = {**request.args.to_dict(), "page": number, "per_page": per_page}
            links.append(f'<{request.base_url}?{urlencode(args)}>; rel="{rel}"')
    return ", ".join(links)


def envelope(items, page: int, per_page: int, total: int) -> tuple[dict, dict]:
    """The body and the headers of one page."""
    body = {"items": items, "page": page, "per_page": per_page, "total": total}
    return body, {"Link": link_header(page, per_page, total), "X-Total-Count": str(total)}


def page_of_query(query, page: int, per_page: int) -> tuple[dict, dict]:
    """One page of a SELECT of ORM objects (ordered by the caller)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return envelope(items, page, per_page, total)


def page_of_list(items: list, page: int, per_page: int) -> tuple[dict, dict]:
    start = (page - 1) * per_page
    return envelope(items[start : start + per_page], page, per_page, len(items))
