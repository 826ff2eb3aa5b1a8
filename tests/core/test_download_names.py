"""Downloaded files get a safe name whatever the data holds: quotes, line breaks, Unicode in a unit
code or a course slug give a 200 with one well-formed Content-Disposition header (RFC 6266)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.http import parse_options_header

from academy.certificates.services import issue_certificate
from academy.core.downloads import attachment_header, download_filename
from academy.database import db, utcnow
from academy.learning.models import Enrollment

HOSTILE = 'A"B\r\nC; filename=x.exe Hà Nội\\'
SAFE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


def downloaded_name(response) -> str:
    """The file name a browser saves ``response`` as, checking the header on the way."""
    header = response.headers["Content-Disposition"]
    assert not re.search(r"[\x00-\x1f\x7f]", header)
    kind, params = parse_options_header(header)
    assert kind == "attachment"
    assert SAFE_NAME.match(params["filename"]), header
    if "filename*" in header:
        assert header.endswith(f"filename*=UTF-8''{params['filename']}")
    return params["filename"]


@pytest.fixture
def hostile_unit(make_unit):
    """A unit whose code came in before codes were checked (old data, a direct database edit)."""
    return make_unit(name="Phường Hà Nội", code=HOSTILE)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_report_download_names_survive_a_hostile_unit_code(
    client, auth, make_user, hostile_unit, fmt
):
    auth.login(make_user(roles=("hr",), unit=hostile_unit))
    with client.get(f"/reports/completion.{fmt}") as response:  # closes the streamed file
        assert response.status_code == 200
        name = downloaded_name(response)
    assert re.fullmatch(
        rf"bao-cao-hoan-thanh-A-B-C-filename-x\.exe-Ha-Noi-\d{{8}}-\d{{4}}\.{fmt}", name
    ), name


def test_course_export_name_survives_a_hostile_slug(client, auth, make_user, make_course):
    author = make_user(roles=("instructor",))
    course = make_course(slug='kh"oá\r\nhọc', owner=author, status="draft")
    auth.login(author)
    response = client.get(f"/authoring/courses/{course.id}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert downloaded_name(response) == "kh-oa-hoc.zip"


def test_certificate_download_is_named_by_its_serial(client, auth, make_user, make_course):
    learner, course = make_user(), make_course()
    db.session.add(Enrollment(user_id=learner.id, course_id=course.id, completed_at=utcnow()))
    certificate = issue_certificate(learner, course)
    db.session.commit()
    auth.login(learner)
    response = client.get(f"/certificates/{certificate.serial}.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{certificate.serial}.pdf"; '
        f"filename*=UTF-8''{certificate.serial}.pdf"
    )


@given(
    parts=st.lists(st.text(max_size=40), max_size=4),
    ext=st.sampled_from(["csv", "pdf", "zip", 'x"y']),
)
def test_any_text_makes_a_safe_file_name(parts, ext):
    name = download_filename(*parts, ext=ext)
    assert SAFE_NAME.match(name) and len(name) <= 130
    assert parse_options_header(attachment_header(name))[1]["filename"] == name


@given(name=st.text(max_size=200))
def test_the_header_is_well_formed_for_any_name(name):
    header = attachment_header(name)
    assert not re.search(r"[\x00-\x1f\x7f]", header) and header.isascii()
    kind, params = parse_options_header(header)
    assert kind == "attachment" and SAFE_NAME.match(params["filename"])
