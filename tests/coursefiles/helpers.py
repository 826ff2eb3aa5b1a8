"""Course folders for tests of the file format, and for the browser tests that upload one."""

from __future__ import annotations

from pathlib import Path

# A small course: two modules, three lessons, two quizzes; thuc-hanh requires nhap-mon.
MINI_COURSE = Path(__file__).parent / "fixtures" / "mini-course"
