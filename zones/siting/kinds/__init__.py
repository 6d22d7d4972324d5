"""The built-in siting rule kinds, one module each; importing this package registers them.

A module here writes one `RuleKind` record (zones/siting/registry.py) and passes
it to `register_kind`; modules starting with `_` hold what two kinds share. The
order below is the order in which `KINDS` lists them.
"""
from zones.siting.kinds import (  # noqa: F401  (imported for their registration)
    within, in_dongs, min_area, max_area, min_width, setback, clearance, adjacency, no_overlap,
)
