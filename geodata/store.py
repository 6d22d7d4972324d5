"""The GeoPackage store: one file QGIS opens as it is, one table per layer.

Layers are stored in EPSG:5186 so areas read straight off the stored geometry.
A write never edits the live file in place: it writes a copy beside it and
swaps it in with an atomic rename, so a reader sees the old file or the new
one, and a write killed half-way leaves only a stray temporary file.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pyogrio

from zones.area import METRIC_CRS_NAME


class StoreError(LookupError):
    pass


class UnknownLayer(StoreError):
    def __init__(self, layer: str, known: list[str]):
        super().__init__(f"no layer {layer!r} in the store; known layers: {', '.join(known)}")
        self.layer = layer
        self.known = known


class GeoPackageStore:
    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def require(self) -> "GeoPackageStore":
        """This store, or a StoreError when its file is absent (a typo in ZONES_STORE, say)."""
        if not self.path.is_file():
            raise StoreError(f"no GeoPackage at {self.path}; set ZONES_STORE to an existing .gpkg")
        return self

    def layer_ids(self) -> list[str]:
        if not self.path.exists():
            return []
        return [str(name) for name, _ in pyogrio.list_layers(self.path)]

    def read(self, layer: str) -> gpd.GeoDataFrame:
        known = self.layer_ids()
        if layer not in known:
            raise UnknownLayer(layer, known)
        gdf = pyogrio.read_dataframe(self.path, layer=layer)
        if gdf.crs is None:
            raise StoreError(f"layer {layer!r} in {self.path.name} has no CRS")
        return gdf

    def write_all(self, layers: Mapping[str, gpd.GeoDataFrame]) -> None:
        """Replace the whole store with `layers` in one atomic swap."""
        self._swap_in(lambda tmp: self._write_layers(tmp, layers, fresh=True))

    def replace_layer(self, layer: str, gdf: gpd.GeoDataFrame) -> None:
        """Replace one layer, keeping the others, in one atomic swap."""
        def build(tmp: Path) -> None:
            if self.path.exists():
                shutil.copyfile(self.path, tmp)
            self._write_layers(tmp, {layer: gdf}, fresh=not self.path.exists())
        self._swap_in(build)

    def _swap_in(self, build) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".gpkg", dir=self.path.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            tmp.unlink()
            build(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        finally:
            for leftover in (tmp, *tmp.parent.glob(tmp.name + "-*")):
                leftover.unlink(missing_ok=True)

    @staticmethod
    def _write_layers(tmp: Path, layers: Mapping[str, gpd.GeoDataFrame], fresh: bool) -> None:
        for i, (layer, gdf) in enumerate(layers.items()):
            if gdf.crs is None:
                raise StoreError(f"refusing to store layer {layer!r} without a CRS")
            out = gdf.to_crs(METRIC_CRS_NAME)
            append_file = not (fresh and i == 0)
            pyogrio.write_dataframe(
                out, tmp, layer=layer, driver="GPKG", promote_to_multi=True,
                layer_options={"OVERWRITE": "YES"} if append_file else None,
                append=False,
            )


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
