"""Folium web maps for planners, self-contained and offline.

One builder per map (`overview`, `allocation`, `siting`), sharing the map frame
(`frame`), styles (`styles`), controls and legend (`controls`), the GeoJSON layer
with its text-only tooltip (`data_layer`), display-only geometry and label
formatting (`display`) and the offline assets (`assets`, Leaflet inlined from the
XStatic-Leaflet package). Text from data reaches a page only through `page_text`
(escaped HTML, or JSON in a script that no template reads). `render.render_html` turns a map into a page
that makes no network request; `browser` drives headless Chromium to check it.
Maps never compute an area: they draw the provider's columns and the allocation
report.
"""
