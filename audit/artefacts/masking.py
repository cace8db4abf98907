"""Masking personal data in a text before a report shows it (``--show-examples``).

Deliberately aggressive, since a shown text may be a real record: e-mail addresses, web addresses, IP
addresses, phone, card and account numbers (any run of digits with at least :data:`MIN_DIGITS` digits, with
the usual separators), other numbers of 4 digits or more, and every capitalised word that does not start a
sentence (names of people, places and organisations, at the cost of some ordinary proper nouns) become a
bracketed tag. What stays is the wording and the shape of the text, which is what a reviewer needs to see a
template, a copy or an incoherent answer.
"""

from __future__ import annotations

import re

__all__ = ["MIN_DIGITS", "mask_personal_data", "shorten"]

MIN_DIGITS = 7
"""A digit run (spaces, dots, dashes, brackets and a leading + allowed) with this many digits is a number to hide."""

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
_LONG_NUMBER = re.compile(r"\b\d{4,}\b")
_SENTENCE_START = re.compile(r"(^|[.!?:]\s+|\n)\s*$")


def _mask_digit_runs(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        digits = sum(ch.isdigit() for ch in match.group(0))
        return "[NUMBER]" if digits >= MIN_DIGITS else match.group(0)

    return _DIGIT_RUN.sub(replace, text)


def _mask_names(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in re.finditer(r"\b[A-Z][\w'’-]*", text):
        start = match.start()
        before = text[:start]
        out.append(text[last:start])
        tag = match.group(0)
        at_start = bool(_SENTENCE_START.search(before)) or before.endswith(("[", '"', "'", "(", "“"))
        out.append(tag if at_start or tag == "I" else "[NAME]")
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def mask_personal_data(text: str) -> str:
    """``text`` with personal data replaced by ``[EMAIL]``, ``[URL]``, ``[IP]``, ``[NUMBER]`` and ``[NAME]``."""
    masked = _EMAIL.sub("[EMAIL]", text)
    masked = _URL.sub("[URL]", masked)
    masked = _IP.sub("[IP]", masked)
    masked = _mask_digit_runs(masked)
    masked = _LONG_NUMBER.sub("[NUMBER]", masked)
    return _mask_names(masked)


def shorten(text: str, limit: int = 240) -> str:
    """``text`` cut to ``limit`` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else text[:limit]) + "…"
