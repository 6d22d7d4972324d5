"""Leaflet's JS and CSS for maps that must render with no network at all.

Planning offices often work offline, and folium points every map at CDN URLs
(Leaflet, jQuery, Bootstrap, Font Awesome, ...). Here the Leaflet dist files come
from the `XStatic-Leaflet` package installed with this product (never copied into
the repository), and every map gets them inlined into its HTML, images included
as data URIs, so a single .html file works from a USB stick or an air-gapped PC.
"""
from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path

import folium
from branca.element import Element

from zones.errors import Unavailable

LEAFLET_PACKAGE = "XStatic-Leaflet"


class OfflineError(Unavailable):
    """A map that would ask the network for something."""

    default_code = "offline_asset_missing"


def leaflet_dir() -> Path:
    """Folder holding leaflet.js, leaflet.css and images/ of the installed package."""
    try:
        from xstatic.pkg import leaflet
    except ImportError as exc:  # pragma: no cover - a broken install, not a code path
        raise OfflineError(f"the Leaflet files come from the {LEAFLET_PACKAGE} package; install it "
                           f"(pip install {LEAFLET_PACKAGE}) to build maps") from exc
    return Path(leaflet.BASE_DIR)


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    js = (leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    # The source map comment would make DevTools fetch leaflet.js.map; it is not needed.
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    if "</script" in js.lower():  # would end the inline <script> early
        raise OfflineError("leaflet.js cannot be inlined: it contains '</script'")
    return js


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """leaflet.css with its images (layer switcher icon, marker) as data URIs."""
    folder = leaflet_dir()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        name = match.group(1)
        data = base64.b64encode((folder / name).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)


def _strip_links(element) -> None:
    """Drop folium's CDN links on this element and below (set per instance:
    folium keeps them in class-level lists that other maps share)."""
    if hasattr(element, "default_js"):
        element.default_js = []
    if hasattr(element, "default_css"):
        element.default_css = []
    for child in element._children.values():
        _strip_links(child)


def make_offline(m: folium.Map) -> None:
    """Replace every external JS/CSS reference of the map by inlined Leaflet."""
    _strip_links(m)
    header = m.get_root().header
    header.add_child(Element(f"<style>{leaflet_css()}</style>"), name="leaflet_css_inline", index=0)
    header.add_child(Element(f"<script>{leaflet_js()}</script>"), name="leaflet_js_inline", index=1)


# Things in an HTML page that make the browser fetch: script/img/iframe src, link href,
# CSS url(...) and @import. Anchors (<a href>) only navigate when clicked and are not listed.
_FETCHING = [
    re.compile(r"<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)", re.I),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)", re.I),
    re.compile(r"url\(\s*[\"']?((?:https?:)?//[^\"')\s]+)", re.I),
    re.compile(r"@import\s+[\"']?((?:https?:)?//[^\"';\s]+)", re.I),
]


def external_references(html: str) -> list[str]:
    """URLs the page would fetch from another machine as soon as it opens."""
    return [m.group(1) for pattern in _FETCHING for m in pattern.finditer(html)]


# --- Leaflet.VectorGrid: vector tiles (MVT) in Leaflet --------------------------------------
# Installed at set-up time from npm (`make install` runs `npm install leaflet.vectorgrid` into the
# virtual environment, next to the Python packages), never copied into the repository.
VECTORGRID_PACKAGE = "leaflet.vectorgrid@1.3.0"
VECTORGRID_FILE = Path("npm", "node_modules", "leaflet.vectorgrid", "dist", "Leaflet.VectorGrid.bundled.min.js")


def vectorgrid_path() -> Path:
    """Where `make install` puts Leaflet.VectorGrid: inside the environment running this code."""
    import sys

    return Path(sys.prefix) / VECTORGRID_FILE


@lru_cache(maxsize=1)
def vectorgrid_js() -> str:
    path = vectorgrid_path()
    if not path.is_file():
        raise OfflineError(f"the vector-tile map needs Leaflet.VectorGrid at {path}; install it with "
                           f"make install, or npm install --prefix {path.parents[2]} {VECTORGRID_PACKAGE}")
    js = re.sub(r"//# sourceMappingURL=\S+", "", path.read_text(encoding="utf-8"))
    if "</script" in js.lower():
        raise OfflineError("Leaflet.VectorGrid cannot be inlined: it contains '</script'")
    return js
