"""The layer catalogue: ids, bilingual titles and kinds of the store's layers."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geodata import LAYERS_FILE


@dataclass(frozen=True)
class LayerInfo:
    id: str
    title_ko: str
    title_en: str
    kind: str
    description: str

    @property
    def title(self) -> str:
        """Korean first, then English: the one title a GIS client's layer list shows."""
        return f"{self.title_ko} · {self.title_en}"


@lru_cache(maxsize=4)
def load_catalog(path: Path = LAYERS_FILE) -> dict[str, LayerInfo]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return {entry["id"]: LayerInfo(**entry) for entry in data["layer"]}


def zone_layer_ids(path: Path = LAYERS_FILE) -> list[str]:
    return [info.id for info in load_catalog(path).values() if info.kind == "zones"]
