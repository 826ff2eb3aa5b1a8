"""Helpers for authoring tests: an instructor's browser actions as plain functions."""

from __future__ import annotations

import re
import struct
import zlib

from academy.catalog.models import Course
from academy.database import db

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n"
    + struct.pack(">I", 13)
    + b"IHDR"
    + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    + struct.pack(">I", zlib.crc32(b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)))
    + struct.pack(">I", 0)
    + b"IEND"
    + struct.pack(">I", zlib.crc32(b"IEND"))
)


def location_id(response, pattern=r"/authoring/courses/(\d+)") -> int:
    assert response.status_code in (302, 303), (
        response.status_code,
        response.get_data(as_text=True)[:500],
    )
    return int(re.search(pattern, response.headers["Location"]).group(1))


def create_course(client, title="Quản trị dữ liệu phường", **extra) -> Course:
    data = {
        "title": title,
        "summary": "Tóm tắt",
        "description_md": "Giới thiệu",
        "track": "data",
        "level": "basic",
        "hours": "4",
        "pass_threshold": "0.7",
        **extra,
    }
    course_id = location_id(client.post("/authoring/courses/new", data=data))
    return db.session.get(Course, course_id)


def add_module(client, course, title="Học phần dữ liệu", **extra):
    data = {
        "title": title,
        "summary": "Tóm tắt học phần",
        "intro_md": "Giới thiệu",
        "minutes": "30",
        **extra,
    }
    response = client.post(f"/authoring/courses/{course.id}/modules/new", data=data)
    module_id = location_id(response, r"#module-(\d+)")
    db.session.expire_all()
    return next(m for m in db.session.get(Course, course.id).modules if m.id == module_id)


def add_lesson(
    client,
    course,
    module,
    title="Bài 1: Dữ liệu là gì",
    body="## Mở đầu\n\nDữ liệu **quan trọng**.",
):
    response = client.post(
        f"/authoring/courses/{course.id}/modules/{module.id}/lessons/new",
        data={"title": title, "body_md": body},
    )
    lesson_id = location_id(response, r"/lessons/(\d+)")
    db.session.expire_all()
    return lesson_id


def save_lesson(client, course_id, lesson_id, title, body):
    return client.post(
        f"/authoring/courses/{course_id}/lessons/{lesson_id}",
        data={"title": title, "body_md": body},
    )


def question_form(prompt, choices, explanation="Giải thích đáp án."):
    data = {"prompt_md": prompt, "explanation_md": explanation}
    for i, (text, ok) in enumerate(choices):
        data[f"choices-{i}-text"] = text
        if ok:
            data[f"choices-{i}-is_correct"] = "y"
    return data


def add_question(client, course, module, prompt, choices, explanation="Giải thích đáp án."):
    return client.post(
        f"/authoring/courses/{course.id}/modules/{module.id}/quiz/new",
        data=question_form(prompt, choices, explanation),
    )


def login_client(app, user, password="mat-khau-thu-nghiem-1"):
    """A second browser, signed in as ``user``."""
    other = app.test_client()
    assert other.post("/login", data={"email": user.email, "password": password}).status_code in (
        302,
        303,
    )
    return other
