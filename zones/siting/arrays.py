"""What measuring one rule over a batch of candidates gives: verdicts, values, named targets.

Shared by every rule kind's `measure` (zones/siting/kinds/) and by the evaluation
that turns the arrays into worded results (zones/siting/evaluate.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zones.siting.context import BoundRule

# Comparisons allow for floating-point noise, far below anything a plan could mean.
EPS_M = 1e-6  # 1 µm
EPS_M2 = 1e-3  # 10 cm²


@dataclass
class RuleArrays:
    """One rule measured for n candidates; `which` is the index of the target named in the message (-1: none)."""
    bound: BoundRule
    passed: np.ndarray
    measured: np.ndarray
    which: np.ndarray


def no_target(n: int) -> np.ndarray:
    """`which` for candidates whose message names the rule's zone, not one target: all -1.

    >>> no_target(3)
    array([-1, -1, -1])
    """
    return np.full(n, -1, dtype=np.int64)


def others(idx: np.ndarray, n: int) -> np.ndarray:
    """The indices 0..n-1 not in `idx` (increasing): the candidates a fast path left over.

    >>> others(np.array([0, 2]), 4), others(np.arange(3), 3)
    (array([1, 3]), array([], dtype=int64))
    """
    if len(idx) == n:
        return np.zeros(0, dtype=np.int64)
    keep = np.ones(n, dtype=bool)
    keep[idx] = False
    return np.flatnonzero(keep)
