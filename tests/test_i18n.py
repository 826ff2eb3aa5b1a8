"""Vietnamese is the source language; the English catalogue must cover every string."""

import os
import subprocess
import sys

import wtforms.i18n
from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(__file__))
EN_PO = os.path.join(ROOT, "academy", "translations", "en", "LC_MESSAGES", "messages.po")


def _catalog(path):
    with open(path, "rb") as handle:
        return read_po(handle)


def test_english_catalogue_translates_every_source_string(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "academy",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    source_ids = {message.id for message in _catalog(pot) if message.id}
    assert "Đăng nhập" in source_ids  # the extraction really read our templates
    english = _catalog(EN_PO)
    translated = {
        m.id
        for m in english
        if m.id
        and m.string
        and "fuzzy" not in m.flags
        and (all(m.string) if isinstance(m.string, tuple) else True)
    }
    missing = sorted(str(i) for i in source_ids - translated)
    assert missing == [], f"{len(missing)} strings lack an English translation, e.g. {missing[:5]}"


def test_vietnamese_catalogue_covers_every_wtforms_message():
    """WTForms speaks no Vietnamese: our catalogue must cover each of its messages, upgrades too."""
    library = _catalog(os.path.join(wtforms.i18n.messages_path(), "wtforms.pot"))
    ours = _catalog(
        os.path.join(ROOT, "academy", "translations", "vi", "LC_MESSAGES", "wtforms.po")
    )
    translated = {
        m.id for m in ours if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(str(m.id) for m in library if m.id and m.id not in translated)
    assert missing == []


def test_form_errors_read_in_the_reader_s_language(client, auth, make_user):
    auth.login(make_user(roles=("instructor",)))
    page = client.post("/authoring/courses/new", data={"title": "", "hours": "bốn"}).get_data(
        as_text=True
    )
    assert "Vui lòng nhập trường này." in page and "This field is required." not in page
    client.post("/locale", data={"locale": "en", "next": "/"})
    page = client.post("/authoring/courses/new", data={"title": "", "hours": "four"}).get_data(
        as_text=True
    )
    assert "This field is required." in page and "Vui lòng nhập trường này." not in page
