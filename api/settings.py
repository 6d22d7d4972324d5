"""Configuration from the environment, read once per app instance."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from geodata import DEFAULT_STORE, PLAN_FILE

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024  # 10 MiB: thousands of surveyed parcels, not a DoS


@dataclass(frozen=True)
class Settings:
    store_path: Path
    plan_path: Path
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            store_path=Path(os.environ.get("ZONES_STORE") or DEFAULT_STORE),
            plan_path=Path(os.environ.get("ZONES_PLAN") or PLAN_FILE),
            max_body_bytes=_positive_int("ZONES_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        )


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of bytes, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value
