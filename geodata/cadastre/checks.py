"""The checks at scale over the parcel dataset: land use and statutory ratios by complex, and the
parcels of each plan target's zone with the exact area inside it. Both on Dask and in memory.

The zones and complexes are the plan's polygons in the GeoPackage store; the parcels are the
GeoParquet dataset beside it. On Dask, one task per 시군구 file whose stated bbox meets a zone (or
complex), reading only the row groups and rows whose bbox meets them, runs the kernel the
GeoPackage path runs (`zones.zone_parcels.parcels_in_zones`, `zones.statutory.complex_tally`).
In memory, the same rows of every partition are gathered into one frame and the same kernel runs
once on it. Every kernel judges each parcel on
its own, so the partial results only need to be concatenated or added.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.cadastre.dataset import file_bbox, row_groups_meeting
from geodata.cadastre.engine import _files
from geodata.cadastre.jimok import OTHER_USE, load_jimok_classes, load_statutory_uses
from geodata.provider import LayerProvider
from geodata.statutory_file import STATUTORY_FILE, statutory_complexes
from geodata.zone_parcels import UnknownZone, zone_geometry
from zones.crs import METRIC
from zones.landuse_shares import UNCLASSIFIED, shares_table
from zones.plan import PlanTarget
from zones.statutory import (Complex, StatutoryRow, combine_tally, complex_tally, regroup_tally, statutory_rows,
                             width_uses)
from zones.zone_parcels import parcels_in_zones

Bounds = tuple[float, float, float, float]
ZONE_READ = ["pnu", "sigungu", "jimok", "geometry"]
COMPLEX_READ = ["jimok", "geometry"]
ZONE_ROW_COLUMNS = ["zone", "pnu", "sigungu", "jimok", "land_use", "area_m2", "area_in_zone_m2", "whole"]
ZONE_SUMMARY_COLUMNS = ["zone", "name_ko", "name_en", "zone_area_m2", "parcels", "parcels_inside", "parcels_crossing",
                        "parcel_area_in_zone_m2", "parcel_cover_pct"]
ZONES_METHOD = (f"planar {METRIC}; parcels wholly inside a zone count whole, parcels crossing its boundary count "
                "with their intersection with the zone (the kernel of kizone parcels zone), per 시군구 partition")
COMPLEX_METHOD = (f"planar {METRIC} areas of the parcels whose inner point lies in the complex (as for the "
                  "statutory checks of the parcels layer); land use from the 지목 (geodata/jimok_classes.toml)")


@dataclass(frozen=True)
class PlanZone:
    """A plan target's zone: the union of its features in the store."""

    id: str
    name_ko: str
    name_en: str
    geometry: BaseGeometry


def plan_zones(provider: LayerProvider, plan: list[PlanTarget],
               ids: Sequence[str] = ()) -> tuple[list[PlanZone], list[dict[str, str]]]:
    """(the zones of the plan's targets, or of `ids`; the targets without one, with the reason)."""
    known = {t.id: t for t in plan}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UnknownZone(f"no plan target {', '.join(map(repr, unknown))}; see /plan or geodata/plan.toml",
                          zones=unknown)
    zones, missing = [], []
    for t in ([known[i] for i in ids] if ids else plan):
        try:
            zones.append(PlanZone(t.id, t.name_ko, t.name_en, zone_geometry(provider, plan, f"plan:{t.id}")))
        except UnknownZone as exc:
            missing.append({"zone": t.id, "reason": exc.detail})
    return zones, missing


def _meets(a: Bounds, b: Bounds) -> bool:
    return not (a[0] > b[2] or a[2] < b[0] or a[1] > b[3] or a[3] < b[1])


def _part_bounds(shapes: Sequence[Any]) -> list[list[Bounds]]:
    """The bounds of each part of each shape: a whole made of parts far apart (all four FEZ districts)
    would otherwise span most of a city."""
    return [[tuple(b) for b in shapely.bounds(shapely.get_parts(s.geometry))] for s in shapes]


