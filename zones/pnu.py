"""The parcel number (PNU, 필지고유번호) and the land category (지목) of the cadastral map, vectorised.

A PNU is 19 digits: the 10-digit legal-dong code (법정동코드: 2 시도, 3 시군구, 3 읍면동, 2 리),
the mountain flag (1 ordinary land, 2 산 forest-register land), a 4-digit main number (본번) and a
4-digit sub-number (부번). The continuous cadastral map (연속지적도) writes the lot number with its
land category as `JIBUN`, e.g. "123-4대" or "산12임": the category is the one-character code at
the end.

The kernels work on the bytes of a fixed-width text column, one row per parcel (a (rows, width)
uint8 matrix, as a .dbf stores it), so a million rows cost a few numpy passes and no Python
string per row; the pandas functions below are the same kernels applied to a Series.

>>> import pandas as pd
>>> pnu_faults(pd.Series(["2911010100100010000", "291101010010001000", "2911010100300010000"])).tolist()
['', 'not 19 digits', 'mountain flag not 1 or 2']
>>> jimok_of(pd.Series(["123-4대", "산12임", "7", None])).tolist()
['대', '임', '', '']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PNU_LENGTH = 19
# The 28 land categories of the Act on the Establishment and Management of Spatial Data (공간정보관리법
# 시행령 제58조), by the one-character code the cadastral map writes (부호).
JIMOK_CODES = ("전", "답", "과", "목", "임", "광", "염", "대", "장", "학", "차", "주", "창", "도",
               "철", "제", "천", "구", "유", "양", "수", "공", "체", "원", "종", "사", "묘", "잡")
# Why a PNU is unusable, by the code `pnu_fault_codes` gives (0: it is usable).
PNU_FAULTS = ("", "not 19 digits", "mountain flag not 1 or 2", "main number 0000")
_BLANK = np.frombuffer(b" \t\r\n\x00", dtype=np.uint8)


def text_matrix(values: pd.Series, encoding: str = "utf-8") -> np.ndarray:
    """A text column as a (rows, width) uint8 matrix of its encoded bytes, padded with spaces (None: blank)."""
    encoded = [(v if isinstance(v, str) else "").encode(encoding) for v in values]
    width = max((len(b) for b in encoded), default=0) or 1
    return np.frombuffer(b"".join(b.ljust(width) for b in encoded), dtype=np.uint8).reshape(len(encoded), width)


def _blank(mat: np.ndarray) -> np.ndarray:
    """Whether each byte is blank (space, tab, line end or NUL), by table lookup."""
    table = np.zeros(256, dtype=bool)
    table[_BLANK] = True
    return table[mat]


def text_end(mat: np.ndarray) -> np.ndarray:
    """Per row, one past the index of its last non-blank byte (0 for a blank row)."""
    filled = ~_blank(mat)
    return np.max(np.where(filled, np.arange(1, mat.shape[1] + 1, dtype=np.int32), 0), axis=1, initial=0)


def pnu_fault_codes(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(digits, fault): each row's PNU as a (rows, 19) uint8 matrix of digit values 0-9 (zeros where
    it is not 19 digits) and its fault code, an index into PNU_FAULTS.

    `mat` holds the PNU text's bytes (ASCII); blanks around it are ignored. Rows whose 19 digits
    start the field (as the published files write them) take one numpy pass; the others (blanks in
    front, or malformed) are few and are looked at one by one.

    >>> m = text_matrix(pd.Series([" 2911010100100010000 ", "29X", "2911010100100000000", "29110101002"]))
    >>> digits, fault = pnu_fault_codes(m)
    >>> fault.tolist(), digits[0, :5].tolist()
    ([0, 1, 3, 1], [2, 9, 1, 1, 0])
    """
    rows, width = mat.shape
    digits = np.zeros((rows, PNU_LENGTH), dtype=np.uint8)
    sized = np.zeros(rows, dtype=bool)
    if width >= PNU_LENGTH:
        head = mat[:, :PNU_LENGTH] - np.uint8(48)  # '0' → 0; every other byte wraps above 9
        sized = (head <= 9).all(axis=1) & _blank(mat[:, PNU_LENGTH:]).all(axis=1)
        digits[sized] = head[sized]
    for k in np.flatnonzero(~sized):
        text = mat[k].tobytes().strip(bytes(_BLANK))
        if len(text) == PNU_LENGTH and text.isdigit():
            digits[k] = np.frombuffer(text, dtype=np.uint8) - 48
            sized[k] = True
    fault = np.where(sized, 0, 1).astype(np.int8)
    flag = digits[:, 10]
    fault[sized & (flag != 1) & (flag != 2)] = 2
    fault[(fault == 0) & (digits[:, 11:15] == 0).all(axis=1)] = 3
    return digits, fault


def code_of(digits: np.ndarray, width: int) -> np.ndarray:
    """The number the first `width` digits spell (2: 시도, 5: 시군구, 8: the dong as boundaries key it).

    >>> code_of(pnu_fault_codes(text_matrix(pd.Series(["2911010100100010000"])))[0], 5).tolist()
    [29110]
    """
    weights = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return digits[:, :width].astype(np.int64) @ weights


def jimok_index(mat: np.ndarray, encoding: str) -> np.ndarray:
    """Per row, the index in JIMOK_CODES of the land category ending the JIBUN text (-1: none does).

    `mat` holds the JIBUN bytes in `encoding`. A code's encoded bytes ending the trimmed text mean
    that code is its last character: in UTF-8 by construction, in cp949/EUC-KR because the 28 codes
    are KS X 1001 syllables whose two bytes both lie above 0x80, so no shorter character ends in them.

    >>> jimok_index(text_matrix(pd.Series(["12-3대 ", "산7임", "8", "공원", "9-1X"]), "cp949"), "cp949").tolist()
    [7, 4, -1, 23, -1]
    """
    rows = mat.shape[0]
    end = text_end(mat)
    padded = np.concatenate([np.zeros((rows, 4), dtype=np.uint8), mat], axis=1)
    out = np.full(rows, -1, dtype=np.int8)
    by_length: dict[int, list[tuple[int, int]]] = {}
    for k, code in enumerate(JIMOK_CODES):
        raw = code.encode(encoding)
        by_length.setdefault(len(raw), []).append((int.from_bytes(raw, "big"), k))
    row = np.arange(rows)
    for length, keyed in by_length.items():
        tail = np.zeros(rows, dtype=np.int64)
        for j in range(length):  # the last `length` bytes as one big-endian number
            tail = (tail << 8) | padded[row, end + 4 - length + j]
        keys = np.array(sorted(keyed))
        at = np.minimum(np.searchsorted(keys[:, 0], tail), len(keys) - 1)
        hit = (keys[at, 0] == tail) & (out < 0) & (end >= length)
        out[hit] = keys[at[hit], 1]
    return out


def pnu_faults(pnu: pd.Series) -> pd.Series:
    """Per row, why the PNU is unusable ("" when it is a well-formed 19-digit PNU)."""
    _, fault = pnu_fault_codes(text_matrix(pnu.astype("string").fillna("").str.strip(), "utf-8"))
    return pd.Series(np.asarray(PNU_FAULTS, dtype=object)[fault], index=pnu.index, dtype=object)


def jimok_of(jibun: pd.Series) -> pd.Series:
    """The land-category code at the end of each `JIBUN` ("" where none of the 28 codes ends it)."""
    index = jimok_index(text_matrix(jibun.astype("string").fillna(""), "utf-8"), "utf-8")
    names = np.asarray(("",) + JIMOK_CODES, dtype=object)
    return pd.Series(names[index + 1], index=jibun.index, dtype=object)
