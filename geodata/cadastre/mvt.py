"""A vectorised encoder of Mapbox Vector Tiles (MVT 2.1) for polygon layers.

Why our own: a parcel tile at zoom 15 holds thousands of polygons, and a per-feature encoder in
Python (mapbox-vector-tile) spends most of a cold tile's time building protobuf objects one
coordinate at a time. Here every step over coordinates is a numpy operation over the whole layer:
the geometry commands (MoveTo, LineTo, ClosePath with zig-zag deltas from a cursor that runs through
each feature), the varints of the packed arrays, the tag indices into the layer's value table.
Only the small per-feature framing is a Python loop over byte strings.

Input geometries must already be in tile units, integer-valued, valid and oriented as MVT wants
(exterior rings with a positive area by the surveyor's formula on y-down tile units: clockwise on
screen); `vector_tiles.py` does that with shapely (`set_precision`, `orient_polygons`).

Protobuf layout (vector_tile.proto): Tile.layers = 3; Layer: name = 1, features = 2, keys = 3,
values = 4, extent = 5, version = 15; Feature: id = 1, tags = 2 (packed), type = 3, geometry = 4
(packed); Value: string_value = 1, uint_value = 5.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import shapely

POLYGON = 3
MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7
VERSION = 2


def zigzag(values: np.ndarray) -> np.ndarray:
    """Signed integers as the unsigned zig-zag integers of the MVT geometry encoding.

    >>> zigzag(np.array([0, -1, 1, -2, 2, 2047])).tolist()
    [0, 1, 2, 3, 4, 4094]
    """
    v = np.asarray(values, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def varints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Unsigned integers (< 2**63) as concatenated protobuf varints, and each value's byte length.

    >>> data, lengths = varints(np.array([1, 150, 300, 16384], dtype=np.uint64))
    >>> data.hex(), lengths.tolist()
    ('019601ac02808001', [1, 2, 2, 3])
    """
    v = np.asarray(values, dtype=np.uint64)
    if not len(v):
        return b"", np.zeros(0, dtype=np.int64)
    n = np.ones(len(v), dtype=np.int64)
    for k in range(1, 10):
        n += v >= np.uint64(1 << (7 * k))
    start = np.concatenate(([0], np.cumsum(n)[:-1]))
    out = np.zeros(int(n.sum()), dtype=np.uint8)
    for b in range(int(n.max())):
        has = n > b
        byte = (v[has] >> np.uint64(7 * b)) & np.uint64(0x7F)
        more = (n[has] > b + 1).astype(np.uint64) << np.uint64(7)
        out[start[has] + b] = (byte | more).astype(np.uint8)
    return out.tobytes(), n