def _tasks(files: list[str], shapes: Sequence[Any]) -> list[tuple[str, list[Any]]]:
    """(file, the shapes a part of which meets the file's stated bbox) for each file some shape meets."""
    out = []
    parts = _part_bounds(shapes)
    for f in files:
        box = file_bbox(Path(f))
        mine = [s for s, bounds in zip(shapes, parts) if box is None or any(_meets(b, box) for b in bounds)]
        if mine:
            out.append((f, mine))
    return out


def read_parcels(path: str, columns: list[str], shapes: Sequence[Any] | None = None) -> pd.DataFrame:
    """A partition's `columns` (attributes as text, `geometry` as shapely polygons), whole or only its
    rows whose bbox (the covering column) meets a part of one of `shapes`: the row groups whose
    statistics rule that out are not read, and of the rest only those rows are decoded."""
    if shapes is None:
        table = pq.read_table(path, columns=columns)
    else:
        parts = [b for bounds in _part_bounds(shapes) for b in bounds]
        pf = pq.ParquetFile(path)
        table = pf.read_row_groups(row_groups_meeting(pf.metadata, parts), columns=[*columns, "bbox"])
        box = table.column("bbox").combine_chunks()
        x0, y0, x1, y1 = (box.field(n).to_numpy(zero_copy_only=False) for n in ("xmin", "ymin", "xmax", "ymax"))
        near = np.zeros(len(table), dtype=bool)
        for minx, miny, maxx, maxy in parts:
            near |= (x0 <= maxx) & (x1 >= minx) & (y0 <= maxy) & (y1 >= miny)
        table = table.filter(pa.array(near))
    frame = pd.DataFrame({c: table.column(c).to_numpy() for c in columns if c != "geometry"})
    frame["geometry"] = shapely.from_wkb(table.column("geometry").to_numpy())
    return frame


def _run(root: Path, shapes: Sequence[Any], per_frame: Callable[[pd.DataFrame, Sequence[Any]], pd.DataFrame],
         columns: list[str], client: object | None) -> list[pd.DataFrame]:
    """`per_frame` on each file met (on `client`'s cluster), or once on the rows of every file near the
    shapes, gathered into one frame (client None)."""
    tasks = _tasks(_files(root), shapes)
    if client is None:
        frames = [read_parcels(f, columns, mine) for f, mine in tasks]
        return [per_frame(pd.concat(frames, ignore_index=True), shapes)] if frames else []
    futures = [client.submit(_file_task, f, columns, per_frame, mine, pure=False)  # type: ignore[attr-defined]
               for f, mine in tasks]
    return client.gather(futures) if futures else []  # type: ignore[attr-defined]


def _file_task(path: str, columns: list[str], per_frame: Callable, shapes: Sequence[Any]) -> pd.DataFrame:
    """One partition's share of the work, on its rows near `shapes`."""
    return per_frame(read_parcels(path, columns, shapes), shapes)


# -- (b) the parcels of each plan target's zone ----------------------------------------------------

def zone_rows_of_frame(frame: pd.DataFrame, zones: Sequence[PlanZone]) -> pd.DataFrame:
    """The (zone, parcel) rows of one batch of parcels: `parcels_in_zones` with the parcels' attributes."""
    table = parcels_in_zones([(z.id, z.geometry) for z in zones], np.asarray(frame.geometry.values, dtype=object))
    rows = table["row"].to_numpy()
    return pd.DataFrame({"zone": table["zone"].to_numpy(dtype=object),
                         "pnu": frame["pnu"].to_numpy(dtype=object)[rows],
                         "sigungu": frame["sigungu"].to_numpy(dtype=object)[rows],
                         "jimok": frame["jimok"].to_numpy(dtype=object)[rows],
                         "area_m2": table["area_m2"].to_numpy(), "area_in_zone_m2": table["area_in_zone_m2"].to_numpy(),
                         "whole": table["whole"].to_numpy()})


