"""Configuration from the environment, read once per app instance."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from geodata import DEFAULT_STORE, PLAN_FILE
from geodata.retention import DEFAULT_KEEP_REVISIONS, keep_revisions_from_env

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024  # 10 MiB: thousands of surveyed parcels, not a DoS


@dataclass(frozen=True)
class Settings:
    store_path: Path
    plan_path: Path
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # (name, token) pairs allowed to write; empty = writes disabled. From ZONES_WRITE_TOKENS="name:token,...".
    write_tokens: tuple[tuple[str, str], ...] = ()
    max_upload_bytes: int = 200 * 1024 * 1024
    # Revisions per layer whose content stays restorable (None: all). From ZONES_KEEP_REVISIONS.
    keep_revisions: int | None = DEFAULT_KEEP_REVISIONS

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            store_path=Path(os.environ.get("ZONES_STORE") or DEFAULT_STORE),
            plan_path=Path(os.environ.get("ZONES_PLAN") or PLAN_FILE),
            max_body_bytes=_positive_int("ZONES_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            write_tokens=parse_write_tokens(os.environ.get("ZONES_WRITE_TOKENS", "")),
            max_upload_bytes=int(float(os.environ.get("ZONES_MAX_UPLOAD_MB") or 200) * 1024 * 1024),
            keep_revisions=keep_revisions_from_env(),
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


def parse_write_tokens(text: str) -> tuple[tuple[str, str], ...]:
    """"alice:s3cret,bob:t0ken" -> (("alice", "s3cret"), ("bob", "t0ken")); the name goes into the revision
    history, the token never does. An entry without a name is called token-N."""
    out = []
    for i, entry in enumerate((e.strip() for e in text.split(",")), start=1):
        if not entry:
            continue
        name, sep, token = entry.partition(":")
        if not sep:
            name, token = f"token-{i}", entry
        if token.strip():
            out.append((name.strip() or f"token-{i}", token.strip()))
    return tuple(out)
