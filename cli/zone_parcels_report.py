"""The parcels of a zone as a terminal table."""
from __future__ import annotations

CROSSING_SHOWN = 10


def zone_table(report: dict) -> str:
    head = (f"zone {report['zone']}: {report['zone_area_m2']:,.1f} m²; {report['parcels']:,} parcels of layer "
            f"{report['layer']} ({report['parcels_inside']:,} wholly inside, {report['parcels_crossing']:,} crossing "
            f"its boundary) cover {report['parcel_area_in_zone_m2']:,.1f} m²"
            + (f" ({report['parcel_cover_pct']:.2f} %)" if report["parcel_cover_pct"] is not None else ""))
    header = ("use", "area in zone m²", "share %", "parcels", "crossing")
    rows = [(r["use"] or "(no use)", f"{r['area_m2']:,.1f}", "-" if r["share_pct"] is None else f"{r['share_pct']:.2f}",
             f"{r['parcels']:,}", f"{r['crossing']:,}") for r in report["by_use"]]
    widths = [max(len(x[i]) for x in (header, *rows)) for i in range(len(header))]
    fmt = lambda row: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))  # noqa: E731
    out = [head, "", fmt(header), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)]
    crossing = report["crossing"]
    if crossing:
        out.append("")
        out.append(f"crossing parcels (part inside the zone), {min(len(crossing), CROSSING_SHOWN)} of {len(crossing):,}"
                   f" shown (all in --format json):")
        out += [f"  {c['id']}  {c['use']}  {c['area_in_zone_m2']:,.2f} of {c['area_m2']:,.2f} m²"
                for c in crossing[:CROSSING_SHOWN]]
    out.append(f"({report['method']})")
    return "\n".join(out)
