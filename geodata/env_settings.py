"""Reading ZONES_* environment variables that both the server and `kizone` honour.

The server reads its settings once at start-up (api.settings) and the CLI per command; the
limits that guard an import (geodata.zip_limits) must mean the same in both, so the parsing
lives here, below both. A bad value raises `InvalidInput` naming the variable and what it
accepts; the server turns that into its start-up error, the CLI into one line.

>>> import os
>>> os.environ["ZONES_DOCTEST_MB"] = "0.5"
>>> megabytes("ZONES_DOCTEST_MB", 200)
524288
>>> os.environ["ZONES_DOCTEST_MB"] = "lots"
>>> megabytes("ZONES_DOCTEST_MB", 200)
Traceback (most recent call last):
...
zones.errors.InvalidInput: ZONES_DOCTEST_MB='lots': must be a number of megabytes (MiB) greater than 0, e.g. ZONES_DOCTEST_MB=200 or ZONES_DOCTEST_MB=0.5
>>> del os.environ["ZONES_DOCTEST_MB"]
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable

from zones.errors import InvalidInput

MIB = 1024 * 1024


def raw(name: str) -> str | None:
    """The variable's value, or None when unset or blank (blank means the default)."""
    value = os.environ.get(name)
    return value.strip() if value and value.strip() else None


def size(name: str, default: float, parse: Callable[[str], float], unit: int, accepts: str) -> int:
    """A positive size in bytes from `name`, read with `parse` in units of `unit` bytes."""
    text = raw(name)
    if text is None:
        return int(default * unit)
    try:
        value = float(parse(text))
    except ValueError:
        value = math.nan
    result = int(value * unit) if math.isfinite(value) else 0
    if value <= 0 or result <= 0:
        raise InvalidInput(f"{name}={text!r}: must be {accepts}", code="invalid_setting", variable=name)
    return result


def megabytes(name: str, default_mb: float) -> int:
    """A size in MiB (decimals allowed: 0.5 is 512 KiB) as bytes."""
    return size(name, default_mb, float, MIB,
                f"a number of megabytes (MiB) greater than 0, e.g. {name}={default_mb:g} or {name}=0.5")


def positive_number(name: str, default: float, what: str) -> float:
    """A finite number greater than 0 (decimals allowed), e.g. a ratio."""
    text = raw(name)
    if text is None:
        return float(default)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InvalidInput(f"{name}={text!r}: must be {what} greater than 0, e.g. {name}={default:g}",
                           code="invalid_setting", variable=name)
    return value


def whole_number(name: str, default: int, what: str) -> int:
    """A whole number greater than 0."""
    return size(name, default, int, 1, f"a whole number of {what} greater than 0, e.g. {name}={default}")
