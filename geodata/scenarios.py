"""Scenarios: named sets of feature edits laid over the base store, kept inside the GeoPackage.

A planner weighs alternatives ("move the theme park north") without touching the layers
every report reads. A scenario records, per layer, the features it replaces or adds and the
ids it removes, relative to the base; reading a scenario is the base with those edits laid
over it (geodata.views), so a later import into the base shows through wherever the scenario
did not edit. The base is the scenario `base`.

Three attribute tables (registered in gpkg_contents, so QGIS lists them and a copy of the
store carries them):
- `zones_scenarios`: one row per scenario: id, title, note, who made it (token name), when,
  its current revision, and, once promoted, when, by whom and the base revisions it made;
- `zones_scenario_revisions`: the scenario's own history, one row per change (created,
  described, a layer edited, promoted) with who and when;
- `zones_scenario_edits`: the edits, each row one feature put (geometry as WKB in EPSG:5186,
  attributes as JSON) or one id removed, under the revision that set its layer's edits.

Every change is one transaction (geodata.gpkg_tx.write_transaction); editing or deleting a
scenario never writes a base layer. Promoting writes the scenario's layers into the base as
new revisions and marks the scenario promoted, in one transaction, through the write guard.
"""
from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.gpkg_tx import read_generation_in, replace_layers_tx, utc_now, write_transaction
from geodata.revisions import Revision, connect, quote, table_exists
from zones.crs import METRIC
from zones.errors import Conflict, InvalidInput, NotFound

SCENARIO_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
BASE = "base"

SCENARIO_DDL = (
    """CREATE TABLE IF NOT EXISTS zones_scenarios (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        note TEXT NOT NULL,
        created_utc TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_utc TEXT NOT NULL,
        revision INTEGER NOT NULL,
        promoted_utc TEXT,
        promoted_by TEXT,
        promoted_revisions TEXT)""",
    """CREATE TABLE IF NOT EXISTS zones_scenario_revisions (
        scenario TEXT NOT NULL,
        revision INTEGER NOT NULL,
        created_utc TEXT NOT NULL,
        token_name TEXT NOT NULL,
        action TEXT NOT NULL,
        layer TEXT,
        note TEXT NOT NULL,
        replaced INTEGER NOT NULL DEFAULT 0,
        added INTEGER NOT NULL DEFAULT 0,
        removed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (scenario, revision))""",
    """CREATE TABLE IF NOT EXISTS zones_scenario_edits (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scenario TEXT NOT NULL,
        revision INTEGER NOT NULL,
        layer TEXT NOT NULL,
        feature_id TEXT NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('put', 'delete')),
        geom BLOB,
        properties TEXT)""",
    "CREATE INDEX IF NOT EXISTS zones_scenario_edits_key ON zones_scenario_edits (scenario, layer, revision)",
)
SCENARIO_TABLES = {
    "zones_scenarios": "Plan scenarios: named edits over the base layers (kizone)",
    "zones_scenario_revisions": "History of every scenario (kizone)",
    "zones_scenario_edits": "Features each scenario puts or removes, per layer (kizone)",
}


class UnknownScenario(NotFound):
    default_code = "unknown_scenario"

    def __init__(self, scenario: str, known: list[str]):
        super().__init__(f"no scenario {scenario!r}; scenarios: {', '.join([BASE, *known])}",
                         scenario=scenario, known=[BASE, *known])


class ScenarioExists(Conflict):
    default_code = "scenario_exists"


class ScenarioPromoted(Conflict):
    default_code = "scenario_promoted"


class InvalidScenarioId(InvalidInput):
    default_code = "invalid_scenario_id"


def check_scenario_id(scenario: str) -> str:
    if scenario == BASE or not SCENARIO_ID_RE.match(scenario or ""):
        raise InvalidScenarioId(
            f"scenario id {scenario!r} is not allowed: use 1-63 lower-case letters, digits, '_' and '-', "
            f"starting with a letter or digit, and not {BASE!r} (the store as it is)", scenario=scenario)
    return scenario


@dataclass(frozen=True)
class LayerEdits:
    """One layer's edits in a scenario: features put (metric, with `id` and attributes) and ids removed."""
    puts: gpd.GeoDataFrame
    deletes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not len(self.puts) and not self.deletes


@dataclass(frozen=True)
class ScenarioRevision:
    revision: int
    created_utc: str
    token_name: str
    action: str
    layer: str | None
    note: str
    replaced: int = 0
    added: int = 0
    removed: int = 0


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    note: str
    created_utc: str
    created_by: str
    updated_utc: str
    revision: int
    promoted_utc: str | None = None
    promoted_by: str | None = None
    promoted_revisions: dict[str, int] = field(default_factory=dict)

    @property
    def promoted(self) -> bool:
        return self.promoted_utc is not None

    def as_dict(self) -> dict:
        return {**asdict(self), "promoted": self.promoted}


def ensure_scenario_tables(con: sqlite3.Connection) -> None:
    for ddl in SCENARIO_DDL:
        con.execute(ddl)
    for table, description in SCENARIO_TABLES.items():
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
            "VALUES (?, 'attributes', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", (table, table, description))


