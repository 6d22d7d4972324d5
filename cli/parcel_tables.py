"""The documents of `kizone parcels shares|zones|crosscheck` as terminal tables (JSON and CSV hold every row)."""
from __future__ import annotations

from collections.abc import Callable

CROSSCHECK_SHOWN = 50


def shares_text(doc: dict) -> str:
    key = "complex_id" if doc["by"] == "complex" else "sigungu"
    width = max([len(key), *(len(str(r[key])) for r in doc["rows"])])
    out = [f"{'complex' if key == 'complex_id' else '시군구':>{width}} {'land use':14} {'area m²':>16} {'parcels':>10} "
           f"{'share %':>8}"]
    out += [f"{r[key]:>{width}} {r['land_use']:14} {r['area_m2']:16,.1f} {r['parcels']:10,d} {r['share_pct']:8.2f}"
            for r in doc["rows"]]
    if "statutory" in doc:
        out += ["", "statutory checks (parcel use from the 지목, [statutory_uses] of geodata/jimok_classes.toml):"]
        for r in doc["statutory"]:
            out.append(f"  {r['complex_id']:22} {r['rule_id']:20} {r['status']:8} {r['required']:>10}  {r['reason']}")
    out.append(f"({doc['method']})")
    return "\n".join(out)


def zones_text(doc: dict) -> str:
    out = [f"{'zone':24} {'zone m²':>14} {'parcels':>8} {'inside':>7} {'crossing':>8} {'parcel area in zone m²':>23} "
           f"{'cover %':>8}"]
    for z in doc["zones"]:
        cover = "-" if z["parcel_cover_pct"] is None else f"{z['parcel_cover_pct']:.2f}"
        out.append(f"{z['zone']:24} {z['zone_area_m2']:14,.1f} {z['parcels']:8,d} {z['parcels_inside']:7,d} "
                   f"{z['parcels_crossing']:8,d} {z['parcel_area_in_zone_m2']:23,.2f} {cover:>8}")
    for m in doc["missing"]:
        out.append(f"{m['zone']:24} no zone: {m['reason']}")
    out.append(f"{len(doc['parcels']):,} (zone, parcel) rows with the area inside: --format json or csv")
    out.append(f"({doc['method']})")
    return "\n".join(out)


def crosscheck_text(doc: dict) -> str:
    found = doc["disagreements"]
    out = [f"{len(found):,} parcels lie outside the legal dong their PNU names"]
    out += [f"  {r['pnu']}: PNU dong {r['pnu_dong']}, lies in {r['found_dong'] or 'no dong'} at {r['x']:.1f}, {r['y']:.1f}"
            for r in found[:CROSSCHECK_SHOWN]]
    return "\n".join(out)


TERMINAL: dict[str, Callable[[dict], str]] = {"shares": shares_text, "zones": zones_text, "crosscheck": crosscheck_text}
