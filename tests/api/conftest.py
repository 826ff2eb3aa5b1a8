import pytest

from academy.api.tokens import create_token
from academy.extensions import db


@pytest.fixture
def make_token(app):
    """A secret for ``user`` with ``scopes`` (created through the service, as the page does)."""

    def make(user, scopes=("reports:read",), expires_at=None):
        _token, secret = create_token(user, "thử nghiệm", scopes, expires_at)
        db.session.commit()
        return secret

    return make


@pytest.fixture
def bearer():
    return lambda secret: {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def wards(make_unit, make_user):
    """The city with two wards; an HR officer in each, an admin, a learner in ward A."""
    city = make_unit("Thành phố", kind="city")
    ward_a = make_unit("Phường A", parent=city, kind="ward")
    ward_b = make_unit("Phường B", parent=city, kind="ward")
    return {
        "city": city,
        "a": ward_a,
        "b": ward_b,
        "hr_a": make_user(roles=("hr",), unit=ward_a),
        "hr_b": make_user(roles=("hr",), unit=ward_b),
        "admin": make_user(roles=("admin",), unit=city),
        "learner_a": make_user(roles=("learner",), unit=ward_a),
        "learner_b": make_user(roles=("learner",), unit=ward_b),
    }
