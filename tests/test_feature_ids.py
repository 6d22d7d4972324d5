"""The whole-list check of feature ids agrees with the per-id rule on every kind of fault."""
from __future__ import annotations

import pytest

from geodata.feature_ids import MAX_ID_CHARS, id_fault, id_refusal

GOOD = ["fez_ai", "광산구 1-2", "a?b#c%", "x" * MAX_ID_CHARS, "...", ".a", "\xa0", "\u00a0\u200b"]
BAD = ["", ".", "..", "a/b", "/", "x" * (MAX_ID_CHARS + 1), "a\x00", "tab\there", "del\x7f", "c1\x85", "c1\x9f",
       "new\nline", "\ud800"]


def test_clean_ids_pass_as_a_whole():
    assert id_refusal(GOOD * 1000) is None


@pytest.mark.parametrize("bad", BAD)
def test_one_bad_id_among_many_is_named(bad):
    ids = GOOD * 100 + [bad] + GOOD
    assert id_fault(bad) is not None
    refusal = id_refusal(ids)
    assert refusal is not None and refusal.startswith("1 feature id(s)") and f"#{len(GOOD) * 100 + 1} " in refusal
