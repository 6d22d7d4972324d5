"""`kizone map`: write the web maps as self-contained HTML files (and PNGs)."""
from __future__ import annotations

from pathlib import Path

from geodata.provider import LayerProvider
from zones.plan import PlanTarget


def write_maps(provider: LayerProvider, plan: list[PlanTarget], out: Path, png: bool = False,
               view: str = "") -> list[Path]:
    """overview.html and allocation.html in out (created), plus a PNG of each if asked,
    of the whole data or of one place (`gwangju`, `jeonju`)."""
    from maps.allocation import allocation_html
    from maps.overview import overview_html

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, html in (("overview", overview_html(provider)), ("allocation", allocation_html(provider, plan))):
        path = out / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        written.append(path)
    if png:
        written += screenshots(written, view)
    return written


def screenshots(html_files: list[Path], view: str = "") -> list[Path]:
    """A PNG beside each HTML file, as headless Chromium shows it with the network cut off."""
    from maps.browser import Chromium, file_url

    out = []
    with Chromium(width=1200, height=760) as browser:
        for html in html_files:
            result = browser.open(file_url(html) + (f"#{view}" if view else ""))
            if result.remote_requests:
                raise RuntimeError(f"{html.name} asked the network for {result.remote_requests[:3]}")
            png = html.with_suffix(".png")
            png.write_bytes(result.screenshot or b"")
            out.append(png)
    return out
