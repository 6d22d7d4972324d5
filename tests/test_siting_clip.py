"""The compiled overlap-area kernel against hand-computed areas and against GEOS overlays."""
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from zones.siting import clip
from zones.siting.clip import overlap_areas, triangulate

BOX = shapely.box
# A zone with a notch and a hole, far from the origin like EPSG:5186 coordinates.
X0, Y0 = 171_000.0, 283_000.0
ZONE = shapely.difference(
    Polygon([(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0 + 500, Y0 + 600), (X0, Y0 + 1000)]),
    BOX(X0 + 200, Y0 + 200, X0 + 300, Y0 + 300))


def areas(geoms, zone=ZONE):
    return overlap_areas(np.asarray(geoms, dtype=object), triangulate(zone))[:, 0]


def test_triangles_add_up_to_the_zone_hole_and_notch_included():
    tris = triangulate(ZONE)
    assert tris is not None and len(tris) > 4
    u, v = tris.xy[:, 1] - tris.xy[:, 0], tris.xy[:, 2] - tris.xy[:, 0]
    cross = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    assert (cross > 0).all()  # counter-clockwise, as the clipping assumes
    assert 0.5 * cross.sum() == pytest.approx(ZONE.area, rel=1e-12)


def test_hand_computed_overlaps():
    sites = [
        BOX(X0 - 50, Y0 + 400, X0 + 50, Y0 + 500),  # half over the west edge: 5,000 m²
        BOX(X0 + 200, Y0 + 200, X0 + 300, Y0 + 300),  # exactly the hole: 0
        BOX(X0 + 150, Y0 + 150, X0 + 350, Y0 + 350),  # around the hole: 40,000 − 10,000
        BOX(X0 + 2000, Y0, X0 + 2100, Y0 + 100),  # far away: 0
        BOX(X0 - 10, Y0 - 10, X0 + 1010, Y0 + 1010),  # holds the whole zone
        BOX(X0 + 100, Y0 + 100, X0 + 150, Y0 + 150).reverse(),  # clockwise ring, inside: 2,500
    ]
    assert areas(sites) == pytest.approx([5000, 0, 30000, 0, ZONE.area, 2500], abs=1e-6)


def test_concave_holed_and_multipart_sites_match_geos():
    ell = Polygon([(X0 + 400, Y0 + 500), (X0 + 700, Y0 + 500), (X0 + 700, Y0 + 560), (X0 + 460, Y0 + 560),
                   (X0 + 460, Y0 + 800), (X0 + 400, Y0 + 800)])  # an L across the notch
    ring = shapely.difference(BOX(X0 + 100, Y0 + 100, X0 + 400, Y0 + 400), BOX(X0 + 240, Y0 + 240, X0 + 260, Y0 + 260))
    multi = MultiPolygon([BOX(X0 - 50, Y0 - 50, X0 + 50, Y0 + 50), BOX(X0 + 950, Y0 - 50, X0 + 1050, Y0 + 50)])
    sites = np.array([ell, ring, multi, BOX(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20)], dtype=object)
    want = shapely.area(shapely.intersection(sites, ZONE))
    np.testing.assert_allclose(areas(sites), want, rtol=1e-9, atol=1e-6)
    assert want[2] == pytest.approx(2500 + 2500)  # one quarter of each part lies in a zone corner


@pytest.fixture(params=["scan", "strtree"])
def pairing(request, monkeypatch):
    """Both ways of finding a site's triangles: the kernel's own scan, and the STRtree for big layers."""
    if request.param == "strtree":
        monkeypatch.setattr(clip, "_DENSE_PAIRS", 0)
    return request.param


def test_random_rotated_and_star_shaped_sites_match_geos(pairing):
    rng = np.random.default_rng(3)
    n = 400
    cx, cy = rng.uniform(X0 - 200, X0 + 1200, n), rng.uniform(Y0 - 200, Y0 + 1200, n)
    boxes = shapely.box(cx - rng.uniform(5, 300, n), cy - rng.uniform(5, 300, n), cx + 50, cy + 50)
    rotated = np.array([shapely.affinity.rotate(b, a) for b, a in zip(boxes, rng.uniform(0, 180, n))])
    k = np.arange(10)
    stars = np.array([Polygon(np.c_[x + np.where(k % 2, 60, 200) * np.cos(k * np.pi / 5),
                                    y + np.where(k % 2, 60, 200) * np.sin(k * np.pi / 5)])
                      for x, y in zip(cx[:100], cy[:100])])
    sites = np.concatenate([rotated, stars])
    want = shapely.area(shapely.intersection(sites, ZONE))
    np.testing.assert_allclose(areas(sites), want, rtol=1e-9, atol=1e-6)
    assert ((want > 0) & (want < shapely.area(sites) - 1)).sum() > 100  # many sites cross an edge


def test_areas_per_owner_for_several_targets(pairing):
    targets = np.array([BOX(0, 0, 10, 10), BOX(10, 0, 20, 10), BOX(100, 100, 110, 110)], dtype=object)
    tris = triangulate(targets)
    got = overlap_areas(np.array([BOX(5, 5, 15, 8), BOX(50, 50, 60, 60)], dtype=object), tris, len(targets))
    np.testing.assert_allclose(got, [[15, 15, 0], [0, 0, 0]], atol=1e-9)


def test_convex_pieces_cover_the_zone_hole_and_notch_included_and_stay_in_their_feature():
    two = np.array([ZONE, BOX(X0 + 2000, Y0, X0 + 2100, Y0 + 100)], dtype=object)
    tris = triangulate(two)
    pieces = [Polygon(tris.piece_xy[a:b]) for a, b in zip(tris.piece_off[:-1], tris.piece_off[1:])]
    assert len(pieces) < len(tris)  # merged
    for piece in pieces:  # convex, counter-clockwise, as the clipping assumes
        assert piece.is_valid and piece.exterior.is_ccw
        assert piece.area == pytest.approx(piece.convex_hull.area, rel=1e-12)
    for owner, feature in enumerate(two):
        mine = [p for p, o in zip(pieces, tris.piece_owner) if o == owner]
        assert shapely.union_all(mine).symmetric_difference(feature).area < 1e-6
        assert sum(p.area for p in mine) == pytest.approx(feature.area, rel=1e-12)
