"""The attribute table of a shapefile (.dbf, dBASE III) read as byte matrices, a range of records at a time.

dBASE stores every record at a fixed width, each field at a fixed offset, text padded with spaces,
so a block of records is one read and a field is a column slice of it: the PNU and JIBUN of a
million parcels come out as (rows, width) uint8 matrices without one Python string per row, for
the vectorised checks of zones/pnu.py. Decoding text (cp949 or UTF-8) is left to the caller, for
the few columns and rows that need it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zones.errors import InvalidInput

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
