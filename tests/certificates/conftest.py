"""Certificate fixtures: a learner in a ward under a district, a completed course, HR, admin."""

from __future__ import annotations

import io
import unicodedata

import pytest
from pypdf import PdfReader

from academy.certificates.services import issue_certificate
from academy.database import db, utcnow
from academy.learning.models import Enrollment

NAME = "Nguyễn Thị Hồng Nhung"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def pdf_text(data: bytes) -> str:
    return nfc(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture
def district(make_unit):
    return make_unit(name="Quận Một", kind="agency")


@pytest.fixture
def ward(make_unit, district):
    return make_unit(name="Phường Bến Thành", kind="ward", parent=district)


@pytest.fixture
def learner(make_user, ward):
    return make_user(full_name=NAME, unit=ward)


@pytest.fixture
def course(make_course):
    return make_course(title="Lãnh đạo bằng dữ liệu")


@pytest.fixture
def complete(app):
    """Mark (user, course) completed as the learning feature would, without a certificate."""

    def mark(user, course):
        db.session.add(Enrollment(user_id=user.id, course_id=course.id, completed_at=utcnow()))
        db.session.commit()

    return mark


@pytest.fixture
def issue(app, complete):
    """Complete and issue, committed, as the learner's request would."""

    def make(user, course):
        complete(user, course)
        certificate = issue_certificate(user, course)
        db.session.commit()
        return certificate

    return make


@pytest.fixture
def certificate(issue, learner, course):
    return issue(learner, course)
