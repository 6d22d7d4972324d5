"""The allocation report as a terminal table or JSON."""
from __future__ import annotations

import json
from dataclasses import asdict

from zones.allocation import AllocationReport

STATUS_MARK = {"ok": "ok", "over": "OVER", "under": "UNDER", "missing": "MISSING"}


def report_json(report: AllocationReport) -> str:
    return json.dumps({"rows": [asdict(r) for r in report.rows], "counts": report.counts()},
                      ensure_ascii=False, indent=2)


def report_table(report: AllocationReport) -> str:
    # The names come last: Korean characters fill two terminal columns each, so a column after
    # them would not line up.
    header = ("target", "planned m²", "measured m²", "diff m²", "diff %", "tol %", "status", "name")
    lines = []
    for r in report.rows:
        lines.append((
            r.target_id,
            f"{r.planned_m2:,.0f}",
            "-" if r.measured_m2 is None else f"{r.measured_m2:,.0f}",
            "-" if r.diff_m2 is None else f"{r.diff_m2:+,.0f}",
            "-" if r.diff_pct is None else f"{r.diff_pct:+.2f}",
            f"{r.tolerance_pct:g}",
            STATUS_MARK[r.status],
            " · ".join(n for n in (r.name_ko, r.name_en) if n),
        ))
    widths = [max(len(row[i]) for row in (header, *lines)) for i in range(len(header) - 1)]

    def fmt(row: tuple[str, ...]) -> str:
        cells = ([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-2], widths[1:-1])]
                 + [row[-2].ljust(widths[-1]), row[-1]])
        return "  ".join(cells).rstrip()

    out = [fmt(header), "  ".join("-" * w for w in [*widths, 4])]
    out += [fmt(row) for row in lines]
    counts = report.counts()
    out.append("")
    out.append("  ".join(f"{k}: {v}" for k, v in counts.items()) + "   (areas planar in EPSG:5186)")
    findings = report.findings
    if findings:
        out.append("")
        out.append("Findings:")
        out += [f"  - [{f.kind}] {f.message}" for f in findings]
    return "\n".join(out)
