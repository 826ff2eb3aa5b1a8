"""flask courses import PATH · flask courses export SLUG DIR"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from academy.catalog.models import Course
from academy.coursefiles.errors import ContentError, _
from academy.coursefiles.exporter import export_course
from academy.coursefiles.importer import import_courses
from academy.extensions import db

courses_cli = AppGroup("courses", help="Nhập và xuất nội dung khoá học (thư mục courses/).")
PROGRESS_FROM = 3  # courses: below this a progress bar is noise


@courses_cli.command("import")
@click.argument("path", type=click.Path(exists=True))
def import_command(path):
    """Nhập khoá học từ thư mục courses/, một thư mục khoá học hoặc tệp .zip."""
    try:
        reports = import_courses(path, progress=_progress)
    except ContentError as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo(_("Có %(n)s lỗi; không có gì được thay đổi.", n=len(exc.errors)), err=True)
        raise SystemExit(1) from None
    db.session.commit()
    for report in reports:
        click.echo(str(report))
        course = db.session.scalar(select(Course).where(Course.slug == report.slug))
        if report.has_changes and course is not None and course.draft is not None:
            click.echo(
                _(
                    "Lưu ý: %(slug)s đang có bản nháp soạn trên trình duyệt; người soạn sẽ "
                    "được cảnh báo trước khi xuất bản đè lên phiên bản vừa nhập.",
                    slug=report.slug,
                ),
                err=True,
            )


def _progress(courses):
    if len(courses) < PROGRESS_FROM:
        yield from courses
        return
    with click.progressbar(
        courses, label=_("Đang nhập khoá học"), item_show_func=lambda c: c.slug if c else ""
    ) as bar:
        yield from bar


@courses_cli.command("export")
@click.argument("slug")
@click.argument("dest", type=click.Path(file_okay=False))
def export_command(slug, dest):
    """Xuất khoá học SLUG vào thư mục DEST/SLUG."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(_("Không có khoá học “%(slug)s”.", slug=slug))
    folder = export_course(course, dest)
    click.echo(_("Đã xuất %(slug)s vào %(folder)s", slug=slug, folder=folder))


COMMANDS = (courses_cli,)
