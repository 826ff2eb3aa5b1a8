"""ChangeReport: what an import or a save changed in one course, in words an author reads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from academy.coursefiles.errors import _


@dataclass
class ChangeReport:
    slug: str
    created: bool = False
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # what a new course brought: module, lesson…
    images: int = 0  # images from the folder's media/ new to this installation

    @property
    def has_changes(self) -> bool:
        return self.created or bool(self.added or self.changed or self.removed or self.images)

    def add(self, item: str, kind: str | None = None) -> None:
        if kind:
            self.counts[kind] += 1
        if not self.created:
            self.added.append(item)

    def change(self, item: str) -> None:
        if not self.created:
            self.changed.append(item)

    def remove(self, item: str) -> None:
        self.removed.append(item)

    def summary(self) -> str:
        if not self.has_changes:
            return _("%(slug)s: không có thay đổi", slug=self.slug)
        if self.created:
            return _(
                "%(slug)s: tạo mới (%(modules)s học phần, %(lessons)s bài học, "
                "%(questions)s câu hỏi)",
                slug=self.slug,
                modules=self.counts["module"],
                lessons=self.counts["lesson"],
                questions=self.counts["question"],
            )
        return _(
            "%(slug)s: %(added)s thêm, %(changed)s sửa, %(removed)s xoá",
            slug=self.slug,
            added=len(self.added),
            changed=len(self.changed),
            removed=len(self.removed),
        )

    def lines(self) -> list[str]:
        """One line per change, prefixed + (added), ~ (changed), - (removed)."""
        return (
            [f"+ {item}" for item in self.added]
            + [f"~ {item}" for item in self.changed]
            + [f"- {item}" for item in self.removed]
            + (["+ " + _("%(n)s ảnh mới trong media/", n=self.images)] if self.images else [])
        )

    def __str__(self) -> str:
        return "\n".join([self.summary(), *("  " + line for line in self.lines())])