def _scenario(row) -> Scenario:
    *head, promoted = row
    return Scenario(*head, promoted_revisions=json.loads(promoted) if promoted else {})


_COLUMNS = ("id, title, note, created_utc, created_by, updated_utc, revision, promoted_utc, promoted_by, "
            "promoted_revisions")


def _read(path: Path, fn):
    con = connect(Path(path))
    try:
        con.execute("BEGIN")
        if not table_exists(con, "main", "zones_scenarios"):
            con.execute("COMMIT")
            return fn(None)
        out = fn(con)
        con.execute("COMMIT")
        return out
    finally:
        con.close()


def list_scenarios(path: Path) -> list[Scenario]:
    return _read(path, lambda con: [] if con is None else [
        _scenario(r) for r in con.execute(f"SELECT {_COLUMNS} FROM zones_scenarios ORDER BY created_utc, id")])


def get_scenario(path: Path, scenario: str) -> Scenario:
    return _read(path, lambda con: _get(con, scenario))


def _get(con: sqlite3.Connection | None, scenario: str) -> Scenario:
    row = None if con is None else con.execute(f"SELECT {_COLUMNS} FROM zones_scenarios WHERE id = ?",
                                               (scenario,)).fetchone()
    if row is None:
        known = [] if con is None else [r[0] for r in con.execute("SELECT id FROM zones_scenarios ORDER BY id")]
        raise UnknownScenario(scenario, known)
    return _scenario(row)


def scenario_revisions(path: Path, scenario: str) -> list[ScenarioRevision]:
    def read(con):
        _get(con, scenario)
        return [ScenarioRevision(*r) for r in con.execute(
            "SELECT revision, created_utc, token_name, action, layer, note, replaced, added, removed "
            "FROM zones_scenario_revisions WHERE scenario = ? ORDER BY revision", (scenario,))]
    return _read(path, read)


def scenario_state(path: Path, scenario: str) -> tuple[Scenario, dict[str, LayerEdits]]:
    """The scenario and its current edits per layer, from one read transaction."""
    def read(con):
        meta = _get(con, scenario)
        return meta, _edits(con, scenario)
    return _read(path, read)


def _edits(con: sqlite3.Connection, scenario: str) -> dict[str, LayerEdits]:
    out: dict[str, LayerEdits] = {}
    layers = con.execute("SELECT layer, max(revision) FROM zones_scenario_revisions WHERE scenario = ? "
                         "AND action = 'edit' GROUP BY layer ORDER BY layer", (scenario,)).fetchall()
    for layer, revision in layers:
        rows = con.execute("SELECT feature_id, op, geom, properties FROM zones_scenario_edits WHERE scenario = ? "
                           "AND layer = ? AND revision = ? ORDER BY id", (scenario, layer, revision)).fetchall()
        puts = [r for r in rows if r[1] == "put"]
        records = [json.loads(r[3]) for r in puts]
        frame = pd.DataFrame.from_records(records) if records else pd.DataFrame({"id": pd.Series(dtype=object)})
        frame["id"] = [r[0] for r in puts]
        geoms = shapely.from_wkb(np.asarray([r[2] for r in puts], dtype=object)) if puts else []
        gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index, crs=METRIC), crs=METRIC)
        edits = LayerEdits(gdf, tuple(r[0] for r in rows if r[1] == "delete"))
        if not edits.empty:
            out[layer] = edits
    return out


def _next_revision(con: sqlite3.Connection, scenario: str) -> int:
    row = con.execute("SELECT max(revision) FROM zones_scenario_revisions WHERE scenario = ?", (scenario,)).fetchone()
    return 1 if row[0] is None else int(row[0]) + 1


