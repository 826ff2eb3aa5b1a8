"""Hostile staff lists: every malformed or oversized file is a 400 naming the place, never a 500,
read within the configured limits, and nothing is written.

The XLSX files are written member by member with zipfile, so each test holds exactly the damage it
is about (a workbook library would refuse to write most of them).
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from academy.admin.imports import ImportFileError, read_rows
from academy.auth.models import User
from academy.database import db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = {"A": "employee_code", "B": "full_name", "C": "email", "D": "unit_code"}


def _row(code: str, email: str, name: str = "Nguyễn Văn An", unit: str = "BT") -> dict:
    return {"A": code, "B": name, "C": email, "D": unit}


def _cell(ref: str, value) -> str:
    if isinstance(value, tuple):  # (type, raw <v> text), written as given
        kind, raw = value
        return f'<c r="{ref}" t="{kind}"><v>{escape(raw)}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def sheet(rows, dimension: str | None = None, before_data: str = "") -> str:
    """A worksheet part: ``rows`` is [(row number, {column letter: value})]."""
    body = "".join(
        f'<row r="{n}">' + "".join(_cell(f"{col}{n}", v) for col, v in cells.items()) + "</row>"
        for n, cells in rows
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dim}{before_data}'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


def xlsx(sheet_xml: str, shared=("Trần Thị Bình",), extra=()) -> bytes:
    """A minimal workbook: content types, relationships, one sheet, shared strings, styles."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'
        + "".join(f"<si><t>{escape(s)}</t></si>" for s in shared)
        + "</sst>",
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">'
            '<fonts count="1"><font/></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1">'
            '<xf/></cellStyleXfs><cellXfs count="1"><xf xfId="0"/></cellXfs><cellStyles count="1">'
            '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(client, data: bytes, name="nhan-su.xlsx", apply=True):
    button = {"apply": "Nhập"} if apply else {"dry_run": "Kiểm tra"}
    return client.post(
        "/admin/users/import",
        # the file's type given, as a browser gives it: werkzeug's test client would otherwise
        # read the system's MIME table (a one-off 300 KiB) while the bomb test measures memory
        data={"file": (io.BytesIO(data), name, XLSX_TYPE), **button},
        content_type="multipart/form-data",
    )


def _people() -> int:
    return db.session.scalar(select(func.count(User.id)))


def _admin(make_user, make_unit, auth, locale="vi"):
    make_unit("Phường Bến Thành", code="BT")
    admin = make_user(roles=("admin",))
    admin.locale = locale
    db.session.commit()
    auth.login(admin)
    return admin


def _refused(client, data, *expected, name="nhan-su.xlsx"):
    """Upload ``data`` for real: a 400 whose page holds every ``expected`` text, nobody added."""
    before = _people()
    response = _upload(client, data, name=name)
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html[:500]
    for text in expected:
        assert text in html, (text, html[html.find("invalid-feedback") :][:300])
    assert _people() == before, "a refused file writes nothing"
    return html


GOOD_ROW = (2, _row("CB1", "an@hvs.gov.vn"))


# ---- malformed cells: a 400 naming the cell, the good rows before it not written -------------


def test_shared_string_index_out_of_range_names_the_cell(client, auth, make_user, make_unit):
    _admin(make_user, make_unit, auth)
    data = xlsx(sheet([(1, HEADER), GOOD_ROW, (3, _row("CB2", "b@hvs.gov.vn", name=("s", "99")))]))
    _refused(client, data, "Sheet1!B3:", "ô không đọc được")


def test_text_in_a_numeric_cell_names_the_cell_in_english_too(client, auth, make_user, make_unit):
    _admin(make_user, make_unit, auth, locale="en")
    data = xlsx(sheet([(1, HEADER), GOOD_ROW, (3, _row(("n", "abc"), "b@hvs.gov.vn"))]))
    _refused(client, data, "Sheet1!A3:", "could not be read")


def test_cli_names_the_bad_cell_and_writes_nothing(runner, make_unit, tmp_path):
    make_unit("Phường Bến Thành", code="BT")
    path = tmp_path / "nhan-su.xlsx"
    path.write_bytes(
        xlsx(sheet([(1, HEADER), GOOD_ROW, (3, _row("CB2", "b@hvs.gov.vn", name=("s", "7")))]))
    )
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1 and "Sheet1!B3" in result.output, result.output
    assert "Traceback" not in result.output
    assert _people() == 0


# ---- dimension: declared ranges are neither trusted nor a cost -------------------------------


def test_huge_declared_dimension_reads_only_the_real_rows(app):
    """Trusting A1:XFD1048576 would widen every row, blank ones included, to 16,384 cells."""
    far = (3000, _row("CB2", "b@hvs.gov.vn"))
    data = xlsx(sheet([(1, HEADER), GOOD_ROW, far], dimension="A1:XFD1048576"))
    with app.test_request_context():
        read_rows(
            "nhan-su.xlsx", xlsx(sheet([(1, HEADER), GOOD_ROW]))
        )  # openpyxl's imports are not the file's cost
        tracemalloc.start()
        try:
            rows = read_rows("nhan-su.xlsx", data)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert [number for number, _row_values in rows] == [2, 3000]
    assert peak < 2 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a {len(data)}-byte file"


