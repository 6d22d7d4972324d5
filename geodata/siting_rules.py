"""Reading the siting rules (siting_rules.toml) and binding them to the store.

A rules file is read once at start-up. Any fault, a TOML syntax error or a
rule that makes no sense (unknown kind, negative distance, a layer or feature
the store lacks), stops the start with a message naming the file and line, so
the planner who edited it knows where to look.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from geodata import DATA_DIR
from geodata.provider import LayerProvider
from zones.errors import InvalidInput
from zones.siting.context import BindError, FeatureRef, SitingContext, bind
from zones.siting.rules import Facility, RuleError, RuleSet, check_id, make_rule

SITING_RULES_FILE = DATA_DIR / "siting_rules.toml"
_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_]+)\s*\]\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=")
_TOP_KEYS = {"facilities_layer", "facility", "rule"}
_FACILITY_KEYS = {"id", "name_ko", "name_en"}


class SitingRulesError(InvalidInput):
    """A rules file that cannot be used; the message names the file and line."""

    default_code = "invalid_siting_rules"


@dataclass
class _Block:
    line: int
    keys: dict[str, int] = field(default_factory=dict)

    def at(self, key: str | None) -> int:
        return self.keys.get(key, self.line) if key else self.line


@dataclass
class RuleLines:
    """Where each table and key sits in the file, for error messages."""
    top: _Block
    blocks: dict[str, list[_Block]]
    rule_blocks: dict[tuple[str, str], _Block] = field(default_factory=dict)  # (facility, rule id)


def rules_path() -> Path:
    return Path(os.environ.get("ZONES_SITING_RULES") or SITING_RULES_FILE)


def locate(text: str) -> RuleLines:
    top = _Block(1)
    blocks: dict[str, list[_Block]] = {}
    current = top
    for n, line in enumerate(text.splitlines(), start=1):
        if m := _HEADER.match(line):
            current = _Block(n)
            blocks.setdefault(m.group(1), []).append(current)
        elif line.lstrip().startswith("["):
            current = _Block(n)  # some other table: keys there are not ours
        elif m := _KEY.match(line):
            current.keys.setdefault(m.group(1), n)
    return RuleLines(top, blocks)


def parse_rules(text: str, name: str = "siting_rules.toml") -> tuple[RuleSet, RuleLines]:
    """A validated RuleSet from the file's text; SitingRulesError names the line at fault."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SitingRulesError(f"{name}: not valid TOML: {exc}") from None
    lines = locate(text)

    def fail(block: _Block, key: str | None, message: str) -> SitingRulesError:
        return SitingRulesError(f"{name}, line {block.at(key)}: {message}")

    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise fail(lines.top, unknown[0], f"unknown top-level entry {unknown[0]!r}; expected facilities_layer, [[facility]], [[rule]]")
    layer = raw.get("facilities_layer")
    if not isinstance(layer, str) or not layer:
        raise fail(lines.top, "facilities_layer", "facilities_layer must name the layer holding the facilities' sites")
    fac_entries = raw.get("facility", [])
    rule_entries = raw.get("rule", [])
    if not isinstance(fac_entries, list) or not isinstance(rule_entries, list):
        raise SitingRulesError(f"{name}: facility and rule must be arrays of tables ([[facility]], [[rule]])")
    fac_blocks = lines.blocks.get("facility", [])
    rule_blocks = lines.blocks.get("rule", [])

    facilities: dict[str, dict] = {}
    for entry, block in zip(fac_entries, fac_blocks):
        try:
            fid = check_id(entry.get("id"), "facility id")
        except RuleError as exc:
            raise fail(block, "id", str(exc)) from None
        extra = sorted(set(entry) - _FACILITY_KEYS)
        if extra:
            raise fail(block, extra[0], f"facility {fid!r}: unknown key {extra[0]!r}; expected id, name_ko, name_en")
        for key in ("name_ko", "name_en"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise fail(block, key, f"facility {fid!r} needs {key} (Korean and English names stay side by side)")
        if fid in facilities:
            raise fail(block, "id", f"facility {fid!r} is declared twice")
        facilities[fid] = {"entry": entry, "rules": []}
    if not facilities:
        raise SitingRulesError(f"{name}: declares no [[facility]]")

    for entry, block in zip(rule_entries, rule_blocks):
        try:
            rule = make_rule(entry, set(facilities))
        except RuleError as exc:
            raise fail(block, exc.key, str(exc)) from None
        if any(r.id == rule.id for r in facilities[rule.facility]["rules"]):
            raise fail(block, "id", f"facility {rule.facility!r} has two rules with id {rule.id!r}")
        facilities[rule.facility]["rules"].append(rule)
        lines.rule_blocks[(rule.facility, rule.id)] = block

    ruleset = RuleSet(facilities_layer=layer, facilities={
        fid: Facility(id=fid, name_ko=f["entry"]["name_ko"], name_en=f["entry"]["name_en"], rules=tuple(f["rules"]))
        for fid, f in facilities.items()
    })
    return ruleset, lines


def load_rules(path: Path | None = None) -> tuple[RuleSet, RuleLines]:
    path = Path(path or rules_path())
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SitingRulesError(f"cannot read siting rules {path}: {exc.strerror or exc}") from None
    return parse_rules(text, path.name)


def layer_features(provider: LayerProvider, layers: set[str]) -> dict[str, dict[str, FeatureRef]]:
    """layer -> feature id -> metric geometry with its names, for the layers the rules use."""
    out = {}
    known = set(provider.layer_ids())
    for layer in sorted(layers & known):
        gdf = provider.layer(layer).metric
        ko = gdf["name_ko"] if "name_ko" in gdf else gdf["id"]
        en = gdf["name_en"] if "name_en" in gdf else gdf["id"]
        out[layer] = {fid: FeatureRef(geom, str(k), str(e)) for fid, geom, k, e in zip(gdf["id"], gdf.geometry, ko, en)}
    return out


def referenced_layers(rules: RuleSet) -> set[str]:
    layers = {rules.facilities_layer}
    for fac in rules.facilities.values():
        for r in fac.rules:
            if r.params.get("layer"):
                layers.add(r.params["layer"])
    return layers


class SitingService:
    """Rules read once, bound to the store's current layers; rebound when the store's content
    changes (its freshness stamp, geodata.freshness)."""

    def __init__(self, provider: LayerProvider, path: Path | None = None):
        self.path = Path(path or rules_path())
        self.provider = provider
        self.rules, self.lines = load_rules(self.path)
        self._cache = provider.cache()
        self.context()  # fail at start-up, not on the first request

    def context(self) -> SitingContext:
        from geodata.views import viewed_scenario

        # bound to the layers of the scenario the request reads (?scenario=), else the store's
        return self._cache.get(("context", viewed_scenario()), self._bind)

    def _bind(self) -> SitingContext:
        try:
            return bind(self.rules, layer_features(self.provider, referenced_layers(self.rules)))
        except BindError as exc:
            raise SitingRulesError(f"{self.path.name}, line {self._line_of(exc)}: {exc} "
                                   f"(store {self.provider.path.name})") from None

    def _line_of(self, exc: BindError) -> int:
        block = self.lines.rule_blocks.get((exc.facility, exc.rule_id))
        return block.at(exc.key) if block else 1
