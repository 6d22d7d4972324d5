"""Parcels at scale: generate N lots, import them, compute the land-use shares on Dask and in memory.

`make bench-scale N=1000000` prints, for one N: the time to generate, to import (rows/s from the
zipped shapefile to the partitioned dataset), the shares on a LocalCluster of this machine's cores
and in one process (skipped above IN_MEMORY_MAX), the time per million parcels of each step, and
the peak resident memory of the whole process tree (this process, the Dask workers), sampled every
0.1 s with psutil. Results are appended to bench/SCALE_RESULTS.md with the machine and the date.
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

from geodata.cadastre import generate
from geodata.cadastre.dataset import dataset_root
from geodata.cadastre.engine import dask_client, shares_dask, shares_in_memory
from geodata.cadastre.importer import import_parcels

HERE = Path(__file__).resolve().parent
IN_MEMORY_MAX = 2_000_000
RESULTS = HERE / "SCALE_RESULTS.md"


class PeakMemory:
    """Peak summed RSS of this process and all its descendants, sampled in a thread."""

    def __init__(self, every_s: float = 0.1):
        self.every_s, self.peak, self._stop = every_s, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(self.every_s)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(n: int, sido: str, work: Path) -> list[tuple[str, float, str]]:
    shutil.rmtree(work, ignore_errors=True)
    rows: list[tuple[str, float, str]] = []
    with PeakMemory() as peak:
        t = time.perf_counter()
        lots = generate.lots(n, sido)
        path = generate.write_zip(lots, work / "in", sido, "202411")
        del lots
        rows.append(("generate (zip written)", time.perf_counter() - t, "s"))
        t = time.perf_counter()
        report = import_parcels([path], work / "store.gpkg", progress_stream=io.StringIO())
        took = time.perf_counter() - t
        rows += [("import", took, "s"), ("import rate", report.rows_read / took, "parcels/s")]
        root = dataset_root(work / "store.gpkg")
        t = time.perf_counter()
        with dask_client() as client:
            t_ready = time.perf_counter()
            shares_dask(root, client)
            rows.append(("shares on Dask (LocalCluster start excluded)", time.perf_counter() - t_ready, "s"))
        rows.append(("LocalCluster start", t_ready - t, "s"))
        if n <= IN_MEMORY_MAX:
            t = time.perf_counter()
            shares_in_memory(root)
            rows.append(("shares in memory", time.perf_counter() - t, "s"))
    per_m = [(f"{name} per million", value / n * 1e6, unit) for name, value, unit in rows
             if unit == "s" and name != "LocalCluster start"]
    return rows + per_m + [("peak memory, process tree", peak.peak / 2**30, "GiB")]


def write_results(title: str, rows: list[tuple[str, float, str]]) -> None:
    """Print the rows and append them to bench/SCALE_RESULTS.md under `title`, the date and the machine."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## {title}, {stamp}, {platform.machine()}, {os.cpu_count()} cores\n", "| step | value | unit |",
             "|---|---:|---|"]
    lines += [f"| {name} | {value:,.2f} | {unit} |" for name, value, unit in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--sido", default="29")
    parser.add_argument("--work", type=Path, default=Path("out/bench-scale"))
    parser.add_argument("--postgis", action="store_true",
                        help="instead: the checks beside PostGIS on N parcels (bench/scale_postgis.py)")
    args = parser.parse_args()
    if args.postgis:
        from bench.scale_postgis import run as run_postgis

        write_results(f"checks beside PostGIS, N = {args.n:,} parcels (시도 {args.sido})",
                      run_postgis(args.n, args.sido, args.work))
        return
    write_results(f"N = {args.n:,} parcels (시도 {args.sido})", run(args.n, args.sido, args.work))


if __name__ == "__main__":
    main()
