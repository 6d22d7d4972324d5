"""Bilingual wording shared by the allocation checks: one place for each sentence pair."""
from __future__ import annotations


def m2(value: float) -> str:
    """An area for a sentence.

    >>> m2(1234.4)
    '1,234 m²'
    """
    return f"{value:,.0f} m²"


def area_reason(measured: float, pct: float, tol: float, ok: bool) -> tuple[str, str]:
    """(English, Korean) one-liners for the area comparison.

    >>> area_reason(101.0, 1.0, 1.0, True)[1]
    '측정 101 m², 계획보다 1.00 % 많음, 허용 ±1 % 이내'
    """
    above = pct >= 0
    en = f"measures {m2(measured)}, {abs(pct):.2f} % {'above' if above else 'below'} plan, " \
         f"{'within' if ok else 'outside'} ±{tol:g} %"
    ko = f"측정 {m2(measured)}, 계획보다 {abs(pct):.2f} % {'많음' if above else '적음'}, " \
         f"허용 ±{tol:g} % {'이내' if ok else '초과'}"
    return en, ko
