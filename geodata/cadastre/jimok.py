"""The editable 지목 → land-use class mapping (geodata/jimok_classes.toml), read and checked."""
from __future__ import annotations

import tomllib
from pathlib import Path

from geodata import DATA_DIR
from zones.landuse_shares import class_of_jimok, jimok_groups

JIMOK_FILE = DATA_DIR / "jimok_classes.toml"
OTHER_USE = "other"  # the statutory use of a 지목 [statutory_uses] leaves out


def _read(path: Path) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def load_jimok_classes(path: Path = JIMOK_FILE) -> dict[str, str]:
    """{지목 code: land-use class} from the mapping file; refuses one that is not a partition of the 28 codes."""
    return class_of_jimok(_read(path)["classes"])


def load_statutory_uses(path: Path = JIMOK_FILE) -> dict[str, str]:
    """{지목 code: parcel use of the statutory rules} from `[statutory_uses]`; codes left out are OTHER_USE.
    Refuses an unknown code or one named under two uses."""
    return jimok_groups(_read(path).get("statutory_uses", {}), where=f"{path.name} [statutory_uses]: ", kind="")
