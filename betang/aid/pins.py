"""Card PINs, stored only as salted, peppered PBKDF2 hashes; card numbers with a Luhn check digit.

A six-digit PIN has a million values, so no hash alone resists an offline search; what protects it
is the pepper (its own secret, BETANG_PIN_PEPPER, never in the database or a backup of it, and apart
from SECRET_KEY, which may be rotated without voiding every PIN) and
the lockout after three wrong PINs. The iteration count is modest on purpose: a PIN is checked on
every payment, at hundreds per second.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

ITERATIONS = 2_000
PREFIX = "pbkdf2_sha256_pepper"
CARD_PREFIX = "62"  # Kalimantan Tengah's province code; the rest is random, never derived from a NIK


def _pepper() -> bytes:
    return hmac.new(settings.PIN_PEPPER.encode(), b"betang.aid.pin", hashlib.sha256).digest()


def pin_is_well_formed(pin: str) -> bool:
    return isinstance(pin, str) and len(pin) == 6 and pin.isdigit() and pin.isascii()


def pin_hash(pin: str, *, salt: str | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", _pepper() + pin.encode(), bytes.fromhex(salt), iterations)
    return f"{PREFIX}${iterations}${salt}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        prefix, iterations, salt, _ = stored.split("$")
    except ValueError:
        return False
    if prefix != PREFIX or not pin_is_well_formed(pin):
        return False
    return hmac.compare_digest(pin_hash(pin, salt=salt, iterations=int(iterations)), stored)


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
    """A random six-digit PIN for a mailer (shown once, then only its hash is kept)."""
    while True:
        pin = f"{secrets.randbelow(1_000_000):06d}"
        if len(set(pin)) > 2 and pin not in "0123456789" and pin not in "9876543210":
            return pin
