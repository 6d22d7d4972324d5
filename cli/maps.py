"""`kizone map`: write the web maps as self-contained HTML files (and PNGs)."""
from __future__ import annotations

from pathlib import Path

from geodata.provider import LayerProvider
from zones.plan import PlanTarget


def write_maps(provider: LayerProvider, plan: list[PlanTarget], out: Path, png: bool = False,
               view: str = "") -> list[Path]:
    """overview.html, allocation.html, siting.html (the list) and siting-<facility>.html for
    each core infrastructure in out (created), plus a PNG of each map if asked, of the whole
    data or of one place (`gwangju`, `jeonju`). A store the siting rules cannot be bound to
    (no core-infrastructure layer) gets no siting maps, with a note on stderr."""
    from maps.allocation import allocation_html
    from maps.overview import overview_html

    out.mkdir(parents=True, exist_ok=True)
    ctx = siting_context(provider)
    pages = [("overview", lambda: overview_html(provider, "siting.html" if ctx else None)),
             ("allocation", lambda: allocation_html(provider, plan))]
    if ctx is not None:
        from maps.siting import file_link, siting_html

        pages += [(file_link(fid).removesuffix(".html"),
                   lambda fid=fid: siting_html(provider, ctx, fid, file_link, "siting.html"))
                  for fid in ctx.rules.facilities]
    written = []
    for name, build in pages:
        path = out / f"{name}.html"
        path.write_text(build(), encoding="utf-8")
        written.append(path)
    if ctx is not None:  # the list links the maps; it is no map, so it gets no PNG
        from maps.siting_index import siting_index_html

        index = out / "siting.html"
        index.write_text(siting_index_html(ctx, file_link, "overview.html"), encoding="utf-8")
    shots = screenshots(written, view) if png else []
    return written + ([index] if ctx is not None else []) + shots


def siting_context(provider: LayerProvider):
    """The bound siting rules, or None (with the reason on stderr) where the store lacks their layers."""
    import sys

    from geodata.siting_rules import SitingRulesError, SitingService

    try:
        return SitingService(provider).context()
    except SitingRulesError as exc:
        print(f"kizone: no siting maps: {exc}", file=sys.stderr)
        return None


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
