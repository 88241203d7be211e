"""Long numbers (NIK, KK, card, phone) are masked in every log line Django writes."""

from __future__ import annotations

import io
import logging

import pytest

from betang.core.logfilter import MaskIdentifiers, mask_numbers

NIK = "6271031203800003"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"GET /rumah-tangga/?q={NIK} HTTP/1.1", "GET /rumah-tangga/?q=6271********0003 HTTP/1.1"),
        ("q=6271+0312+0380+0003&page=2", "q=6271********0003&page=2"),  # typed in groups
        ("q=6271%200312%200380%200003", "q=6271********0003"),
        ("telepon 081234567890", "telepon 0812****7890"),
        ('127.0.0.1 [07/Dec/2026:21:15:23 +0000] "GET /api/v1/health" 200 1234', None),  # nothing to mask
    ],
)
def test_long_numbers_keep_their_first_and_last_four_digits(text, masked):
    assert mask_numbers(text) == (masked or text)


def _console():
    """Django's console handler (settings.LOGGING), writing into a buffer."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, MaskIdentifiers) for f in h.filters))
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    return handler, buffer, old


def test_djangos_log_lines_are_masked_in_messages_arguments_and_tracebacks(client):
    handler, buffer, old = _console()
    try:
        assert client.get(f"/rumah-tangga/{NIK}/tidak-ada/?q={NIK}").status_code == 404
        try:
            int(f"NIK {NIK}")
        except ValueError:
            logging.getLogger("betang.test").exception("Gagal membaca %s", NIK)
    finally:
        handler.setStream(old)
    logged = buffer.getvalue()
    assert "Not Found: /rumah-tangga/6271********0003/tidak-ada/" in logged
    assert "Gagal membaca 6271********0003" in logged
    assert "invalid literal for int() with base 10: 'NIK 6271********0003'" in logged
    assert NIK not in logged


def test_runservers_request_lines_are_masked_too():
    handler = logging.getLogger("django.server").handlers[0]
    assert any(isinstance(f, MaskIdentifiers) for f in handler.filters)
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        logging.getLogger("django.server").info('"GET /?q=%s HTTP/1.1" 200 5', NIK)
    finally:
        handler.setStream(old)
    assert '"GET /?q=6271********0003 HTTP/1.1" 200 5' in buffer.getvalue()
