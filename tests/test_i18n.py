"""Vietnamese is the source language; the English catalogue must cover every string."""
import os
import subprocess
import sys

from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(__file__))
EN_PO = os.path.join(ROOT, "academy", "translations", "en", "LC_MESSAGES", "messages.po")


def _catalog(path):
    with open(path, "rb") as handle:
        return read_po(handle)


def test_english_catalogue_translates_every_source_string(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "academy"],
        cwd=ROOT, check=True, capture_output=True,
    )
    source_ids = {message.id for message in _catalog(pot) if message.id}
    assert "Đăng nhập" in source_ids  # the extraction really read our templates
    english = _catalog(EN_PO)
    translated = {m.id for m in english if m.id and m.string and "fuzzy" not in m.flags
                  and (all(m.string) if isinstance(m.string, tuple) else True)}
    missing = sorted(str(i) for i in source_ids - translated)
    assert missing == [], f"{len(missing)} strings lack an English translation, e.g. {missing[:5]}"
