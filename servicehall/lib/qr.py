"""QR codes, drawn here as inline SVG (segno): no external service, closed networks included."""

import segno


def qr_svg(url: str) -> str:
    """A QR code of `url` as inline SVG (error correction M, a 2-module border)."""
    return segno.make(url, error="m", micro=False).svg_inline(
        scale=4, border=2, omitsize=True, svgclass="qr", lineclass="qr-line")
