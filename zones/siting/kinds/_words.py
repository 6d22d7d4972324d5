"""Numbers as the verdict messages write them (shared by the kinds' `message`)."""
from __future__ import annotations


def num(v: float) -> str:
    """A threshold: whole numbers without decimals, others to one.

    >>> num(30.0), num(2500.0), num(12.25)
    ('30', '2,500', '12.2')
    """
    return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.1f}"


def measured(v: float) -> str:
    """A measured length or area, to one decimal.

    >>> measured(29.0), measured(5000.0)
    ('29.0', '5,000.0')
    """
    return f"{v:,.1f}"


def at_least(passed: bool) -> str:
    return "≥" if passed else "<"


def at_most(passed: bool) -> str:
    return "≤" if passed else ">"
