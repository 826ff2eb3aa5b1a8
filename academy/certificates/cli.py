"""flask certificates issue [--course SLUG] [--unit CODE]: backfill missing certificates;
flask certificates rotate-key: a new key signs Open Badges credentials from now on."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from academy.auth.models import Unit, User
from academy.catalog.models import Course
from academy.certificates.keys import create_key, public_jwks
from academy.certificates.models import Certificate
from academy.certificates.services import issue_certificate
from academy.core.cli import find_or_fail
from academy.extensions import db
from academy.learning.models import Enrollment

certificates_cli = AppGroup("certificates", help="Giấy chứng nhận.")


def completions_without_certificate(course: Course | None, unit: Unit | None):
    """(user_id, course_id) of completed enrolments that have no live certificate."""
    live = select(Certificate.id).where(
        Certificate.user_id == Enrollment.user_id,
        Certificate.course_id == Enrollment.course_id,
        Certificate.revoked_at.is_(None),
    )
    stmt = (
        select(Enrollment.user_id, Enrollment.course_id)
        .where(Enrollment.completed_at.is_not(None), ~live.exists())
        .order_by(Enrollment.completed_at, Enrollment.id)
    )
    if course is not None:
        stmt = stmt.where(Enrollment.course_id == course.id)
    if unit is not None:
        stmt = stmt.join(User, User.id == Enrollment.user_id).where(
            User.unit_id.in_(unit.subtree_ids_select())
        )
    return list(db.session.execute(stmt))


@certificates_cli.command("issue")
@click.option("--course", "course_slug", default=None, help="Chỉ khoá học này (slug)")
@click.option(
    "--unit", "unit_code", default=None, help="Chỉ đơn vị này và các đơn vị trực thuộc (mã)"
)
def issue_command(course_slug, unit_code):
    """Cấp giấy chứng nhận còn thiếu cho các khoá học đã hoàn thành."""
    course = find_or_fail(Course, Course.slug, course_slug, "khoá học")
    unit = find_or_fail(Unit, Unit.code, unit_code, "đơn vị")
    pending = completions_without_certificate(course, unit)
    issued = 0
    with click.progressbar(pending, label="Đang cấp giấy chứng nhận", show_pos=True) as bar:
        for user_id, course_id in bar:
            certificate = issue_certificate(
                db.session.get(User, user_id), db.session.get(Course, course_id)
            )
            db.session.commit()  # one per certificate: an interrupted run keeps what it issued
            issued += certificate is not None
            db.session.expunge_all()
    click.echo(f"Đã cấp {issued} giấy chứng nhận.")


@certificates_cli.command("rotate-key")
def rotate_key_command():
    """Tạo khoá ký chứng chỉ số mới; các khoá cũ vẫn được công bố để chứng chỉ đã cấp vẫn hợp lệ."""
    key_id = create_key()
    click.echo(f"Khoá ký mới: {key_id} (các chứng chỉ số từ nay được ký bằng khoá này).")
    click.echo(f"Khoá công khai đã công bố: {len(public_jwks()['keys'])}.")


COMMANDS = (certificates_cli,)
