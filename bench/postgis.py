"""A private PostgreSQL/PostGIS cluster for the side-by-side benchmarks, started and stopped by the bench.

The Debian packages (postgresql, postgresql-postgis, gdal-bin) are installed by tools/system-deps.sh.
The cluster lives in a temporary folder, listens only on a Unix socket there, and runs as the
`postgres` user when the bench runs as root (PostgreSQL refuses to run as root).
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

DB = "bench"
PORT = "54329"
SETTINGS = {"shared_buffers": "1GB", "work_mem": "64MB", "max_parallel_workers_per_gather": "2",
            "fsync": "on", "listen_addresses": "''"}


class PostgisUnavailable(RuntimeError):
    """PostgreSQL, PostGIS or ogr2ogr is missing here."""


@dataclass(frozen=True)
class Cluster:
    socket_dir: Path
    prefix: tuple[str, ...]  # runs a command as the cluster's owner

    @property
    def dsn(self) -> str:
        return f"PG:host={self.socket_dir} port={PORT} dbname={DB} user=postgres"

    def psql_args(self) -> list[str]:
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir), "-p", PORT, "-U", "postgres",
                "-d", DB]

    def psql(self, sql: str, *, timing: bool = False) -> tuple[str, list[float]]:
        """Run `sql` (statements separated by newlines); (output, server round-trip ms of each statement)."""
        script = ("\\timing on\n" if timing else "") + sql
        done = subprocess.run(self.psql_args() + ["-A", "-t", "-F", "|"], input=script, capture_output=True,
                              text=True, check=True)
        times = [float(t.replace(",", "")) for t in re.findall(r"^Time: ([\d.,]+) ms", done.stdout, re.MULTILINE)]
        out = "\n".join(line for line in done.stdout.splitlines() if not line.startswith("Time: "))
        return out, times


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgisUnavailable("no PostgreSQL server (Debian postgresql); run `make system-deps` as root")
    if not glob.glob("/usr/share/postgresql/*/extension/postgis.control"):
        raise PostgisUnavailable("no PostGIS extension (Debian postgresql-postgis); run `make system-deps` as root")
    if shutil.which("ogr2ogr") is None or shutil.which("psql") is None:
        raise PostgisUnavailable("ogr2ogr or psql missing (Debian gdal-bin, postgresql-client)")
    return Path(found[-1]).parent


@contextmanager
def cluster() -> Iterator[Cluster]:
    """Start a private cluster with PostGIS in a database `bench`; stopped and removed afterwards."""
    bindir = _bindir()
    folder = Path(tempfile.mkdtemp(prefix="kizone-postgis-"))
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        prefix = ("runuser", "-u", "postgres", "--")
        shutil.chown(folder, "postgres")
    data = folder / "data"
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
        options = " ".join(f"-c {k}={v}" for k, v in SETTINGS.items()) + f" -k {folder} -p {PORT}"
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                        "-w", "start"], check=True, capture_output=True)
        try:
            c = Cluster(folder, prefix)
            subprocess.run(["createdb", "-h", str(folder), "-p", PORT, "-U", "postgres", DB], check=True)
            c.psql("CREATE EXTENSION postgis;")
            yield c
        finally:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                           capture_output=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
