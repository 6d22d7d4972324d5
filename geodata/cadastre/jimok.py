"""The editable 지목 → land-use class mapping (geodata/jimok_classes.toml), read and checked."""
from __future__ import annotations

import tomllib
from pathlib import Path

from geodata import DATA_DIR
from zones.landuse_shares import class_of_jimok

JIMOK_FILE = DATA_DIR / "jimok_classes.toml"


def load_jimok_classes(path: Path = JIMOK_FILE) -> dict[str, str]:
    """{지목 code: land-use class} from the mapping file; refuses one that is not a partition of the 28 codes."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return class_of_jimok(data["classes"])
