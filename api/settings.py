"""Configuration from the environment, read once per app instance."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from geodata import DEFAULT_STORE, PLAN_FILE


@dataclass(frozen=True)
class Settings:
    store_path: Path
    plan_path: Path

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            store_path=Path(os.environ.get("ZONES_STORE") or DEFAULT_STORE),
            plan_path=Path(os.environ.get("ZONES_PLAN") or PLAN_FILE),
        )
