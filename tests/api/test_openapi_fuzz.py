"""Schemathesis drives the API with its own OpenAPI description: no 500, no answer outside it."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from academy.api.tokens import create_token
from academy.extensions import db

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.mark.slow
def test_api_answers_within_its_description(app, wards):
    _row, secret = create_token(
        wards["admin"], "fuzz", ("reports:read", "people:write", "learning:read")
    )
    db.session.commit()
    app.config["API_RATE_LIMIT"] = "100000/minute"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {secret}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case):
            case.call_and_validate(checks=CHECKS, headers=headers)

        call()
