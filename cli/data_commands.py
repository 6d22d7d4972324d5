"""`kizone import | export | revisions | restore | shares`: the store's data from the terminal."""
from __future__ import annotations

import argparse
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from geodata import DEFAULT_STORE, PLAN_FILE

EXPORT_FORMATS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile"}


def _store(args: argparse.Namespace):
    from geodata.store import GeoPackageStore

    return GeoPackageStore(Path(args.store or os.environ.get("ZONES_STORE") or DEFAULT_STORE)).require()


def cmd_import(args: argparse.Namespace) -> int:
    from geodata.layer_import import ImportOptions, import_file, write_report

    opts = ImportOptions(layer=args.layer, crs=args.crs, encoding=args.encoding, strict=args.strict,
                         source_layer=args.source_layer, token_name=os.environ.get("USER") or "local")
    result = import_file(_store(args), Path(args.file), opts)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report_path = Path(args.report or f"import-report-{args.layer}-{stamp}.json")
    write_report(result.report, report_path)
    print(result.summary)
    print(f"report: {report_path}")
    return 0 if result.accepted else 3


def cmd_export(args: argparse.Namespace) -> int:
    import pyogrio

    from geodata.store import check_layer_id

    out = Path(args.out)
    driver = EXPORT_FORMATS.get(out.suffix.lower())
    if driver is None:
        raise ValueError(f"cannot export to {out.name}: use .gpkg, .geojson or .shp")
    gdf = _store(args).read(check_layer_id(args.layer))
    if driver == "GeoJSON":
        gdf = gdf.to_crs("EPSG:4326")  # RFC 7946: lon/lat WGS84
    if out.exists():
        out.unlink()
    kwargs = {"encoding": "UTF-8"} if driver == "ESRI Shapefile" else {}
    pyogrio.write_dataframe(gdf, out, layer=args.layer, driver=driver, **kwargs)
    print(f"{args.layer}: {len(gdf)} features written to {out} ({driver}, {gdf.crs.to_string()})")
    if driver == "ESRI Shapefile" and any(len(c) > 10 for c in gdf.columns):
        print("note: Shapefile field names are cut to 10 characters; use .gpkg to keep them whole")
    return 0


def cmd_revisions(args: argparse.Namespace) -> int:
    revisions = _store(args).revisions(args.layer)
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in revisions], ensure_ascii=False, indent=2))
        return 0
    if not revisions:
        print(f"layer {args.layer}: no recorded revisions (the store has not been written to since it was built)")
        return 0
    print(f"{'rev':>4}  {'UTC time':27s}  {'token':10s}  {'features':>8}  {'checksum':12s}  action / source")
    for r in revisions:
        print(f"{r.revision:>4}  {r.created_utc:27s}  {r.token_name[:10]:10s}  {r.feature_count:>8}  "
              f"{r.checksum[:12]}  {r.action} {r.source_file} {r.note}".rstrip())
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    rev = _store(args).restore(args.layer, args.revision, token_name=os.environ.get("USER") or "local")
    print(f"layer {args.layer}: revision {args.revision} restored as revision {rev.revision} "
          f"({rev.feature_count} features, checksum {rev.checksum[:12]}…)")
    return 0


def cmd_shares(args: argparse.Namespace) -> int:
    from cli.shares_report import shares_table
    from geodata.provider import LayerProvider
    from geodata.share_file import load_shares, parcel_records
    from zones.shares import check_shares

    provider = LayerProvider(_store(args))
    shares = load_shares(Path(args.plan))
    report = check_shares(shares, parcel_records(provider, shares))
    if args.format == "json":
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(shares_table(report))
    return 0


def add_data_commands(sub) -> None:
    """Register the data subcommands on the `kizone` parser."""
    store_help = "GeoPackage store (default: $ZONES_STORE or the embedded store)"

    p = sub.add_parser("import", help="import a Shapefile (.shp/.zip), GeoPackage or GeoJSON as a layer",
                       description="Read, reproject to EPSG:5186, validate and store a layer as a new revision.")
    p.add_argument("file")
    p.add_argument("--layer", required=True, help="layer id to replace or create (e.g. parcels)")
    p.add_argument("--crs", help="CRS of the file when it has none or a wrong one (e.g. EPSG:5174)")
    p.add_argument("--encoding", help="attribute encoding of a Shapefile (utf-8, cp949, euc-kr); default from .cpg")
    p.add_argument("--source-layer", help="layer to read from a multi-layer GeoPackage")
    p.add_argument("--strict", action="store_true", help="refuse the import on any error; change nothing")
    p.add_argument("--report", help="where to write the JSON report (default: ./import-report-LAYER-TIME.json)")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="write a layer to .gpkg, .geojson (lon/lat) or .shp")
    p.add_argument("--layer", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("revisions", help="the revision history of a layer")
    p.add_argument("--layer", required=True)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=cmd_revisions)

    p = sub.add_parser("restore", help="make an earlier revision of a layer current again (as a new revision)")
    p.add_argument("--layer", required=True)
    p.add_argument("--revision", type=int, required=True)
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("shares", help="land-use shares of the parcels against the plan's shares")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--plan", default=str(PLAN_FILE), help="plan file with [[share]] entries")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=cmd_shares)
