"""`kizone`: reports and data management from the terminal."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from geodata import DEFAULT_STORE, PLAN_FILE
from zones.errors import ZonesError


def _store_path(arg: str | None) -> Path:
    return Path(arg or os.environ.get("ZONES_STORE") or DEFAULT_STORE)


def cmd_report(args: argparse.Namespace) -> int:
    from cli.report import run_report

    from geodata.views import viewing

    with viewing(args.scenario):  # every layer read as the scenario has it
        return run_report(args, _store_path(args.store))


def cmd_build_default(args: argparse.Namespace) -> int:
    from cli.output_paths import check_file
    from geodata.build_default import build

    for layer, gdf in build(check_file(Path(args.out), "--out"), force=args.force).items():
        print(f"{layer:28s} {len(gdf):4d} features")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    what = args.what or ["all"]
    if what[0] not in ("all", "layout", "diff", "compare") or (what[0] in ("all", "layout") and len(what) > 1):
        raise ValueError(f"kizone map {' '.join(what)}: use all, layout, diff LAYER R1 R2 or compare A B")
    if what[0] == "layout":
        from cli.layout import cmd_map_layout

        return cmd_map_layout(args, _store_path(args.store))
    from cli.maps import write_maps
    from cli.output_paths import check_folder
    from geodata.plan_file import load_plan
    from geodata.provider import LayerProvider
    from geodata.store import GeoPackageStore
    from maps.browser import BrowserUnavailable

    out = check_folder(Path(args.out), "--out")
    provider = LayerProvider(GeoPackageStore(_store_path(args.store)).require())
    if what[0] in ("diff", "compare"):
        from cli.scenario_commands import write_diff_map

        path = write_diff_map(provider, load_plan(Path(args.plan)), what, out)
        print(f"{path}  {path.stat().st_size / 1024:,.0f} kB")
        return 0
    try:
        paths = write_maps(provider, load_plan(Path(args.plan)), out, png=args.png, view=args.view)
    except BrowserUnavailable as exc:
        print(f"kizone: error: --png needs headless Chromium: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"{path}  {path.stat().st_size / 1024:,.0f} kB")
    return 0


# Subcommands whose options are defined by the heavy modules that run them (the layout search:
# GEOS, numba; the cadastre generator and importer: GeoPandas, PROJ; the parcel dataset's engine: Dask).
HEAVY_OPTIONS = ("map", "siting", "parcels-sample", "import-parcels", "parcels")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `kizone` parser. `command`: the subcommand about to run, when known. Every subcommand is
    always there; the options of HEAVY_OPTIONS are added only for that command, or for help (None),
    so `kizone shares` starts without importing the layout search or GeoPandas."""
    full = command is None or command in HEAVY_OPTIONS
    parser = argparse.ArgumentParser(prog="kizone", description="Korean industrial-zone planning tool")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="allocation check of the store against the plan")
    p.add_argument("--format", choices=("table", "json", "csv", "xlsx", "pdf"), default="table",
                   help="table (terminal), json, or a file to file: csv, xlsx, pdf (pdf needs chromium)")
    p.add_argument("--out", help="file to write (csv, xlsx, pdf; csv without it goes to the terminal)")
    p.add_argument("--table", choices=("allocation", "findings", "statutory"), default=None,
                   help="with --format csv: which table (default: allocation; one table a CSV)")
    p.add_argument("--store", help="GeoPackage to check (default: $ZONES_STORE or the embedded store)")
    p.add_argument("--plan", default=str(PLAN_FILE), help="plan targets file (TOML)")
    p.add_argument("--scenario", help="report on a scenario (see kizone scenario list) instead of the base")
    p.set_defaults(func=cmd_report)

    from cli.siting import add_parser as add_siting_parser
    add_siting_parser(sub, _store_path, layout=full)

    p = sub.add_parser("build-default", help="redraw the schematic default store from geodata/zone_specs.toml")
    p.add_argument("--out", default=str(DEFAULT_STORE),
                   help="GeoPackage to write (default: the embedded store; $ZONES_STORE is never used)")
    p.add_argument("--force", action="store_true",
                   help="overwrite even a store holding imported layers or revision history (they are lost)")
    p.set_defaults(func=cmd_build_default)

    p = sub.add_parser("map", help="write the web maps (overview, allocation, siting-<facility>); they work offline",
                       description="WHAT: all (default): every map of the store; layout: search a layout and map it "
                                   "(layout.html); diff LAYER R1 R2: what changed in a layer between two revisions; "
                                   "compare A B: two scenarios (either may be base).")
    p.add_argument("what", nargs="*", default=["all"], help="all | layout | diff LAYER R1 R2 | compare A B")
    p.add_argument("--out", default="out/maps", help="folder to write into (default: out/maps)")
    p.add_argument("--store", help="GeoPackage to map (default: $ZONES_STORE or the embedded store)")
    p.add_argument("--plan", default=str(PLAN_FILE), help="plan targets file (TOML)")
    p.add_argument("--png", action="store_true", help="also save a PNG of each map (needs chromium)")
    p.add_argument("--view", choices=("all", "gwangju", "jeonju"), default="",
                   help="the place the PNGs show (default: fitted to all data)")
    if full:
        from cli.layout import add_options as add_layout_options
        layout_options = p.add_argument_group("layout", "with `map layout`: the search's options")
        add_layout_options(layout_options, store=False)
    p.set_defaults(func=cmd_map)

    from cli.data_commands import add_data_commands
    add_data_commands(sub, dataset_options=full)
    from cli.scenario_commands import add_scenario_commands
    add_scenario_commands(sub)
    from cli.parcels import add_parcels_commands
    add_parcels_commands(sub, _store_path, cadastre_options=full)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(next((a for a in argv if not a.startswith("-")), None)).parse_args(argv)
    try:
        return args.func(args)
    except ZonesError as exc:  # every refusal of the tool: its message, one line (a batch lists its sites below)
        print(f"kizone: error: {exc.detail}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:  # a mistyped input path: the file named once, without errno
        print(f"kizone: error: {exc.filename}: no such file" if exc.filename else f"kizone: error: {exc}",
              file=sys.stderr)
        return 2
    except (OSError, ValueError, LookupError) as exc:  # a file that cannot be read or written, a bad value
        print(f"kizone: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
