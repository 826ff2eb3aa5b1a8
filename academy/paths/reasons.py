"""Why each module is on the path, in words a learner understands (Vietnamese source strings)."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from academy.paths.catalogue import Catalogue


def pct(value: float) -> str:
    """0..1 as a whole percentage: the same in Vietnamese and English, and far cheaper than Babel's
    number formatting on a page that shows dozens of them."""
    return f"{round(value * 100)}%"


def explain(
    cat: Catalogue,
    scores: dict[int, float],
    items: dict,
    colleagues: dict[int, int],
    shown: list[int],
    related: dict[int, int] | None = None,
) -> None:
    """Fill ``item.reasons`` for the ``shown`` items (the home page shows a few of the path); the
    first reason is the main one. ``related``: module → the learner's result the model finds most
    similar to it (from the model's module similarities)."""
    related = related or {}
    needed_by = _needed_by(cat, items)
    for module_id in shown:
        item = items[module_id]
        reasons = []
        if item.assigned:
            reasons.append(_assignment_reason(item))
        # the arrow points one way: this module needs ``learn_first``; it is needed by ``needed_by``
        for title in _learn_first(cat, items, module_id):
            reasons.append(_("Cần học trước mô-đun “%(module)s”.", module=title))
        if module_id in needed_by:
            reasons.append(
                _(
                    "Là mô-đun tiên quyết của “%(module)s”: học mô-đun này trước.",
                    module=needed_by[module_id],
                )
            )
        reasons.append(_score_reason(cat, module_id, item, bool(scores)))
        reasons.extend(_prerequisite_results(cat, scores, module_id))
        other = related.get(module_id)
        if (
            other in scores
            and other in cat.modules
            and other not in cat.prerequisites.get(module_id, ())
        ):
            reasons.append(
                _(
                    "Bạn đạt %(score)s ở mô-đun liên quan “%(module)s”.",
                    score=pct(scores[other]),
                    module=cat.modules[other].title,
                )
            )
        if item.personal:
            mean, count = cat.difficulty.get(module_id, (0.0, 0))
            if count >= 3:
                reasons.append(
                    _("Học viên khác đạt trung bình %(mean)s ở mô-đun này.", mean=pct(mean))
                )
        course_id = cat.modules[module_id].course_id
        if colleagues.get(course_id):
            reasons.append(
                _(
                    "%(count)s đồng nghiệp cùng đơn vị và vị trí đã học khoá này.",
                    count=colleagues[course_id],
                )
            )
        item.reasons = reasons


def _learn_first(cat: Catalogue, items: dict, module_id: int) -> list[str]:
    """Titles of this module's prerequisites still on the path: the learner takes those first."""
    return [items[req].module_title for req in cat.prerequisites.get(module_id, ()) if req in items]


def _needed_by(cat: Catalogue, items: dict) -> dict[int, str]:
    """Module → the title of one module on the path that requires it."""
    result = {}
    for module_id in items:
        for req in cat.prerequisites.get(module_id, ()):
            if req in items:
                result.setdefault(req, items[module_id].module_title)
    return result


def _assignment_reason(item) -> str:
    if item.overdue:
        return _(
            "Khoá học bắt buộc do đơn vị giao, đã quá hạn từ %(date)s.",
            date=format_date(item.due_at),
        )
    if item.due_at:
        return _(
            "Khoá học bắt buộc do đơn vị giao, hạn hoàn thành %(date)s.",
            date=format_date(item.due_at),
        )
    return _("Khoá học bắt buộc do đơn vị giao.")


def _score_reason(cat: Catalogue, module_id: int, item, has_results: bool) -> str:
    passing = pct(item.pass_threshold)
    if item.best_score is not None:
        return _(
            "Kết quả tốt nhất của bạn là %(score)s, chưa đạt mức %(pass_mark)s.",
            score=pct(item.best_score),
            pass_mark=passing,
        )
    if not item.personal:
        mean, count = cat.difficulty.get(module_id, (0.0, 0))
        if count >= 3:
            if has_results:
                return _("Xếp theo độ khó: học viên khác đạt trung bình %(mean)s.", mean=pct(mean))
            return _(
                "Bạn chưa có kết quả bài kiểm tra nào: xếp theo độ khó, học viên khác đạt trung "
                "bình %(mean)s.",
                mean=pct(mean),
            )
        if has_results:
            return _("Xếp theo trình độ của khoá học.")
        return _("Bạn chưa có kết quả bài kiểm tra nào: xếp theo trình độ của khoá học.")
    predicted = pct(item.predicted)
    if item.test_out:
        return _(
            "Dự đoán bạn đạt khoảng %(predicted)s, cao hơn mức đạt %(pass_mark)s: bạn có thể làm "
            "bài kiểm tra ngay để bỏ qua phần bài học.",
            predicted=predicted,
            pass_mark=passing,
        )
    # "below" only when it reads as below: 69.6 % shown as "70%, below 70%" contradicts itself.
    if item.predicted < item.pass_threshold and predicted != passing:
        return _(
            "Dự đoán bạn đạt khoảng %(predicted)s, thấp hơn mức đạt %(pass_mark)s.",
            predicted=predicted,
            pass_mark=passing,
        )
    return _(
        "Dự đoán bạn đạt khoảng %(predicted)s, sát mức đạt %(pass_mark)s.",
        predicted=predicted,
        pass_mark=passing,
    )


def _prerequisite_results(cat: Catalogue, scores: dict[int, float], module_id: int) -> list[str]:
    reasons = []
    for req in cat.prerequisites.get(module_id, ()):
        if req in scores and req in cat.modules:
            reasons.append(
                _(
                    "Bạn đạt %(score)s ở mô-đun tiên quyết “%(module)s”.",
                    score=pct(scores[req]),
                    module=cat.modules[req].title,
                )
            )
    return reasons
