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
