"""Spreadsheet cells that stay text: the one rule every export (CSV and XLSX) applies to free text,
so a name such as ``=HYPERLINK(...)`` is never run as a formula. Kept here, below every feature,
so that any feature's export (reports, the certificate ZIP's list, the audit log) can use it."""

from __future__ import annotations

import re

FORMULA_TRIGGERS = "=+-@＝＋－＠"  # what makes a spreadsheet read a cell as a formula
# what a spreadsheet may skip before a trigger: whitespace (NBSP, tabs, line breaks included),
# control characters, and invisible format characters (soft hyphen, zero-width, bidi marks, word
# joiner, BOM)
BLANKS = "\\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
_TRIGGER = "[" + re.escape(FORMULA_TRIGGERS) + "]"
FORMULA_AT_START = re.compile(f"[{BLANKS}]*{_TRIGGER}")
# a cell break for a spreadsheet splitting on another separator (or a line-based reader), then a
# trigger
FORMULA_AFTER_BREAK = re.compile(f'([;,\\t\\r\\n][{BLANKS}"]*)(?={_TRIGGER})')


def neutralise(value):
    """One cell, formula-safe, the one rule for every export (CSV and XLSX alike).

    Text whose first visible character would start a formula, after any spaces, tabs, line breaks,
    control or invisible characters a spreadsheet may skip (U+200B, U+FEFF, NBSP, ...), gets a
    leading apostrophe; so does text opening with a control character. Inside the text, a trigger
    that follows a ``;``, ``,``, tab or line break (and blanks) gets an apostrophe before it: a
    spreadsheet that splits the line on that character would otherwise start a new cell with a
    formula.
    Anything but text is returned as it is.
    """
    if not isinstance(value, str) or not value:
        return value
    if FORMULA_AT_START.match(value) or value[0] < " ":
        value = "'" + value
    return FORMULA_AFTER_BREAK.sub(r"\1'", value)