def _record(con: sqlite3.Connection, scenario: str, token_name: str, action: str, note: str,
            layer: str | None = None, counts: tuple[int, int, int] = (0, 0, 0)) -> int:
    revision = _next_revision(con, scenario)
    now = utc_now()
    con.execute("INSERT INTO zones_scenario_revisions (scenario, revision, created_utc, token_name, action, layer, "
                "note, replaced, added, removed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (scenario, revision, now, token_name, action, layer, note, *counts))
    con.execute("UPDATE zones_scenarios SET revision = ?, updated_utc = ? WHERE id = ?", (revision, now, scenario))
    return revision


def create_scenario(path: Path, scenario: str, title: str, note: str = "", token_name: str = "local") -> Scenario:
    check_scenario_id(scenario)
    if not (title or "").strip():
        raise InvalidInput("a scenario needs a title (what alternative it stands for)", code="scenario_title")
    with write_transaction(Path(path)) as con:
        ensure_scenario_tables(con)
        if con.execute("SELECT 1 FROM zones_scenarios WHERE id = ?", (scenario,)).fetchone():
            raise ScenarioExists(f"scenario {scenario!r} exists already; pick another id or edit it",
                                 scenario=scenario)
        now = utc_now()
        con.execute("INSERT INTO zones_scenarios (id, title, note, created_utc, created_by, updated_utc, revision) "
                    "VALUES (?, ?, ?, ?, ?, ?, 0)", (scenario, title.strip(), note or "", now, token_name, now))
        _record(con, scenario, token_name, "create", title.strip())
        return _get(con, scenario)


def describe_scenario(path: Path, scenario: str, *, title: str | None, note: str | None,
                      token_name: str = "local") -> Scenario:
    """Change a scenario's title or note (a revision of its own)."""
    if title is not None and not title.strip():
        raise InvalidInput("a scenario's title cannot be empty", code="scenario_title")
    with write_transaction(Path(path)) as con:
        ensure_scenario_tables(con)
        meta = _get(con, scenario)
        con.execute("UPDATE zones_scenarios SET title = ?, note = ? WHERE id = ?",
                    (meta.title if title is None else title.strip(), meta.note if note is None else note, scenario))
        _record(con, scenario, token_name, "describe", "title or note changed")
        return _get(con, scenario)


def delete_scenario(path: Path, scenario: str) -> Scenario:
    """Remove a scenario, its history and its edits; no base layer is touched."""
    with write_transaction(Path(path)) as con:
        ensure_scenario_tables(con)
        meta = _get(con, scenario)
        for table, column in (("zones_scenario_edits", "scenario"), ("zones_scenario_revisions", "scenario"),
                              ("zones_scenarios", "id")):
            con.execute(f"DELETE FROM {quote(table)} WHERE {column} = ?", (scenario,))
        return meta


def write_edits(path: Path, scenario: str, layer: str, edits: LayerEdits, *, token_name: str, note: str = "",
                counts: tuple[int, int, int] = (0, 0, 0),
                guard: Callable[[], None] | None = None) -> ScenarioRevision:
    """Set the scenario's edits of `layer` (replacing its earlier ones) as a new scenario revision.
    `guard` runs inside the transaction first; whatever it raises changes nothing."""
    with write_transaction(Path(path)) as con:
        ensure_scenario_tables(con)
        meta = _get(con, scenario)
        if meta.promoted:
            raise ScenarioPromoted(f"scenario {scenario!r} was promoted into the base on {meta.promoted_utc}; "
                                   f"create a new scenario for further edits", scenario=scenario)
        if guard is not None:
            guard()
        revision = _record(con, scenario, token_name, "edit", note, layer, counts)
        puts = edits.puts
        attrs = pd.DataFrame(puts.drop(columns=[puts.geometry.name]))
        records = attrs.astype(object).where(attrs.notna(), None).to_dict(orient="records")
        wkbs = shapely.to_wkb(np.asarray(puts.geometry.values, dtype=object), output_dimension=2) if len(puts) \
            else []
        con.executemany(
            "INSERT INTO zones_scenario_edits (scenario, revision, layer, feature_id, op, geom, properties) "
            "VALUES (?, ?, ?, ?, 'put', ?, ?)",
            [(scenario, revision, layer, str(r["id"]), w, json.dumps(r, ensure_ascii=False, default=_plain))
             for r, w in zip(records, wkbs)])
        con.executemany(
            "INSERT INTO zones_scenario_edits (scenario, revision, layer, feature_id, op) VALUES (?, ?, ?, ?, 'delete')",
            [(scenario, revision, layer, fid) for fid in edits.deletes])
        return ScenarioRevision(revision, utc_now(), token_name, "edit", layer, note, *counts)


def _plain(value):
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    return str(value)


def promote_scenario(path: Path, scenario: str, layers: dict[str, gpd.GeoDataFrame], *, token_name: str,
                     keep_revisions: int | None, expected_generation: int,
                     guard: Callable[[], None] | None = None) -> dict[str, Revision]:
    """Write `layers` (the base layers with the scenario's edits applied) into the base as new
    revisions and mark the scenario promoted, all in one transaction. Refused when the base was
    written after `layers` were read (`expected_generation`), so no concurrent write is lost."""
    def check(con: sqlite3.Connection) -> None:
        ensure_scenario_tables(con)
        meta = _get(con, scenario)
        if meta.promoted:
            raise ScenarioPromoted(f"scenario {scenario!r} was promoted already, on {meta.promoted_utc}",
                                   scenario=scenario)
        if read_generation_in(con) != expected_generation:
            raise Conflict(f"the base was written while scenario {scenario!r} was being promoted; nothing was "
                           f"changed, promote again", code="base_changed", scenario=scenario)
        if guard is not None:
            guard()

    def then(con: sqlite3.Connection, revisions: dict[str, Revision]) -> None:
        now = utc_now()
        numbers = {layer: rev.revision for layer, rev in revisions.items()}
        con.execute("UPDATE zones_scenarios SET promoted_utc = ?, promoted_by = ?, promoted_revisions = ? "
                    "WHERE id = ?", (now, token_name, json.dumps(numbers), scenario))
        _record(con, scenario, token_name, "promote",
                "promoted into the base: " + ", ".join(f"{k} revision {v}" for k, v in numbers.items()))

    return replace_layers_tx(Path(path), layers, token_name=token_name, source_file=f"scenario {scenario}",
                             action="promote", note=f"scenario {scenario} promoted",
                             keep_revisions=keep_revisions, guard=check, then=then)
