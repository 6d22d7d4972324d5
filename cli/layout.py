"""`kizone siting layout` and `kizone map layout`: place the core infrastructures all at once.

The search prints a progress line on stderr (time, best layout the checker passed, best bound,
gap, layouts found and rejected), then the layout: one row per site with its size and the
checker's verdict, or, when no layout exists, the rules in conflict with their numbers.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zones.crs import METRIC
from zones.siting.layout.problem import DEFAULT_CELL_M, OBJECTIVES


def add_options(p, store: bool = True) -> None:
    """The options shared by `siting layout` and `map layout` (whose parser has --store already)."""
    p.add_argument("--objective", choices=OBJECTIVES, default="compact",
                   help="compact: short links; land: the largest free block of the parts complex; "
                        "spacing: the largest smallest distance between sites (default compact)")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S", help="seconds of search (default 30)")
    p.add_argument("--fix", action="append", default=[], metavar="FACILITY=planned|WKT",
                   help=f"keep a facility where the store has it (planned) or on a WKT polygon in {METRIC}; repeatable")
    p.add_argument("--facilities", help="comma-separated facilities to place (default: all not fixed)")
    p.add_argument("--grid", type=float, default=DEFAULT_CELL_M, metavar="M", help=f"grid cell in m (default {DEFAULT_CELL_M:g})")
    if store:
        p.add_argument("--store", help="GeoPackage (default: $ZONES_STORE or the embedded store)")
    p.add_argument("--rules", type=Path, help="siting rules file (default: $ZONES_SITING_RULES or geodata/siting_rules.toml)")
    p.add_argument("--settings", type=Path, help="layout settings (default: $ZONES_LAYOUT_SETTINGS or geodata/layout.toml)")
    p.add_argument("--quiet", action="store_true", help="no progress line")


def add_parser(ssub: argparse._SubParsersAction, store_path) -> None:
    p = ssub.add_parser("layout", help="place the core infrastructures at once: the best layout every rule holds for")
    add_options(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--out", type=Path, help="also write the sites as GeoJSON (lon/lat) to this file")
    p.set_defaults(func=lambda a: cmd_layout(a, store_path(a.store)))


def parse_fixes(items: list[str]) -> dict:
    """`facility=planned` or `facility=POLYGON ((…))` (in `METRIC`) -> {facility: 'planned' | geometry}."""
    import shapely

    out: dict = {}
    for item in items:
        fid, sep, value = item.partition("=")
        if not sep or not fid or not value:
            raise ValueError(f"--fix {item!r}: write FACILITY=planned or FACILITY=WKT")
        if value.strip() == "planned":
            out[fid.strip()] = "planned"
            continue
        try:
            geom = shapely.from_wkt(value)
        except shapely.errors.GEOSException as exc:
            raise ValueError(f"--fix {fid}: not WKT ({exc})") from None
        if geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid:
            raise ValueError(f"--fix {fid}: the site must be a valid polygon in {METRIC}")
        out[fid.strip()] = geom
    return out


def run(args: argparse.Namespace, store: Path):
    """Pose the problem from the options and solve it, with a progress line on stderr."""
    from geodata.layout_settings import layout_problem, load_settings
    from cli.siting import _service
    from zones.siting.layout.solve import solve

    service = _service(args, store)
    place = [f.strip() for f in args.facilities.split(",") if f.strip()] if args.facilities else None
    problem = layout_problem(service, place=place, fixed=parse_fixes(args.fix), cell=args.grid,
                             settings=load_settings(args.settings))
    on_progress = None if args.quiet else progress_printer(args.objective)
    result = solve(problem, args.objective, time_limit_s=args.time_limit, on_progress=on_progress)
    if on_progress is not None:
        print(file=sys.stderr)
    return result


def progress_printer(objective: str):
    unit = "m²" if objective == "land" else "m"

    def show(p) -> None:
        inc = "–" if p.incumbent is None else f"{p.incumbent:,.0f} {unit}"
        bound = "–" if p.bound is None else f"{p.bound:,.0f} {unit}"
        gap = "–" if p.gap is None else f"{100 * p.gap:.2f} %"
        print(f"\r{p.elapsed_s:7.2f} s  best {inc}  bound {bound}  gap {gap}  "
              f"layouts {p.solutions} (rejected by the checker {p.rejected})   ", end="", file=sys.stderr, flush=True)
    return show


def cmd_layout(args: argparse.Namespace, store: Path) -> int:
    from zones.siting.layout.report import result_dict

    result = run(args, store)
    if args.out:
        from geodata.geojson_out import lonlat_geometry

        data = result_dict(result, lonlat_geometry)
        args.out.write_text(json.dumps(data["sites"], ensure_ascii=False, indent=1), encoding="utf-8")
    if args.format == "json":  # the sites in the store's metric CRS, at its precision (1 mm)
        import shapely

        from geodata.geojson_out import rounded
        from zones.crs import COORD_DECIMALS_METRES

        print(json.dumps(result_dict(result, lambda g: shapely.geometry.mapping(rounded([g], COORD_DECIMALS_METRES)[0])),
                         ensure_ascii=False, indent=2))
    else:
        print(table(result))
    return 0 if result.sites and result.passed else 1


def table(result) -> str:
    """The layout in the terminal: the numbers, one row per site, or the conflict."""
    from zones.siting.layout.report import site_rows

    unit = result.unit
    lines = [f"layout: {result.status}, objective {result.objective}"
             + ("" if result.value is None else f" {result.value:,.1f} {unit}")
             + ("" if result.bound is None else f", bound {result.bound:,.1f} {unit}")
             + ("" if result.gap is None else f", gap {100 * result.gap:.2f} %")
             + f", {result.time_s:.1f} s (first layout the checker passed: "
             + ("–" if result.first_passed_s is None else f"{result.first_passed_s:.2f} s") + ")",
             f"checker: {result.solutions} layouts found, {result.rejected} rejected; grid {result.cell:g} m"]
    if result.sites:
        head = ("facility", "role", "size m", "area m²", "verdict")
        rows = [(r["facility"], r["role"],
                 "" if r["width_m"] is None else f"{r['width_m']:,.0f} × {r['height_m']:,.0f}",
                 f"{r['area_m2']:,.0f}", "pass" if r["passed"] else "FAIL") for r in site_rows(result)]
        widths = [max(len(x[i]) for x in (head, *rows)) for i in range(len(head))]
        lines += ["", "  ".join(h.ljust(w) for h, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    if result.explanation is not None:
        e = result.explanation
        lines += ["", "no layout: these rules conflict" + (" (a minimal set)" if e.minimal else "")
                  + f", found in {e.time_s:.1f} s:" if e.found else "no layout, and no conflict was proved in the time"]
        for c in e.rules:
            lines += [f"  - {c.message_en}", f"    {c.message_ko}"]
    for item in result.checker_only:
        lines.append(f"note: {item['facility']}.{item['rule']} is checked by the checker only ({item['why']})")
    return "\n".join(lines)


def cmd_map_layout(args: argparse.Namespace, store: Path) -> int:
    """`kizone map layout`: solve, then write layout.html (and a PNG with --png) into --out."""
    from maps.layout import layout_html

    result = run(args, store)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from geodata.provider import LayerProvider
    from geodata.store import GeoPackageStore
    from cli.siting import _service

    provider = LayerProvider(GeoPackageStore(store).require())
    service = _service(args, store)
    path = out / "layout.html"
    path.write_text(layout_html(provider, service.context(), result), encoding="utf-8")
    written = [path]
    if args.png:
        from cli.maps import screenshots

        written += screenshots([path])
    for p in written:
        print(f"{p}  {p.stat().st_size / 1024:,.0f} kB")
    return 0 if result.sites else 1
