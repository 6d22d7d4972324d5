"""How text from data reaches a map page: the one place that makes it inert.

A feature's name, source or id, a plan target's name, a layer title: any of them may
hold `<img onerror=…>`, `</script>` or `{{ … }}`. Two rules keep them text:

- **Markup built in Python** (legends, the siting panel, layer-switcher names, titles)
  takes data only through `html_text`, which escapes it for HTML, text and attributes.
- **Values in the page's script** (GeoJSON, tooltip rows, control options) are written by
  `script_json`, and reach the page through `add_script`, which bypasses templates.

Why the second rule needs its own path: folium turns the script every element writes
into a new Jinja template and renders it again, so a `{{ … }}` or `{% … %}` in a value
would be run as a template (on the server, for /maps/*) or break the page. Our map
elements therefore write their JavaScript as plain strings (`add_script`), and the text
they show reaches the DOM through `textContent` (see `maps.data_layer`), never `innerHTML`.
"""
from __future__ import annotations

import json
from html import escape
from typing import Any

import folium
from branca.element import Element

# Characters that must not appear literally in JSON inside <script>: '<' and '>' could
# close the element or open a comment, '&' starts an entity in XHTML readers, U+2028/2029
# ended a JavaScript string in older engines. Escaped as \\uXXXX they mean the same.
_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                   ord("\u2028"): "\\u2028", ord("\u2029"): "\\u2029"}


def html_text(value: Any) -> str:
    """`value` as HTML text, safe in element content and in quoted attributes.

    Besides HTML's own characters, `{` is written as `&#123;` (it displays as `{`), so a
    label folium passes through Jinja once more never holds a template delimiter.

    >>> html_text('<b title="x">R&D {{ 7*7 }}</b>')
    '&lt;b title=&quot;x&quot;&gt;R&amp;D &#123;&#123; 7*7 }}&lt;/b&gt;'
    >>> html_text("빛그린 · Bitgreen")
    '빛그린 · Bitgreen'
    """
    return escape("" if value is None else str(value), quote=True).replace("{", "&#123;")


def script_json(value: Any) -> str:
    """`value` as a JavaScript literal (JSON) that cannot end or break the <script> holding it.

    >>> script_json({"name": "</script><b>&"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    return json.dumps(value, ensure_ascii=False, allow_nan=False).translate(_SCRIPT_ESCAPES)


class Verbatim(Element):
    """Text put into the page as it is: never compiled or rendered as a template."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Verbatim"
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


def add_script(element: folium.MacroElement, js: str) -> None:
    """Add `js` to the page's script, in render order, under the element's name."""
    element.get_root().script.add_child(Verbatim(js), name=element.get_name())
