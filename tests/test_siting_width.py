"""Site width (largest inscribed circle): exact for convex sites, GEOS for the rest."""
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from zones.siting.width import MIC_TOLERANCE_M, inscribed_diameter

X0, Y0 = 171_000.0, 283_000.0  # EPSG:5186-sized coordinates


def widths(geoms):
    return inscribed_diameter(np.asarray(geoms, dtype=object))


def test_hand_computed_widths():
    sites = [
        shapely.box(X0, Y0, X0 + 120, Y0 + 45),  # a rectangle holds a circle as wide as its short side
        Polygon([(X0, Y0), (X0 + 30, Y0), (X0, Y0 + 40)]),  # 30-40-50 triangle: inradius 10
        shapely.reverse(shapely.box(X0, Y0, X0 + 80, Y0 + 200)),  # clockwise ring, same width
        Polygon([(X0, Y0), (X0 + 50, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 60), (X0, Y0 + 60)]),  # collinear vertex
    ]
    assert widths(sites) == pytest.approx([45, 20, 80, 60], abs=1e-7)


def test_random_convex_sites_match_geos_at_fine_tolerance():
    rng = np.random.default_rng(5)
    hulls = [shapely.convex_hull(shapely.multipoints(rng.normal(size=(rng.integers(3, 15), 2)) * 150 + (X0, Y0)))
             for _ in range(400)]
    hulls = [h for h in hulls if isinstance(h, Polygon)]
    got = widths(hulls)
    fine = 2 * shapely.length(shapely.maximum_inscribed_circle(np.array(hulls, dtype=object), 1e-4))
    # GEOS approaches the circle from below, to its tolerance; the exact width is never smaller.
    assert (got >= fine - 1e-7).all()
    np.testing.assert_allclose(got, fine, atol=2e-4)


def test_concave_holed_and_multipart_sites_use_geos():
    ell = Polygon([(X0, Y0), (X0 + 200, Y0), (X0 + 200, Y0 + 40), (X0 + 40, Y0 + 40), (X0 + 40, Y0 + 200), (X0, Y0 + 200)])
    holed = shapely.box(X0, Y0, X0 + 300, Y0 + 300).difference(shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200))
    multi = MultiPolygon([shapely.box(X0, Y0, X0 + 30, Y0 + 30), shapely.box(X0 + 100, Y0, X0 + 190, Y0 + 90)])
    star = Polygon([(X0 + 100 * np.cos(a), Y0 + 100 * np.sin(a)) for a in np.arange(5) * 4 * np.pi / 5])  # pentagram
    sites = [ell, holed, multi, star]
    got = widths(sites)
    want = 2 * shapely.length(shapely.maximum_inscribed_circle(np.array(sites, dtype=object), MIC_TOLERANCE_M))
    np.testing.assert_allclose(got, want, atol=1e-9)
    # In the L's corner the circle touches both outer walls and the inner corner: r = √2 (40 − r).
    assert got[0] == pytest.approx(80 * np.sqrt(2) / (1 + np.sqrt(2)), abs=2 * MIC_TOLERANCE_M)
    assert got[1] == pytest.approx(200 * np.sqrt(2) / (1 + np.sqrt(2)), abs=2 * MIC_TOLERANCE_M)  # same, frame corner
    assert got[2] == pytest.approx(90, abs=2 * MIC_TOLERANCE_M)  # the wider of the two parts
