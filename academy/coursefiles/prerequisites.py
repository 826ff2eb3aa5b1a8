"""Linking ``course/module`` prerequisite references to modules in the database.

Done after every course of an import has been applied, so courses may refer to each other in
any order. An unknown reference or a cycle is an error pointing at the module.md line.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import select

from academy.catalog.models import Course, Module, ModulePrerequisite
from academy.coursefiles.changes import ChangeReport
from academy.coursefiles.coursedata import CourseData, ModuleData
from academy.coursefiles.errors import ErrorList, _
from academy.extensions import db


def link_prerequisites(items: list[tuple[CourseData, ChangeReport]]) -> None:
    """Set each module's prerequisites from its data. Raises ``ContentErrors``."""
    errors = ErrorList()
    modules_of = cache(_modules_of)  # one query per course, however many references name it
    for data, report in items:
        modules = modules_of(data.slug)
        for module_data in data.modules:
            module = modules.get(module_data.slug)
            if module is not None:
                _link(module, module_data, data, report, errors, modules_of)
    db.session.flush()
    if not errors.items:
        _check_cycles(items, errors)
    errors.raise_if_any()


def _modules_of(course_slug: str) -> dict[str, Module]:
    query = select(Module).join(Course).where(Course.slug == course_slug)
    return {m.slug: m for m in db.session.scalars(query)}


def _where(module_data: ModuleData, data: CourseData) -> tuple[str, int]:
    source = module_data.source or f"{data.slug}/{module_data.folder}/module.md"
    return source, module_data.prerequisites_line or 1


def _link(
    module: Module,
    module_data: ModuleData,
    data: CourseData,
    report: ChangeReport,
    errors: ErrorList,
    modules_of,
) -> None:
    wanted = []
    for reference in module_data.prerequisites:
        course_slug, _sep, module_slug = reference.partition("/")
        target = modules_of(course_slug).get(module_slug)
        if target is None:
            errors.add(
                *_where(module_data, data),
                _(
                    "Không tìm thấy học phần tiên quyết “%(ref)s” (cần dạng "
                    "ma-khoa-hoc/ma-hoc-phan, khoá học đó phải có trong hệ thống hoặc trong cùng "
                    "lần nhập).",
                    ref=reference,
                ),
            )
        else:
            wanted.append(target)
    if {m.id for m in wanted} != {m.id for m in module.prerequisites}:
        module.prerequisites = wanted
        if not report.created:
            report.change(_("Học phần %(m)s: cập nhật điều kiện tiên quyết", m=module.slug))


def cyclic_module_ids() -> set[int]:
    """Modules that, through their prerequisites, end up requiring themselves."""
    edges: dict[int, set[int]] = {}
    for module_id, required_id in db.session.execute(
        select(ModulePrerequisite.module_id, ModulePrerequisite.required_module_id)
    ):
        edges.setdefault(module_id, set()).add(required_id)
    return _nodes_on_cycles(edges)


def _check_cycles(items, errors: ErrorList) -> None:
    cyclic = cyclic_module_ids()
    if not cyclic:
        return
    for data, _report in items:
        modules = _modules_of(data.slug)
        for module_data in data.modules:
            module = modules.get(module_data.slug)
            if module is not None and module.id in cyclic:
                errors.add(
                    *_where(module_data, data),
                    _(
                        "Điều kiện tiên quyết tạo thành vòng lặp (học phần này, qua các học phần "
                        "tiên quyết, lại cần chính nó)."
                    ),
                )


def _nodes_on_cycles(edges: dict[int, set[int]]) -> set[int]:
    """Nodes from which a path leads back to themselves (iterative DFS, small graphs)."""
    on_cycle = set()
    for start in edges:
        stack, seen = list(edges.get(start, ())), set()
        while stack:
            node = stack.pop()
            if node == start:
                on_cycle.add(start)
                break
            if node not in seen:
                seen.add(node)
                stack.extend(edges.get(node, ()))
    return on_cycle
