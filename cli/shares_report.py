"""The land-use share check as a terminal table."""
from __future__ import annotations

from zones.crs import METRIC
from zones.shares import ShareReport


def shares_table(report: ShareReport) -> str:
    header = ("group", "share", "plan %", "measured %", "diff pts", "tol", "status")
    rows = [(r.group, r.target_id, f"{r.planned_pct:g}",
             "-" if r.measured_pct is None else f"{r.measured_pct:.2f}",
             "-" if r.diff_pct_points is None else f"{r.diff_pct_points:+.2f}", f"±{r.tolerance_pct:g}",
             r.status.upper() if r.status != "ok" else "ok") for r in report.rows]
    widths = [max(len(x[i]) for x in (header, *rows)) for i in range(len(header))]
    fmt = lambda row: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))  # noqa: E731
    out = [fmt(header), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows), ""]
    out.append("  ".join(f"{k}: {v}" for k, v in report.counts().items()) + f"   (planar {METRIC} parcel areas)")
    for group, uses in report.unassigned.items():
        listed = ", ".join(f"{u or '(no use)'} {a:,.0f} m²" for u, a in uses.items())
        out.append(f"not counted by any share of {group}: {listed}")
    notes = {r.note for r in report.rows if r.note}
    out += [f"note: {n}" for n in sorted(notes)]
    return "\n".join(out)
