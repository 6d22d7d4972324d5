"""`kizone import | export | revisions | restore | prune | shares`: the store's data from the terminal."""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from geodata import DEFAULT_STORE, PLAN_FILE
from zones.crs import LON_LAT, METRIC
from zones.errors import InvalidInput

EXPORT_FORMATS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile"}


def _store(args: argparse.Namespace, keep: str | None = None):
    """The store named by --store or ZONES_STORE, with the retention limit of `keep` or ZONES_KEEP_REVISIONS."""
    from geodata.retention import keep_revisions_from_env, parse_keep_revisions
    from geodata.scratch import clean_stale
    from geodata.store import GeoPackageStore

    keep_revisions = keep_revisions_from_env() if keep is None else parse_keep_revisions(keep, "--keep")
    path = Path(args.store or os.environ.get("ZONES_STORE") or DEFAULT_STORE)
    clean_stale()  # scratch folders of writes killed mid-way (geodata.scratch)
    return GeoPackageStore(path, keep_revisions).require()


def _guard(store):
    """What a write must not break: the plan targets and siting rules the server reads (ZONES_PLAN,
    ZONES_SITING_RULES), bound to the store inside the write's transaction."""
    from geodata.provider import LayerProvider
    from geodata.siting_rules import rules_path
    from geodata.write_guard import Dependents

    plan = Path(os.environ.get("ZONES_PLAN") or PLAN_FILE)
    return Dependents.load(plan, rules_path()).guard(LayerProvider(store))


def cmd_import(args: argparse.Namespace) -> int:
    from cli.output_paths import check_file
    from cli.paths import existing_file
    from geodata.layer_import import ImportOptions, import_file, write_report
    from geodata.safe_unzip import ZipLimits

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report_path = check_file(Path(args.report or f"import-report-{args.layer}-{stamp}.json"), "--report")
    store = _store(args)
    opts = ImportOptions(layer=args.layer, crs=args.crs, encoding=args.encoding, strict=args.strict,
                         source_layer=args.source_layer, token_name=os.environ.get("USER") or "local",
                         zip_limits=ZipLimits.from_env(), guard=_guard(store))
    result = import_file(store, existing_file(args.file), opts)
    print(result.summary)
    try:
        write_report(result.report, report_path)
    except OSError as exc:  # checked writable above; the disk may still fill up meanwhile
        done = (f"the import is stored (revision {result.revision.revision})" if result.accepted
                else "the import was refused and nothing was stored")
        print(f"kizone: warning: {done}, but its report could not be written to {report_path} "
              f"({exc.strerror or exc})", file=sys.stderr)
    else:
        print(f"report: {report_path}")
    return 0 if result.accepted else 3


def cmd_export(args: argparse.Namespace) -> int:
    import pyogrio

    from cli.output_paths import OutputPathError, check_file
    from geodata.store import check_layer_id

    out = Path(args.out)
    driver = EXPORT_FORMATS.get(out.suffix.lower())
    if driver is None:
        raise InvalidInput(f"cannot export to {out.name}: use .gpkg, .geojson or .shp", code="unknown_format")
    check_file(out, "--out")
    gdf = _store(args).read(check_layer_id(args.layer))
    if driver == "GeoJSON":
        gdf = gdf.to_crs(LON_LAT)  # RFC 7946: lon/lat WGS84
    if out.exists():
        out.unlink()
    kwargs = {"encoding": "UTF-8"} if driver == "ESRI Shapefile" else {}
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        pyogrio.write_dataframe(gdf, out, layer=args.layer, driver=driver, **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise OutputPathError(f"--out {out}: the {driver} file could not be written ({exc})") from None
    print(f"{args.layer}: {len(gdf)} features written to {out} ({driver}, {gdf.crs.to_string()})")
    if driver == "ESRI Shapefile" and any(len(c) > 10 for c in gdf.columns):
        print("note: Shapefile field names are cut to 10 characters; use .gpkg to keep them whole")
    return 0


def cmd_revisions(args: argparse.Namespace) -> int:
    from geodata.retention import describe_keep
    from geodata.revisions import revision_ranges
    from geodata.store import UnknownLayer, check_layer_id

    store = _store(args)
    revisions = store.revisions(check_layer_id(args.layer))
    if not revisions and args.layer not in store.layer_ids():
        raise UnknownLayer(args.layer, store.layer_ids())  # a typo, not an unwritten layer
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in revisions], ensure_ascii=False, indent=2))
        return 0
    if not revisions:
        print(f"layer {args.layer}: no recorded revisions (the store has not been written to since it was built)")
        return 0
    print(f"{'rev':>4}  {'UTC time':27s}  {'token':10s}  {'features':>8}  {'checksum':12s}  {'restore':7s}  "
          "action / source")
    for r in revisions:
        print(f"{r.revision:>4}  {r.created_utc:27s}  {r.token_name[:10]:10s}  {r.feature_count:>8}  "
              f"{r.checksum[:12]}  {'yes' if r.restorable else 'pruned':7s}  "
              f"{_action_text(r)}")
    restorable = [r.revision for r in revisions if r.restorable]
    print(f"restorable: {revision_ranges(restorable) or 'none'}; the store keeps the content of "
          f"{describe_keep(store.keep_revisions)} per layer (ZONES_KEEP_REVISIONS)")
    return 0


def _action_text(r) -> str:
    """What a revision did, each fact once: a restore's note already names the action and its source
    ("restore of revision 1"), an import's names neither ("strict")."""
    note = (r.note or "").strip()
    parts = [] if note.startswith(r.action) else [r.action]
    if r.source_file and r.source_file not in note:
        parts.append(r.source_file)
    if note:
        parts.append(f"({note})" if parts else note)
    return " ".join(parts)


