"""Every map page stays under its 2 MB budget, whatever the store holds: a layer too large is
simplified for display (topology kept) or left out, and the page says which."""
from __future__ import annotations

import doctest

import geopandas as gpd
import numpy as np
import pytest
import shapely

import maps.page_budget
from geodata.provider import LayerProvider
from geodata.store import GeoPackageStore
from maps.data_layer import DataLayer
from maps.overview import build_overview
from maps.page_budget import PAGE_BYTES, pixel_degrees
from maps.render import render_html
from tests.write_helpers import store_copy

BIG = "survey_cells"


def test_page_budget_doctests():
    assert doctest.testmod(maps.page_budget).failed == 0


def _cells(nx: int, ny: int, per_edge: int) -> gpd.GeoDataFrame:
    """A coverage of nx × ny cells over 광산구 whose shared edges are the same jagged lines
    (`per_edge` vertices each, a few metres of jitter), as a surveyed parcel map would be."""
    rng = np.random.default_rng(7)
    x0, y0, dx, dy = 126.70, 35.10, 0.2 / nx, 0.15 / ny
    t = np.linspace(0.0, 1.0, per_edge)
    jitter = lambda: np.concatenate([[0.0], rng.normal(0.0, 0.00003, per_edge - 2), [0.0]])
    # horizontal[j][i]: the edge at row line j from column line i to i+1; vertical[i][j] likewise.
    horizontal = [[np.column_stack([x0 + (i + t) * dx, y0 + j * dy + jitter()]) for i in range(nx)] for j in range(ny + 1)]
    vertical = [[np.column_stack([x0 + i * dx + jitter(), y0 + (j + t) * dy]) for j in range(ny)] for i in range(nx + 1)]
    cells = []
    for j in range(ny):
        for i in range(nx):
            ring = np.vstack([horizontal[j][i], vertical[i + 1][j][1:], horizontal[j + 1][i][::-1][1:],
                              vertical[i][j][::-1][1:]])
            cells.append(shapely.Polygon(ring))
    n = len(cells)
    return gpd.GeoDataFrame({"id": [f"c{i}" for i in range(n)], "name_ko": ["측량 구획"] * n,
                             "name_en": ["Survey cell"] * n, "provenance": ["surveyed"] * n,
                             "source": ["generated"] * n}, geometry=cells, crs="EPSG:4326")


def _squares(n: int) -> gpd.GeoDataFrame:
    """`n` separate 10 m squares: nothing to simplify away."""
    side = int(np.ceil(np.sqrt(n)))
    x = 126.75 + (np.arange(n) % side) * 0.0003
    y = 35.15 + (np.arange(n) // side) * 0.0003
    return gpd.GeoDataFrame({"id": [f"s{i}" for i in range(n)], "name_ko": ["필지"] * n, "name_en": ["Parcel"] * n,
                             "provenance": ["surveyed"] * n, "source": ["generated"] * n},
                            geometry=list(shapely.box(x, y, x + 0.0001, y + 0.0001)), crs="EPSG:4326")


def _provider(tmp_path, layer: gpd.GeoDataFrame) -> LayerProvider:
    store = GeoPackageStore(store_copy(tmp_path))
    store.replace_layer(BIG, layer.to_crs("EPSG:5186"))
    return LayerProvider(store)


def _layer(m, prefix: str) -> DataLayer:
    return next(c for c in m._children.values() if isinstance(c, DataLayer) and c.layer_name.startswith(prefix))


def test_a_layer_of_200k_vertices_is_simplified_to_fit_and_keeps_its_topology(tmp_path):
    cells = _cells(25, 20, 102)
    assert shapely.get_num_coordinates(cells.geometry.values).sum() > 200_000
    provider = _provider(tmp_path, cells)
    m = build_overview(provider)
    page = render_html(m)
    assert len(page.encode("utf-8")) < PAGE_BYTES
    layer = _layer(m, BIG)
    assert "simplified" in layer.layer_name and "simplified for display" in page
    stored = provider.layer(BIG).wgs84.geometry.values
    drawn = layer.drawn
    assert len(layer.data["features"]) == len(stored) and not shapely.is_empty(drawn).any()
    assert bool(shapely.coverage_is_valid(drawn))  # neighbours still share their edges: no gaps, no overlaps
    zoom = int(layer.layer_name.rsplit("zoom ", 1)[1].rstrip(")"))
    assert zoom >= 11  # detail kept down to street level, not just the opening view
    assert max(shapely.hausdorff_distance(drawn, stored)) <= 2 * pixel_degrees(zoom)
    # The small layers are drawn exactly as stored.
    fez = _layer(m, provider.layer("fez_districts").info.title_ko)
    assert fez.drawn is fez.geoms


def test_a_layer_too_large_to_simplify_is_left_out_with_a_note(tmp_path):
    provider = _provider(tmp_path, _squares(12_000))
    m = build_overview(provider)
    page = render_html(m)
    assert len(page.encode("utf-8")) < PAGE_BYTES
    layer = _layer(m, BIG)
    assert layer.data["features"] == [] and "not drawn" in layer.layer_name
    assert "60,000 vertices are too many" in page
    assert len(_layer(m, "법정동").data["features"]) == len(provider.layer("admin_dongs").wgs84)


@pytest.mark.parametrize("kind", ["allocation", "siting"])
def test_other_maps_stay_under_budget_with_a_huge_base_layer(tmp_path, plan, kind):
    """The legal dongs replaced by a detailed survey: every map draws them, each within budget."""
    from geodata.siting_rules import SitingService
    from maps.allocation import allocation_html
    from maps.siting import siting_html

    store = GeoPackageStore(store_copy(tmp_path))
    dongs = store.read("admin_dongs")
    store.replace_layer("admin_dongs", dongs.set_geometry(shapely.segmentize(dongs.geometry.values, 5.0)))
    provider = LayerProvider(store)
    assert shapely.get_num_coordinates(provider.layer("admin_dongs").wgs84.geometry.values).sum() > 200_000
    page = (allocation_html(provider, plan) if kind == "allocation"
            else siting_html(provider, SitingService(provider).context(), "ai_semiconductor_cluster"))
    assert len(page.encode("utf-8")) < PAGE_BYTES
