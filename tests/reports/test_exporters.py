"""Export formatting details a reader would notice: the local date of every time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from academy.reports.exporters import LocalDates


@pytest.mark.parametrize(
    "zone", ["Asia/Ho_Chi_Minh", "Asia/Kolkata", "Europe/Berlin", "Australia/Lord_Howe"]
)
def test_local_dates_of_sqlite_text_match_an_exact_conversion(zone):
    """Whole-hour, half-hour and DST zones, and an hour whose offset changes by half an hour."""
    tz = ZoneInfo(zone)
    dates = LocalDates(tz)
    moment = datetime(2026, 3, 27, 0, 7, 30, 250000, tzinfo=UTC)
    for _ in range(24 * 14 * 4):  # two weeks around the spring changes, every 15 minutes
        text = moment.replace(tzinfo=None).isoformat(" ", "microseconds")  # how SQLite stores it
        expected = moment.astimezone(tz).date()
        assert dates(text) == expected, text
        assert dates.column([text, None, moment]) == [expected, None, expected]
        moment += timedelta(minutes=15)


def test_local_dates_as_text():
    dates = LocalDates(ZoneInfo("Asia/Ho_Chi_Minh"), lambda day: day.isoformat())
    assert dates.column(["2026-05-01 16:59:59.999999", "2026-05-01 17:00:00.000000", None]) == [
        "2026-05-01",
        "2026-05-02",
        None,
    ]
