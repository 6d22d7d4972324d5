"""The GeoPackage store: one file QGIS opens as it is, one table per layer.

Layers are stored in the metric CRS (`zones.crs.METRIC`) so areas read straight off the stored geometry.

Replacing a layer is one SQLite transaction inside the GeoPackage (see
`geodata.gpkg_tx`): the new features are written once, straight into the store
(`geodata.gpkg_write`: table, R-tree and metadata as GDAL writes them, and the features'
planar areas, geodata.stored_areas), together
with the revision record and a bump of the store's generation counter, and
committed at once. A write killed
at any moment leaves the store as it was (SQLite rolls the unfinished
transaction back on the next open). Reads go through Python's sqlite3 in one
read transaction (geodata.gpkg_read), so a reader gets the layer as of one
committed state, old or new, never a mix, and never shares locks with GDAL.

Each layer keeps the content of its newest `keep_revisions` revisions
(geodata.retention); older content is dropped in the transaction of the write
that goes past the limit, and their records stay.

Building a fresh store (`write_all`) still writes a whole new file and swaps it
in with an atomic rename.

Freshness: `GeoPackageStore.stamp` is the one value every cache of store content
is keyed on (geodata.freshness). It changes with every committed write, whoever
made it: the generation counter (writes through this module), the identity of
the .gpkg file (an edit in QGIS, a vacuum, a swapped-in rebuild) and of its
write-ahead log (a commit that still sits in the WAL leaves the .gpkg untouched).
"""
from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from geodata.retention import DEFAULT_KEEP_REVISIONS
from zones.crs import METRIC
from zones.errors import InvalidInput, NotFound

if TYPE_CHECKING:  # GeoPandas only where a layer is read or written: opening the store needs none
    import geopandas as gpd

# Layer ids become SQLite table names and URL path segments.
LAYER_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED_PREFIXES = ("gpkg_", "rtree_", "zones_", "sqlite_", "trigger_")
# Collection ids the API serves from elsewhere than a GeoPackage layer: `cadastre` is the imported
# 연속지적도 beside the store (api/routes/cadastre.py).
RESERVED_IDS = ("cadastre",)


# A file modified less than this long ago may be modified again within the same mtime tick
# (Linux timestamps are coarse, ~4 ms), so its generation is read again rather than trusted.
_RACY_NS = 200_000_000


class StoreStamp(NamedTuple):
    """Freshness of the store's content: equal stamps mean the same committed state."""
    generation: int
    file: tuple[int, int, int]  # inode, size, mtime (ns) of the .gpkg
    wal: tuple[int, int, int] | None  # the same for its write-ahead log while it holds frames


class StoreError(NotFound):
    """Something named in the store is not there."""


class UnknownLayer(StoreError):
    default_code = "unknown_layer"

    def __init__(self, layer: str, known: list[str]):
        super().__init__(f"no layer {layer!r} in the store; known layers: {', '.join(known)}", layer=layer,
                         known=list(known))
        self.layer = layer
        self.known = known


class InvalidLayerId(InvalidInput):
    """A layer id that cannot name a table or a collection."""

    default_code = "invalid_layer_id"


# SQLite's file header and the GeoPackage application ids (1.2+ writes "GPKG"; 1.0 and 1.1 wrote these)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_GPKG_IDS = (b"GPKG", b"GP10", b"GP11")


