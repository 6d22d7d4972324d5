"""Run the benchmarks, print a table and write it to bench/RESULTS.md.

Each module `bench/bench_*.py` exposes `run() -> list[Row]`; a Row states the
measured value next to its target so the table says pass or miss by itself.
Timings are wall-clock on this machine (2 cores) unless a row says otherwise (the siting
speed-up compares process CPU seconds, both paths timed alike, so a busy neighbour on the
shared cores does not tilt it); numbers vary by machine, so the file records when and where
they were taken.
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Row:
    area: str
    metric: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None


def discover(selected: list[str]) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    return names


def render(rows: list[Row]) -> str:
    header = ("area", "metric", "value", "unit", "target", "result")
    body = [(r.area, r.metric, f"{r.value:,.3f}".rstrip("0").rstrip("."), r.unit, r.target,
             "" if r.passed is None else ("pass" if r.passed else "MISS")) for r in rows]
    widths = [max(len(x[i]) for x in (header, *body)) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *[line(b) for b in body]])


def read_rows(path: Path) -> list[Row]:
    """The rows of a RESULTS.md table written by `render`."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] in ("area", "") or set(cells[0]) <= {"-"}:
            continue
        try:
            value = float(cells[2].replace(",", ""))
        except ValueError:
            continue
        passed = {"pass": True, "MISS": False}.get(cells[5])
        out.append(Row(cells[0], cells[1], value, cells[3], cells[4], passed))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="run only benchmarks whose module name contains one of these")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    rows: list[Row] = []
    for name in discover(args.only):
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        rows.extend(module.run())
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(render(rows))
    if args.only and args.out.exists():  # a partial run replaces only its own areas' rows
        ran = {r.area for r in rows}
        rows = [r for r in read_rows(args.out) if r.area not in ran] + rows
    table = render(rows)
    stamp = time.strftime("%Y-%m-%d %H:%M %Z")
    header = (f"# Benchmark results\n\nMeasured {stamp} on {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, by `make bench`.\n\n")
    args.out.write_text(header + table + "\n", encoding="utf-8")
    return 1 if any(r.passed is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
