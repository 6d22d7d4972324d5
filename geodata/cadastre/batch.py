"""One batch of a parcel import, checked and shaped into rows of the dataset: the work that can run
in a worker process.

A batch is what the importer read: record numbers, GDAL's WKB and the .dbf's PNU and JIBUN bytes.
`prepare` checks every row with whole-column operations (PNU shape and dong code known to the
boundaries, zones/pnu.py; a valid non-empty polygon, shapely/GEOS), brings the good rows' geometry to
`zones.crs.METRIC` (a file already in it keeps its WKB), decodes their JIBUN and returns them as
Arrow record batches per 시군구, with the bad rows counted by kind and the first LISTED described.
It needs nothing but its arguments, so the importer hands batches to worker processes on the
machine's other cores while it reads the next ones (geodata/cadastre/importer.py); small imports run
it in-process.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import shapely
from pyproj import CRS

from geodata.cadastre.dbf import text_column
from geodata.cadastre.partition import SPILL_SCHEMA
from geodata.korean_crs import to_metric
from zones.pnu import JIMOK_CODES, PNU_FAULTS, PNU_LENGTH, code_of, jimok_index, pnu_fault_codes

POLYGONAL = (3, 6)  # shapely type ids of Polygon, MultiPolygon
LISTED = 1000  # bad rows described one by one per import (all are counted)
OK, BAD_PNU, UNKNOWN_DONG, BAD_GEOMETRY = 0, 1, 2, 3
KINDS = {BAD_PNU: "invalid_pnu", UNKNOWN_DONG: "unknown_dong", BAD_GEOMETRY: "invalid_geometry"}


@dataclass
class RawBatch:
    fids: np.ndarray  # record numbers from 0
    wkb: pa.Array
    pnu: np.ndarray  # (rows, width) bytes of the PNU field
    jibun: np.ndarray  # (rows, width) bytes of the JIBUN field


@dataclass
class Prepared:
    rows: int
    written: int = 0
    bad_counts: dict[str, int] = field(default_factory=dict)
    bad_rows: list[dict] = field(default_factory=list)  # {"row", "pnu", "reason"}, up to LISTED
    parts: list[tuple[int, pa.RecordBatch, set[int]]] = field(default_factory=list)  # (시군구, rows, geometry types)


def prepare(b: RawBatch, dongs: np.ndarray, encoding: str, source_wkt: str | None) -> Prepared:
    """Check a batch and shape its good rows; `dongs` are the known 8-digit dong codes (sorted integers),
    `source_wkt` the source CRS when it is not `zones.crs.METRIC`."""
    out = Prepared(rows=len(b.fids))
    digits, pnu_fault = pnu_fault_codes(b.pnu)
    kind = np.where(pnu_fault != 0, BAD_PNU, OK).astype(np.int8)
    kind[(kind == OK) & ~np.isin(code_of(digits, 8), dongs)] = UNKNOWN_DONG
    geoms = shapely.from_wkb(b.wkb.to_numpy(zero_copy_only=False))
    types = shapely.get_type_id(geoms)
    usable = (kind == OK) & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & np.isin(types, POLYGONAL)
    valid = np.zeros(len(geoms), dtype=bool)
    valid[usable] = shapely.is_valid(geoms[usable])
    kind[(kind == OK) & ~valid] = BAD_GEOMETRY
    _describe_bad(out, b, kind, digits, pnu_fault, geoms)
    good = np.flatnonzero(kind == OK)
    out.written = len(good)
    if len(good):
        _shape(out, b, good, geoms[good], types[good], digits[good], encoding, source_wkt)
    return out


def _describe_bad(out: Prepared, b: RawBatch, kind: np.ndarray, digits: np.ndarray, pnu_fault: np.ndarray,
                  geoms: np.ndarray) -> None:
    for k in np.flatnonzero(kind != OK):
        name = KINDS[int(kind[k])]
        out.bad_counts[name] = out.bad_counts.get(name, 0) + 1
        if len(out.bad_rows) >= LISTED:
            continue
        if kind[k] == BAD_PNU:
            why = PNU_FAULTS[int(pnu_fault[k])]
        elif kind[k] == UNKNOWN_DONG:
            why = f"legal-dong code {''.join(map(str, digits[k, :8]))} is not in the boundaries"
        else:
            why = why_invalid(geoms[k])
        pnu = b.pnu[k].tobytes().decode(errors="replace").strip()
        out.bad_rows.append({"row": int(b.fids[k]) + 1, "pnu": pnu, "reason": f"{name}: {why}"})


def why_invalid(g: shapely.Geometry | None) -> str:
    """Why one geometry is not imported, in words."""
    if g is None or g.is_empty:
        return "no geometry"
    if shapely.get_type_id(g) not in POLYGONAL:
        return f"a {g.geom_type}, not a polygon"
    return shapely.is_valid_reason(g)


def _strings(values: list[str], codes: np.ndarray) -> pa.Array:
    """`values[codes]` as an Arrow string column, built without one Python string per row."""
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(values, pa.string())).cast(pa.string())


def _shape(out: Prepared, b: RawBatch, good: np.ndarray, geoms: np.ndarray, types: np.ndarray, digits: np.ndarray,
           encoding: str, source_wkt: str | None) -> None:
    """The good rows as record batches of the spill schema, one per 시군구."""
    if source_wkt is None:
        wkb = b.wkb.take(pa.array(good))
    else:
        geoms = to_metric(geoms, CRS.from_wkt(source_wkt))
        wkb = pa.array(shapely.to_wkb(geoms), pa.binary())
    bounds = shapely.bounds(geoms)
    rows = len(good)
    offsets = np.arange(0, PNU_LENGTH * rows + 1, PNU_LENGTH, dtype=np.int32)
    pnu = pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(digits + np.uint8(48))))
    jibun_bytes = b.jibun[good]
    jimok = _strings(["", *JIMOK_CODES], jimok_index(jibun_bytes, encoding).astype(np.int32) + 1)
    batch = pa.RecordBatch.from_arrays([pnu, text_column(jibun_bytes, encoding), jimok, wkb,
                                        *(pa.array(bounds[:, i]) for i in range(4))], schema=SPILL_SCHEMA)
    sigungu = code_of(digits, 5)
    order = np.argsort(sigungu, kind="stable")
    keys, starts = np.unique(sigungu[order], return_index=True)
    for key, lo, hi in zip(keys, starts, [*starts[1:], rows]):
        pick = order[lo:hi]
        out.parts.append((int(key), batch.take(pa.array(pick)), {int(t) for t in np.unique(types[pick])}))
