"""The siting rules' own refusal: a rule that cannot be evaluated, with the key at fault.

Part of the one error family (zones/errors.py): a rules file with a bad rule is
invalid input, and `key` lets the file reader point at the line of that key.

>>> err = RuleError("rule 'x': distance_m must be > 0, got 0", "distance_m")
>>> err.key, err.code, isinstance(err, ValueError)
('distance_m', 'invalid_rule', True)
"""
from __future__ import annotations

from typing import Any

from zones.errors import InvalidInput


class RuleError(InvalidInput):
    """A rule that cannot be evaluated; `key` names the offending entry for line lookup."""

    default_code = "invalid_rule"

    def __init__(self, message: str, key: str | None = None, **facts: Any):
        super().__init__(message, **facts)
        self.key = key
