"""Card PINs, kept only as keyed hashes (an online verifier and an offline one); card numbers with a
Luhn check digit.

A six-digit PIN has a million values, so no hash of it resists an offline search by someone who
holds the key it was hashed with. What protects a PIN is that key, never in the database or a
backup of it, and the lockout after three wrong PINs. Hence two verifiers (docs/adr/0007):

- online (`pin_hash`): HMAC-SHA256 of a per-card salt and the PIN under the online key, as a bank
  verifies a PIN under a key its HSM keeps (IBM 3624 offset, Visa PVV): microseconds, checked on
  every payment. The online key never leaves the central server.
- offline (`pin_offline_hash`): salted PBKDF2 under the offline key, what an outpost will carry in
  its roster to check its home cards' PINs without a link. The outpost holds that key beside its
  database, so the iterations are what slow a search there; the online key cannot be derived from it.

Both keys derive from BETANG_PIN_PEPPER, its own secret apart from SECRET_KEY (which may be rotated
without voiding every PIN). PBKDF2 hashes made before the online verifier existed still verify (and
are replaced after the next right PIN: `pin_outdated`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from django.conf import settings

ONLINE = "hmac_sha256"
OFFLINE = "pbkdf2_sha256_pepper"
OFFLINE_ITERATIONS = 2_000  # checked a few times a minute at an outpost's till, and once per PIN set
CARD_PREFIX = "62"  # Kalimantan Tengah's province code; the rest is random, never derived from a NIK


@cache
def _key(pepper: str, purpose: bytes) -> bytes:
    return hmac.new(pepper.encode(), purpose, hashlib.sha256).digest()


def _online_key() -> bytes:
    return _key(settings.PIN_PEPPER, b"betang.aid.pin.online")


def offline_key() -> bytes:
    """The key the offline verifiers are made with: what an outpost is given, not the pepper."""
    return _key(settings.PIN_PEPPER, b"betang.aid.pin")


def pin_is_well_formed(pin: str) -> bool:
    return isinstance(pin, str) and len(pin) == 6 and pin.isdigit() and pin.isascii()


def _online_mac(pin: str, salt: str) -> bytes:
    return hmac.digest(_online_key(), bytes.fromhex(salt) + pin.encode(), "sha256")


def pin_hash(pin: str, *, salt: str | None = None) -> str:
    """The online verifier: `hmac_sha256$salt$mac`."""
    salt = salt or secrets.token_hex(16)
    return f"{ONLINE}${salt}${_online_mac(pin, salt).hex()}"


def pin_offline_hash(pin: str, *, salt: str | None = None, iterations: int = OFFLINE_ITERATIONS) -> str:
    """The offline verifier: `pbkdf2_sha256_pepper$iterations$salt$digest`."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", offline_key() + pin.encode(), bytes.fromhex(salt), iterations)
    return f"{OFFLINE}${iterations}${salt}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    """Whether the PIN is the one `stored` verifies, either verifier (an empty or foreign one: no)."""
    if not pin_is_well_formed(pin):
        return False
    parts = stored.split("$")
    try:
        if parts[0] == ONLINE and len(parts) == 3:
            return hmac.compare_digest(_online_mac(pin, parts[1]), bytes.fromhex(parts[2]))
        if parts[0] == OFFLINE and len(parts) == 4:
            return hmac.compare_digest(pin_offline_hash(pin, salt=parts[2], iterations=int(parts[1])), stored)
    except ValueError:  # a salt or MAC that is no hex, an iteration count that is no number
        pass
    return False


def pin_outdated(stored: str) -> bool:
    """Whether a card's online verifier is of an older kind, to be made anew after a right PIN."""
    return not stored.startswith(ONLINE + "$")


def luhn_check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # every second digit from the right, the check digit's neighbour first
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return len(number) == 16 and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def card_number_new() -> str:
    body = CARD_PREFIX + "".join(str(secrets.randbelow(10)) for _ in range(13))
    return body + luhn_check_digit(body)


def pin_new() -> str:
    """A random six-digit PIN for a mailer (shown once, then only its hashes are kept)."""
    while True:
        pin = f"{secrets.randbelow(1_000_000):06d}"
        if len(set(pin)) > 2 and pin not in "0123456789" and pin not in "9876543210":
            return pin
