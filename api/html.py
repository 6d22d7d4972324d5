"""Plain HTML views of the OGC API documents, for a person with a browser.

No scripts and no external assets: tables and links, Korean beside English, and links to
the web maps. The JSON documents stay the source of truth.

Every value is text and is escaped, whatever it looks like: a feature named
`<a href=…>` shows those characters. The only markup in a table cell is a `Link`,
which the server builds (never recognised by its text), and hrefs built from ids
percent-encode them.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse

from api.html_numbers import format_number

MAP_LINKS = (("/maps/overview", "Overview map · 개요 지도"), ("/maps/allocation", "Allocation map · 배분 지도"))

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f2f2f2}nav a{margin-right:1rem}code{background:#f6f6f6}
"""


def page(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    nav = " ".join(f'<a href="{href}">{escape(label)}</a>' for href, label in
                   (("/", "Home · 처음"), ("/collections?f=html", "Collections · 레이어"), *MAP_LINKS,
                    ("/docs", "API docs")))
    doc = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
           f"<style>{_STYLE}</style></head><body><nav>{nav}</nav><h1>{escape(title)}</h1>{body}</body></html>")
    return HTMLResponse(doc, status_code=status, headers=headers)


@dataclass(frozen=True)
class Link:
    """A link the server built, for a table cell; every other cell value is shown as text."""

    href: str
    text: str

    def html(self) -> str:
        return a(self.href, self.text)


def a(href: str, text: str) -> str:
    return f'<a href="{escape(href, quote=True)}">{escape(text)}</a>'


def path_segment(value: Any) -> str:
    """An id as one segment of a URL path: every character that is not unreserved percent-encoded."""
    return quote(str(value), safe="")


def links_list(links: list[dict]) -> str:
    items = "".join(f"<li>{a(l['href'], l.get('title') or l['rel'])} <small>({escape(l['rel'])}, "
                    f"{escape(l.get('type', ''))})</small></li>" for l in links)
    return f"<ul>{items}</ul>"


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c), _name(r, c))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _name(row: dict[str, Any], column: str) -> str:
    """The property a cell shows: the column, or in a property/value table the row's property."""
    return str(row.get("property", column)) if column == "value" else column


def _cell(value: Any, name: str = "") -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return escape(format_number(value, name))
    if isinstance(value, Link):
        return value.html()
    return escape("" if value is None else str(value))


def landing(doc: dict) -> HTMLResponse:
    return page(doc["title"], f"<p>{escape(doc['description'])}</p>" + links_list(doc["links"]))


def conformance(doc: dict) -> HTMLResponse:
    return page("Conformance classes", "<ul>" + "".join(f"<li><code>{escape(c)}</code></li>" for c in doc["conformsTo"]) + "</ul>")


def collections(doc: dict) -> HTMLResponse:
    rows = [{"id": Link(f"/collections/{path_segment(c['id'])}?f=html", c["id"]), "한국어": c.get("title_ko"),
             "English": c.get("title_en"), "items": Link(f"/collections/{path_segment(c['id'])}/items?f=html", "features")}
            for c in doc["collections"]]
    return page("Collections · 레이어", table(rows, ["id", "한국어", "English", "items"]))


def collection(doc: dict) -> HTMLResponse:
    bbox = doc["extent"]["spatial"]["bbox"][0]
    body = (f"<p>{escape(doc.get('title_ko', ''))} · {escape(doc.get('title_en', ''))}</p>"
            f"<p>{escape(doc.get('description', ''))}</p>"
            f"<p>Extent (CRS84 lon/lat): {', '.join(f'{v:.5f}' for v in bbox)}</p>"
            f"<p>Storage CRS: <code>{escape(doc['storageCrs'])}</code></p>" + links_list(doc["links"]))
    return page(doc["id"], body)


def items(collection_id: str, fc: dict, headers: dict[str, str]) -> HTMLResponse:
    rows = []
    for f in fc["features"]:
        p = f["properties"]
        href = f"/collections/{path_segment(collection_id)}/items/{path_segment(f['id'])}?f=html"
        rows.append({"id": Link(href, str(f["id"])),
                     "name_ko": p.get("name_ko"), "name_en": p.get("name_en"),
                     "area_m2": p.get("area_m2"), "provenance": p.get("provenance")})
    pager = " ".join(a(l["href"], l["rel"]) for l in fc["links"] if l["rel"] in ("prev", "next") and l["type"] == "text/html")
    body = (f"<p>{int(fc['numberReturned'])} of {int(fc['numberMatched'])} features. {pager}</p>"
            + table(rows, ["id", "name_ko", "name_en", "area_m2", "provenance"]))
    return page(f"{collection_id}: features", body, headers=headers)


def feature(collection_id: str, feat: dict, headers: dict[str, str]) -> HTMLResponse:
    rows = [{"property": k, "value": v} for k, v in feat["properties"].items()]
    geometry = escape(feat["geometry"]["type"]) if feat.get("geometry") else "none"
    as_json = a(f"/collections/{path_segment(collection_id)}/items/{path_segment(feat['id'])}?f=json", "GeoJSON")
    body = table(rows, ["property", "value"]) + f"<p>Geometry: {geometry}; {as_json}</p>"
    return page(feature_title(collection_id, feat), body, headers=headers)


def feature_title(collection_id: str, feat: dict) -> str:
    """"name_ko · name_en (collection / id)": the names a planner knows, the ids for the API."""
    p = feat.get("properties") or {}
    names = " · ".join(str(p[k]) for k in ("name_ko", "name_en") if p.get(k))
    ids = f"{collection_id} / {feat['id']}"
    return f"{names} ({ids})" if names else ids
