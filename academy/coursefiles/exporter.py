"""Export a course from the database as a ``courses/<slug>/`` folder or a ZIP of it."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from academy.coursefiles.media import export_images
from academy.coursefiles.sync import course_to_data
from academy.coursefiles.writer import write_course_dir

# A fixed timestamp keeps the ZIP identical for identical content.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def export_course(course, dest_dir) -> Path:
    """Write ``course`` to ``dest_dir/<slug>/`` (replacing an older export there), with the images
    its Markdown shows in ``media/``; return the folder."""
    folder = Path(dest_dir) / course.slug
    data = course_to_data(course)
    write_course_dir(data, folder)
    export_images(data.markdown_texts(), folder)
    return folder


def export_course_zip(course) -> bytes:
    """The course folder as ZIP bytes (entries ``<slug>/...``, sorted, fixed dates)."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="academy-export-") as tmp:
        folder = export_course(course, tmp)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for file in sorted(p for p in folder.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(file.relative_to(tmp).as_posix(), date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, file.read_bytes())
    return buffer.getvalue()
