"""A QR code as inline SVG (reportlab's encoder, already vendored for the card sheets): no network, no image files."""

from __future__ import annotations

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing


def svg(payload: str, size: int = 120) -> str:
    widget = QrCodeWidget(payload)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    text = renderSVG.drawToString(drawing)
    return text[text.index("<svg") :]  # without the XML prolog and doctype, to sit inside the page
