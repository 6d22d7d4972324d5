"""`kizone scenario create|list|show|edit|compare|promote|delete` and `kizone diff LAYER R1 R2`."""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from geodata import PLAN_FILE


def _who() -> str:
    return os.environ.get("USER") or "local"


def _provider(args: argparse.Namespace):
    from cli.data_commands import _store
    from geodata.provider import LayerProvider

    return LayerProvider(_store(args))


def _dependents():
    from geodata.plan_file import load_plan
    from geodata.siting_rules import load_rules, rules_path
    from geodata.write_guard import Dependents

    return Dependents(tuple(load_plan(_plan_path())), load_rules(rules_path())[0])


def _plan_path() -> Path:
    return Path(os.environ.get("ZONES_PLAN") or PLAN_FILE)


def _num(v, fmt: str = ",.0f") -> str:
    return "-" if v is None else format(v, fmt)


def _signed(v: float | None, fmt: str = ",.0f") -> str:
    """A difference with its sign; one that rounds to nothing is 0, not -0."""
    if v is None:
        return "-"
    text = format(v, "+" + fmt)
    return "0" if text.lstrip("+-").strip("0.,") == "" else text


def cmd_create(args: argparse.Namespace) -> int:
    from geodata.scenarios import create_scenario

    meta = create_scenario(_provider(args).path, args.id, args.title, args.note or "", _who())
    print(f"scenario {meta.id} created by {meta.created_by} at {meta.created_utc}: {meta.title}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from geodata.scenarios import list_scenarios

    items = list_scenarios(_provider(args).path)
    if args.format == "json":
        print(json.dumps([s.as_dict() for s in items], ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("no scenarios (the store as it is is `base`); create one with: kizone scenario create ID --title …")
        return 0
    print(f"{'id':24s}  {'rev':>3}  {'by':10s}  {'created (UTC)':27s}  {'promoted':8s}  title")
    for s in items:
        print(f"{s.id:24s}  {s.revision:>3}  {s.created_by[:10]:10s}  {s.created_utc:27s}  "
              f"{'yes' if s.promoted else 'no':8s}  {s.title}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from geodata.scenarios import scenario_revisions

    provider = _provider(args)
    view = provider.view(args.id)
    meta = view.scenario
    revisions = scenario_revisions(provider.path, args.id)
    if args.format == "json":
        print(json.dumps({**meta.as_dict(), "layers": {k: {"features_put": len(e.puts), "ids_removed": len(e.deletes)}
                                                        for k, e in view.edits.items()},
                          "revisions": [r.__dict__ for r in revisions]}, ensure_ascii=False, indent=2))
        return 0
    print(f"scenario {meta.id}: {meta.title}")
    if meta.note:
        print(f"note: {meta.note}")
    print(f"made by {meta.created_by} at {meta.created_utc}; revision {meta.revision}"
          + (f"; promoted by {meta.promoted_by} at {meta.promoted_utc}" if meta.promoted else ""))
    for layer, e in view.edits.items():
        print(f"  {layer}: {len(e.puts)} feature(s) put ({', '.join(map(str, e.puts['id'][:8]))}), "
              f"{len(e.deletes)} removed")
    for r in revisions:
        counts = f" ({r.replaced} replaced, {r.added} added, {r.removed} removed)" if r.action == "edit" else ""
        print(f"  rev {r.revision:>3}  {r.created_utc}  {r.token_name:10s}  {r.action} {r.layer or ''}{counts}")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from cli.paths import existing_file
    from geodata.importers import read_any
    from geodata.layer_import import ImportOptions, prepare
    from geodata.scenario_ops import edit_layer
    from geodata.scenarios import describe_scenario

    provider = _provider(args)
    if args.file is None:
        if args.title is None and args.note is None:
            raise ValueError("kizone scenario edit: give a FILE with --layer, or --title / --note")
        meta = describe_scenario(provider.path, args.id, title=args.title, note=args.note, token_name=_who())
        print(f"scenario {meta.id}: revision {meta.revision}, title {meta.title!r}")
        return 0
    if not args.layer:
        raise ValueError("kizone scenario edit: --layer names the layer the file edits")
    provider.view(args.id)  # an unknown scenario is named before the file is read
    read = read_any(existing_file(args.file), encoding=args.encoding)
    gdf, report, refused = prepare(read, ImportOptions(layer=args.layer, crs=args.crs, strict=args.strict))
    if refused:
        print("REFUSED, scenario unchanged: " + "; ".join(refused))
        return 3
    result = edit_layer(provider, args.id, args.layer, gdf, merge=args.merge, token_name=_who(),
                        dependents=_dependents())
    rev = result.revision
    print(f"scenario {args.id}: revision {rev.revision} sets layer {args.layer}: {rev.replaced} replaced, "
          f"{rev.added} added, {rev.removed} removed (against the base)")
    _print_changes(result.diff.changes)
    return 0


def _print_changes(changes, limit: int = 25) -> None:
    """The first `limit` changes, one line each (the JSON output lists every one)."""
    for c in changes[:limit]:
        print("  " + _change_line(c))
    if len(changes) > limit:
        print(f"  … and {len(changes) - limit:,} more (--format json lists them all)")


def _change_line(c) -> str:
    text = f"{c.change:9s} {c.id}"
    if c.id_before:
        text += f" (was {c.id_before})"
    if c.change == "moved":
        text += f"  {c.shift_m:,.1f} m {c.direction} ({c.bearing_deg:.0f}°)"
    if c.change in ("reshaped", "added", "removed"):
        text += f"  {_num(c.area_before_m2)} -> {_num(c.area_after_m2)} m²"
    if c.changed_attributes:
        text += f"  attributes: {', '.join(c.changed_attributes)}"
    return text


def cmd_promote(args: argparse.Namespace) -> int:
    from geodata.scenario_ops import promote

    revisions = promote(_provider(args), args.id, token_name=_who(), dependents=_dependents())
    print(f"scenario {args.id} promoted into the base: "
          + ", ".join(f"{layer} revision {r.revision} ({r.feature_count} features)" for layer, r in revisions.items()))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from geodata.scenarios import delete_scenario

    meta = delete_scenario(_provider(args).path, args.id)
    print(f"scenario {meta.id} deleted ({meta.title}); the base is unchanged")
    return 0


def comparison(provider, a: str, b: str):
    from geodata.plan_compare import compare_states, plan_state
    from geodata.plan_file import load_plan
    from geodata.siting_rules import load_rules, rules_path

    plan, rules = load_plan(_plan_path()), load_rules(rules_path())[0]
    va, vb = provider.view(a), provider.view(b)
    layers = sorted({*getattr(va, "edits", {}), *getattr(vb, "edits", {})})
    return compare_states(plan_state(va, a, plan, rules, _plan_path()), plan_state(vb, b, plan, rules, _plan_path()),
                          va, vb, rules, layers)


def cmd_compare(args: argparse.Namespace) -> int:
    from geodata.plan_compare import comparison_csv

    cmp = comparison(_provider(args), args.a, args.b)
    if args.format == "xlsx":
        from cli.output_paths import check_file
        from geodata.plan_compare import comparison_xlsx

        if not args.out:
            raise ValueError("kizone scenario compare --format xlsx needs --out FILE")
        out = check_file(Path(args.out), "--out")
        out.write_bytes(comparison_xlsx(cmp))
        print(f"{out}  xlsx  {len(cmp.rows)} rows, {sum(len(d.changes) for d in cmp.layers)} features that differ")
        return 0
    if args.format == "json":
        print(json.dumps(cmp.as_dict(), ensure_ascii=False, indent=2))
        return 0
    if args.format == "csv":
        print(comparison_csv(cmp), end="")
        return 0
    shown = cmp.rows if args.all else [r for r in cmp.rows if r.changed]
    print(f"{args.a} vs {args.b}: {len(shown)} of {len(cmp.rows)} rows differ"
          f"{'' if args.all else ' (--all shows every row)'}")
    print(f"{'kind':9s}  {'id':30s}  {'A':>14}  {'B':>14}  {'B - A':>12}  {'B - A (평)':>10}  status")
    for r in shown:
        d = r.difference
        unit_fmt = ",.0f" if r.unit == "m2" else ".2f"
        status = f"{r.status_a} -> {r.status_b}" if r.status_changed else r.status_a
        if r.faults_changed and not r.status_changed:
            status += " (findings changed)"
        pyeong = "" if r.unit != "m2" or d is None else _signed(d * 121 / 400)
        diff = _signed(d, unit_fmt) + ("" if r.unit == "m2" or d is None else " pts")
        print(f"{r.kind:9s}  {r.id[:30]:30s}  {_num(r.value_a, unit_fmt):>14}  {_num(r.value_b, unit_fmt):>14}  "
              f"{diff:>12}  {pyeong:>10}  {status}")
        for fault in sorted(set(r.faults_b) - set(r.faults_a)):
            print(f"{'':11s}+ {fault}")
        for fault in sorted(set(r.faults_a) - set(r.faults_b)):
            print(f"{'':11s}- {fault}")
    for d in cmp.layers:
        print(f"features that differ in {d.layer}:")
        _print_changes(d.changes)
    for note in cmp.notes:
        print(f"note: {note}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from geodata.diff_impact import revision_diff
    from geodata.layer_diff import changes_frame
    from geodata.plan_file import load_plan
    from geodata.siting_rules import load_rules, rules_path
    from geodata.store import check_layer_id
    from zones.crs import LON_LAT

    provider = _provider(args)
    result = revision_diff(provider, load_plan(_plan_path()), load_rules(rules_path())[0], check_layer_id(args.layer),
                           args.r1, args.r2, impact=args.format != "geojson")
    if args.format == "json":
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    if args.format == "geojson":
        from geodata.geojson_out import feature_collection

        print(json.dumps(feature_collection(changes_frame(result.diff).to_crs(LON_LAT)), ensure_ascii=False))
        return 0
    d, s = result.diff, result.diff.summary
    print(f"layer {d.layer}: {d.before} -> {d.after}")
    print("  ".join(f"{k}: {v}" for k, v in s.counts.items()) + f"  unchanged: {s.unchanged}")
    print(f"area added {s.area_added_m2:,.0f} m², removed {s.area_removed_m2:,.0f} m², "
          f"net change {_signed(s.area_change_m2)} m² (planar EPSG:5186)")
    _print_changes(d.changes)
    if result.rows:
        print("allocation rows:")
        for r in result.rows:
            status = f"{r.status_a} -> {r.status_b}" if r.status_changed else r.status_a
            diff = _signed(r.difference)
            print(f"  {r.kind:9s} {r.id:30s} {_num(r.value_a):>12} -> {_num(r.value_b):>12} ({diff})  {status}")
    return 0


def write_diff_map(provider, plan, what: list[str], out: Path) -> Path:
    """`diff LAYER R1 R2` or `compare A B` as one offline page in `out`."""
    from geodata.diff_impact import revision_diff
    from geodata.siting_rules import load_rules, rules_path
    from maps.diff_map import diff_map_html

    if what[0] == "diff" and len(what) == 4:
        layer, r1, r2 = what[1], _revision(what[2]), _revision(what[3])
        result = revision_diff(provider, plan, load_rules(rules_path())[0], layer, r1, r2)
        html = diff_map_html(provider.view("base"), [result.diff], result.rows, result.diff.before, result.diff.after)
        path = out / f"diff-{layer}-{r1}-{r2}.html"
    elif what[0] == "compare" and len(what) == 3:
        a, b = what[1], what[2]
        cmp = comparison(provider, a, b)
        html = diff_map_html(provider.view(b), cmp.layers, cmp.rows, a, b, "compare")
        path = out / f"compare-{a}-{b}.html"
    else:
        raise ValueError(f"kizone map {' '.join(what)}: use `kizone map diff LAYER R1 R2` or `kizone map compare A B`")
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def _revision(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"revision {text!r} is not a number (see kizone revisions --layer LAYER)") from None


def add_scenario_commands(sub) -> None:
    store_help = "GeoPackage store (default: $ZONES_STORE or the embedded store)"
    p = sub.add_parser("scenario", help="plan scenarios: named edits over the base layers, compared and promoted")
    ssub = p.add_subparsers(dest="scenario_command", required=True)

    q = ssub.add_parser("create", help="create a scenario (it reads as the base until edited)")
    q.add_argument("id", help="lower-case letters, digits, '_' and '-'")
    q.add_argument("--title", required=True)
    q.add_argument("--note")
    q.set_defaults(func=cmd_create)

    q = ssub.add_parser("list", help="the scenarios in the store")
    q.add_argument("--format", choices=("table", "json"), default="table")
    q.set_defaults(func=cmd_list)

    q = ssub.add_parser("show", help="one scenario: who, when, its edits and history")
    q.add_argument("id")
    q.add_argument("--format", choices=("table", "json"), default="table")
    q.set_defaults(func=cmd_show)

    q = ssub.add_parser("edit", help="set a scenario's version of a layer from a file, or change its title/note",
                        description="FILE holds the layer as the scenario should have it (as an import takes it); "
                                    "with --merge only the features it holds are replaced or added.")
    q.add_argument("id")
    q.add_argument("file", nargs="?")
    q.add_argument("--layer")
    q.add_argument("--merge", action="store_true", help="replace or add only the file's features (by id)")
    q.add_argument("--crs", help="CRS of the file when it has none (e.g. EPSG:5186)")
    q.add_argument("--encoding", help="attribute encoding of a Shapefile")
    q.add_argument("--strict", action="store_true", help="refuse the edit on any validation error")
    q.add_argument("--title")
    q.add_argument("--note")
    q.set_defaults(func=cmd_edit)

    q = ssub.add_parser("compare", help="two scenarios side by side (either may be base)")
    q.add_argument("a")
    q.add_argument("b")
    q.add_argument("--format", choices=("table", "json", "csv", "xlsx"), default="table")
    q.add_argument("--out", help="with --format xlsx: the file to write")
    q.add_argument("--all", action="store_true", help="every row, not only those that differ")
    q.set_defaults(func=cmd_compare)

    q = ssub.add_parser("promote", help="write a scenario's edits into the base (one transaction)")
    q.add_argument("id")
    q.set_defaults(func=cmd_promote)

    q = ssub.add_parser("delete", help="delete a scenario and its history (the base is not touched)")
    q.add_argument("id")
    q.set_defaults(func=cmd_delete)

    for q in ssub.choices.values():
        q.add_argument("--store", help=store_help)

    p = sub.add_parser("diff", help="what changed in a layer between two revisions, and in the allocation")
    p.add_argument("layer")
    p.add_argument("r1", type=int)
    p.add_argument("r2", type=int)
    p.add_argument("--format", choices=("table", "json", "geojson"), default="table")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=cmd_diff)
