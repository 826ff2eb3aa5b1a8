"""A small city with known numbers, so report rows and totals can be checked by hand.

Thành phố (CITY)
├── Phường Bến Nghé (BN)   — Ánh (overdue, 2 of 4 lessons, module 1 passed with 0.8: 3 of 6 steps)
│   └── Chi bộ 1 (BN-1)    — Bình (completed, 4 of 4 lessons, 1.0 and 0.6, certificate)
└── Phường Đa Kao (DK)     — Cường (not started)
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from academy.certificates.models import Certificate
from academy.database import db, utcnow
from academy.learning.models import Enrollment, LessonProgress, ModuleResult


@pytest.fixture
def city(make_unit, make_user, make_course):
    now = utcnow()
    root = make_unit("Thành phố", kind="city", code="CITY")
    ben_nghe = make_unit("Phường Bến Nghé", parent=root, kind="ward", code="BN")
    cell = make_unit("Chi bộ 1", parent=ben_nghe, kind="cell", code="BN-1")
    da_kao = make_unit("Phường Đa Kao", parent=root, kind="ward", code="DK")
    course = make_course(title="Chuyển đổi số", modules=2)
    lessons = [lesson for module in course.modules for lesson in module.lessons]
    m1, m2 = course.modules
    anh = make_user(
        full_name="Nguyễn Văn Ánh", unit=ben_nghe, position="=1+2", employee_code="CB-ANH"
    )
    binh = make_user(
        full_name="Trần Thị Bình", unit=cell, position="Phó chủ tịch", employee_code="CB-BINH"
    )
    cuong = make_user(
        full_name="Lê Văn Cường", unit=da_kao, position="Chuyên viên", employee_code="CB-CUONG"
    )
    hr_bn = make_user(full_name="Phạm Thu Hà", roles=("hr",), unit=ben_nghe, employee_code="HR-BN")
    admin = make_user(full_name="Quản trị viên", roles=("admin",), unit=root, employee_code="AD-1")
    db.session.add_all(
        [
            Enrollment(
                user_id=anh.id,
                course_id=course.id,
                source="assigned",
                enrolled_at=now - timedelta(days=20),
                due_at=now - timedelta(days=1),
            ),
            Enrollment(
                user_id=binh.id,
                course_id=course.id,
                source="self",
                enrolled_at=now - timedelta(days=30),
                completed_at=now - timedelta(days=2),
            ),
            Enrollment(
                user_id=cuong.id,
                course_id=course.id,
                source="self",
                enrolled_at=now - timedelta(days=5),
            ),
            *[LessonProgress(user_id=anh.id, lesson_id=lesson.id) for lesson in lessons[:2]],
            *[LessonProgress(user_id=binh.id, lesson_id=lesson.id) for lesson in lessons],
            ModuleResult(
                user_id=anh.id, module_id=m1.id, best_score=0.8, attempts_count=1, passed_at=now
            ),
            ModuleResult(
                user_id=binh.id, module_id=m1.id, best_score=1.0, attempts_count=1, passed_at=now
            ),
            ModuleResult(
                user_id=binh.id, module_id=m2.id, best_score=0.6, attempts_count=2, passed_at=now
            ),
            Certificate(
                serial="HVS-2026-000001",
                verify_code="v" * 40,
                user_id=binh.id,
                course_id=course.id,
                issued_at=now - timedelta(days=2),
            ),
        ]
    )
    db.session.commit()
    return type(
        "City",
        (),
        dict(
            root=root,
            ben_nghe=ben_nghe,
            cell=cell,
            da_kao=da_kao,
            course=course,
            anh=anh,
            binh=binh,
            cuong=cuong,
            hr_bn=hr_bn,
            admin=admin,
        ),
    )
