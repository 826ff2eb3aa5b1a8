"""One page of a list, shaped like Flask-SQLAlchemy's pagination for the ``pagination`` macro."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` items fill (at least one, so an empty list still has page 1)."""
    return max(1, math.ceil(total / per_page))


def clamp_page(page: int, total: int, per_page: int) -> int:
    """``page`` brought within 1 … the last page (a page number past the end shows the last)."""
    return min(max(page, 1), page_count(total, per_page))


@dataclass
class Page:
    """The items of page ``page`` out of ``total`` items, ``per_page`` a page."""

    items: list
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = page_count(self.total, self.per_page)

    def iter_pages(self, edge: int = 2, around: int = 2):
        """Page numbers to link: the first and last ``edge``, ``around`` either side of the current
        one, and None where numbers are left out (shown as "…")."""
        for number in range(1, self.pages + 1):
            if number <= edge or number > self.pages - edge or abs(number - self.page) <= around:
                yield number
            elif number in (edge + 1, self.pages - edge):
                yield None
