"""Pure helpers for search keys, MRNs and phone numbers (no Django)."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower-case, accents removed, whitespace collapsed: “José  Ñúñez” -> “jose nunez”."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s'-]", " ", stripped.casefold()).split())


def name_key(last: str, first: str, preferred: str = "") -> str:
    """Searchable key with a leading space so that ' token' matches the start of any word."""
    words = fold(f"{last} {first} {preferred}").replace("-", " ").replace("'", "").split()
    return " " + " ".join(words)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def name_tokens(last: str, first: str, preferred: str = "") -> list[str]:
    """The distinct words of a patient's names, folded, for prefix search (at most 40 chars)."""
    return sorted({word[:40] for word in name_key(last, first, preferred).split()})


def phone_key(text: str) -> str:
    """Digits reversed, so that “ends with these digits” becomes an indexable prefix search.

    A leading US country code is dropped so +1 (555) 010-4477 matches (555) 010-4477.
    """
    only = digits(text)
    if len(only) == 11 and only.startswith("1"):
        only = only[1:]
    return only[::-1]


def luhn_digit(number: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def format_mrn(sequence: int) -> str:
    """“C” + the sequence (at least 6 digits) + a Luhn check digit: 42 -> C0000422."""
    body = f"{sequence:06d}"
    return f"C{body}{luhn_digit(body)}"


def mrn_is_valid(mrn: str) -> bool:
    return bool(re.fullmatch(r"C\d{7,}", mrn)) and luhn_digit(mrn[1:-1]) == mrn[-1]