def test_rows_beyond_the_declared_dimension_are_imported(client, auth, make_user, make_unit):
    _admin(make_user, make_unit, auth)
    data = xlsx(
        sheet(
            [(1, HEADER), GOOD_ROW, (3, _row("CB2", "binh@hvs.gov.vn", name=("s", "0")))],
            dimension="A1:D2",
        )
    )
    assert _upload(client, data).status_code == 302
    binh = db.session.scalar(select(User).where(User.employee_code == "CB2"))
    assert binh is not None and binh.full_name == "Trần Thị Bình"


def test_a_row_far_below_the_data_is_refused_without_counting_to_it(
    client, auth, make_user, make_unit, app
):
    _admin(make_user, make_unit, auth)
    app.config["IMPORT_MAX_ROWS"] = 10
    data = xlsx(sheet([(1, HEADER), GOOD_ROW, (99_999_999_999, _row("CB2", "b@hvs.gov.vn"))]))
    _refused(client, data, "Sheet1, dòng 22:", "21 dòng")


def test_more_data_rows_than_the_limit_is_refused(client, auth, make_user, make_unit, app):
    _admin(make_user, make_unit, auth)
    app.config["IMPORT_MAX_ROWS"] = 3
    rows = [(n, _row(f"CB{n}", f"n{n}@hvs.gov.vn")) for n in range(2, 7)]
    _refused(client, xlsx(sheet([(1, HEADER), *rows])), "Tệp có quá 3 dòng.")


def test_a_value_beyond_the_column_limit_names_the_cell(client, auth, make_user, make_unit, app):
    _admin(make_user, make_unit, auth)
    app.config["IMPORT_MAX_COLUMNS"] = 10
    data = xlsx(sheet([(1, HEADER), (2, {**_row("CB1", "an@hvs.gov.vn"), "K": "x"})]))
    _refused(client, data, "Sheet1!K2:", "cột thứ 10")


def test_an_overlong_cell_names_the_cell(client, auth, make_user, make_unit):
    _admin(make_user, make_unit, auth)
    data = xlsx(sheet([(1, HEADER), GOOD_ROW, (3, _row("CB2", "b@hvs.gov.vn", name="A" * 1001))]))
    _refused(client, data, "Sheet1!B3:", "1000 ký tự")


# ---- the archive: sizes checked from the ZIP directory before anything is decompressed ---------


def _bomb(megabytes: int) -> bytes:
    padding = "<!--" + "0" * (megabytes * 1024 * 1024) + "-->"
    return xlsx(sheet([(1, HEADER), GOOD_ROW], before_data=padding))


def test_zip_bomb_over_the_size_cap_is_refused_unread(
    client, auth, make_user, make_unit, app, runner, tmp_path
):
    _admin(make_user, make_unit, auth)
    app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = 2 * 1024 * 1024
    app.config["IMPORT_MAX_COMPRESSION_RATIO"] = 10_000  # this test is about the size alone
    data = _bomb(3)
    assert len(data) < 20_000
    client.get("/admin/users/import")  # templates compiled: what is measured is the upload alone
    tracemalloc.start()
    try:
        _refused(client, data, "giải nén ra quá 2.0 MB")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024, f"the bomb was decompressed: peak {peak / 1e6:.1f} MB"
    path = tmp_path / "bom.xlsx"
    path.write_bytes(data)
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1 and "giải nén ra quá 2.0 MB" in result.output


def test_zip_member_compressed_beyond_the_ratio_is_refused(client, auth, make_user, make_unit):
    _admin(make_user, make_unit, auth)
    _refused(client, _bomb(4), "nén bất thường", "xl/worksheets/sheet1.xml")


def test_member_larger_than_its_declared_size_is_refused(client, auth, make_user, make_unit):
    """A directory that understates a member's size: the data fails zipfile's own checks."""
    _admin(make_user, make_unit, auth)
    data = bytearray(xlsx(sheet([(1, HEADER), GOOD_ROW])))
    name = b"xl/worksheets/sheet1.xml"
    central = data.rindex(
        b"PK\x01\x02", 0, data.rindex(name)
    )  # the sheet's central directory entry
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")  # uncompressed size: 10 bytes
    _refused(client, bytes(data), "Không đọc được tệp XLSX.")


def test_a_row_with_more_cells_than_a_sheet_has_columns_is_refused(
    client, auth, make_user, make_unit
):
    _admin(make_user, make_unit, auth)
    cells = "".join(f"<c><v>{n}</v></c>" for n in range(20_000))
    data = xlsx(
        sheet([(1, HEADER)]).replace("</sheetData>", f'<row r="2">{cells}</row></sheetData>')
    )
    _refused(client, data, "quá 16384 ô")


# ---- CSV ------------------------------------------------------------------------------------

CSV_HEADER = "Mã cán bộ,Họ và tên,Email,Mã đơn vị\n"


