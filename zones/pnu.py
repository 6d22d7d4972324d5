"""The parcel number (PNU, 필지고유번호) and the land category (지목) of the cadastral map, vectorised.

A PNU is 19 digits: the 10-digit legal-dong code (법정동코드: 2 시도, 3 시군구, 3 읍면동, 2 리),
the mountain flag (1 ordinary land, 2 산 forest-register land), a 4-digit main number (본번) and a
4-digit sub-number (부번). The continuous cadastral map (연속지적도) writes the lot number with its
land category as `JIBUN`, e.g. "123-4대" or "산12임": the category is the one-character code at
the end. Every function here takes whole columns, so a million rows cost one pass in numpy/pandas.

>>> import pandas as pd
>>> pnu_faults(pd.Series(["2911010100100010000", "291101010010001000", "2911010100300010000"])).tolist()
['', 'not 19 digits', 'mountain flag not 1 or 2']
>>> jimok_of(pd.Series(["123-4대", "산12임", "7", None])).tolist()
['대', '임', '', '']
"""
from __future__ import annotations

import pandas as pd

PNU_LENGTH = 19
# The 28 land categories of the Act on the Establishment and Management of Spatial Data (공간정보관리법
# 시행령 제58조), by the one-character code the cadastral map writes (부호).
JIMOK_CODES = ("전", "답", "과", "목", "임", "광", "염", "대", "장", "학", "차", "주", "창", "도",
               "철", "제", "천", "구", "유", "양", "수", "공", "체", "원", "종", "사", "묘", "잡")


def pnu_faults(pnu: pd.Series) -> pd.Series:
    """Per row, why the PNU is unusable ("" when it is a well-formed 19-digit PNU)."""
    text = pnu.astype("string").fillna("")
    out = pd.Series("", index=pnu.index, dtype=object)
    digits = text.str.fullmatch(r"\d{19}").fillna(False).astype(bool)
    out[~digits] = "not 19 digits"
    flag = text.str.slice(10, 11)
    out[digits & ~flag.isin(["1", "2"])] = "mountain flag not 1 or 2"
    main = text.str.slice(11, 15)
    out[digits & flag.isin(["1", "2"]) & (main == "0000")] = "main number 0000"
    return out


def dong8(pnu: pd.Series) -> pd.Series:
    """The first 8 digits of the legal-dong code (시도, 시군구, 읍면동), as the boundary sets key dongs."""
    return pnu.astype("string").str.slice(0, 8)


def sido_of(pnu: pd.Series) -> pd.Series:
    """The 2-digit 시도 code."""
    return pnu.astype("string").str.slice(0, 2)


def sigungu_of(pnu: pd.Series) -> pd.Series:
    """The 5-digit 시군구 code."""
    return pnu.astype("string").str.slice(0, 5)


def jimok_of(jibun: pd.Series) -> pd.Series:
    """The land-category code at the end of each `JIBUN` ("" where none of the 28 codes ends it)."""
    last = jibun.astype("string").fillna("").str.strip().str.slice(-1)
    return last.where(last.isin(JIMOK_CODES), "").astype(object)
