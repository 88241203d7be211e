"""Name normalisation and the duplicate matcher: blocks by district and birth date, scores names with
rapidfuzz, and says whether two person records are probably one."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

# Honorifics and degrees that vary between lists of the same person.
_TITLES = {
    "h",
    "hj",
    "haji",
    "hajjah",
    "dr",
    "drs",
    "dra",
    "ir",
    "prof",
    "st",
    "sh",
    "se",
    "spd",
    "sag",
    "skm",
    "sp",
    "amd",
    "mm",
    "mpd",
    "ssos",
    "skom",
    "bapak",
    "ibu",
    "bpk",
    "sdr",
    "sdri",
}
PROBABLE = 88  # token-sorted ratio at or above which two names in one block are held for review
SAME_KK_PROBABLE = 80  # within one family card, a lower bar: siblings rarely share a birth date


def name_key(name: str) -> str:
    """`Hj. Siti  Rahma, S.Pd.` → `siti rahma`: accents, case, punctuation and titles do not count."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z\s]", " ", text.replace(".", " . "))
    words = [w for w in text.split() if w not in _TITLES]
    return " ".join(words)


def block_key(region_code: str, birth_date: date) -> str:
    """Candidates are compared only within one district and one birth date."""
    return f"{region_code[:8]}|{birth_date.isoformat()}"


def name_score(a: str, b: str) -> int:
    return round(fuzz.token_sort_ratio(a, b))


@dataclass(frozen=True)
class Verdict:
    score: int
    reason: str


def probable_duplicate(*, name_a: str, name_b: str, same_kk: bool) -> Verdict | None:
    """Two records already in one block (same district and birth date): are they probably one person?"""
    score = name_score(name_a, name_b)
    if score >= PROBABLE:
        return Verdict(score, "same district, same birth date, similar name")
    if same_kk and score >= SAME_KK_PROBABLE:
        return Verdict(score, "same family card, same birth date, similar name")
    return None
