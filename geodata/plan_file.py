"""Reading the plan (plan.toml): area targets (`[[target]]`) and land-use shares (`[[share]]`)."""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from geodata import PLAN_FILE
from zones.plan import Figure, PlanError, PlanTarget, validate_plan

T = TypeVar("T")

_REQUIRED = ("id", "name_ko", "name_en", "layer", "features", "value", "unit", "tolerance_pct", "source")


def read_entries(path: Path, table: str, required: tuple[str, ...], build: Callable[[dict], T],
                 error: type[ValueError]) -> list[T]:
    """The `[[table]]` entries of a TOML file, built in file order.

    A malformed file raises `error` naming the file, the entry's position and id, and
    what is wrong, so a planner editing the file by hand can find the line.
    """
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path.name}: {exc}") from None
    out = []
    for i, entry in enumerate(raw.get(table, []), start=1):
        missing = [k for k in required if k not in entry]
        if missing:
            raise error(f"{path.name}: {table} #{i} ({entry.get('id', '?')}) lacks {', '.join(missing)}")
        try:
            out.append(build(dict(entry)))
        except TypeError as exc:
            raise error(f"{path.name}: {table} {entry['id']!r}: {exc}") from None
    return out


def _target(entry: dict) -> PlanTarget:
    entry["features"] = tuple(entry["features"])
    entry["parts"] = tuple(entry.get("parts", ()))
    entry["dongs"] = tuple(entry.get("dongs", ()))
    entry["other_figures"] = tuple(Figure(**fig) for fig in entry.get("other_figures", ()))
    return PlanTarget(**entry)


def load_plan(path: Path = PLAN_FILE) -> list[PlanTarget]:
    """Targets in file order; a malformed file raises PlanError naming the file and target."""
    targets = read_entries(path, "target", _REQUIRED, _target, PlanError)
    validate_plan(targets)
    return targets
