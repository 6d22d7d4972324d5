"""The R-tree packed at once holds what SQLite's row-by-row inserts hold, and stays an R-tree SQLite edits."""
from __future__ import annotations

import sqlite3

import numpy as np
import pyogrio
import pytest

from geodata.gpkg_rtree import fill_rtree
from geodata.make_parcels_sample import SAMPLE_FILE
from geodata.store import GeoPackageStore
from tests.write_helpers import store_copy


@pytest.mark.parametrize("n", [0, 1, 51, 52, 2_651, 20_000])
def test_packed_tree_equals_row_by_row_inserts(n):
    rng = np.random.default_rng(n)
    x, y = rng.uniform(-1e5, 3e5, n), rng.uniform(-50.0, 5e5, n)
    w, h = rng.uniform(0, 30, n), rng.uniform(0, 30, n)
    ids = rng.permutation(np.arange(1, n + 1) * 3)
    con = sqlite3.connect(":memory:")
    for t in ("packed", "inserted"):
        con.execute(f"CREATE VIRTUAL TABLE {t} USING rtree(id, minx, maxx, miny, maxy)")
    fill_rtree(con, "packed", ids, x, x + w, y, y + h)
    con.executemany("INSERT INTO inserted VALUES (?, ?, ?, ?, ?)",
                    zip(ids.tolist(), x.tolist(), (x + w).tolist(), y.tolist(), (y + h).tolist()))
    assert con.execute("SELECT * FROM packed ORDER BY id").fetchall() == \
        con.execute("SELECT * FROM inserted ORDER BY id").fetchall()
    assert con.execute("SELECT rtreecheck('packed')").fetchone() == ("ok",)
    query = "SELECT id FROM {} WHERE maxx >= 1000 AND minx <= 60000 AND maxy >= 100 AND miny <= 90000 ORDER BY id"
    assert con.execute(query.format("packed")).fetchall() == con.execute(query.format("inserted")).fetchall()
    con.execute("INSERT INTO packed VALUES (7, 1, 2, 3, 4)")  # an edit afterwards, as a trigger makes it
    gone = [r[0] for r in con.execute("SELECT id FROM packed LIMIT 40").fetchall()]
    con.executemany("DELETE FROM packed WHERE id = ?", [(g,) for g in gone])
    assert con.execute("SELECT rtreecheck('packed')").fetchone() == ("ok",)
    assert con.execute("SELECT count(*) FROM packed").fetchone()[0] == n + 1 - len(gone)


def test_a_written_layer_has_a_sound_rtree(tmp_path):
    path = store_copy(tmp_path)
    GeoPackageStore(path).replace_layer("parcels", pyogrio.read_dataframe(SAMPLE_FILE))
    con = sqlite3.connect(path)
    assert con.execute("SELECT rtreecheck('rtree_parcels_geom')").fetchone() == ("ok",)
    assert con.execute("SELECT count(*) FROM rtree_parcels_geom").fetchone()[0] == 40


def test_the_revision_record_of_a_write_equals_the_one_read_back_from_its_content(tmp_path):
    """The checksum and index computed from the rows in memory are those of the stored content."""
    import geopandas as gpd
    import shapely

    from geodata.revision_index import index_rows, read_buckets, read_digests
    from geodata.revisions import query_checksum

    path = store_copy(tmp_path)
    gdf = pyogrio.read_dataframe(SAMPLE_FILE).to_crs("EPSG:5186")
    gdf.loc[3, "geometry"] = None  # a feature without geometry, one with an empty one, one with z
    gdf.loc[4, "geometry"] = shapely.Polygon()
    gdf.loc[5, "geometry"] = shapely.force_3d(gdf.geometry[5], 12.5)
    gdf.loc[6, "id"] = None
    rev = GeoPackageStore(path).replace_layer("parcels", gpd.GeoDataFrame(gdf, crs="EPSG:5186"))
    con = sqlite3.connect(path)
    checksum, count = query_checksum(con, "geom", "properties", "FROM zones_revision_data WHERE layer = 'parcels' "
                                     "AND revision = ? ORDER BY fid", (rev.revision,))
    assert (rev.checksum, rev.feature_count) == (checksum, count) == (GeoPackageStore(path).checksum("parcels"), 40)
    stored = read_buckets(con, "parcels", rev.revision, [b for b in read_digests(con, "parcels", rev.revision)
                                                            if b >= 0])
    assert stored.tobytes() == index_rows(con, "parcels", rev.revision).tobytes()
