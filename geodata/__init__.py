"""Data and its I/O: the embedded GeoPackage store, the plan, the layer catalogue."""
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
DEFAULT_STORE = DATA_DIR / "default.gpkg"
PLAN_FILE = DATA_DIR / "plan.toml"
LAYERS_FILE = DATA_DIR / "layers.toml"
ZONE_SPECS_FILE = DATA_DIR / "zone_specs.toml"
