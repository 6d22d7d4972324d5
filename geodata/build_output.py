"""Where `kizone build-default` writes: the overwrite guard and the reproducible finish.

A rebuild replaces the whole file. A store that has been used (layers imported,
revisions recorded) holds work the recipe cannot redraw, so the build refuses to
overwrite it unless told to. The finish stamps the GeoPackage with fixed
timestamps and the catalogue's bilingual titles, so rebuilding an unchanged
recipe yields the same bytes and a tracked store does not change for nothing.
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from geodata.catalog import load_catalog
from zones.errors import Conflict


class StoreInUse(Conflict, ValueError):
    """The build would overwrite layers or history the recipe does not rebuild."""

    default_code = "store_in_use"


@dataclass(frozen=True)
class StoreContent:
    """What an existing store holds beyond what the recipe draws."""
    foreign_layers: tuple[str, ...]
    revisions: int
    revised_layers: tuple[str, ...]

    @property
    def would_lose_work(self) -> bool:
        return bool(self.foreign_layers or self.revisions)


def inspect_store(path: Path, recipe_layers: Iterable[str]) -> StoreContent:
    """Layers not built by the recipe, and the revisions recorded, in the GeoPackage at `path`."""
    if not path.exists():
        return StoreContent((), 0, ())
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreInUse(f"{path} is not a GeoPackage ({exc}); refusing to overwrite it "
                             "(pass --force to replace it anyway)") from None
        layers: set[str] = set()
        if "gpkg_contents" in tables:
            layers = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
        revisions, revised = 0, ()
        if "zones_revisions" in tables:
            revisions = con.execute("SELECT count(*) FROM zones_revisions").fetchone()[0]
            revised = tuple(r[0] for r in con.execute("SELECT DISTINCT layer FROM zones_revisions ORDER BY layer"))
    foreign = tuple(sorted(layers - set(recipe_layers) - {"zones_revisions", "zones_revision_data", "zones_store_state"}))
    return StoreContent(foreign, revisions, revised)


def refusal_message(path: Path, content: StoreContent) -> str:
    lost = []
    if content.foreign_layers:
        lost.append(f"layers the recipe does not build ({', '.join(content.foreign_layers)})")
    if content.revisions:
        lost.append(f"{content.revisions} recorded revision{'s' if content.revisions != 1 else ''} "
                    f"of {', '.join(content.revised_layers)}")
    return (f"refusing to overwrite {path}: it holds {' and '.join(lost)}, which a rebuild would lose. "
            "Write the default layers elsewhere with --out PATH, or pass --force to overwrite it.")


def fixed_timestamp(base_date: str) -> str:
    """The `last_change` stamped on every layer: SOURCE_DATE_EPOCH when set, else the recipe's base date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        moment = datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    else:
        moment = datetime.fromisoformat(base_date).replace(tzinfo=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def finish(path: Path, last_change: str) -> None:
    """Fixed timestamps, bilingual identifiers and descriptions; then VACUUM so pages are laid out alike."""
    catalog = load_catalog()
    con = sqlite3.connect(str(path), isolation_level=None)
    try:
        con.execute("BEGIN")
        for (table,) in con.execute("SELECT table_name FROM gpkg_contents").fetchall():
            info = catalog.get(table)
            ident = info.title if info else table
            desc = info.description if info else ""
            con.execute("UPDATE gpkg_contents SET last_change = ?, identifier = ?, description = ? "
                        "WHERE table_name = ?", (last_change, ident, desc, table))
        con.execute("COMMIT")
        con.execute("VACUUM")
    finally:
        con.close()
    _reset_change_counter(path)


def _reset_change_counter(path: Path) -> None:
    """Set SQLite's file change counter to 1, so two builds differ in nothing but content.

    The counter (header offset 24) counts write transactions, and GDAL's count varies from run
    to run; the "version-valid-for" number (offset 92) must equal it for the header's page count
    to be trusted. No connection is open here, so rewriting both is safe.
    """
    one = (1).to_bytes(4, "big")
    with open(path, "r+b") as f:
        for offset in (24, 92):
            f.seek(offset)
            f.write(one)
