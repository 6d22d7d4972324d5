"""Turn a folium map into one self-contained HTML page that needs no network."""
from __future__ import annotations

import folium

from maps.assets import OfflineError, external_references, make_offline


def render_html(m: folium.Map) -> str:
    """The page as a string, Leaflet inlined; refuses to return a page that would fetch."""
    make_offline(m)
    html = m.get_root().render()
    refs = external_references(html)
    if refs:
        raise OfflineError(f"the map would load {len(refs)} resource(s) from the network: {refs[:5]}")
    return html
