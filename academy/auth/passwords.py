"""The password rule (ASVS V2.1) and the one place a password is checked against a hash.

Strength is judged by zxcvbn, which knows common passwords, keyboard walks, repeats, sequences and
dates; we add what it cannot know (the user's own e-mail, name and employee code, the product's
name) and say why in our own words, in the reader's language.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from werkzeug import security
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 3  # zxcvbn 0..4; 3 = "safely unguessable: moderate protection from offline attack"
ANALYSED_CHARS = 72  # zxcvbn's own ceiling; a longer password is judged by its first 72 characters
PRODUCT_WORDS = ("hocvienso", "hocvien", "academy", "digitalacademy")

PASSWORD_RULE = _l(
    "Ít nhất 10 ký tự và khó đoán: không dùng mật khẩu phổ biến, dãy lặp lại hay "
    "liên tiếp, năm sinh, và không chứa email, họ tên, mã cán bộ của bạn hay tên "
    "Học viện Số. Nên ghép ba bốn từ ít gặp."
)

REASONS = {
    "length": _l("Mật khẩu cần từ 10 đến 200 ký tự."),
    "personal": _l(
        "Mật khẩu không được chứa email, họ tên, mã cán bộ của bạn hay tên Học viện Số."
    ),
    "passwords": _l("Đây là một mật khẩu phổ biến, kẻ gian thử nó đầu tiên."),
    "words": _l(
        "Một từ thông dụng hay một cái tên đơn lẻ rất dễ đoán; hãy ghép thêm vài từ ít gặp."
    ),
    "spatial": _l("Các phím liền nhau trên bàn phím (như qwerty) rất dễ đoán."),
    "repeat": _l("Ký tự hay cụm ký tự lặp lại (như aaa, abcabc) rất dễ đoán."),
    "sequence": _l("Dãy liên tiếp (như abcd, 1234) rất dễ đoán."),
    "date": _l("Năm và ngày tháng (như năm sinh) rất dễ đoán."),
    "weak": _l("Mật khẩu này quá dễ đoán; hãy dài hơn hoặc ghép ba bốn từ ít gặp."),
}


def fold(text: str) -> str:
    """Lower case, Vietnamese marks removed (đ → d), letters and digits only: 'Hằng-1' → 'hang1'."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower().replace("đ", "d"))
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def personal_words(email: str = "", full_name: str = "", employee_code: str = "") -> list[str]:
    """What an attacker who knows this person tries first; none may appear inside a password."""
    local = (email or "").split("@", 1)[0]
    words = [fold(local), fold(full_name), fold(employee_code), *PRODUCT_WORDS]
    return [word for word in dict.fromkeys(words) if len(word) >= 4]


def _name_hints(email: str, full_name: str) -> list[str]:
    """Parts of the e-mail and the name: zxcvbn counts them as guessable words (not refused)."""
    parts = re.split(r"[._+\-]", (email or "").split("@", 1)[0]) + (full_name or "").split()
    return [fold(part) for part in parts if fold(part)]


def password_problem(
    password: str, *, email: str = "", full_name: str = "", employee_code: str = ""
) -> str | None:
    """Why ``password`` is refused (a translated sentence), or None when it follows the rule."""
    if not MIN_LENGTH <= len(password or "") <= MAX_LENGTH:
        return str(REASONS["length"])
    words = personal_words(email, full_name, employee_code)
    if any(word in fold(password) for word in words):
        return str(REASONS["personal"])
    result = zxcvbn(
        password[:ANALYSED_CHARS],
        user_inputs=words + _name_hints(email, full_name),
        max_length=ANALYSED_CHARS,
    )
    if result["score"] >= MIN_SCORE:
        return None
    return str(REASONS[_reason_key(result["sequence"])])


def _reason_key(sequence: list[dict]) -> str:
    """Our reason for zxcvbn's verdict, from the longest guessable part it found (as its own
    feedback does), so the message is ours and in the reader's language."""
    guessable = [match for match in sequence if match["pattern"] != "bruteforce"]
    if not guessable:
        return "weak"
    match = max(guessable, key=lambda m: len(m["token"]))
    pattern = match["pattern"]
    if pattern == "dictionary":
        return {"passwords": "passwords", "user_inputs": "personal"}.get(
            match["dictionary_name"], "words"
        )
    if pattern in ("regex", "date"):
        return "date"
    return pattern if pattern in REASONS else "weak"


class WeakPasswordError(ValueError):
    """A password that breaks the rule; ``str(error)`` is the reason, translated."""


def check_password_rule(password: str, **context: str) -> None:
    """Raise WeakPasswordError when ``password`` breaks the rule for the person in ``context``
    (email, full_name, employee_code)."""
    problem = password_problem(password, **context)
    if problem:
        raise WeakPasswordError(problem)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash made with the current default scheme and cost, for accounts without one."""
    return security.generate_password_hash(secrets.token_urlsafe(16))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``. Always exactly one hash verification, against
    a dummy hash of the same scheme when there is no real one, so every failure costs the same."""
    if not stored_hash:
        security.check_password_hash(_dummy_hash(), password)
        return False
    return security.check_password_hash(stored_hash, password)


def verify_nothing(password: str) -> None:
    """Spend the time of one verification (unknown e-mail, inactive account)."""
    verify_password(None, password)