def zone_parcels(root: Path, zones: Sequence[PlanZone], client: object | None = None,
                 jimok_class: dict[str, str] | None = None) -> pd.DataFrame:
    """Every parcel with area inside each zone, in zone order then PNU order (`ZONE_ROW_COLUMNS`)."""
    mapping = jimok_class or load_jimok_classes()
    parts = [p for p in _run(root, zones, zone_rows_of_frame, ZONE_READ, client) if len(p)]
    order = {z.id: i for i, z in enumerate(zones)}
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c.startswith("area") else bool if c == "whole" else object)
                             for c in ZONE_ROW_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["land_use"] = out["jimok"].map(mapping).fillna(UNCLASSIFIED)
    out = out.assign(_z=out["zone"].map(order)).sort_values(["_z", "pnu"], kind="stable").drop(columns="_z")
    return out[ZONE_ROW_COLUMNS].reset_index(drop=True)


def zone_summaries(zones: Sequence[PlanZone], rows: pd.DataFrame) -> list[dict]:
    """Per zone: its area, the parcels in it (wholly inside, crossing), their area inside and by land use."""
    out = []
    groups = {z: g for z, g in rows.groupby("zone", sort=False)}
    for z in zones:
        g = groups.get(z.id, rows.iloc[:0])
        total = float(g["area_in_zone_m2"].sum())
        by_use = g.groupby("land_use", sort=True).agg(area_m2=("area_in_zone_m2", "sum"), parcels=("pnu", "size"))
        out.append({
            "zone": z.id, "name_ko": z.name_ko, "name_en": z.name_en, "zone_area_m2": float(z.geometry.area),
            "parcels": int(len(g)), "parcels_inside": int(g["whole"].sum()),
            "parcels_crossing": int((~g["whole"].astype(bool)).sum()), "parcel_area_in_zone_m2": total,
            "parcel_cover_pct": total / z.geometry.area * 100.0 if z.geometry.area else None,
            "by_land_use": [{"land_use": u, "area_m2": float(r.area_m2), "parcels": int(r.parcels),
                             "share_pct": float(r.area_m2 / total * 100.0) if total else None}
                            for u, r in by_use.iterrows()],
        })
    return out


# -- (a) land use and statutory ratios by complex --------------------------------------------------

def complex_tally_of_frame(frame: pd.DataFrame, complexes: Sequence[Complex],
                           width_jimok: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The tally (by complex and 지목) of one batch of parcels."""
    return complex_tally(complexes, np.asarray(frame.geometry.values, dtype=object),
                         frame["jimok"].to_numpy(dtype=object), width_jimok)


@dataclass(frozen=True)
class ComplexChecks:
    shares: pd.DataFrame  # complex_id, land_use, area_m2, parcels, share_pct
    statutory: tuple[StatutoryRow, ...]
    tally: pd.DataFrame  # by complex and 지목, what both are computed from


def complex_checks(root: Path, provider: LayerProvider, plan: list[PlanTarget], client: object | None = None,
                   statutory_file: Path = STATUTORY_FILE) -> ComplexChecks:
    """Land-use shares and the statutory rows of each complex of geodata/statutory.toml, from the dataset."""
    complexes, rules = statutory_complexes(provider, plan, statutory_file)
    classes, uses = load_jimok_classes(), load_statutory_uses()
    width_jimok = frozenset(code for code, use in uses.items() if use in width_uses(rules))
    drawn = [c for c in complexes if c.geometry is not None and not c.geometry.is_empty]
    tally = combine_tally(_run(root, drawn, _TallyTask(width_jimok), COMPLEX_READ, client))
    by_class = regroup_tally(tally, classes, UNCLASSIFIED).rename(columns={"use": "land_use"})
    shares = shares_table(by_class[["complex_id", "land_use", "area_m2", "parcels"]], by="complex_id")
    return ComplexChecks(shares, statutory_rows(rules, complexes, regroup_tally(tally, uses, OTHER_USE)), tally)


@dataclass(frozen=True)
class _TallyTask:
    """`complex_tally_of_frame` with its 지목 of measured width, as a picklable callable for the workers."""

    width_jimok: frozenset[str]

    def __call__(self, frame: pd.DataFrame, complexes: Sequence[Complex]) -> pd.DataFrame:
        return complex_tally_of_frame(frame, complexes, self.width_jimok)