def test_csv_field_over_the_parser_limit_names_the_line(
    client, auth, make_user, make_unit, runner, tmp_path
):
    _admin(make_user, make_unit, auth)
    data = (
        CSV_HEADER + "CB1,An,an@hvs.gov.vn,BT\n" + 'CB2,"' + "x" * 200_000 + '",b@hvs.gov.vn,BT\n'
    ).encode()
    _refused(client, data, "Dòng 3:", name="nhan-su.csv")
    path = tmp_path / "nhan-su.csv"
    path.write_bytes(data)
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1 and "Dòng 3:" in result.output and "Traceback" not in result.output


def test_csv_field_over_the_cell_limit_names_the_line(client, auth, make_user, make_unit):
    _admin(make_user, make_unit, auth)
    data = (
        CSV_HEADER + "CB1,An,an@hvs.gov.vn,BT\nCB2," + "x" * 1001 + ",b@hvs.gov.vn,BT\n"
    ).encode()
    _refused(client, data, "Dòng 3:", "1000 ký tự", name="nhan-su.csv")


def test_csv_nul_byte_names_the_line(client, auth, make_user, make_unit):
    _admin(make_user, make_unit, auth)
    data = (CSV_HEADER + "CB1,An,an@hvs.gov.vn,BT\nCB2,B\x00nh,b@hvs.gov.vn,BT\n").encode()
    _refused(client, data, "Dòng 3:", name="nhan-su.csv")


# ---- values the database would choke on are row problems ------------------------------------


def test_unit_code_outside_the_safe_alphabet_and_overlong_email_are_row_problems(
    client, auth, make_user, make_unit
):
    _admin(make_user, make_unit, auth)
    long_email = "a" * 250 + "@hvs.gov.vn"
    data = (CSV_HEADER + f"CB1,An,an@hvs.gov.vn,BT<b>\nCB2,Bình,{long_email},BT\n").encode()
    html = _refused(client, data, "Mã đơn vị không hợp lệ", "Giá trị quá dài.", name="nhan-su.csv")
    assert "<td>2</td>" in html and "<td>3</td>" in html


# ---- fuzz: whatever the bytes, a 200 or a 400 ------------------------------------------------

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=(HealthCheck.function_scoped_fixture, HealthCheck.too_slow),
)
CELL_TYPES = st.sampled_from(["s", "n", "b", "d", "e", "str", "inlineStr", "zz", ""])
RAW_VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["-1", "1e999", "99", "9" * 5000, "NaN", "0x1", "2026-13-45", "1.5", " "]),
)


@FUZZ
@given(junk=st.binary(max_size=3000), as_xlsx=st.booleans())
@example(junk=b"PK\x03\x04" + b"\x00" * 60, as_xlsx=True)
@example(junk=b"employee_code,full_name\rx,y\n", as_xlsx=False)  # a lone CR inside a line
@example(junk=b"\xef\xbb\xbf" + 'Mã cán bộ;Họ và tên;Email;Mã đơn vị\n"a'.encode(), as_xlsx=False)
def test_junk_bytes_are_never_a_server_error(client, auth, make_user, make_unit, junk, as_xlsx):
    if not _people():
        _admin(make_user, make_unit, auth)
    response = _upload(client, junk, name="x.xlsx" if as_xlsx else "x.csv", apply=False)
    assert response.status_code in (200, 400)


@FUZZ
@given(
    cells=st.lists(
        st.tuples(st.sampled_from("ABCD"), CELL_TYPES, RAW_VALUES), min_size=1, max_size=6
    ),
    row_number=st.integers(min_value=-3, max_value=2_000_000),
    garbage=st.binary(max_size=40),
)
def test_damaged_sheets_are_never_a_server_error(
    client, auth, make_user, make_unit, cells, row_number, garbage
):
    if not _people():
        _admin(make_user, make_unit, auth)
    row = "".join(f'<c r="{col}2" t="{kind}"><v>{escape(raw)}</v></c>' for col, kind, raw in cells)
    good = sheet([(1, HEADER)]).replace(
        "</sheetData>", f'<row r="{row_number}">{row}</row></sheetData>'
    )
    before = _people()
    for data in (xlsx(good), xlsx(good[: len(good) // 2] + garbage.decode("latin-1"))):
        response = _upload(client, data, apply=True)
        assert response.status_code in (302, 400)
        if response.status_code == 400:
            assert _people() == before
        db.session.rollback()


def test_read_rows_raises_only_import_file_error(app):
    """The service's contract, as the CLI relies on it: a damaged workbook is an ImportFileError."""
    with app.test_request_context():
        for data in (
            b"",
            b"PK\x05\x06" + b"\x00" * 18,
            xlsx("<worksheet"),
            xlsx(sheet([]), extra=[("x", "")]),
            xlsx(sheet([(1, HEADER), (2, {"A": ("s", "5")})])),
            xlsx(sheet([(1, {"A": ("b", "x")})])),
        ):
            try:
                read_rows("a.xlsx", data)
            except ImportFileError:
                continue
            raise AssertionError(f"{data[:20]!r} was read")
