"""Bulk user import from CSV or XLSX: check every row, then apply all rows or none.

Columns (Vietnamese or English headers): employee code, full name, email, unit code, position,
roles. People are matched by employee code, else by email. Importing the same file twice changes
nothing; a person moved to another unit keeps their enrolments and results (only the unit changes)
and is enrolled in the courses assigned to the new unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from academy.admin.forms import is_valid_unit_code
from academy.admin.import_files import ImportFileError, ImportLimits, iter_table
from academy.admin.services import LastAdminError, active_admins_besides
from academy.auth.models import ROLES, Unit, User
from academy.auth.services import create_user
from academy.extensions import db
from academy.reports.assignments import apply_assignments_to

__all__ = [
    "ImportFileError",
    "ImportLimits",
    "ImportResult",
    "check_rows",
    "import_users",
    "read_rows",
]

HEADERS = {
    "employee_code": ("employee_code", "mã cán bộ", "ma can bo", "mã nhân viên"),
    "full_name": ("full_name", "họ và tên", "ho va ten", "họ tên"),
    "email": ("email", "thư điện tử"),
    "unit_code": ("unit_code", "mã đơn vị", "ma don vi"),
    "position": ("position", "chức vụ", "chuc vu"),
    "roles": ("roles", "vai trò", "vai tro"),
}
REQUIRED = ("employee_code", "full_name", "email", "unit_code")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)  # everyone in the file, once applied

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "moved": self.moved,
            "problems": len(self.problems),
        }


def read_rows(
    filename: str, data: bytes, limits: ImportLimits | None = None
) -> list[tuple[int, dict]]:
    """(line number, {column: text}) for every non-empty data row of a CSV or XLSX file.

    ``limits`` default to the app's ``IMPORT_*`` settings. Raises ``ImportFileError`` (naming the
    row or cell) for a file that cannot be read or goes beyond them.
    """
    limits = limits or ImportLimits.from_config(current_app.config)
    columns, rows = None, []
    for number, values in iter_table(filename, data, limits):
        if columns is None:
            columns = _map_headers(values)
            continue
        if not any(_text(v) for v in values):
            continue
        if len(rows) == limits.rows:
            raise ImportFileError(_("Tệp có quá %(n)s dòng.", n=limits.rows))
        rows.append(
            (
                number,
                {key: _text(values[i] if i < len(values) else "") for key, i in columns.items()},
            )
        )
    if columns is None:
        raise ImportFileError(_("Tệp trống."))
    return rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number in Excel
    return str(value).strip()


def _map_headers(header_row) -> dict[str, int]:
    found = {}
    for index, raw in enumerate(header_row):
        label = _text(raw).lower()
        for key, names in HEADERS.items():
            if label in names and key not in found:
                found[key] = index
    missing = [key for key in REQUIRED if key not in found]
    if missing:
        raise ImportFileError(
            _("Thiếu cột: %(cols)s.", cols=", ".join(HEADERS[k][1] for k in missing))
        )
    return found


def _parse_roles(text: str) -> list[str] | None:
    names = [r.strip().lower() for r in re.split(r"[,;\s]+", text or "") if r.strip()]
    return names or None


def check_rows(rows) -> tuple[list[tuple[int, str]], list[dict]]:
    """Every problem by line, and the normalised rows (with their unit and matched user) if none."""
    units = {code: unit for code, unit in _units_by_code({r["unit_code"] for _n, r in rows})}
    people = _existing_people(rows)
    problems, plan, seen_codes, seen_emails = [], [], {}, {}
    for number, row in rows:
        email = row.get("email", "").lower()
        code = row.get("employee_code", "")
        row_problems = _row_problems(row, email, units)
        for value, seen, label in (
            (code, seen_codes, _("Mã cán bộ")),
            (email, seen_emails, "Email"),
        ):
            if value and value in seen:
                row_problems.append(
                    _(
                        "%(what)s %(value)s trùng với dòng %(line)s.",
                        what=label,
                        value=value,
                        line=seen[value],
                    )
                )
            elif value:
                seen[value] = number
        by_code, by_email = people["code"].get(code), people["email"].get(email)
        if by_code and by_email and by_code.id != by_email.id:
            row_problems.append(
                _(
                    "Email %(email)s đã thuộc về người khác (mã %(code)s).",
                    email=email,
                    code=by_email.employee_code or "—",
                )
            )
        problems.extend((number, p) for p in row_problems)
        plan.append(
            {
                **row,
                "email": email,
                "line": number,
                "unit": units.get(row.get("unit_code")),
                "user": by_code or by_email,
                "roles": _parse_roles(row.get("roles", "")),
            }
        )
    problems.extend(_last_admin_problems(plan))
    return problems, plan


def _last_admin_problems(plan: list[dict]) -> list[tuple[int, str]]:
    """The lines that would take the admin role from the last active admins (as the user form
    refuses it): an import always leaves at least one active admin."""
    losing = [
        entry
        for entry in plan
        if entry["user"] is not None
        and entry["roles"] is not None
        and "admin" not in entry["roles"]
        and entry["user"].is_active
        and entry["user"].has_role("admin")
    ]
    gaining = any(
        "admin" in (entry["roles"] or ()) and (entry["user"] is None or entry["user"].is_active)
        for entry in plan
    )
    if not losing or gaining or active_admins_besides(e["user"].id for e in losing):
        return []
    return [
        (
            entry["line"],
            _(
                "Không thể bỏ quyền quản trị của %(email)s: tệp này sẽ không để lại quản trị viên "
                "nào đang hoạt động. Hãy giữ vai trò admin cho ít nhất một người.",
                email=entry["email"],
            ),
        )
        for entry in losing
    ]


def _row_problems(row: dict, email: str, units: dict) -> list[str]:
    problems = []
    labels = {
        "employee_code": _("mã cán bộ"),
        "full_name": _("họ và tên"),
        "email": "email",
        "unit_code": _("mã đơn vị"),
    }
    for key in REQUIRED:
        if not row.get(key):
            problems.append(_("Thiếu %(what)s.", what=labels[key]))
    if email and not EMAIL_RE.match(email):
        problems.append(_("Email không hợp lệ: %(email)s.", email=email))
    if row.get("unit_code") and not is_valid_unit_code(row["unit_code"]):
        problems.append(_("Mã đơn vị không hợp lệ: %(code)s.", code=row["unit_code"][:40]))
    elif row.get("unit_code") and row["unit_code"] not in units:
        problems.append(_("Không có đơn vị mã %(code)s.", code=row["unit_code"]))
    unknown = sorted(set(_parse_roles(row.get("roles", "")) or []) - set(ROLES))
    if unknown:
        problems.append(
            _(
                "Vai trò không hợp lệ: %(roles)s (dùng %(allowed)s).",
                roles=", ".join(unknown),
                allowed=", ".join(ROLES),
            )
        )
    if (
        len(row.get("full_name", "")) > 200
        or len(row.get("position", "")) > 200
        or len(row.get("employee_code", "")) > 40
        or len(email) > 254
    ):
        problems.append(_("Giá trị quá dài."))
    return problems


def _units_by_code(codes):
    codes = [c for c in codes if is_valid_unit_code(c)]
    if not codes:
        return []
    return [(u.code, u) for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)))]


def _existing_people(rows) -> dict:
    codes = [r["employee_code"] for _n, r in rows if r.get("employee_code")]
    emails = [r["email"].lower() for _n, r in rows if r.get("email")]
    by_code, by_email = {}, {}
    for chunk in range(0, max(len(codes), len(emails)), 900):  # stay under SQLite's variable limit
        for user in db.session.scalars(
            select(User).where(User.employee_code.in_(codes[chunk : chunk + 900]))
        ):
            by_code[user.employee_code] = user
        for user in db.session.scalars(
            select(User).where(func.lower(User.email).in_(emails[chunk : chunk + 900]))
        ):
            by_email[user.email.lower()] = user
    return {"code": by_code, "email": by_email}


def import_users(rows, *, dry_run: bool) -> ImportResult:
    """Check ``rows`` and, unless ``dry_run`` or a problem was found, apply them.

    The caller commits."""
    problems, plan = check_rows(rows)
    result = ImportResult(rows=len(rows), problems=problems)
    if problems:
        return result
    had_admin = active_admins_besides([])
    for entry in plan:
        _count(result, _apply(entry, dry_run))
    if not dry_run:
        db.session.flush()
        if had_admin and not active_admins_besides([]):
            raise LastAdminError  # the check above, against a change made meanwhile
        result.user_ids = [entry["user"].id for entry in plan]
    return result


def _count(result: ImportResult, outcome: str) -> None:
    if outcome == "moved":
        result.moved += 1
        result.updated += 1
    else:
        setattr(result, outcome, getattr(result, outcome) + 1)


def _apply(entry: dict, dry_run: bool) -> str:
    user = entry["user"]
    if user is None:
        if not dry_run:
            user = create_user(
                entry["email"],
                entry["full_name"],
                None,
                roles=entry["roles"] or ("learner",),
                unit=entry["unit"],
                employee_code=entry["employee_code"],
                position=entry.get("position", ""),
            )
            apply_assignments_to(user)
            entry["user"] = user
        return "created"
    changes = {
        k: v
        for k, v in (
            ("full_name", entry["full_name"]),
            ("email", entry["email"]),
            ("employee_code", entry["employee_code"]),
            ("position", entry.get("position", "")),
            ("unit_id", entry["unit"].id),
        )
        if getattr(user, k) != v
    }
    roles_change = entry["roles"] is not None and set(entry["roles"]) != user.roles
    if not changes and not roles_change:
        return "unchanged"
    if not dry_run:
        for key, value in changes.items():
            setattr(user, key, value)
        if roles_change:
            user.roles = entry["roles"]
        db.session.flush()
        if "unit_id" in changes:
            db.session.refresh(user, ["unit"])
            apply_assignments_to(user)
    return "moved" if "unit_id" in changes else "updated"
