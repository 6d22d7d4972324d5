"""Reading the layout settings (geodata/layout.toml) and posing a layout problem on the store.

The settings hold what only the layout optimiser needs: the links between facilities that
the `compact` objective shortens, and the zone whose land the `land` objective keeps whole.
A bad file stops with a message naming it and the entry at fault.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from geodata import DATA_DIR
from geodata.siting_rules import SitingService, layer_features, referenced_layers
from zones.errors import InvalidInput
from zones.siting.context import polygon_union
from zones.siting.layout.problem import DEFAULT_CELL_M, LayoutProblem, build_problem

LAYOUT_FILE = DATA_DIR / "layout.toml"


class LayoutSettingsError(InvalidInput):
    default_code = "invalid_layout_settings"


@dataclass(frozen=True)
class LayoutSettings:
    links: tuple[tuple[str, str, float], ...]
    land_layer: str | None
    land_feature: str | None


def settings_path() -> Path:
    return Path(os.environ.get("ZONES_LAYOUT_SETTINGS") or LAYOUT_FILE)


def load_settings(path: Path | None = None) -> LayoutSettings:
    path = Path(path or settings_path())
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LayoutSettingsError(f"cannot read layout settings {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LayoutSettingsError(f"{path.name}: not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - {"land", "link"})
    if unknown:
        raise LayoutSettingsError(f"{path.name}: unknown entry {unknown[0]!r}; expected [land] and [[link]]")
    links = []
    for n, entry in enumerate(raw.get("link", []), start=1):
        a, b, w = entry.get("a"), entry.get("b"), entry.get("weight", 1.0)
        if not (isinstance(a, str) and isinstance(b, str) and isinstance(w, (int, float)) and w > 0):
            raise LayoutSettingsError(f"{path.name}: link {n} needs facility ids a, b and a weight > 0")
        links.append((a, b, float(w)))
    land = raw.get("land", {})
    return LayoutSettings(tuple(links), land.get("layer"), land.get("feature"))


def layout_problem(service: SitingService, place: list[str] | None = None,
                   fixed: dict[str, BaseGeometry | str] | None = None, cell: float = DEFAULT_CELL_M,
                   settings: LayoutSettings | None = None) -> LayoutProblem:
    """The problem on the service's store and rules, with the settings' links and land zone."""
    settings = settings or load_settings()
    layers = layer_features(service.provider, referenced_layers(service.rules) | (
        {settings.land_layer} if settings.land_layer else set()))
    land = None
    if settings.land_layer:
        feats = layers.get(settings.land_layer, {})
        if settings.land_feature not in feats:
            raise LayoutSettingsError(f"layout settings: no feature {settings.land_feature!r} in layer "
                                      f"{settings.land_layer!r} for the land objective")
        ref = feats[settings.land_feature]
        land = (polygon_union({settings.land_feature: ref}), ref.name_ko, ref.name_en)
    return build_problem(service.context(), layers, place=place, fixed=fixed, cell=cell,
                         links=list(settings.links), land=land)
