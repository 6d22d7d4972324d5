"""`kizone report`: the allocation report as a terminal table, JSON, or a CSV, XLSX or PDF file."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from zones.allocation import SCHEMATIC_BANNER, AllocationReport
from zones.crs import METRIC
from zones.statutory import StatutoryRow

STATUS_MARK = {"ok": "ok", "over": "OVER", "under": "UNDER", "missing": "MISSING", "misplaced": "MISPLACED"}


def report_json(report: AllocationReport, statutory: tuple[StatutoryRow, ...] = ()) -> str:
    return json.dumps({"rows": [asdict(r) for r in report.rows], "counts": report.counts(),
                       "schematic": report.any_schematic, "statutory": [asdict(r) for r in statutory]},
                      ensure_ascii=False, indent=2)


def statutory_table(rows: tuple[StatutoryRow, ...]) -> str:
    """The second table: national standards per complex, from the parcels' land use."""
    if not rows:
        return ""
    header = ("complex", "rule", "required", "measured", "status", "parcels", "reason")
    lines = [(r.complex_id, r.rule_id, r.required,
              "-" if r.measured is None else f"{r.measured:.1f} {r.unit}", r.status, str(r.parcels), r.reason)
             for r in rows]
    widths = [max(len(row[i]) for row in (header, *lines)) for i in range(len(header) - 1)]
    fmt = lambda row: "  ".join([c.ljust(w) for c, w in zip(row, widths)] + [row[-1]]).rstrip()  # noqa: E731
    out = ["Statutory checks · 법정 기준 (from the parcels' land use; sources in geodata/statutory.toml):",
           fmt(header), "  ".join("-" * w for w in [*widths, 6])]
    return "\n".join(out + [fmt(row) for row in lines])


def report_table(report: AllocationReport) -> str:
    # The names come last: Korean characters fill two terminal columns each, so a column after
    # them would not line up. The planned figure in the source's own unit comes just before them.
    header = ("target", "planned m²", "measured m²", "diff m²", "diff %", "tol %", "status", "rests on",
              "planned (source)", "name")
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
            r.provenance + (" (sized)" if r.sized_to_plan else ""),
            r.planned_text.split(" (")[0],
            " · ".join(n for n in (r.name_ko, r.name_en) if n),
        ))
    left = {0, 6, 7}
    widths = [max(len(row[i]) for row in (header, *lines)) for i in range(len(header) - 2)]

    def fmt(row: tuple[str, ...]) -> str:
        cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        cells += [row[-2].ljust(16), row[-1]]  # 평 is two columns wide: pad, never align past it
        return "  ".join(cells).rstrip()

    out = []
    if report.any_schematic:
        out += [f"!! {SCHEMATIC_BANNER[0]}", f"!! {SCHEMATIC_BANNER[1]}", ""]
    out += [fmt(header), "  ".join("-" * w for w in [*widths, 16, 4])]
    out += [fmt(row) for row in lines]
    counts = report.counts()
    out.append("")
    out.append("  ".join(f"{k}: {v}" for k, v in counts.items()) + f"   (areas planar in {METRIC})")
    out.append("rests on: schematic = drawn, not surveyed; (sized) = drawn to the very figure it is checked "
               "against, so the row checks the recipe, not the ground")
    faulty = [r for r in report.rows if r.status != "ok"]
    if faulty:
        out.append("")
        out.append("Reasons · 사유:")
        for r in faulty:
            out += [f"  - {r.target_id} [{STATUS_MARK[r.status]}] {r.reason}", f"    {r.reason_ko}"]
    findings = report.findings
    if findings:
        out.append("")
        out.append("Findings · 발견 사항:")
        for f in findings:
            out += [f"  - [{f.kind}, {f.severity}] {f.message}", f"    {f.message_ko}"]
    return "\n".join(out)


def run_report(args: argparse.Namespace, store: Path) -> int:
    """Check the output (path, and Chromium for a PDF) first, then compute and write the report."""
    from cli.output_paths import check_file
    from cli.report_formats import FILE_FORMATS, export_bytes, write_atomically

    fmt, out = args.format, Path(args.out) if args.out else None
    if args.table is not None and fmt != "csv":
        print("kizone: error: --table applies to --format csv only (the other formats hold every table)",
              file=sys.stderr)
        return 2
    if fmt in ("xlsx", "pdf") and out is None:
        print(f"kizone: error: --format {fmt} needs --out FILE", file=sys.stderr)
        return 2
    if out is not None and fmt not in FILE_FORMATS:
        print(f"kizone: error: --out writes {', '.join(FILE_FORMATS)}; --format {fmt} prints to the terminal",
              file=sys.stderr)
        return 2
    if out is not None:
        check_file(out, "--out")
    if fmt == "pdf":
        from reports.pdf import BrowserUnavailable, require_chromium

        try:
            require_chromium()
        except BrowserUnavailable as exc:
            print(f"kizone: error: --format pdf needs headless Chromium: {exc}", file=sys.stderr)
            return 2

    from geodata.allocation_inputs import allocation_report
    from geodata.plan_file import load_plan
    from geodata.provider import LayerProvider
    from geodata.statutory_file import statutory_report
    from geodata.store import GeoPackageStore

    plan = load_plan(Path(args.plan))
    provider = LayerProvider(GeoPackageStore(store).require())
    scenario = getattr(args, "scenario", None)
    if scenario:
        provider.view(scenario)  # an unknown scenario is named, not reported as the base
    report = allocation_report(provider, plan)
    statutory = statutory_report(provider, plan)
    if fmt == "json":
        print(report_json(report, statutory))
        return 0
    if fmt == "table":
        if scenario:
            print(f"scenario {scenario} (the base with its edits laid over it)\n")
        print(report_table(report) + "\n\n" + statutory_table(statutory))
        return 0
    from reports.records import document

    def map_html() -> str:
        from maps.allocation import allocation_html

        return allocation_html(provider, plan, report)

    data = export_bytes(fmt, document(report, statutory, provider.path.name), map_html, args.table or "allocation")
    if out is None:  # csv to the terminal, without the byte-order mark meant for Excel
        sys.stdout.write(data.decode("utf-8-sig"))
        return 0
    write_atomically(out, data)
    print(f"{out}  {fmt}  {len(data) / 1024:,.0f} kB  ({len(report.rows)} targets, {len(report.findings)} findings, "
          f"{len(statutory)} statutory rows)")
    return 0
