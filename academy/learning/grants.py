"""Extra quiz attempts: a learner who used up a module quiz's attempts gets more from an instructor
or HR, with a reason, audited. The quiz itself allows ``QUIZ_MAX_ATTEMPTS + extra_attempts``.

Public contract: ``grant_attempts``, ``extra_attempts``, ``attempts_left``, ``attempt_standings``.
Who may grant is decided in ``academy.auth.access.can_grant_attempts``; services flush, the
caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import false, func, select, true

from academy.auth.models import User
from academy.catalog.models import Module
from academy.core.audit import record_audit
from academy.extensions import db
from academy.learning.models import AttemptGrant, ModuleResult

MAX_EXTRA = 10
REASON_MIN, REASON_MAX = 3, 500


class GrantError(ValueError):
    """A grant that cannot be made as asked; ``str()`` is a message for the person granting and
    ``field`` the input it is about ("extra" or "reason")."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class AttemptStanding:
    """One learner on one module: attempts used, allowed (None: unlimited), of which granted,
    best score, passed."""

    used: int
    allowed: int | None
    extra: int
    best_score: float | None
    passed: bool

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else max(0, self.allowed - self.used)

    @property
    def is_blocked(self) -> bool:
        return self.left == 0 and not self.passed


def attempt_limit() -> int:
    """QUIZ_MAX_ATTEMPTS from the configuration (0: unlimited)."""
    return max(0, int(current_app.config.get("QUIZ_MAX_ATTEMPTS") or 0))


def grant_attempts(learner, module, extra, reason: str, granted_by) -> AttemptGrant:
    """Give ``learner`` ``extra`` (1..10) more attempts at ``module``'s quiz, with a reason (3..500
    characters), and audit it. Raises GrantError with a readable message; writes nothing then."""
    extra, reason = _checked(extra, reason)
    grant = AttemptGrant(
        user_id=learner.id,
        module_id=module.id,
        extra=extra,
        reason=reason,
        granted_by_id=getattr(granted_by, "id", None),
    )
    db.session.add(grant)
    record_audit(
        "quiz.attempts.grant",
        f"user:{learner.id}",
        {
            "learner": learner.id,
            "module": module.id,
            "course": module.course_id,
            "extra": extra,
            "reason": reason,
        },
        actor=granted_by,
    )
    db.session.flush()
    return grant


def _checked(extra, reason) -> tuple[int, str]:
    try:
        extra = int(extra)
    except (TypeError, ValueError):
        raise GrantError(_("Số lượt cấp thêm phải là một số nguyên."), "extra") from None
    if not 1 <= extra <= MAX_EXTRA:
        raise GrantError(_("Số lượt cấp thêm phải từ 1 đến %(n)s.", n=MAX_EXTRA), "extra")
    reason = (reason or "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise GrantError(
            _("Lý do phải dài từ %(low)s đến %(high)s ký tự.", low=REASON_MIN, high=REASON_MAX),
            "reason",
        )
    return extra, reason


def extra_attempts(user, module) -> int:
    """Attempts granted to ``user`` on ``module`` beyond QUIZ_MAX_ATTEMPTS (0 when none)."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(AttemptGrant.extra), 0)).where(
                AttemptGrant.user_id == user.id, AttemptGrant.module_id == module.id
            )
        )
        or 0
    )


def attempts_left(user, module) -> int | None:
    """Attempts ``user`` still has on ``module``'s quiz (grants included); None: unlimited."""
    return attempt_standings([user.id], [module.id])[(user.id, module.id)].left


def attempt_standings(user_ids, module_ids) -> dict[tuple[int, int], AttemptStanding]:
    """Every (user, module) pair's standing, from two grouped queries (no query per learner)."""
    users, modules = list(user_ids), list(module_ids)
    if not users or not modules:
        return {}
    results = {
        (r.user_id, r.module_id): r
        for r in db.session.scalars(
            select(ModuleResult).where(
                ModuleResult.user_id.in_(users), ModuleResult.module_id.in_(modules)
            )
        )
    }
    granted = {
        (uid, mid): int(extra)
        for uid, mid, extra in db.session.execute(
            select(AttemptGrant.user_id, AttemptGrant.module_id, func.sum(AttemptGrant.extra))
            .where(AttemptGrant.user_id.in_(users), AttemptGrant.module_id.in_(modules))
            .group_by(AttemptGrant.user_id, AttemptGrant.module_id)
        )
    }
    limit = attempt_limit()
    standings = {}
    for uid in users:
        for mid in modules:
            result = results.get((uid, mid))
            standings[(uid, mid)] = AttemptStanding(
                used=result.attempts_count if result else 0,
                allowed=(limit + granted.get((uid, mid), 0)) if limit else None,
                extra=granted.get((uid, mid), 0),
                best_score=result.best_score if result else None,
                passed=bool(result and result.passed_at),
            )
    return standings


def grants_for(user, module_ids) -> list[tuple[AttemptGrant, str, str | None]]:
    """The grants ``user`` received on these modules, newest first, each with the module's title and
    the grantor's name (for the history beside the form)."""
    ids = list(module_ids)
    if not ids:
        return []
    return [
        tuple(row)
        for row in db.session.execute(
            select(AttemptGrant, Module.title, User.full_name)
            .join(Module, Module.id == AttemptGrant.module_id)
            .outerjoin(User, User.id == AttemptGrant.granted_by_id)
            .where(AttemptGrant.user_id == user.id, AttemptGrant.module_id.in_(ids))
            .order_by(AttemptGrant.granted_at.desc(), AttemptGrant.id.desc())
        )
    ]


def blocked_user_ids(module_ids=None):
    """A SELECT of the learners who used up a quiz's attempts (grants included) on any of these
    modules (any module for None) without passing it; empty when attempts are unlimited."""
    limit = attempt_limit()
    granted = (
        select(func.coalesce(func.sum(AttemptGrant.extra), 0))
        .where(
            AttemptGrant.user_id == ModuleResult.user_id,
            AttemptGrant.module_id == ModuleResult.module_id,
        )
        .scalar_subquery()
    )
    stmt = select(ModuleResult.user_id).where(
        ModuleResult.passed_at.is_(None),
        ModuleResult.attempts_count >= limit + granted,
        true() if limit else false(),
    )
    return stmt if module_ids is None else stmt.where(ModuleResult.module_id.in_(list(module_ids)))
