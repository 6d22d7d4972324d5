"""Reading the plan (plan.toml) into validated PlanTarget objects."""
from __future__ import annotations

import tomllib
from pathlib import Path

from geodata import PLAN_FILE
from zones.plan import PlanError, PlanTarget, validate_plan

_REQUIRED = ("id", "name_ko", "name_en", "layer", "features", "value", "unit", "tolerance_pct", "source")


def load_plan(path: Path = PLAN_FILE) -> list[PlanTarget]:
    """Targets in file order; a malformed file raises PlanError naming the file and target."""
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{path.name}: {exc}") from None
    targets = []
    for i, entry in enumerate(raw.get("target", []), start=1):
        missing = [k for k in _REQUIRED if k not in entry]
        if missing:
            raise PlanError(f"{path.name}: target #{i} ({entry.get('id', '?')}) lacks {', '.join(missing)}")
        entry = dict(entry)
        entry["features"] = tuple(entry["features"])
        entry["parts"] = tuple(entry.get("parts", ()))
        try:
            targets.append(PlanTarget(**entry))
        except TypeError as exc:
            raise PlanError(f"{path.name}: target {entry['id']!r}: {exc}") from None
    validate_plan(targets)
    return targets
