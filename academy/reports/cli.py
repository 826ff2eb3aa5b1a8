"""flask reports completion --format csv|xlsx|pdf --out FILE [filters]"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from academy.auth.models import Unit
from academy.catalog.models import Course
from academy.core.cli import find_or_fail
from academy.extensions import db
from academy.reports import services
from academy.reports.exporters import csv_chunks, write_xlsx
from academy.reports.queries import STATUSES, ReportFilters

reports_cli = AppGroup("reports", help="Báo cáo đào tạo.")


@reports_cli.command("completion")
@click.option(
    "--format", "fmt", type=click.Choice(("csv", "xlsx", "pdf")), default="csv", show_default=True
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True),
    required=True,
    help="Tệp kết quả",
)
@click.option("--unit", "unit_code", default=None, help="Mã đơn vị (gồm đơn vị cấp dưới)")
@click.option("--course", "course_slug", default=None, help="Slug khoá học")
@click.option(
    "--from",
    "date_from",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Đầu kỳ (ngày theo giờ Việt Nam): giữ dòng có hạn (khoá bắt buộc) hoặc ngày hoàn thành "
    "trong kỳ",
)
@click.option(
    "--to",
    "date_to",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Cuối kỳ: trạng thái tính đến hết ngày này",
)
@click.option("--status", type=click.Choice(STATUSES), default=None)
def completion_command(fmt, out, unit_code, course_slug, date_from, date_to, status):
    """Xuất báo cáo hoàn thành khoá học ra tệp (ghi nhật ký kiểm toán)."""
    with current_app.test_request_context():  # gettext and the locale need a request
        # an empty --unit/--course means no filter, as it always has for this command
        unit = find_or_fail(Unit, Unit.code, unit_code or None, "đơn vị")
        course = find_or_fail(Course, Course.slug, course_slug or None, "khoá học")
        filters = ReportFilters(
            unit=unit,
            course_id=course.id if course else None,
            date_from=date_from.date() if date_from else None,
            date_to=date_to.date() if date_to else None,
            status=status,
        )
        count = _export(fmt, filters, out)
        services.record_download(fmt, filters, via="cli")
        db.session.commit()
        statement = services.period_statement(filters)
    click.echo(f"Đã ghi {out}" + (f" ({count} dòng)" if count is not None else ""))
    click.echo(statement)


def _export(fmt: str, filters: ReportFilters, out: str):
    if fmt == "pdf":
        with open(out, "wb") as handle:
            handle.write(services.pdf_bytes(filters))
        return None
    heading = services.report_heading(filters)
    with UnitProgress() as progress:
        rows = services.stream_rows(filters, progress=progress)
        if fmt == "xlsx":
            return write_xlsx(rows, out, heading=heading)
        with open(out, "wb") as handle:
            for chunk in csv_chunks(rows, heading=heading):
                handle.write(chunk)
    return None


class UnitProgress:
    """A progress bar over the report's units, opened when the first unit is done (its length is
    known only then)."""

    def __init__(self):
        self.bar = None

    def __call__(self, unit_name: str, units: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=units,
                label="Đang xuất báo cáo",
                show_pos=True,
                item_show_func=lambda name: name,
                file=sys.stderr,
            )
            self.bar.__enter__()
        self.bar.update(1, unit_name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


COMMANDS = (reports_cli,)
