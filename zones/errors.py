"""One family for every error the tool raises on purpose.

A caller that only wants "did the tool refuse this?" catches `ZonesError`. Each error carries
a stable `code` (part of the published API and of the CLI's messages) and the `facts` a caller
needs to word it for its own reader. The category classes below say what kind of refusal it
is; only `api/` turns a category into an HTTP status (one table, `api/problems.py`), and only
`cli/` turns it into an exit code. Domain and data modules never speak HTTP.

>>> err = InvalidInput("crs must be a string", code="invalid_crs", given=5186)
>>> isinstance(err, ZonesError), err.code, err.facts
(True, 'invalid_crs', {'given': 5186})
>>> str(err)
'crs must be a string'
>>> NotFound("no layer 'x'").code
'not_found'
"""
from __future__ import annotations

from typing import Any


class ZonesError(Exception):
    """Base of the family: a refusal with a stable `code` and the `facts` behind it."""

    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, **facts: Any):
        super().__init__(message)
        self.code = code or self.default_code
        self.facts = facts

    @property
    def detail(self) -> str:
        """The message as a sentence a GIS officer reads."""
        return str(self)


class InvalidInput(ZonesError, ValueError):
    """The input itself is wrong (geometry, CRS, number, file, setting): fix it and send again."""

    default_code = "invalid_input"


class NotFound(ZonesError, LookupError):
    """The thing named (layer, feature, facility, revision) does not exist."""

    default_code = "not_found"


class Gone(ZonesError, LookupError):
    """The thing named existed but its content is no longer kept (a pruned revision)."""

    default_code = "gone"


class Conflict(ZonesError):
    """The input is well formed but contradicts what the store or the rules hold."""

    default_code = "conflict"


class TooLarge(ZonesError):
    """The input is larger than a configured limit; `facts` name the limit and its setting."""

    default_code = "too_large"


class StorageFull(ZonesError):
    """The disk ran out during a write; the store was left as it was before the write."""

    default_code = "storage_full"


class Unavailable(ZonesError, RuntimeError):
    """Something the tool needs on this machine is missing (a browser for PNGs, an offline asset)."""

    default_code = "unavailable"


# Finer fault kinds published under a broader code (the code is part of the API and the CLI).
_PUBLISHED_AS = {"empty_coordinates": "bad_coordinates", "metres_as_degrees": "outside_korea",
                 "degrees_as_metres": "outside_korea"}


class GeoInputFault(InvalidInput):
    """One thing wrong with sent coordinates, a geometry, a CRS or the JSON around them.

    Every reader of GeoJSON (drafts, candidate sites, imports) raises this one type, so each
    entry point judges the same input the same way and only words it for its own reader.
    `kind` names the fault as precisely as it was found; `code` is the published fault code;
    `location` is the x, y position at fault, in the CRS it was sent in.

    >>> fault = GeoInputFault("degrees_as_metres", "looks like degrees", [126.7, 35.1], x=126.7, y=35.1)
    >>> fault.code, fault.kind, isinstance(fault, InvalidInput)
    ('outside_korea', 'degrees_as_metres', True)
    >>> fault.worded({"degrees_as_metres": "{where}: ({x:g}, {y:g}) are degrees"}, where="site 2")
    'site 2: (126.7, 35.1) are degrees'
    >>> fault.worded({}, "{where}: {detail}", where="site 2")
    'site 2: looks like degrees'
    """

    def __init__(self, kind: str, detail: str, location: list[float] | None = None, **facts: Any):
        super().__init__(detail, code=_PUBLISHED_AS.get(kind, kind), **facts)
        self.kind = kind
        self.location = location

    def worded(self, wording: dict[str, str], default: str = "{detail}", **context: Any) -> str:
        """The fault in a caller's words: its template for this kind (str.format over `facts`,
        `detail` and `context`), else `default`."""
        return wording.get(self.kind, default).format(detail=self.detail, **self.facts, **context)
