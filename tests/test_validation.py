"""The validation report on hand-made faults, in EPSG:5186 metres."""
from __future__ import annotations

import numpy as np
import shapely

from geodata.validation import summary, validate

X, Y = 170000.0, 280000.0


def _run(geoms, ids=None, dongs=None):
    ids = ids or [f"f{i}" for i in range(len(geoms))]
    return validate(np.array(geoms, dtype=object), ids, dongs)


def test_bowtie_is_reported_with_reason_location_and_repaired():
    bowtie = shapely.Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100), (X, Y)])
    fixed, rep = _run([bowtie])
    f = next(f for f in rep.findings if f.kind == "invalid_geometry")
    assert "Self-intersection" in f.message and f.severity == "error"
    assert abs(f.location["x"] - (X + 50)) < 1e-6 and abs(f.location["y"] - (Y + 50)) < 1e-6
    assert 126 < f.location["lon"] < 127 and 35 < f.location["lat"] < 36
    assert fixed[0].is_valid and abs(fixed[0].area - 5000.0) < 1e-6  # two triangles of 2,500 m²
    assert rep.repaired == 1 and abs(rep.repair_area_change_m2 - 5000.0) < 1e-6  # GEOS gives the bowtie 0 m²


def test_overlap_gap_duplicate_sliver_and_wrong_type():
    a = shapely.box(X, Y, X + 100, Y + 100)
    b = shapely.box(X + 90, Y, X + 190, Y + 100)  # overlaps a by 10 x 100
    ring = shapely.box(X, Y + 100, X + 300, Y + 300).difference(shapely.box(X + 100, Y + 150, X + 200, Y + 250))
    plug = shapely.box(X + 100, Y + 150, X + 150, Y + 250)  # fills half the hole: a 50 x 100 gap stays
    sliver = shapely.box(X + 400, Y, X + 400.5, Y + 300)
    line = shapely.LineString([(X, Y), (X + 10, Y)])
    fixed, rep = _run([a, b, ring, plug, a, sliver, line], ids=["a", "b", "ring", "plug", "a", "s", "l"])
    kinds = rep.counts
    overlap = next(f for f in rep.findings if f.kind == "overlap" and {f.feature, f.other} == {"a", "b"})
    assert abs(overlap.area_m2 - 1000.0) < 1e-6
    gap = next(f for f in rep.findings if f.kind == "gap")
    assert abs(gap.area_m2 - 5000.0) < 1e-6
    assert kinds["duplicate_id"] == 1 and kinds["duplicate_geometry"] == 1
    assert kinds["sliver"] == 1 and kinds["geometry_type"] == 1
    assert rep.fatal == 1 and fixed[6] is None and rep.dropped == 1
    text = summary(rep)
    assert "FATAL: 1" in text and "gap of 5,000.0 m²" in text


def test_outside_legal_dongs():
    from geodata.admin import dong_union

    owoon = dong_union(["29200159"])  # 광산구 오운동
    inside = shapely.box(*owoon.buffer(-200).bounds).intersection(owoon.buffer(-200))
    far = shapely.affinity.translate(inside, 20000, 0)
    _, rep = _run([inside, far], dongs=["29200159", "29200159"])
    outs = [f for f in rep.findings if f.kind == "outside_dongs"]
    assert [f.feature for f in outs] == ["f1"] and abs(outs[0].area_m2 - far.area) < 1.0
    _, rep = _run([inside], dongs=["99999999"])
    assert rep.counts.get("unknown_dong") == 1


def test_clean_layer_has_no_findings():
    cells = [shapely.box(X + i * 100, Y, X + (i + 1) * 100, Y + 100) for i in range(5)]
    fixed, rep = _run(cells)
    assert rep.findings == [] and rep.errors == 0 and rep.warnings == 0


def _tiles(x0, y0, nx, ny, size=10.0):
    return [shapely.box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size)
            for j in range(ny) for i in range(nx)]


def test_a_second_tiling_laid_over_the_first_is_found_tile_by_tile():
    """Two clean tilings, each with matched edges, the second shifted by half a tile: every tile of one
    overlaps tiles of the other, although no edge is used twice in one direction."""
    first = _tiles(X, Y, 6, 6)
    second = _tiles(X + 5, Y + 5, 4, 4)
    _, rep = _run(first + second)
    pairs = {frozenset((f.feature, f.other)) for f in rep.findings if f.kind == "overlap"}
    expected = {frozenset((f"f{i}", f"f{36 + j}")) for i, a in enumerate(first) for j, b in enumerate(second)
                if a.intersection(b).area > 1.0}
    assert pairs == expected and len(expected) == 64


def test_a_clean_tiling_with_a_gap_and_a_stacked_copy():
    tiles = _tiles(X, Y, 5, 5)
    gap = tiles.pop(12)  # the middle tile is missing: a 100 m² gap among eight neighbours
    _, rep = _run(tiles)
    assert [f.kind for f in rep.findings] == ["gap"] and abs(rep.findings[0].area_m2 - gap.area) < 1e-9
    _, rep = _run(tiles + [tiles[3]])
    assert rep.counts["duplicate_geometry"] == 1 and rep.counts["overlap"] == 1 and rep.counts["gap"] == 1


def test_a_clean_coverage_drawn_either_way_round_is_proven_clean_from_its_edges():
    """Parcels drawn clockwise, as multipolygons or with a hole filled by another parcel still form a
    clean coverage: the edge proof accepts it (no pairwise intersections), and a missing parcel is a gap."""
    from shapely import STRtree

    from geodata.validation import _clean_coverage, validate

    cells = [shapely.box(x * 10, y * 10, x * 10 + 10, y * 10 + 10) for x in range(12) for y in range(12)]
    cells[5] = shapely.reverse(cells[5])
    cells[6] = shapely.MultiPolygon([shapely.reverse(cells[6])])
    holed = shapely.Polygon(shapely.box(20, 20, 30, 30).exterior, [shapely.box(22, 22, 24, 24).exterior])
    cells[2 * 12 + 2] = holed
    cells.append(shapely.reverse(shapely.box(22, 22, 24, 24)))
    g = np.array(cells, dtype=object)
    union = _clean_coverage(g, STRtree(g))
    assert union is not None and union.area == 120 * 120
    gap = np.array(cells[:50] + cells[51:], dtype=object)
    _, report = validate(gap, [str(i) for i in range(len(gap))])
    assert report.counts == {"gap": 1} and report.findings[0].area_m2 == 100