def geopackage_problem(path: Path) -> str | None:
    """Why the file at `path` is not a GeoPackage (from its header), or None when it is one."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(72)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if not head.startswith(_SQLITE_MAGIC):
        return "it is not a GeoPackage (not even an SQLite database)"
    if head[68:72] not in _GPKG_IDS:
        return "it is an SQLite database but not a GeoPackage (no GeoPackage application id)"
    return None


def check_layer_id(layer: str) -> str:
    if layer in RESERVED_IDS:
        raise InvalidLayerId(f"layer id {layer!r} is not allowed: it names the imported cadastral map "
                             "(kizone import-parcels), which is not a GeoPackage layer")
    if not LAYER_ID_RE.match(layer or "") or layer.startswith(RESERVED_PREFIXES):
        raise InvalidLayerId(
            f"layer id {layer!r} is not allowed: use 1-63 lower-case letters, digits and '_', "
            f"starting with a letter and not with {', '.join(RESERVED_PREFIXES)}")
    return layer


class GeoPackageStore:
    def __init__(self, path: str | os.PathLike[str], keep_revisions: int | None = DEFAULT_KEEP_REVISIONS):
        """`keep_revisions`: revisions per layer whose content stays restorable (None: all)."""
        if keep_revisions is not None and keep_revisions < 1:
            raise InvalidInput(f"keep_revisions must be at least 1 (None keeps all), got {keep_revisions}")
        self.path = Path(path)
        self.keep_revisions = keep_revisions

    def require(self) -> "GeoPackageStore":
        """This store, or a StoreError when its file is absent or no GeoPackage (a typo in ZONES_STORE, say)."""
        if not self.path.is_file():
            raise StoreError(f"no GeoPackage at {self.path}; set ZONES_STORE to an existing .gpkg")
        problem = geopackage_problem(self.path)
        if problem:
            raise StoreError(f"the store {self.path} cannot be used: {problem}; set ZONES_STORE (or --store) to a "
                             f"GeoPackage (.gpkg) store")
        return self

    def layer_ids(self) -> list[str]:
        """Feature layers only: the history tables are attribute tables and not layers."""
        if not self.path.exists():
            return []
        from geodata.gpkg_read import list_feature_layers

        return list_feature_layers(self.path)

    def generation(self) -> int:
        """Counter bumped by every committed write through this module (0 before the first)."""
        from geodata.gpkg_tx import read_generation

        return read_generation(self.path)

    def stamp(self, previous: StoreStamp | None = None, *, read_generation: bool = True) -> StoreStamp | None:
        """The store's freshness stamp (None when the file is absent); it changes with every
        committed write, the WAL included. Take it before reading what a cache will keep.

        Reading the generation opens the database (~1 ms); a request path asks several times, so
        when the files are byte-for-byte where they were at `previous` and not freshly modified,
        `previous` is returned as it is (git's "racy timestamp" rule). With `read_generation=False`
        the database is never opened: the answer is `previous` or None ("cannot say without I/O"),
        for callers on an event loop.
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        try:
            wal = os.stat(str(self.path) + "-wal")
            # An empty WAL comes and goes as connections open and close; only frames matter.
            wal_id = (wal.st_ino, wal.st_size, wal.st_mtime_ns) if wal.st_size else None
        except FileNotFoundError:
            wal_id = None
        file_id = (st.st_ino, st.st_size, st.st_mtime_ns)
        newest = max(st.st_mtime_ns, wal_id[2] if wal_id else 0)
        if (previous is not None and (previous.file, previous.wal) == (file_id, wal_id)
                and time.time_ns() - newest > _RACY_NS):
            return previous
        if not read_generation:
            return None
        return StoreStamp(self.generation(), file_id, wal_id)

    def read(self, layer: str) -> gpd.GeoDataFrame:
        return self.read_consistent(layer)[0]

    def read_consistent(self, layer: str, columns: list[str] | None = None) -> tuple[gpd.GeoDataFrame, int]:
        """The layer as of one committed state, with that state's generation (one read transaction).
        `columns`: the attributes to read (default all)."""
        from geodata.gpkg_read import read_layer

        if not self.path.exists():
            raise StoreError(f"no GeoPackage at {self.path}; set ZONES_STORE to an existing .gpkg")
        gdf, generation, known = read_layer(self.path, layer, columns)
        if gdf is None:
            raise UnknownLayer(layer, known)
        if gdf.crs is None:
            raise StoreError(f"layer {layer!r} in {self.path.name} has no CRS")
        return gdf, generation

    def write_all(self, layers: Mapping[str, gpd.GeoDataFrame]) -> None:
        """Replace the whole store with `layers` in one atomic swap (used to build a fresh store)."""
        self._swap_in(lambda tmp: self._write_layers(tmp, layers, fresh=True))

    def replace_layer(self, layer: str, gdf: gpd.GeoDataFrame, *, token_name: str = "local",
                      source_file: str = "", action: str = "import", note: str = "",
                      guard: "Callable[[str, gpd.GeoDataFrame], None] | None" = None) -> "Revision":
        """Replace one layer in one transaction and record it as a new revision.

        `guard(layer, gdf)` runs inside the transaction, before anything is changed, with the layer
        as it would be stored (geodata.write_guard: what the plan and the siting rules need of it);
        whatever it raises rolls the write back."""
        from geodata.gpkg_tx import replace_layer_tx

        check_layer_id(layer)
        if gdf.crs is None:
            raise StoreError(f"refusing to store layer {layer!r} without a CRS")
        if not self.path.exists():
            raise StoreError(f"no GeoPackage at {self.path}; create the store first")
        metric = gdf.to_crs(METRIC)
        return replace_layer_tx(self.path, layer, metric, token_name=token_name,
                                source_file=source_file, action=action, note=note,
                                keep_revisions=self.keep_revisions,
                                guard=(lambda: guard(layer, metric)) if guard is not None else None)

    def revisions(self, layer: str) -> list["Revision"]:
        from geodata.revisions import list_revisions

        return list_revisions(self.path, layer)

    def pruned_by(self, rev: "Revision") -> list[int]:
        """The revisions whose content the write that made `rev` dropped under the retention limit.

        A write prunes in its own transaction and stamps what it drops with its own time, so the
        history itself says which ones they were."""
        return [r.revision for r in self.revisions(rev.layer) if r.data_pruned_utc == rev.created_utc]

    def prune(self, layers: list[str] | None = None) -> list["PruneResult"]:
        """Apply this store's retention limit now to `layers` (every layer with history when None),
        e.g. after lowering the limit."""
        from geodata.gpkg_tx import prune_tx

        return prune_tx(self.require().path, layers, self.keep_revisions)

    def vacuum(self) -> tuple[int, int]:
        """Give pruned space back to the file system; (bytes before, bytes after)."""
        from geodata.gpkg_tx import vacuum

        return vacuum(self.require().path)

    def restore(self, layer: str, revision: int, *, token_name: str = "local",
                guard: "Callable[[str, gpd.GeoDataFrame], None] | None" = None) -> "Revision":
        """Make the content of an earlier revision current again, as a new revision."""
        from geodata.revisions import read_revision_data

        if not self.revisions(layer) and layer not in self.layer_ids():
            raise UnknownLayer(layer, self.layer_ids())  # a typo, not a layer without history
        gdf = read_revision_data(self.path, layer, revision)
        return self.replace_layer(layer, gdf, token_name=token_name, source_file=f"revision {revision}",
                                  action="restore", note=f"restore of revision {revision}", guard=guard)

    def checksum(self, layer: str) -> str:
        from geodata.revisions import layer_checksum

        return layer_checksum(self.path, layer)

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
        import pyogrio

        for i, (layer, gdf) in enumerate(layers.items()):
            if gdf.crs is None:
                raise StoreError(f"refusing to store layer {layer!r} without a CRS")
            out = gdf.to_crs(METRIC)
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


from geodata.retention import PruneResult  # noqa: E402  (re-exported for type hints)
from geodata.revisions import Revision  # noqa: E402  (re-exported for type hints)
__all__ = ["GeoPackageStore", "StoreStamp", "StoreError", "UnknownLayer", "InvalidLayerId", "Revision", "check_layer_id"]
