"""Name normalisation and the duplicate matcher: blocks by district and birth date, scores names with
rapidfuzz, and says whether two person records are probably one."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_noop
from rapidfuzz import fuzz, process

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
PROBABLE = 88  # name similarity at or above which two same-sex persons in one block are held for review


def name_key(name: str) -> str:
    """`Hj. Siti  Rahma, S.Pd.` → `siti rahma`: accents, case, punctuation and titles do not count."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z\s]", " ", text.replace(".", ""))  # "S.Pd." → "spd", a title
    words = [w for w in text.split() if w not in _TITLES]
    return " ".join(words)


def block_key(region_code: str, birth_date: date) -> str:
    """Candidates are compared only within one district and one birth date."""
    return f"{region_code[:8]}|{birth_date.isoformat()}"


def name_score(a: str, b: str) -> int:
    """Similarity 0–100 of two normalised names: as written, or with the words reordered.

    Sorting the words alone fails when a typo changes a word's first letter (`Imam` → `mIam` sorts
    elsewhere), and the plain ratio fails on reordered names; the better of the two catches both.
    """
    return int(max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)))


@dataclass(frozen=True)
class Verdict:
    score: int
    reason: str


def probable_duplicate(*, name_a: str, name_b: str, same_kk: bool, same_sex: bool = True) -> Verdict | None:
    """Two records already in one block (same district and birth date): are they probably one person?

    Twins share a family card and a birth date, so the card lowers no bar; it only names the reason.
    """
    if not same_sex:
        return None
    score = name_score(name_a, name_b)
    if score < PROBABLE:
        return None
    return Verdict(score, reason(same_kk=same_kk))


def reason(*, same_kk: bool) -> str:
    """Why two persons look alike, stored in English and shown translated (the page translates it)."""
    if same_kk:
        return gettext_noop("same family card, same birth date, similar name")
    return gettext_noop("same district, same birth date, similar name")


def best_match(name: str, names: list[str]) -> tuple[int, int] | None:
    """Index and score of the most similar name in `names` (one block, one sex), or None below PROBABLE.

    rapidfuzz compares in C, so a block of thousands (a file where every unknown birth date was typed
    as 01-01-1970, say) costs milliseconds, not a Python loop over every pair.
    """
    best = None
    for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
        found = process.extractOne(name, names, scorer=scorer, score_cutoff=PROBABLE)
        if found and (best is None or found[1] > best[1]):
            best = (found[2], int(found[1]))
    return best
