"""Parcels at scale: generate N lots, import them, read one complex's parcels, compute the land-use
shares on Dask and in memory.

`make bench-scale N=1000000` prints, for one N: the time to generate, to import (rows/s from the
zipped shapefile to the partitioned dataset), to read the parcels of one complex by its bounding
box (Bitgreen Gwangju phase 1 and the FEZ AI district, from the store; best of READS cold-
process reads, so the page cache is warm and the dataset's layout is what is measured), the
shares on a LocalCluster of this machine's cores and in one process (skipped above IN_MEMORY_MAX),
the time per million parcels of each step, the dataset's size on disk and the peak resident
memory of the whole process tree (this process, the Dask workers), sampled every 0.1 s with
psutil. Results are appended to bench/SCALE_RESULTS.md with the machine, the date and the load.
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
from geodata import DEFAULT_STORE
from geodata.cadastre.dataset import dataset_root, read_bbox
from geodata.cadastre.engine import dask_client, shares_dask, shares_in_memory
from geodata.cadastre.importer import import_parcels

HERE = Path(__file__).resolve().parent
IN_MEMORY_MAX = 2_000_000
READS = 5
COMPLEXES = (("bitgreen_complex", "bitgreen_gwangju_phase1", "Bitgreen Gwangju phase 1"),
             ("fez_districts", "fez_ai", "FEZ AI district"))
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


def complex_boxes() -> list[tuple[str, tuple[float, float, float, float]]]:
    """(name, bbox in `zones.crs.METRIC`) of the complexes whose parcels the benchmark reads."""
    from geodata.provider import LayerProvider
    from geodata.store import GeoPackageStore

    provider = LayerProvider(GeoPackageStore(DEFAULT_STORE))
    out = []
    for layer, feature, name in COMPLEXES:
        metric = provider.layer(layer).metric
        if feature is not None:
            metric = metric[metric["id"] == feature]
        out.append((name, tuple(float(v) for v in metric.total_bounds)))
    return out


def timed_read(root: Path, box: tuple[float, float, float, float]) -> tuple[float, int]:
    """Best of READS reads of the parcels in `box`: (seconds, parcels)."""
    best, rows = float("inf"), 0
    for _ in range(READS):
        t = time.perf_counter()
        frame, _ = read_bbox(root, box)
        best, rows = min(best, time.perf_counter() - t), len(frame)
    return best, rows


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the import's worker, the Dask workers once closed)."""
    t = psutil.Process().cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(n: int, sido: str, work: Path) -> list[tuple[str, float, str]]:
    shutil.rmtree(work, ignore_errors=True)
    rows: list[tuple[str, float, str]] = []
    boxes = complex_boxes()
    with PeakMemory() as peak:
        t = time.perf_counter()
        path = generate.write_sample(n, work / "in", sido, "202411")
        rows.append(("generate (zip written)", time.perf_counter() - t, "s"))
        rows.append(("zip size", path.stat().st_size / 2**20, "MiB"))
        t, cpu = time.perf_counter(), cpu_seconds()
        report = import_parcels([path], work / "store.gpkg", progress_stream=io.StringIO())
        took, cpu = time.perf_counter() - t, cpu_seconds() - cpu
        rows += [("import", took, "s"), ("import rate", report.rows_read / took, "parcels/s"),
                 ("import CPU time (all processes)", cpu, "CPU s"),
                 ("import rate per CPU second", report.rows_read / cpu, "parcels/CPU s")]
        root = dataset_root(work / "store.gpkg")
        rows.append(("dataset on disk", disk_bytes(root) / 2**20, "MiB"))
        path.unlink()
        for name, box in boxes:
            seconds, found = timed_read(root, box)
            rows += [(f"read {name} ({found:,} parcels by bbox)", seconds, "s (not per million)")]
        t = time.perf_counter()
        with dask_client() as client:
            t_ready = time.perf_counter()
            shares_dask(root, client)
            rows.append(("shares on Dask (LocalCluster start excluded)", time.perf_counter() - t_ready, "s"))
        rows.append(("LocalCluster start", t_ready - t, "s (not per million)"))
        if n <= IN_MEMORY_MAX:
            t = time.perf_counter()
            shares_in_memory(root)
            rows.append(("shares in memory", time.perf_counter() - t, "s"))
    per_m = [(f"{name} per million", value / n * 1e6, unit) for name, value, unit in rows if unit in ("s", "CPU s")]
    return rows + per_m + [("peak memory, process tree", peak.peak / 2**30, "GiB")]


def write_results(title: str, rows: list[tuple[str, float, str]], load_before: float) -> None:
    """Print the rows and append them to bench/SCALE_RESULTS.md under `title`, the date, the machine and
    its load average before and after the run (the machine is shared)."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## {title}, {stamp}, {platform.machine()}, {os.cpu_count()} cores, load average "
             f"{load_before:.1f} before / {os.getloadavg()[0]:.1f} after (shared machine)\n",
             "| step | value | unit |", "|---|---:|---|"]
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
    parser.add_argument("--keep", action="store_true", help="keep the generated dataset (deleted by default: GBs; "
                        "the --postgis run keeps its own per N)")
    parser.add_argument("--postgis", action="store_true",
                        help="instead: the checks beside PostGIS on N parcels (bench/scale_postgis.py)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    if args.postgis:
        from bench.scale_postgis import run as run_postgis

        write_results(f"checks beside PostGIS, N = {args.n:,} parcels (시도 {args.sido})",
                      run_postgis(args.n, args.sido, args.work), load_before)
        return
    write_results(f"N = {args.n:,} parcels (시도 {args.sido})", run(args.n, args.sido, args.work), load_before)
    if not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
