"""The report as a printable PDF: the HTML page printed by headless Chromium.

Why Chromium and not WeasyPrint: the project already drives Debian's chromium
(`maps.browser`, network cut off) for the map tests and PNGs, so printing adds no
dependency; Chromium shapes Hangul with the installed Noto CJK fonts exactly as a
planner's browser shows the page; and the allocation map is a Leaflet page that only a
browser can draw. WeasyPrint runs no JavaScript, so it could not draw the map, and it
would add Pango and its own CSS dialect. The interactive map becomes a still picture in
print (taken of the map as it opens, fitted to all zones): paper has no pan, zoom or
tooltip, and a picture prints the same on every printer.
"""
from __future__ import annotations

import base64
import tempfile
from pathlib import Path

from maps.browser import BrowserUnavailable, Chromium, file_url, find_chromium  # noqa: F401  (re-exported)
from reports.page import report_page
from reports.records import ReportDocument

PDF_MEDIA_TYPE = "application/pdf"
MAP_SHOT = (1400, 900)  # the map as a 1400×900 screen shows it
A4_LANDSCAPE_IN = (11.69, 8.27)


def require_chromium() -> None:
    """Fail before any work is done when no browser can print."""
    if find_chromium() is None:
        raise BrowserUnavailable("no chromium on PATH (Debian: apt-get install chromium fonts-noto-cjk)")


def report_pdf(doc: ReportDocument, map_html: str | None = None, generated: str = "") -> bytes:
    """Print the report page (A4 landscape) with a still of `map_html` (the allocation map) if given."""
    require_chromium()
    with tempfile.TemporaryDirectory(prefix="kizone-report-") as tmp:
        folder = Path(tmp)
        with Chromium(width=MAP_SHOT[0], height=MAP_SHOT[1]) as browser:
            png = None
            if map_html is not None:
                (folder / "map.html").write_text(map_html, encoding="utf-8")
                shot = browser.open(file_url(folder / "map.html"))
                if shot.remote_requests:
                    raise RuntimeError(f"the map asked the network for {shot.remote_requests[:3]}")
                png = shot.screenshot
            (folder / "report.html").write_text(report_page(doc, map_png=png, generated=generated), encoding="utf-8")
            browser.open(file_url(folder / "report.html"), screenshot=False)
            browser.evaluate("document.fonts.ready.then(() => true)", await_promise=True)
            printed = browser.send("Page.printToPDF", {
                "landscape": True, "printBackground": True, "preferCSSPageSize": True,
                "paperWidth": A4_LANDSCAPE_IN[0], "paperHeight": A4_LANDSCAPE_IN[1],
                "displayHeaderFooter": True, "headerTemplate": "<span></span>",
                "footerTemplate": ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                                   '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'),
                "marginTop": 0.4, "marginBottom": 0.5, "marginLeft": 0.4, "marginRight": 0.4,
            })
    return base64.b64decode(printed["data"])