def varint(value: int) -> bytes:
    """One unsigned integer as a protobuf varint.

    >>> varint(300).hex()
    'ac02'
    """
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def polygon_commands(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The MVT geometry command integers of polygon features, all features concatenated, and each
    feature's count of integers. The cursor starts at (0, 0) in each feature and runs on through
    its rings and parts; each ring is MoveTo(1), LineTo(k-1), ClosePath (the closing point left out).

    >>> square = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)])
    >>> cmds, counts = polygon_commands(np.array([square]))
    >>> cmds.tolist(), counts.tolist()
    ([9, 0, 0, 26, 0, 20, 20, 0, 0, 19, 15], [11])
    """
    _, coords, offsets = shapely.to_ragged_array(_as_multipolygons(geoms))
    ring_off, poly_off, feat_off = offsets  # coords per ring, rings per polygon, polygons per feature
    ring_feature = np.repeat(np.repeat(np.arange(len(feat_off) - 1), np.diff(feat_off)), np.diff(poly_off))
    ring_len = np.diff(ring_off) - 1  # the closing point is not written
    keep_point = np.ones(len(coords), dtype=bool)
    keep_point[ring_off[1:] - 1] = False
    pts = np.rint(coords[keep_point]).astype(np.int64)
    point_ring = np.repeat(np.arange(len(ring_len)), ring_len)
    point_feature = ring_feature[point_ring]
    prev = np.vstack(([0, 0], pts[:-1]))
    first_of_feature = np.ones(len(pts), dtype=bool)
    first_of_feature[1:] = point_feature[1:] != point_feature[:-1]
    prev[first_of_feature] = 0
    delta = zigzag(pts - prev)
    ring_size = 2 * ring_len + 3
    ring_start = np.concatenate(([0], np.cumsum(ring_size)[:-1]))
    out = np.zeros(int(ring_size.sum()), dtype=np.uint64)
    out[ring_start] = MOVE_TO | (1 << 3)
    out[ring_start + 3] = (LINE_TO | ((ring_len - 1) << 3)).astype(np.uint64)
    out[ring_start + ring_size - 1] = CLOSE_PATH | (1 << 3)
    j = np.arange(len(pts)) - np.repeat(np.concatenate(([0], np.cumsum(ring_len)[:-1])), ring_len)
    pos = ring_start[point_ring] + np.where(j == 0, 1, 2 + 2 * j)
    out[pos] = delta[:, 0]
    out[pos + 1] = delta[:, 1]
    counts = np.bincount(ring_feature, weights=ring_size, minlength=len(geoms)).astype(np.int64)
    return out, counts


def _as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Every geometry as a MultiPolygon, so one ragged layout (rings, polygons, features) holds all."""
    single = shapely.get_type_id(geoms) == POLYGON
    out = np.array(geoms, dtype=object)
    if single.any():
        out[single] = shapely.multipolygons(out[single], indices=np.arange(int(single.sum())))
    return out


def _value(value: object) -> bytes:
    """A Value message: strings as string_value, non-negative integers as uint_value."""
    if isinstance(value, str):
        return _field(1, value.encode("utf-8"))
    return varint(5 << 3) + varint(int(value))


def polygon_layer(name: str, geoms: np.ndarray, properties: Mapping[str, Sequence], ids: np.ndarray | None = None,
                  extent: int = 4096) -> bytes:
    """One MVT layer of polygon features (an empty layer gives b"")."""
    n = len(geoms)
    if n == 0:
        return b""
    keys = list(properties)
    columns = [pd.Series(np.asarray(properties[k], dtype=object)) for k in keys]
    codes, uniques = pd.factorize(pd.concat(columns, ignore_index=True), sort=False)
    tags = np.empty((n, 2 * len(keys)), dtype=np.uint64)
    tags[:, 0::2] = np.arange(len(keys), dtype=np.uint64)
    tags[:, 1::2] = codes.reshape(len(keys), n).T.astype(np.uint64)
    tag_bytes, tag_lengths = varints(tags.ravel())
    tag_len = tag_lengths.reshape(n, -1).sum(axis=1)
    commands, counts = polygon_commands(geoms)
    geom_bytes, geom_lengths = varints(commands)
    geom_len = np.bincount(np.repeat(np.arange(n), counts), weights=geom_lengths, minlength=n).astype(np.int64)
    tag_end, geom_end = np.cumsum(tag_len), np.cumsum(geom_len)
    parts: list[bytes] = [_field(1, name.encode("utf-8"))]
    type_field = varint(3 << 3) + varint(POLYGON)
    id_list = None if ids is None else [int(i) for i in ids]
    t0 = g0 = 0
    for k in range(n):
        t1, g1 = int(tag_end[k]), int(geom_end[k])
        feature = ((varint(1 << 3) + varint(id_list[k]) if id_list is not None else b"")
                   + _field(2, tag_bytes[t0:t1]) + type_field + _field(4, geom_bytes[g0:g1]))
        parts.append(_field(2, feature))
        t0, g0 = t1, g1
    parts += [_field(3, k.encode("utf-8")) for k in keys]
    parts += [_field(4, _value(v)) for v in uniques]
    parts.append(varint(5 << 3) + varint(extent))
    parts.append(varint(15 << 3) + varint(VERSION))
    return b"".join(parts)


def tile(layers: Sequence[bytes]) -> bytes:
    """The tile holding the non-empty `layers`."""
    return b"".join(_field(3, layer) for layer in layers if layer)
