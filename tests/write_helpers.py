"""Helpers shared by the import/write tests: store copies and generated files."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
from pyproj import Transformer

from geodata import DEFAULT_STORE


def store_copy(tmp_path: Path, name: str = "store.gpkg") -> Path:
    path = tmp_path / name
    shutil.copyfile(DEFAULT_STORE, path)
    return path


def grid_geojson(path: Path, n: int, *, use: str = "support", cell_m: float = 20.0, size_m: float = 18.0,
                 origin=(170000.0, 280000.0)) -> Path:
    """`n` square parcels of `size_m` on a `cell_m` grid in 광산구 (EPSG:5186 origin), written as lon/lat GeoJSON."""
    tr = Transformer.from_crs(5186, 4326, always_xy=True)
    side = int(np.ceil(np.sqrt(n)))
    idx = np.arange(n)
    x = origin[0] + (idx % side) * cell_m
    y = origin[1] + (idx // side) * cell_m
    ring_x = np.stack([x, x + size_m, x + size_m, x, x], axis=1)
    ring_y = np.stack([y, y, y + size_m, y + size_m, y], axis=1)
    lon, lat = tr.transform(ring_x, ring_y)
    lon, lat = np.round(lon, 8), np.round(lat, 8)
    feats = [{"type": "Feature", "properties": {"id": f"p{i}", "use": use, "zone": "test"},
              "geometry": {"type": "Polygon", "coordinates": [np.stack([lon[i], lat[i]], axis=1).tolist()]}}
             for i in range(n)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def square_fc(coords_lonlat: list[tuple[float, float]], props: dict | None = None) -> dict:
    ring = [list(c) for c in coords_lonlat]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props or {"id": "a"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}


def revisions_with_content(path: Path, layer: str) -> list[int]:
    """Revisions of `layer` whose content is physically in the store's history table."""
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT DISTINCT revision FROM zones_revision_data WHERE layer = ? "
                                          "ORDER BY revision", (layer,))]
    finally:
        con.close()
