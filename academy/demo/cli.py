"""flask demo seed: a city's worth of demo data (unit tree, demo accounts, learners, histories)."""

from __future__ import annotations

import random
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from academy.core.audit import record_audit
from academy.database import utcnow
from academy.demo import data
from academy.demo.history import (
    HistoryMaker,
    Learner,
    count_seeded_learners,
    insert_learners,
    next_learner_number,
    unit_pools,
)
from academy.demo.seed import (
    assignments_by_unit,
    ensure_assignments,
    ensure_demo_accounts,
    ensure_extra_courses,
    ensure_unit_tree,
    give_courses_to,
    load_catalog,
    shared_password_hash,
)
from academy.extensions import db
from academy.learning.models import Enrollment

demo_cli = AppGroup("demo", help="Dữ liệu trình diễn.")


@demo_cli.command("seed")
@click.option(
    "--learners",
    type=click.IntRange(0),
    default=200,
    show_default=True,
    help="Tổng số học viên mẫu cần có (chỉ thêm phần còn thiếu).",
)
@click.option(
    "--extra-courses",
    type=click.IntRange(0, 99),
    default=0,
    show_default=True,
    help="Thêm K khoá học tổng hợp đã xuất bản (4 mô-đun × 2 bài × 5 câu hỏi).",
)
@click.option(
    "--seed",
    "seed",
    type=int,
    default=2026,
    show_default=True,
    help="Hạt giống ngẫu nhiên: cùng hạt giống, cùng dữ liệu.",
)
@click.option(
    "--chunk",
    type=click.IntRange(100),
    default=2000,
    show_default=True,
    help="Số học viên ghi trong một giao dịch.",
)
def seed_command(learners: int, extra_courses: int, seed: int, chunk: int) -> None:
    """Tạo dữ liệu trình diễn: cây đơn vị (Thành phố, 25 cơ quan, 126 phường/xã, 2 chi bộ mỗi
    phường/xã), một tài khoản cho mỗi vai trò, LEARNERS học viên và quá trình học của họ trên các
    khoá học đã xuất bản (chạy `flask courses import courses/` trước).

    Chạy lại không tạo bản trùng: chỉ thêm những gì còn thiếu. Mọi tài khoản mẫu và học viên mẫu
    dùng chung mật khẩu HocVienSo@2026. Các lượt làm bài mẫu có điểm, kết quả mô-đun và từng câu
    trả lời (AttemptAnswer), nên trang thống kê câu hỏi có số liệu ngay.
    """
    started = time.perf_counter()
    password_hash = shared_password_hash()
    tree = ensure_unit_tree()
    accounts = ensure_demo_accounts(tree, password_hash)
    instructor, hr = accounts.by_local["giangvien"], accounts.by_local["nhansu"]
    new_courses = ensure_extra_courses(extra_courses, instructor)
    give_courses_to(instructor)
    catalog = load_catalog()
    new_assignments = ensure_assignments(tree, catalog, hr, seed)
    reach = assignments_by_unit(tree)
    _seed_demo_learner(accounts.by_local["hocvien"], catalog, reach, seed)
    db.session.commit()
    added, rows = _seed_learners(learners, tree, catalog, reach, (seed, chunk, password_hash))
    record_audit(
        "demo.seed",
        target="demo",
        detail={
            "units": tree.created,
            "courses": new_courses,
            "assignments": new_assignments,
            "learners": added,
            "rows": rows,
        },
    )
    db.session.commit()
    _report(
        tree,
        accounts,
        catalog,
        new_courses,
        new_assignments,
        added,
        rows,
        time.perf_counter() - started,
    )


def _seed_demo_learner(user, catalog, reach, seed: int) -> None:
    """The demo learner gets a history in every course, once."""
    if not catalog or db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == user.id)):
        return
    rng = random.Random(f"{seed}-demo-learner")
    learner = Learner.draw(user.id, rng)
    learner.persistence = 0.6
    maker = HistoryMaker(catalog, rng)
    maker.learner(learner, reach.get(user.unit_id, []), enrol_all=True)
    maker.rows.write()


def _seed_learners(total: int, tree, catalog, reach, settings) -> tuple[int, int]:
    """Add learners until ``total`` exist, with histories; one transaction per chunk."""
    seed, chunk, password_hash = settings
    missing = total - count_seeded_learners()
    if missing <= 0:
        click.echo(f"Đã có ít nhất {total} học viên mẫu: không thêm học viên.")
        return 0, 0
    first, pools = next_learner_number(), unit_pools(tree.all)
    rows, now = 0, utcnow()
    with click.progressbar(length=missing, label="Đang tạo học viên và quá trình học") as bar:
        for start in range(first, first + missing, chunk):
            last = min(start + chunk, first + missing) - 1
            rng = random.Random(f"{seed}-{start}")  # the same chunk gets the same people
            made = insert_learners(start, last, pools, password_hash, rng)
            maker = HistoryMaker(catalog, rng, now)
            for user_id, unit_id in made:
                maker.learner(Learner.draw(user_id, rng), reach.get(unit_id, []))
            maker.rows.write()
            db.session.commit()
            rows += 2 * len(made) + maker.rows.count()
            bar.update(len(made))
    return missing, rows


def _report(tree, accounts, catalog, new_courses, new_assignments, added, rows, seconds) -> None:
    click.echo(
        f"Đơn vị: {len(tree.all)} ({tree.created} mới) — {len(tree.wards)} phường/xã, "
        f"{len(tree.agencies)} cơ quan, {len(tree.cells)} chi bộ."
    )
    click.echo(
        f"Khoá học đã xuất bản: {len(catalog)} ({new_courses} khoá tổng hợp mới); "
        f"giao bắt buộc mới: {new_assignments}."
    )
    if not catalog:
        click.echo(
            "Chưa có khoá học đã xuất bản: chạy `flask courses import courses/` "
            "hoặc dùng --extra-courses để có quá trình học."
        )
    click.echo(f"Học viên mới: {added}; dòng dữ liệu đã ghi: {rows} trong {seconds:.1f} giây.")
    click.echo("")
    table = [("Email", "Mật khẩu", "Vai trò", "Trạng thái")]
    table += [(email, data.DEMO_PASSWORD, roles, status) for email, roles, status in accounts.rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for i, row in enumerate(table):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            click.echo("  ".join("-" * w for w in widths))
    click.echo(
        f"Học viên mẫu (mã {data.LEARNER_CODE_PREFIX}…) dùng cùng mật khẩu {data.DEMO_PASSWORD}."
    )


COMMANDS = (demo_cli,)
