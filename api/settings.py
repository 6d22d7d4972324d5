"""Configuration from the environment, read once per app instance."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from geodata import DEFAULT_STORE, PLAN_FILE, env_settings
from geodata.retention import DEFAULT_KEEP_REVISIONS, keep_revisions_from_env
from geodata.safe_unzip import ZipLimits
from geodata.store import geopackage_problem
from zones.errors import InvalidInput

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024  # 10 MiB: thousands of surveyed parcels, not a DoS
DEFAULT_MAX_UPLOAD_MB = 200  # a zipped Shapefile of a whole province's parcels
# --- HTTP exposure: links, cross-origin reads, slow clients -----------------------------------
DEFAULT_READ_TIMEOUT_S = 20.0  # a request's headers, and each gap in its body, within this (as Apache's reqtimeout)


@dataclass(frozen=True)
class Settings:
    store_path: Path
    plan_path: Path
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # (name, token) pairs allowed to write; empty = writes disabled. From ZONES_WRITE_TOKENS="name:token,...".
    write_tokens: tuple[tuple[str, str], ...] = ()
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    # Revisions per layer whose content stays restorable (None: all). From ZONES_KEEP_REVISIONS.
    keep_revisions: int | None = DEFAULT_KEEP_REVISIONS
    # How far an uploaded zip may unpack: ZONES_MAX_UNZIPPED_MB, ZONES_MAX_ZIP_RATIO, ZONES_MAX_ZIP_MEMBERS
    zip_limits: ZipLimits = field(default_factory=ZipLimits)
    # --- HTTP exposure (api.ogc links, api.app CORS, api.server_protocol read timeout) ---
    # Base of every absolute link (scheme://host[:port][/prefix]); None: the address the connection reached.
    public_url: str | None = None
    # Origins whose pages may read the API from a browser (CORS); empty: none ("*": any).
    cors_origins: tuple[str, ...] = ()
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S

    @classmethod
    def from_env(cls) -> "Settings":
        """Every ZONES_* variable, checked now: a bad value stops the start-up with a SettingError
        naming the variable and what it accepts, instead of a bare ValueError or a late failure."""
        return cls(
            store_path=_geopackage("ZONES_STORE", DEFAULT_STORE),
            plan_path=_existing_file("ZONES_PLAN", PLAN_FILE, "a plan TOML file like geodata/plan.toml"),
            max_body_bytes=_positive_int("ZONES_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            write_tokens=_write_tokens("ZONES_WRITE_TOKENS"),
            max_upload_bytes=_megabytes("ZONES_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB),
            keep_revisions=_keep_revisions(),
            zip_limits=_setting(ZipLimits.from_env),
            public_url=_public_url("ZONES_PUBLIC_URL"),
            cors_origins=_cors_origins("ZONES_CORS_ORIGINS"),
            read_timeout_s=read_timeout_s(),
        )


class SettingError(InvalidInput):
    """A ZONES_* environment variable with a value the server cannot use."""

    default_code = "invalid_setting"


def _raw(name: str) -> str | None:
    """The variable's value, or None when unset or blank (blank means the default)."""
    return env_settings.raw(name)


def _setting(read, *args):
    """A value read by geodata.env_settings (shared with the CLI), its refusal as a SettingError."""
    try:
        return read(*args)
    except InvalidInput as exc:
        raise SettingError(str(exc)) from None


def _existing_file(name: str, default: Path, what: str) -> Path:
    raw = _raw(name)
    if raw is None:
        return Path(default)
    path = Path(raw).expanduser()
    if not path.is_file():
        raise SettingError(f"{name}={raw!r}: no such file; {name} must name an existing file, {what} "
                           f"(leave it unset for the default {Path(default).name})")
    return path


def _geopackage(name: str, default: Path) -> Path:
    """An existing file that is a GeoPackage: any other file would start a server failing every read."""
    path = _existing_file(name, default, "a GeoPackage (.gpkg) store")
    problem = geopackage_problem(path)
    if problem:
        raise SettingError(f"{name}={str(path)!r}: {problem}; {name} must name a GeoPackage (.gpkg) store "
                           f"(leave it unset for the default {Path(default).name})")
    return path


def _positive_int(name: str, default: int) -> int:
    return _setting(env_settings.size, name, default, int, 1,
                    f"a whole number of bytes greater than 0, e.g. {name}={default}")


def _megabytes(name: str, default_mb: float) -> int:
    """A size in MiB (decimals allowed: 0.5 is 512 KiB) as bytes."""
    return _setting(env_settings.megabytes, name, default_mb)


def _write_tokens(name: str) -> tuple[tuple[str, str], ...]:
    raw = os.environ.get(name, "")
    for entry in (e.strip() for e in raw.split(",")):
        if ":" in entry and not entry.partition(":")[2].strip():
            raise SettingError(f"{name}: the entry {entry.partition(':')[0]!r} has no token; "
                               f"{name} accepts name:token pairs separated by commas, e.g. "
                               f"{name}=gis-office:change-me,survey:s3cret")
    return parse_write_tokens(raw)


def _keep_revisions() -> int | None:
    try:
        return keep_revisions_from_env()
    except ValueError as exc:
        raise SettingError(str(exc)) from None


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


# --- HTTP exposure ---------------------------------------------------------------------------

def _public_url(name: str) -> str | None:
    raw = _raw(name)
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise SettingError(f"{name}={raw!r}: must be the address clients use, scheme://host[:port][/prefix], "
                           f"e.g. {name}=https://gis.example.go.kr/zones (no query, no user)")
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise SettingError(f"{name}={raw!r}: the port is not a number") from None
    return raw.rstrip("/")


def _cors_origins(name: str) -> tuple[str, ...]:
    raw = _raw(name)
    if raw is None:
        return ()
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if origin != "*" and (parts.scheme not in ("http", "https") or not parts.hostname
                              or parts.path or parts.query or parts.fragment):
            raise SettingError(f"{name}: {origin!r} is not an origin; give scheme://host[:port] entries "
                               f"separated by commas, e.g. {name}=https://planning.example.go.kr, or * for any")
    return origins


def read_timeout_s() -> float:
    """ZONES_READ_TIMEOUT_S in seconds (also read on its own by api.server_protocol, which
    needs it before any app exists)."""
    return _setting(env_settings.positive_number, "ZONES_READ_TIMEOUT_S", DEFAULT_READ_TIMEOUT_S, "a number of seconds")
