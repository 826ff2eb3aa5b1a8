"""Fixtures for system tests: the live site (tests.live_fixtures) and a busier one, more workers."""

from __future__ import annotations

import pytest

from tests.live_fixtures import running_site, site  # noqa: F401 - shared fixtures


@pytest.fixture(scope="module")
def busy_site(tmp_path_factory):
    """Four gunicorn workers on a fresh database, for bursts of concurrent writes."""
    with running_site(
        tmp_path_factory.mktemp("busy"), "busy", workers=4, demo_learners=0, QUIZ_MAX_ATTEMPTS=0
    ) as live:
        yield live
