"""`kizone siting`: check a candidate site from a GeoJSON file, or the stored sites, in the terminal."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from typing import TYPE_CHECKING

from zones.crs import METRIC

if TYPE_CHECKING:
    from zones.siting import SiteCheck


def add_parser(sub: argparse._SubParsersAction, store_path, layout: bool = True) -> None:
    """`kizone siting check|report|layout`; `layout=False` leaves out `layout` (its options come from
    the layout search's modules), for a run of another command."""
    p = sub.add_parser("siting", help="facility-siting checks of the seven core infrastructures")
    ssub = p.add_subparsers(dest="siting_command", required=True)

    c = ssub.add_parser("check", help="check the site(s) in a GeoJSON file against a facility's rules")
    c.add_argument("file", type=Path, help="GeoJSON geometry, Feature or FeatureCollection (lon/lat unless --crs)")
    c.add_argument("--facility", help="facility id (else each feature's properties.facility)")
    c.add_argument("--crs", help=f"CRS of the file's coordinates, e.g. {METRIC} (default lon/lat WGS84)")
    _common(c)
    c.set_defaults(func=lambda a: cmd_check(a, store_path(a.store)))

    r = ssub.add_parser("report", help="which stored core-infrastructure sites pass their rules")
    _common(r)
    r.set_defaults(func=lambda a: cmd_report(a, store_path(a.store)))

    if layout:
        from cli.layout import add_parser as add_layout_parser
        add_layout_parser(ssub, store_path)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--store", help="GeoPackage (default: $ZONES_STORE or the embedded store)")
    p.add_argument("--rules", type=Path, help="siting rules file (default: $ZONES_SITING_RULES or geodata/siting_rules.toml)")


def _service(args: argparse.Namespace, store: Path):
    from geodata.provider import LayerProvider
    from geodata.siting_rules import SitingService
    from geodata.store import GeoPackageStore

    return SitingService(LayerProvider(GeoPackageStore(store).require()), args.rules)


def cmd_check(args: argparse.Namespace, store: Path) -> int:
    from geodata.geojson_in import GeoInputFault, load_json
    from geodata.site_candidates import check_sites

    data = load_json(args.file.read_bytes(), str(args.file))
    if isinstance(data, dict) and data.get("type") not in ("Feature", "FeatureCollection"):
        data = {"geometry": data}  # a bare geometry
    if isinstance(data, dict):
        if args.facility:
            data.setdefault("facility", args.facility)
        if args.crs:
            data["crs"] = args.crs
    service = _service(args, store)
    try:
        checks, _ = check_sites(service.context(), json.dumps(data), str(args.file))
    except GeoInputFault as exc:
        raise GeoInputFault(exc.kind, input_error(args.file, exc), exc.location, **exc.facts) from None
    print(_json(checks) if args.format == "json" else "\n\n".join(table(c) for c in checks))
    return 0 if all(c.passed for c in checks) else 1


def input_error(path: Path, exc) -> str:
    """The refusal in the API's words; a batch with several faulty features lists each on its own line."""
    lines = [f"{path}: {exc.detail}"]
    errors = exc.facts.get("errors", [])
    if len(errors) > 1:
        lines += [f"  {e['detail']}" + (f" (id {e['id']})" if e["id"] is not None else "") for e in errors]
        faulty = exc.facts.get("faulty_features", len(errors))
        if faulty > len(errors):
            lines.append(f"  … and {faulty - len(errors):,} more")
    return "\n".join(lines)


def cmd_report(args: argparse.Namespace, store: Path) -> int:
    from zones.siting import check_planned

    checks = check_planned(_service(args, store).context())
    if args.format == "json":
        print(_json(checks))
    else:
        print("\n\n".join(table(c) for c in checks))
        passed = sum(c.passed for c in checks)
        print(f"\n{passed} of {len(checks)} stored sites pass (every rule value is an assumption; "
              "see geodata/siting_rules.toml)")
    return 0


def _json(checks: list[SiteCheck]) -> str:
    return json.dumps([c.as_dict() for c in checks], ensure_ascii=False, indent=2)


def heading(check: SiteCheck) -> str:
    """The facility by its Korean and English names, its id in brackets (what the rules file and the
    API use) and the candidate's id when it has its own."""
    names = " · ".join(n for n in (check.name_ko, check.name_en) if n)
    ids = check.facility + (f", site {check.id}" if check.id and check.id != check.facility else "")
    return f"{names} ({ids})" if names else ids


def table(check: SiteCheck) -> str:
    """One site's rules as aligned columns, English message then Korean."""
    head = ("rule", "result", "measured", "threshold", "unit", "message")
    rows = [(r.rule, "pass" if r.passed else "FAIL", "-" if r.measured is None else f"{r.measured:,.1f}",
             f"{r.threshold:,.1f}", r.unit, r.message_en) for r in check.rules]
    widths = [max(len(x[i]) for x in (head, *rows)) for i in range(len(head) - 1)]

    def fmt(cells: tuple[str, ...]) -> str:
        left = [cells[0].ljust(widths[0]), cells[1].ljust(widths[1])]
        nums = [c.rjust(w) for c, w in zip(cells[2:4], widths[2:4])]
        return "  ".join([*left, *nums, cells[4].ljust(widths[4]), cells[5]])

    label = heading(check)
    lines = [f"{label}: {'PASS' if check.passed else 'FAIL'}", fmt(head), "  ".join("-" * w for w in [*widths, 7])]
    for r, row in zip(check.rules, rows):
        lines.append(fmt(row))
        lines.append(" " * (sum(widths) + 2 * len(widths)) + r.message_ko)
    return "\n".join(lines)
