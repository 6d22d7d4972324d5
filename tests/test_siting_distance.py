"""The compiled distance kernel against GEOS distances and hand-computed cases."""
import numpy as np
import pytest
import shapely

from zones.siting.distance import contained_pairs, min_distances, ring_edges, segments_of


def _sites(n, seed, spread=2000.0):
    rng = np.random.default_rng(seed)
    c = rng.uniform(200_000, 200_000 + spread, (n, 2))
    hw, hh, ang = rng.uniform(5, 300, n), rng.uniform(5, 300, n), rng.uniform(0, np.pi, n)
    k = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)], float)
    dx, dy = k[None, :, 0] * hw[:, None], k[None, :, 1] * hh[:, None]
    cos, sin = np.cos(ang)[:, None], np.sin(ang)[:, None]
    return shapely.polygons(np.stack([c[:, :1] + dx * cos - dy * sin, c[:, 1:] + dx * sin + dy * cos], -1))


TARGETS = np.array([
    shapely.Polygon([(200_500, 200_500), (201_200, 200_450), (201_000, 201_300), (200_700, 200_900)],
                    [[(200_800, 200_700), (200_900, 200_700), (200_850, 200_800)]]),
    shapely.LineString([(199_800, 201_800), (200_300, 202_100), (201_900, 201_700)]),
    shapely.MultiPolygon([shapely.box(201_500, 199_900, 201_700, 200_100), shapely.box(199_500, 200_000, 199_600, 200_900)]),
], dtype=object)


def test_edge_distances_match_geos_where_the_geometries_are_apart():
    sites = _sites(400, 3)
    segs = segments_of(TARGETS)
    got = min_distances(sites, segs, len(TARGETS))
    want = shapely.distance(sites[:, None], TARGETS[None, :])
    apart = ~shapely.intersects(sites[:, None], TARGETS[None, :])
    assert apart.sum() > 500 and (~apart).sum() > 20  # both cases are exercised
    np.testing.assert_allclose(got[apart], want[apart], rtol=1e-12, atol=1e-7)
    # Open lines count their last vertex too: a line site whose end is nearest.
    line = np.array([shapely.LineString([(199_000, 199_000), (199_400, 199_950)])], dtype=object)
    assert min_distances(line, segs, len(TARGETS))[0] == pytest.approx(shapely.distance(line[0], TARGETS), rel=1e-12)


def test_hand_computed_distances():
    target = np.array([shapely.box(0, 0, 100, 100)], dtype=object)
    segs = segments_of(target)
    sites = np.array([
        shapely.box(130, 10, 150, 20),  # 30 m east
        shapely.Polygon([(140, 140), (160, 140), (160, 160)]),  # corner to corner: 40√2
        shapely.box(20, 20, 40, 40),  # inside: edges 20 m apart
        shapely.box(100, 40, 120, 60),  # touching edges
    ], dtype=object)
    d = min_distances(sites, segs)[:, 0]
    assert d == pytest.approx([30, 40 * np.sqrt(2), 20, 0])


def test_points_need_geos():
    assert segments_of(np.array([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)], dtype=object)) is None
    segs = segments_of(shapely.box(0, 0, 1, 1))
    assert np.isinf(min_distances(np.array([shapely.Point(5, 5)], dtype=object), segs)).all()


def test_edges_that_cross_without_a_vertex_nearby_are_0_apart():
    segs = segments_of(shapely.LineString([(0, -1000), (0, 1000)]))
    sites = np.array([shapely.box(-500, -1, 500, 1), shapely.box(10, -1, 500, 1)], dtype=object)
    assert min_distances(sites, segs)[:, 0] == pytest.approx([0, 10])


def test_containment_when_the_boundaries_are_apart():
    holed = shapely.box(0, 0, 1000, 1000).difference(shapely.box(400, 400, 600, 600))
    segs = segments_of(np.array([holed, shapely.LineString([(2000, 0), (2000, 1000)])], dtype=object))
    assert segs.areal.tolist() == [True, False]
    sites = np.array([
        shapely.box(100, 100, 200, 200),  # inside the polygon
        shapely.box(450, 450, 550, 550),  # in its hole: outside
        shapely.box(-100, -100, 1100, 1100),  # around all of it
        shapely.MultiPolygon([shapely.box(100, 100, 200, 200), shapely.box(3000, 0, 3100, 100)]),  # one part inside
        shapely.LineString([(1900, 500), (2100, 500)]),  # crosses the line: boundaries meet, not a containment case
    ], dtype=object)
    a, b, edge_of = ring_edges(sites)
    src = np.array([0, 1, 2, 3, 0], dtype=np.int64)
    tgt = np.array([0, 0, 0, 0, 1], dtype=np.int64)
    all_in, any_in, owner_in = contained_pairs(a, b, edge_of, segs, shapely.area(sites) > 0, src, tgt)
    assert all_in.tolist() == [True, False, False, False, False]
    assert any_in.tolist() == [True, False, False, True, False]
    assert owner_in.tolist() == [False, False, True, False, False]
    # and GEOS agrees on which pairs intersect
    want = shapely.intersects(sites[src], np.array([holed, shapely.LineString([(2000, 0), (2000, 1000)])])[tgt])
    assert ((any_in | owner_in) == want).tolist() == [True] * 5
