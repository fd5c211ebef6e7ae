"""The password policy (NIST SP 800-63B §3.1.1.2): length in characters, bcrypt's byte limit, and
a blocklist of common, breached and easily guessed passwords. No Flask here.

The blocklist is zxcvbn's: the passwords most often found in breach corpora, English words, names
and keyboard patterns, with their l33t and reversed variants, plus words of the context (the
username, the email address, the service's name). No composition rules (800-63B says not to).
"""

import math
import threading
from collections.abc import Iterable

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS
from zxcvbn.matching import L33T_TABLE, relevant_l33t_subtable

from api.core.security import MAX_PASSWORD_BYTES

MIN_PASSWORD_CHARS = 8
# zxcvbn's scale: 0-1 fall to an online guessing attack (under 10^6 guesses), 2 resists a
# throttled online attack (10^6-10^8); the login throttle and bcrypt do the rest.
MIN_STRENGTH = 2
# The seed's default admin password: always weak, whatever a scorer thinks of it.
DEFAULT_ADMIN_PASSWORD = "admin2025"
SERVICE_WORDS = ("backend", "api", "admin", "administrator")
# zxcvbn's cost grows with the length and, exponentially, with the number of l33t readings
# ('@' and '4' both for 'a', ...): 72 characters of symbols took 12 s. Only the first
# SCORED_CHARS are scored, and only while they have at most MAX_L33T_READINGS readings; beyond
# that the password is full of distinct symbols and only the exact blocklist applies.
SCORED_CHARS = 32
MAX_L33T_READINGS = 16
# The 30,000 passwords found most often in breach corpora, as zxcvbn ships them.
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])
# zxcvbn keeps the context words in a module-level dictionary: one caller at a time.
_scoring = threading.Lock()


def password_weakness(password: str, context: Iterable[str] = ()) -> str | None:
    """Why `password` may not be set (a phrase for `errors.password`), or None if it may."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"must be at least {MIN_PASSWORD_CHARS} characters"
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return (
            f"must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8 "
            "(a non-ASCII character takes 2-4 bytes)"
        )
    if password.strip().lower() == DEFAULT_ADMIN_PASSWORD:
        return "is the published default password"
    # The default among zxcvbn's words: "admin2025!" is the default and one guessable character.
    words = [*SERVICE_WORDS, DEFAULT_ADMIN_PASSWORD, *_context_words(context)]
    if password.lower() in _COMMON or password.lower() in words:
        return "is a commonly used password"
    scored = password[:SCORED_CHARS]
    if _l33t_readings(scored) > MAX_L33T_READINGS:
        return None
    with _scoring:
        result = zxcvbn(scored, user_inputs=words)
    if result["score"] >= MIN_STRENGTH:
        return None
    feedback = result["feedback"]
    why = feedback["warning"] or next(iter(feedback["suggestions"]), "")
    why = why.rstrip(".")
    reason = "is too common or too easy to guess"
    return f"{reason}: {why[:1].lower()}{why[1:]}" if why else reason


def _l33t_readings(password: str) -> int:
    """How many substitution tables zxcvbn would try on `password` (its cost factor)."""
    return math.prod(len(subs) for subs in relevant_l33t_subtable(password, L33T_TABLE).values())


def _context_words(context: Iterable[str]) -> list[str]:
    """The username, and the email address with its local part and domain apart."""
    words: list[str] = []
    for value in context:
        if not value:
            continue
        words.append(value.lower())
        local, _, domain = value.lower().partition("@")
        if domain:
            words.extend([local, domain.split(".")[0]])
    return words
