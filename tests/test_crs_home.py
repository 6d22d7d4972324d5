"""The metric and lon/lat CRS have one home: `zones/crs.py` (`METRIC`, `LON_LAT`).

Every other module, its docstrings, comments, messages, help texts and OpenAPI examples included,
names them through those constants, so moving the store to another metric system (EPSG:5179 for
national-scale parcels, say) is one edit and leaves no text behind that names the old one.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("zones", "geodata", "api", "maps", "cli")
HOME = Path("zones") / "crs.py"
LITERALS = ("EPSG:" + "5186", "EPSG:" + "4326")


def _occurrences() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if rel == HOME:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if any(literal in line for literal in LITERALS):
                    found.append(f"{rel}:{number}: {line.strip()}")
    return found


def test_the_crs_literals_live_only_in_zones_crs():
    found = _occurrences()
    assert not found, (f"{' / '.join(LITERALS)} written outside {HOME}; use zones.crs.METRIC / LON_LAT "
                       "(f-strings in messages, the constant's name in docstrings and comments):\n"
                       + "\n".join(found))


def test_the_home_defines_them():
    text = (ROOT / HOME).read_text(encoding="utf-8")
    assert f'METRIC = "{LITERALS[0]}"' in text and f'LON_LAT = "{LITERALS[1]}"' in text
