"""How much layer history the store keeps: the retention limit and the pruning it drives.

Every write copies the whole layer into the history, so a store that takes a
nightly import would grow without bound. The limit keeps the *content* of the
newest N revisions of each layer restorable and drops the content of older
ones. The revision *records* (number, time, token name, source file, feature
count, checksum) are a few hundred bytes each and stay for good, so the
history still says who changed what and when; a pruned revision is marked with
the time its content was dropped and can no longer be restored.

Pruning runs inside the write transaction that adds a revision (see
geodata.gpkg_tx), so the store is never half-pruned, and on demand with
`kizone prune`. Freed pages are reused by later writes; only VACUUM (never run
inside a write) gives them back to the file system.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass

from zones.errors import InvalidInput

KEEP_ENV = "ZONES_KEEP_REVISIONS"
# Fifty revisions are seven weeks of nightly imports or a year of weekly ones: enough to undo a
# bad import noticed late, while each layer's history stays within fifty copies of the layer.
DEFAULT_KEEP_REVISIONS = 50
KEEP_ALL = ("0", "all")


def parse_keep_revisions(raw: str | int | None, source: str = KEEP_ENV) -> int | None:
    """The number of revisions whose content is kept per layer; None keeps every revision.

    Empty means the default; "0" or "all" keep everything."""
    if raw is None or str(raw).strip() == "":
        return DEFAULT_KEEP_REVISIONS
    text = str(raw).strip().lower()
    if text in KEEP_ALL:
        return None
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"{source} must be a whole number of revisions to keep per layer, or 'all' "
                         f"(0 also keeps all); got {raw!r}") from None
    if value < 0:
        raise InvalidInput(f"{source} cannot be negative (got {value}); use 'all' to keep every revision")
    return value or None


def keep_revisions_from_env() -> int | None:
    return parse_keep_revisions(os.environ.get(KEEP_ENV), KEEP_ENV)


def describe_keep(keep: int | None) -> str:
    return "all revisions" if keep is None else f"the newest {keep} revision{'s' * (keep != 1)}"


@dataclass(frozen=True)
class PruneResult:
    """What one prune did to one layer's history."""
    layer: str
    dropped: tuple[int, ...]        # revisions whose content was dropped now
    features: int                   # stored features those revisions held
    content_bytes: int              # geometry and attribute bytes of those features
    restorable: tuple[int, ...]     # revisions still restorable afterwards

    @property
    def oldest_restorable(self) -> int | None:
        return min(self.restorable) if self.restorable else None

    def as_dict(self) -> dict:
        return {"layer": self.layer, "dropped": list(self.dropped), "features": self.features,
                "content_bytes": self.content_bytes, "oldest_restorable": self.oldest_restorable}


def prune_layer(con: sqlite3.Connection, layer: str, keep: int | None, now: str) -> PruneResult:
    """Drop the content of the layer's revisions older than the newest `keep`; the caller holds the
    write transaction (and has run ensure_history_tables), so this commits or rolls back with it."""
    if keep is not None and keep < 1:
        raise InvalidInput(f"cannot keep {keep} revisions: the current content is always kept (use None to keep all)")
    cutoff = None
    if keep is not None:
        row = con.execute("SELECT revision FROM main.zones_revisions WHERE layer = ? "
                          "ORDER BY revision DESC LIMIT 1 OFFSET ?", (layer, keep)).fetchone()
        cutoff = row[0] if row else None
    dropped: tuple[int, ...] = ()
    features = content_bytes = 0
    if cutoff is not None:
        dropped = tuple(r[0] for r in con.execute(
            "SELECT revision FROM main.zones_revisions WHERE layer = ? AND revision <= ? "
            "AND data_pruned_utc IS NULL ORDER BY revision", (layer, cutoff)))
    if dropped:
        features, content_bytes = con.execute(
            "SELECT count(*), coalesce(sum(length(geom)), 0) + coalesce(sum(length(CAST(properties AS BLOB))), 0) "
            "FROM main.zones_revision_data WHERE layer = ? AND revision <= ?", (layer, cutoff)).fetchone()
        con.execute("DELETE FROM main.zones_revision_data WHERE layer = ? AND revision <= ?", (layer, cutoff))
        from geodata.revision_index import drop_index  # numpy and GEOS only for a write

        drop_index(con, layer, cutoff)
        con.execute("UPDATE main.zones_revisions SET data_pruned_utc = ? WHERE layer = ? AND revision <= ? "
                    "AND data_pruned_utc IS NULL", (now, layer, cutoff))
    restorable = tuple(r[0] for r in con.execute(
        "SELECT revision FROM main.zones_revisions WHERE layer = ? AND data_pruned_utc IS NULL ORDER BY revision",
        (layer,)))
    return PruneResult(layer, dropped, int(features), int(content_bytes), restorable)


def history_layers(con: sqlite3.Connection) -> list[str]:
    """Every layer with recorded revisions, including ones no longer in the store."""
    return [r[0] for r in con.execute("SELECT DISTINCT layer FROM main.zones_revisions ORDER BY layer")]
