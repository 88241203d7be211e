"""Identifiers kept out of logs: a NIK, KK or card number typed into a search box reaches the URL, and so
the access log; every run of ten or more digits in a log line is cut to its first and last four."""

from __future__ import annotations

import logging
import re

# Ten digits or more, also when typed in groups (`6271 0312 0380 0003` reaches a URL as `+` or `%20`).
# Dates, times, addresses and byte counts have fewer; a phone number has as many and is personal too.
_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9](?:(?:\+|%20| )?[0-9]){9,}(?![0-9])")


def _masked(match: re.Match) -> str:
    digits = re.sub(r"%20|[^0-9]", "", match.group(0))
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_numbers(text: str) -> str:
    """`q=6271031203800003` → `q=6271********0003`."""
    return _LONG_NUMBER.sub(_masked, text)


class MaskIdentifiers(logging.Filter):
    """A logging filter (Django's LOGGING, gunicorn's loggers): the message, and any traceback, masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_numbers(record.stack_info)
        return True
