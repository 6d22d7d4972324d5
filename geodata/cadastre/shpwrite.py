"""A polygon shapefile (.shp, .shx, .dbf) written block by block from coordinate arrays.

The generator of test cadastral maps writes tens of millions of lots; building a shapely geometry
and a Python string per lot, as a general writer needs, costs more than the lots themselves. Here
a block of polygons arrives as flat coordinates with ring and polygon offsets (the layout of
`shapely.to_ragged_array`) and text columns as fixed-width byte matrices, and each file is
appended with a few numpy operations per block; the headers (record count, file length, extent)
are filled in on `close`. The layout is the one in the ESRI Shapefile Technical Description (1998)
and dBASE III: records numbered from 1, outer rings clockwise, lengths in 16-bit words.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

POLYGON = 5
FILE_CODE = 9994
VERSION = 1000
HEADER = 100
_FIXED = np.dtype([("number", ">i4"), ("words", ">i4"), ("type", "<i4"), ("box", "<f8", (4,)),
                   ("parts", "<i4"), ("points", "<i4")])  # record header and the polygon's fixed fields


class PolygonShapefileWriter:
    """`<stem>.shp/.shx/.dbf` with the text fields `fields` ({name: width in bytes})."""

    def __init__(self, stem: Path, fields: dict[str, int]):
        self.stem, self.fields = stem, fields
        self.records, self.words = 0, HEADER // 2
        self.box = np.array([np.inf, np.inf, -np.inf, -np.inf])
        self._shp = open(stem.with_suffix(".shp"), "wb")
        self._shx = open(stem.with_suffix(".shx"), "wb")
        self._dbf = open(stem.with_suffix(".dbf"), "wb")
        self._shp.write(bytes(HEADER))
        self._shx.write(bytes(HEADER))
        self._record_len = 1 + sum(fields.values())
        self._dbf.write(bytes(32 + 32 * len(fields) + 1))

    def write(self, coords: np.ndarray, ring_offsets: np.ndarray, polygon_offsets: np.ndarray,
              text: list[np.ndarray]) -> None:
        """Append polygons: `coords` (points, 2), rings as `ring_offsets` into coords, polygons as
        `polygon_offsets` into the rings (outer ring first, clockwise; holes counter-clockwise), and one
        (polygons, width) uint8 matrix per field, in the order of `fields`."""
        n = len(polygon_offsets) - 1
        if n == 0:
            return
        first_ring, last_ring = polygon_offsets[:-1], polygon_offsets[1:]
        nparts = (last_ring - first_ring).astype(np.int64)
        first_pt = ring_offsets[first_ring].astype(np.int64)
        npoints = ring_offsets[last_ring].astype(np.int64) - first_pt
        content = 44 + 4 * nparts + 16 * npoints  # bytes after the 8-byte record header
        fixed = np.zeros(n, dtype=_FIXED)
        fixed["number"] = self.records + 1 + np.arange(n)
        fixed["words"] = content // 2
        fixed["type"] = POLYGON
        x, y = coords[:, 0], coords[:, 1]
        poly_of_point = np.repeat(np.arange(n), npoints)
        for k, (values, fn) in enumerate(((x, np.minimum), (y, np.minimum), (x, np.maximum), (y, np.maximum))):
            out = np.full(n, np.inf if fn is np.minimum else -np.inf)
            fn.at(out, poly_of_point, values)
            fixed["box"][:, k] = out
        fixed["parts"], fixed["points"] = nparts, npoints
        ring_of = np.repeat(np.arange(n), nparts)
        parts = (ring_offsets[:-1][first_ring[0]:last_ring[-1]].astype(np.int64) - first_pt[ring_of]).astype("<i4")
        # every byte of the block labelled by what fills it: 0 fixed fields, 1 part starts, 2 points
        lengths = np.column_stack([np.full(n, _FIXED.itemsize), 4 * nparts, 16 * npoints]).ravel()
        labels = np.repeat(np.tile(np.arange(3, dtype=np.uint8), n), lengths)
        block = np.empty(len(labels), dtype=np.uint8)
        block[labels == 0] = fixed.view(np.uint8).ravel()
        block[labels == 1] = parts.view(np.uint8)
        block[labels == 2] = np.ascontiguousarray(coords[first_pt[0]:first_pt[-1] + npoints[-1]], dtype="<f8").view(np.uint8).ravel()
        self._shp.write(block.tobytes())
        index = np.empty(n, dtype=[("offset", ">i4"), ("words", ">i4")])
        index["offset"] = self.words + np.concatenate([[0], np.cumsum(4 + content // 2)[:-1]])
        index["words"] = content // 2
        self._shx.write(index.tobytes())
        self.words += int((4 + content // 2).sum())
        self.records += n
        self.box = np.array([min(self.box[0], fixed["box"][:, 0].min()), min(self.box[1], fixed["box"][:, 1].min()),
                             max(self.box[2], fixed["box"][:, 2].max()), max(self.box[3], fixed["box"][:, 3].max())])
        rows = [np.full((n, 1), 0x20, dtype=np.uint8)]
        for (name, width), mat in zip(self.fields.items(), text):
            if mat.shape != (n, width):
                raise ValueError(f"field {name}: {mat.shape} bytes given for {n} records of width {width}")
            rows.append(mat)
        self._dbf.write(np.ascontiguousarray(np.hstack(rows)).tobytes())

    def close(self) -> None:
        """Fill in the headers and close the three files."""
        for fh, words in ((self._shp, self.words), (self._shx, HEADER // 2 + 4 * self.records)):
            head = np.zeros(1, dtype=[("code", ">i4"), ("unused", ">i4", (5,)), ("words", ">i4"), ("version", "<i4"),
                                      ("type", "<i4"), ("box", "<f8", (4,)), ("zm", "<f8", (4,))])
            head["code"], head["words"], head["version"], head["type"] = FILE_CODE, words, VERSION, POLYGON
            head["box"] = self.box if self.records else 0.0
            fh.seek(0)
            fh.write(head.tobytes())
            fh.close()
        self._dbf.write(b"\x1a")
        today = date.today()
        head = bytearray(32)
        head[0], head[1], head[2], head[3] = 0x03, today.year - 1900, today.month, today.day
        head[4:8] = self.records.to_bytes(4, "little")
        head[8:10] = (32 + 32 * len(self.fields) + 1).to_bytes(2, "little")
        head[10:12] = self._record_len.to_bytes(2, "little")
        descriptors = bytearray()
        for name, width in self.fields.items():
            d = bytearray(32)
            d[:len(name)] = name.encode("ascii")
            d[11] = ord("C")
            d[16] = width
            descriptors += d
        self._dbf.seek(0)
        self._dbf.write(bytes(head) + bytes(descriptors) + b"\x0d")
        self._dbf.close()
