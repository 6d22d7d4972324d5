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

    report = import_parcels([Path(p) for p in args.inputs], store_path(args.store), progress_stream=sys.stderr,
                            batch=args.batch)
    print(report.summary())
    for row in report.bad_rows[:args.show_bad]:
        print(f"  bad row {row['input']} #{row['row']} PNU {row['pnu']!r}: {row['reason']}")
    if args.report:
        write_report(report, Path(args.report))
        print(f"import report (every count, up to {len(report.bad_rows):,} bad rows listed): {args.report}")
    return 0


def cmd_parcels(args: argparse.Namespace, store_path: Callable[[str | None], Path]) -> int:
    from geodata.cadastre.dataset import dataset_root
    from geodata.cadastre.documents import crosscheck_document, document_csv, shares_document, zones_document

    store = store_path(args.store)
    root = dataset_root(store)
    if args.what == "crosscheck":
        doc = _on_engine(args, lambda client: crosscheck_document(root, client))
    else:
        provider, plan = _plan_store(store, args.plan)
        if args.what == "zones":
            doc = _on_engine(args, lambda client: zones_document(root, provider, plan, args.targets, client))
        else:
            doc = _on_engine(args, lambda client: shares_document(root, args.by, provider, plan, client))
    if args.format == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    elif args.format == "csv":
        sys.stdout.write(document_csv(doc, args.table or _default_table(args.what)))
    else:
        from cli.parcel_tables import TERMINAL

        print(TERMINAL[args.what](doc))
    return 0


def _default_table(what: str) -> str:
    from geodata.cadastre.documents import TABLES

    return TABLES[what][0]


def _plan_store(store: Path, plan_arg: str | None):
    """(provider, plan targets): the zone polygons of the GeoPackage and the plan that names them."""
    import os

    from geodata import PLAN_FILE
    from geodata.plan_file import load_plan
    from geodata.provider import LayerProvider
    from geodata.store import GeoPackageStore

    plan = load_plan(Path(plan_arg or os.environ.get("ZONES_PLAN") or PLAN_FILE))
    return LayerProvider(GeoPackageStore(store).require()), plan


def add_parcels_commands(sub: argparse._SubParsersAction, store_path: Callable[[str | None], Path],
                         cadastre_options: bool = True) -> None:
    """`kizone parcels-sample` and `kizone import-parcels`; `cadastre_options=False` leaves out the
    options that come from the cadastre modules (the generator's, the importer's batch size: they
    import GeoPandas, PROJ), for a run of another command."""
    p = sub.add_parser("parcels-sample", help="write a GENERATED 연속지적도 zip in the published shape")
    if cadastre_options:
        from geodata.cadastre.generate import add_options, run

        add_options(p)
        p.set_defaults(func=run)

    p = sub.add_parser("import-parcels", help="import 연속지적도 zips (LSMD_CONT_LDREG_*) into the parcel dataset")
    p.add_argument("inputs", nargs="+", help="zips, .shp files or folders of them; each 시도 is replaced whole")
    p.add_argument("--store", help="GeoPackage the dataset sits beside (default: $ZONES_STORE or the embedded store)")
    p.add_argument("--report", help="write the import report (JSON, with the bad rows) to this file")
    p.add_argument("--show-bad", type=int, default=20, help="bad rows to print (all are counted; default 20)")
    if cadastre_options:
        from geodata.cadastre.importer import BATCH

        p.add_argument("--batch", type=int, default=BATCH,
                       help=f"records read and checked at a time (default {BATCH:,}; fewer use less memory)")
    p.set_defaults(func=lambda a: cmd_import_parcels(a, store_path))



def add_dataset_commands(parcels_sub: argparse._SubParsersAction) -> None:
    """`kizone parcels shares|zones|crosscheck`: beside `kizone parcels zone`, over the GeoParquet dataset."""
    from cli.main import _store_path
    from geodata.cadastre.documents import SHARES_BY, TABLES

    for what, text in (("shares", "land-use (지목) shares by 시군구, or by complex with the statutory ratios"),
                       ("zones", "the parcels of each plan target's zone with the exact area of each inside it"),
                       ("crosscheck", "parcels of the dataset lying outside the legal dong their PNU names")):
        p = parcels_sub.add_parser(what, help=text + " (over the parcel dataset; Dask or in memory)")
        p.set_defaults(what=what)
        p.add_argument("--store", help="GeoPackage the dataset sits beside (default: $ZONES_STORE or the embedded store)")
        p.add_argument("--format", choices=("table", "json", "csv"), default="table")
        p.add_argument("--table", choices=TABLES[what],
                       help=f"the table --format csv writes (default {TABLES[what][0]})")
        p.add_argument("--engine", choices=("dask", "memory"), default="dask",
                       help="dask (default; $ZONES_DASK_SCHEDULER or a LocalCluster) or memory (one process)")
        p.add_argument("--scheduler", help="Dask scheduler address (default: $ZONES_DASK_SCHEDULER)")
        if what != "crosscheck":
            p.add_argument("--plan", help="plan file (default: $ZONES_PLAN or geodata/plan.toml)")
        if what == "shares":
            p.add_argument("--by", choices=SHARES_BY, default="sigungu",
                           help="sigungu (default) or complex (the complexes of geodata/statutory.toml, with the "
                                "statutory ratios)")
        if what == "zones":
            p.add_argument("targets", nargs="*", help="plan target ids (default: every plan target with a zone)")
        p.set_defaults(func=lambda a: cmd_parcels(a, _store_path))


def _on_engine(args: argparse.Namespace, compute: Callable[[Any], Any]) -> Any:
    """The same computation in this process (`--engine memory`, client None) or on a Dask cluster."""
    if args.engine == "memory":
        return compute(None)
    from geodata.cadastre.engine import dask_client

    with dask_client(args.scheduler) as client:
        return compute(client)
