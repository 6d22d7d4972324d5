"""Finding the shapefiles of a continuous cadastral map, its text encoding and its CRS.

Inputs are the published zips (unpacked within limits by geodata/safe_unzip.py into a folder
beside the dataset), folders holding zips or shapefiles, or a .shp itself. The published .dbf
carries no code page (no .cpg, language byte 0); its text is cp949. A .cpg, when present, is
believed; otherwise the first records are decoded strictly as UTF-8 and, failing that, read as
cp949, so a file re-saved by QGIS in UTF-8 imports as well as the published one.
"""
from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyproj import CRS

from geodata import env_settings, safe_unzip
from geodata.cadastre.lsmd import ENCODING
from geodata.korean_crs import CrsProblem, CrsResolution, resolve
from geodata.safe_unzip import UNZIPPED_ENV, ZipLimits
from zones.errors import InvalidInput

# A province's shapefile unpacks to several GB (Gyeonggi-do's is the largest); the limit for
# cadastral zips is this unless ZONES_MAX_UNZIPPED_MB says otherwise.
CADASTRE_MAX_UNZIPPED_MB = 32 * 1024
SNIFF_RECORDS = 2000


class CadastreSourceError(InvalidInput):
    """An input that is not a cadastral shapefile (no .shp inside, no PNU/JIBUN fields)."""

    default_code = "not_a_cadastral_map"


@dataclass(frozen=True)
class Shapefile:
    path: Path  # the .shp
    dbf: Path  # its attribute table
    name: str  # how the user named it (the zip and member)
    encoding: str
    crs: CRS
    resolution: CrsResolution
    size_bytes: int  # .shp + .dbf: what the progress counts


def cadastre_limits() -> ZipLimits:
    """ZipLimits.from_env, with the larger unpacked size a province's cadastral map needs by default."""
    limits = ZipLimits.from_env()
    if os.environ.get(UNZIPPED_ENV):
        return limits
    return ZipLimits(CADASTRE_MAX_UNZIPPED_MB * env_settings.MIB, limits.max_ratio, limits.max_members)


def inputs(paths: list[Path]) -> list[Path]:
    """Zips and .shp files named, or found (not recursively) in the folders named, in name order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".zip", ".shp"))
            if not found:
                raise CadastreSourceError(f"{path}: the folder holds no .zip or .shp")
            out.extend(found)
        elif not path.exists():
            raise FileNotFoundError(2, "no such file", str(path))
        elif path.suffix.lower() in (".zip", ".shp"):
            out.append(path)
        else:
            raise CadastreSourceError(f"{path}: give a 연속지적도 zip (LSMD_CONT_LDREG_*.zip), a .shp or a folder")
    return out


@contextmanager
def opened(path: Path, scratch: Path) -> Iterator[list[Shapefile]]:
    """The shapefiles of one input, unpacked into `scratch` (a folder removed by the caller) if zipped."""
    if path.suffix.lower() == ".shp":
        yield [_describe(path, path.name)]
        return
    limits = cadastre_limits()
    safe_unzip.check_directory(path, path.name, limits)
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        safe_unzip.check_member_count(infos, path.name, limits)
        wanted = [i for i in infos if Path(i.filename).suffix.lower() in (".shp", ".shx", ".dbf", ".prj", ".cpg")]
        if not any(Path(i.filename).suffix.lower() == ".shp" for i in wanted):
            raise CadastreSourceError(f"{path.name}: the zip holds no .shp")
        safe_unzip.check_sizes(wanted, path.stat().st_size, path.name, limits)
        folder = scratch / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        dest = {i.filename: folder / Path(safe_unzip.member_name(i)).name for i in wanted}
        safe_unzip.extract(archive, wanted, dest, path.name, limits)
    shps = sorted(p for p in dest.values() if p.suffix.lower() == ".shp")
    yield [_describe(p, f"{path.name}:{p.name}") for p in shps]


def _describe(shp: Path, name: str) -> Shapefile:
    dbf = _sibling(shp, ".dbf")
    if dbf is None:
        raise CadastreSourceError(f"{name}: no .dbf beside the .shp, so no PNU or JIBUN")
    prj = _sibling(shp, ".prj")
    declared = CRS.from_wkt(prj.read_text(encoding="latin-1")) if prj is not None else None
    try:
        crs, resolution = resolve(declared, None, hint="a .prj ({code})")
    except CrsProblem as problem:
        raise CrsProblem(f"{name}: {problem.detail}", code=problem.code) from None
    return Shapefile(shp, dbf, name, detect_encoding(dbf, _sibling(shp, ".cpg")), crs, resolution,
                     shp.stat().st_size + dbf.stat().st_size)


def _sibling(shp: Path, suffix: str) -> Path | None:
    for candidate in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def detect_encoding(dbf: Path, cpg: Path | None = None) -> str:
    """The text encoding of a .dbf: its .cpg if any, else UTF-8 if the first records decode as such, else cp949."""
    if cpg is not None:
        declared = cpg.read_text(encoding="ascii", errors="replace").strip()
        if declared:
            return declared
    with open(dbf, "rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            raise CadastreSourceError(f"{dbf.name}: not a dBASE file (header too short)")
        header_len = int.from_bytes(head[8:10], "little")
        record_len = int.from_bytes(head[10:12], "little")
        fh.seek(header_len)
        sample = fh.read(record_len * SNIFF_RECORDS)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not merely a character cut at the sample's end
            return ENCODING
    return "utf-8"