def cmd_restore(args: argparse.Namespace) -> int:
    from geodata.revisions import revision_ranges

    store = _store(args)
    rev = store.restore(args.layer, args.revision, token_name=os.environ.get("USER") or "local", guard=_guard(store))
    print(f"layer {args.layer}: revision {args.revision} restored as revision {rev.revision} "
          f"({rev.feature_count} features, checksum {rev.checksum[:12]}…)")
    pruned = store.pruned_by(rev)
    if pruned:
        print(f"history: the content of {revision_ranges(pruned)} was dropped by the retention limit "
              f"(ZONES_KEEP_REVISIONS); their records stay")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from geodata.retention import describe_keep
    from geodata.store import check_layer_id

    store = _store(args, args.keep)
    layers = [check_layer_id(layer) for layer in args.layer] or None
    results = store.prune(layers)
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        print(f"keeping the content of {describe_keep(store.keep_revisions)} per layer")
        for r in results:
            print(f"{r.layer}: {_prune_line(r)}")
        if not results:
            print("no recorded revisions: nothing to prune")
    if args.vacuum:
        before, after = store.vacuum()
        print(f"vacuum: {store.path.name} {_mb(before)} -> {_mb(after)} ({_mb(before - after)} returned to the disk)")
    elif any(r.dropped for r in results):
        print("the freed space is reused by later writes; --vacuum shrinks the file now")
    return 0


def _prune_line(r) -> str:
    from geodata.revisions import revision_ranges

    oldest = f"oldest restorable revision: {r.oldest_restorable}" if r.restorable else "no revision recorded"
    if not r.dropped:
        return f"nothing to drop; {oldest}"
    return (f"dropped the content of revision{'s' * (len(r.dropped) != 1)} {revision_ranges(list(r.dropped))} "
            f"({r.features:,} features, {_mb(r.content_bytes)}); records kept; {oldest}")


def _mb(n: int) -> str:
    return f"{n / 1e6:,.2f} MB" if abs(n) >= 100_000 else f"{n / 1e3:,.1f} kB"


def cmd_shares(args: argparse.Namespace) -> int:
    """One run from the terminal: the store file is read as it is (stored areas, one GROUP BY per
    group; geodata.share_file.shares_of_gpkg), without loading any layer."""
    from cli.shares_report import shares_table
    from geodata.share_file import load_shares, shares_of_gpkg
    from geodata.store import GeoPackageStore

    store = GeoPackageStore(Path(args.store or os.environ.get("ZONES_STORE") or DEFAULT_STORE)).require()
    report = shares_of_gpkg(store.path, load_shares(Path(args.plan)))
    if args.format == "json":
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(shares_table(report))
    return 0


def cmd_parcels_zone(args: argparse.Namespace) -> int:
    from cli.zone_parcels_report import zone_table
    from geodata.plan_file import load_plan
    from geodata.provider import LayerProvider
    from geodata.zone_parcels import zone_report

    provider = LayerProvider(_store(args))
    plan = load_plan(Path(args.plan))
    reports = [zone_report(provider, plan, ref, args.layer) for ref in args.zone]
    if args.format == "json":
        print(json.dumps(reports[0] if len(reports) == 1 else reports, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(zone_table(r) for r in reports))
    return 0


def add_data_commands(sub, dataset_options: bool = True) -> None:
    """Register the data subcommands on the `kizone` parser; `dataset_options=False` leaves out
    `parcels shares|zones|crosscheck` (their options come with the Dask engine), for a run of
    another command."""
    store_help = "GeoPackage store (default: $ZONES_STORE or the embedded store)"

    p = sub.add_parser("import", help="import a Shapefile (.shp/.zip), GeoPackage or GeoJSON as a layer",
                       description=f"Read, reproject to {METRIC}, validate and store a layer as a new revision.")
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

    p = sub.add_parser("prune", help="drop the content of revisions beyond the retention limit (records stay)",
                       description="Keep the content of the newest N revisions of each layer restorable and drop "
                                   "the content of older ones, in one transaction. Their records (who, when, what) "
                                   "stay in the history. Writes do this by themselves; run it after lowering the "
                                   "limit, or with --vacuum to give the space back to the disk.")
    p.add_argument("--layer", action="append", default=[], help="layer to prune (repeatable; default: every layer)")
    p.add_argument("--keep", help="revisions to keep per layer, or 'all' (default: $ZONES_KEEP_REVISIONS or 50)")
    p.add_argument("--vacuum", action="store_true", help="afterwards, rewrite the file without the freed space")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=cmd_prune)

    p = sub.add_parser("shares", help="land-use shares of the parcels against the plan's shares")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--plan", default=str(PLAN_FILE), help="plan file with [[share]] entries")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=cmd_shares)

    p = sub.add_parser("parcels", help="the parcels of a zone (see: kizone parcels zone --help)")
    parcels_sub = p.add_subparsers(dest="parcels_command", required=True)
    p = parcels_sub.add_parser(
        "zone", help="parcels inside a zone feature or plan target: area by use, crossing parcels",
        description="Parcels wholly inside the zone count whole; parcels crossing its boundary count with the exact "
                    f"planar ({METRIC}) area of their part inside. The same numbers as GET "
                    "/collections/LAYER/zone-summary?zone=ZONE.")
    p.add_argument("zone", nargs="+", help="<layer>:<feature id> (e.g. fez_districts:fez_ai) or plan:<target id>")
    p.add_argument("--layer", default="parcels", help="the parcel layer (default: parcels)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--plan", default=str(PLAN_FILE), help="plan file, for plan:<target id> zones")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=cmd_parcels_zone)
    if dataset_options:
        from cli.parcels import add_dataset_commands
        add_dataset_commands(parcels_sub)
