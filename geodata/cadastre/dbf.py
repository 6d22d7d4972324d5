"""The attribute table of a shapefile (.dbf, dBASE III) read as byte matrices, a range of records at a time.

dBASE stores every record at a fixed width, each field at a fixed offset, text padded with spaces,
so a block of records is one read and a field is a column slice of it: the PNU and JIBUN of a
million parcels come out as (rows, width) uint8 matrices without one Python string per row, for
the vectorised checks of zones/pnu.py. Decoding text (cp949 or UTF-8) is left to the caller, for
the few columns and rows that need it.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from zones.errors import InvalidInput
from zones.pnu import text_end

HEADER = 32
DESCRIPTOR = 32


class DbfError(InvalidInput):
    """A .dbf whose header does not describe its records (truncated, or not a dBASE file)."""

    default_code = "bad_dbf"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    offset: int  # within a record, after its deletion flag byte
    width: int


class DbfTable:
    """The header of a .dbf and block reads of its records."""

    def __init__(self, path: Path):
        self.path = path
        with open(path, "rb") as fh:
            head = fh.read(HEADER)
            if len(head) < HEADER:
                raise DbfError(f"{path.name}: not a dBASE file (header too short)")
            self.records = int.from_bytes(head[4:8], "little")
            self.header_len = int.from_bytes(head[8:10], "little")
            self.record_len = int.from_bytes(head[10:12], "little")
            raw = fh.read(max(self.header_len - HEADER, 0))
        fields, offset = [], 1
        for at in range(0, len(raw) - DESCRIPTOR + 1, DESCRIPTOR):
            if raw[at] == 0x0D:
                break
            d = raw[at:at + DESCRIPTOR]
            name = d[:11].split(b"\x00", 1)[0].decode("ascii", errors="replace").strip()
            fields.append(Field(name, chr(d[11]), offset, d[16]))
            offset += d[16]
        if offset > self.record_len or self.record_len == 0:
            raise DbfError(f"{path.name}: fields of {offset} bytes do not fit records of {self.record_len}")
        size = path.stat().st_size
        if self.header_len + self.records * self.record_len > size:
            raise DbfError(f"{path.name}: {self.records:,} records announced, the file holds "
                           f"{max(size - self.header_len, 0) // self.record_len:,}")
        self.fields = {f.name.upper(): f for f in fields}

    def field(self, name: str) -> Field | None:
        """The field called `name` (case-insensitive), None if the table has none."""
        return self.fields.get(name.upper())

    def read(self, start: int, stop: int, fields: list[Field]) -> list[np.ndarray]:
        """Records [start, stop) as one (rows, width) uint8 matrix per field of `fields`."""
        stop = min(stop, self.records)
        rows = max(stop - start, 0)
        with open(self.path, "rb") as fh:
            fh.seek(self.header_len + start * self.record_len)
            block = np.frombuffer(fh.read(rows * self.record_len), dtype=np.uint8)
        block = block.reshape(rows, self.record_len)
        return [block[:, f.offset:f.offset + f.width] for f in fields]


def text_column(mat: np.ndarray, encoding: str) -> pa.Array:
    """A text field's byte matrix as an Arrow string column, trailing blanks dropped (as GDAL reads it).

    UTF-8 is taken as it is and cp949 (the published files) is transcoded through a table of
    its two-byte characters, both with whole-matrix operations; any other encoding is decoded value
    by distinct value in Python.
    """
    name = codecs.lookup(encoding).name
    end = text_end(mat)
    inside = np.arange(mat.shape[1]) < end[:, None]
    if name in KOREAN:
        data, lengths = _cp949_to_utf8(mat, inside)
    elif name == "utf-8" or not (mat[inside] & 0x80).any():
        data, lengths = mat[inside], end
    else:
        values, codes = np.unique(np.ascontiguousarray(mat).view(f"S{mat.shape[1]}").ravel(), return_inverse=True)
        texts = pa.array([v.decode(encoding, errors="replace").rstrip(" \t\r\n\x00") for v in values], pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), texts).cast(pa.string())
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    column = pa.StringArray.from_buffers(len(lengths), pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data)))
    try:
        column.validate(full=True)
    except pa.ArrowInvalid:  # bytes that are not UTF-8 where UTF-8 was declared: decoded with replacement
        return pa.array([mat[k, :end[k]].tobytes().decode(name, errors="replace") for k in range(len(end))], pa.string())
    return column


KOREAN = ("cp949",)  # EUC-KR goes through Python: its codec also reads KS X 1001 composition sequences


@cache
def _cp949_table() -> tuple[np.ndarray, np.ndarray]:
    """(UTF-8 bytes, their count) of every cp949 two-byte sequence, keyed lead * 256 + trail (U+FFFD where invalid)."""
    utf8 = np.zeros((65536, 3), dtype=np.uint8)
    size = np.zeros(65536, dtype=np.uint8)
    for key in range(0x8100, 0x10000):
        raw = key.to_bytes(2, "big").decode("cp949", errors="replace")[:1].encode("utf-8")
        utf8[key, :len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        size[key] = len(raw)
    return utf8, size


def _cp949_to_utf8(mat: np.ndarray, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of each row's text (its `inside` bytes) and each row's UTF-8 length."""
    rows, width = mat.shape
    high = inside & (mat > 0x80) & (mat < 0xFF)
    lead = np.zeros((rows, width), dtype=bool)
    if high.any():
        lead[:, 0] = high[:, 0]
        for j in range(1, width):  # a high byte opens a two-byte character unless it closes one
            lead[:, j] = high[:, j] & ~lead[:, j - 1]
    flat = mat.ravel()
    at = np.flatnonzero(lead.ravel())
    has_next = inside.ravel()[np.minimum(at + 1, flat.size - 1)] & ((at + 1) % width != 0)
    keys = flat[at].astype(np.int32) * 256 + np.where(has_next, flat[np.minimum(at + 1, flat.size - 1)], 0)
    utf8, size = _cp949_table()
    out_len = inside.astype(np.uint8).ravel()  # one byte each, the lead's size below, 0 for its second byte
    out_len[at[has_next] + 1] = 0
    out_len[at] = size[keys]
    ends = np.cumsum(out_len, dtype=np.int64)
    start = ends - out_len
    data = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    single = inside.ravel() & (out_len == 1)
    single[at] = False
    data[start[single]] = flat[single]
    lead_start, lead_len = start[at], size[keys]
    for b in range(3):
        has = lead_len > b
        data[lead_start[has] + b] = utf8[keys[has], b]
    return data, out_len.reshape(rows, width).sum(axis=1, dtype=np.int64)
