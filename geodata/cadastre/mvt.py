"""A vectorised encoder of Mapbox Vector Tiles (MVT 2.1) for polygon layers.

Why our own: a parcel tile at zoom 15 holds thousands of polygons, and a per-feature encoder in
Python (mapbox-vector-tile) spends most of a cold tile's time building protobuf objects one
coordinate at a time. Here every step is a numpy operation over the whole layer: the geometry
commands (MoveTo, LineTo, ClosePath with zig-zag deltas from a cursor that runs through each
feature), the varints of the packed arrays, the tag indices into the layer's value table, and the
protobuf framing of the features and values (byte pieces scattered into place, `_ragged`).

Input geometries must already be in tile units, valid and oriented as MVT wants
(exterior rings with a positive area by the surveyor's formula on y-down tile units: clockwise on
screen): `vector_tiles.py` orients them with shapely (`orient_polygons`); the rounding to whole
units, and dropping the rings it collapses, is done here.

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


def polygon_commands(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The MVT geometry command integers of polygon features, all features concatenated, each kept
    feature's count of integers, and which features were kept.

    Coordinates are rounded to whole tile units here. A point equal to the one before it in its
    ring is dropped; a ring left with fewer than three points, or whose area's sign is not its role's
    (exterior positive, holes negative, by the surveyor's formula on tile units), is dropped, and a
    polygon whose exterior is dropped goes with its holes (a feature left with nothing is not kept).
    The cursor starts at (0, 0) in each feature and runs on through its rings and parts; each ring
    is MoveTo(1), LineTo(k-1), ClosePath (the closing point left out).

    >>> square = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)])  # positive area: clockwise on screen
    >>> sliver = shapely.Polygon([(0, 0), (0.4, 0), (0.2, 5)])  # nothing left once rounded
    >>> cmds, counts, kept = polygon_commands(np.array([square, sliver]))
    >>> cmds.tolist(), counts.tolist(), kept.tolist()
    ([9, 0, 0, 26, 20, 0, 0, 20, 19, 0, 15], [11], [True, False])
    """
    _, coords, (ring_off, poly_off, feat_off) = shapely.to_ragged_array(_as_multipolygons(geoms))
    ring_poly = np.repeat(np.arange(len(poly_off) - 1), np.diff(poly_off))
    poly_feature = np.repeat(np.arange(len(feat_off) - 1), np.diff(feat_off))
    exterior = np.zeros(len(ring_poly), dtype=bool)
    exterior[poly_off[:-1][np.diff(poly_off) > 0]] = True
    # every ring's points without its closing one, rounded; repeated points dropped
    n_ring = np.diff(ring_off) - 1
    ring_of = np.repeat(np.arange(len(n_ring)), n_ring)
    keep = np.ones(len(coords), dtype=bool)
    keep[ring_off[1:] - 1] = False
    pts = np.rint(coords[keep]).astype(np.int64)
    first = np.cumsum(n_ring) - n_ring
    same_as_prev = np.zeros(len(pts), dtype=bool)
    same_as_prev[1:] = (pts[1:] == pts[:-1]).all(axis=1) & (ring_of[1:] == ring_of[:-1])
    last = first + n_ring - 1
    has = n_ring > 1
    same_as_prev[last[has]] |= (pts[last[has]] == pts[first[has]]).all(axis=1)
    pts, ring_of = pts[~same_as_prev], ring_of[~same_as_prev]
    n_ring = np.bincount(ring_of, minlength=len(n_ring))
    first = np.cumsum(n_ring) - n_ring
    # twice the signed area of each ring (shoelace over the cyclic sequence)
    nxt = np.arange(1, len(pts) + 1)
    nonempty = n_ring > 0
    nxt[(first + n_ring - 1)[nonempty]] = first[nonempty]
    cross = pts[:, 0] * pts[nxt % max(len(pts), 1), 1] - pts[nxt % max(len(pts), 1), 0] * pts[:, 1]
    area2 = np.bincount(ring_of, weights=cross, minlength=len(n_ring))
    good = (n_ring >= 3) & np.where(exterior, area2 > 0, area2 < 0)
    poly_ok = np.zeros(len(poly_off) - 1, dtype=bool)
    poly_ok[ring_poly[exterior & good]] = True
    good &= poly_ok[ring_poly]
    pts, ring_of = pts[good[ring_of]], ring_of[good[ring_of]]
    ring_feature = poly_feature[ring_poly][good]
    ring_len = n_ring[good]
    kept = np.zeros(len(geoms), dtype=bool)
    kept[ring_feature] = True
    point_ring = np.repeat(np.arange(len(ring_len)), ring_len)
    point_feature = ring_feature[point_ring]
    prev = np.vstack(([0, 0], pts[:-1])) if len(pts) else np.zeros((0, 2), dtype=np.int64)
    first_of_feature = np.ones(len(pts), dtype=bool)
    first_of_feature[1:] = point_feature[1:] != point_feature[:-1]
    prev[first_of_feature] = 0
    delta = zigzag(pts - prev)
    ring_size = 2 * ring_len + 3
    ring_start = (np.cumsum(ring_size) - ring_size).astype(np.int64)
    out = np.zeros(int(ring_size.sum()), dtype=np.uint64)
    out[ring_start] = MOVE_TO | (1 << 3)
    out[ring_start + 3] = (LINE_TO | ((ring_len - 1) << 3)).astype(np.uint64)
    out[ring_start + ring_size - 1] = CLOSE_PATH | (1 << 3)
    j = np.arange(len(pts)) - np.repeat(np.cumsum(ring_len) - ring_len, ring_len)
    pos = ring_start[point_ring] + np.where(j == 0, 1, 2 + 2 * j)
    out[pos] = delta[:, 0]
    out[pos + 1] = delta[:, 1]
    counts = np.bincount(ring_feature, weights=ring_size, minlength=len(geoms)).astype(np.int64)[kept]
    return out, counts, kept


def _as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Every geometry as a MultiPolygon, so one ragged layout (rings, polygons, features) holds all."""
    single = shapely.get_type_id(geoms) == POLYGON
    out = np.array(geoms, dtype=object)
    if single.any():
        out[single] = shapely.multipolygons(out[single], indices=np.arange(int(single.sum())))
    return out


def _ragged(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Records made of pieces, all at once: record k is piece 0's k-th segment, then piece 1's k-th, …
    Each piece is (its segments' bytes concatenated, as uint8; each segment's length). Returns the
    records' bytes concatenated and each record's length.

    >>> data, lengths = _ragged([(np.frombuffer(b"ab", np.uint8), np.array([1, 1])),
    ...                          (np.frombuffer(b"xyz", np.uint8), np.array([2, 1]))])
    >>> data.tobytes(), lengths.tolist()
    (b'axybz', [3, 2])
    """
    lengths = np.column_stack([length for _, length in pieces]).astype(np.int64)
    flat = lengths.ravel()
    dest = (np.cumsum(flat) - flat).reshape(lengths.shape)
    out = np.empty(int(flat.sum()), dtype=np.uint8)
    for j, (data, length) in enumerate(pieces):
        src = np.cumsum(length) - length
        out[np.repeat(dest[:, j] - src, length) + np.arange(int(length.sum()))] = data
    return out, lengths.sum(axis=1)


def _const(data: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The same bytes as a piece of each of `n` records."""
    return np.tile(np.frombuffer(data, dtype=np.uint8), n), np.full(n, len(data), dtype=np.int64)


def _varint_piece(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    data, lengths = varints(values)
    return np.frombuffer(data, dtype=np.uint8), lengths


def _length_delimited(number: int, data: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each segment of (data, lengths) as the field `number` (wire type 2) of its record."""
    return _ragged([_const(varint(number << 3 | 2), len(lengths)), _varint_piece(lengths.astype(np.uint64)),
                    (data, lengths)])


def _values(uniques: np.ndarray) -> bytes:
    """The layer's Value messages as its repeated field 4: strings as string_value, integers as uint_value."""
    if all(isinstance(v, str) for v in uniques):
        import pyarrow as pa

        arr = pa.array(list(uniques), type=pa.string())
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[: len(arr) + 1]
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]] if len(arr) else np.zeros(0, np.uint8)
        message = _length_delimited(1, data, np.diff(offsets).astype(np.int64))
    elif not any(isinstance(v, str) for v in uniques):
        ints = np.array([int(v) for v in uniques], dtype=np.uint64)
        message = _ragged([_const(varint(5 << 3), len(ints)), _varint_piece(ints)])
    else:  # strings and integers in one layer: one message at a time
        return b"".join(_field(4, _field(1, v.encode("utf-8")) if isinstance(v, str) else varint(5 << 3) + varint(int(v)))
                        for v in uniques)
    return _length_delimited(4, *message)[0].tobytes()


def polygon_layer(name: str, geoms: np.ndarray, properties: Mapping[str, Sequence], ids: np.ndarray | None = None,
                  extent: int = 4096) -> bytes:
    """One MVT layer of polygon features (b"" when no feature has anything left to draw)."""
    commands, counts, kept = polygon_commands(np.asarray(geoms, dtype=object))
    n = int(kept.sum())
    if n == 0:
        return b""
    keys = list(properties)
    columns = [pd.Series(np.asarray(properties[k], dtype=object)[kept]) for k in keys]
    codes, uniques = pd.factorize(pd.concat(columns, ignore_index=True), sort=False)
    tags = np.empty((n, 2 * len(keys)), dtype=np.uint64)
    tags[:, 0::2] = np.arange(len(keys), dtype=np.uint64)
    tags[:, 1::2] = codes.reshape(len(keys), n).T.astype(np.uint64)
    tag_bytes, tag_lengths = _varint_piece(tags.ravel())
    geom_bytes, geom_lengths = _varint_piece(commands)
    per_feature = lambda lengths, per: np.add.reduceat(lengths, np.cumsum(per) - per) if len(lengths) else per * 0  # noqa: E731
    tag_len = per_feature(tag_lengths, np.full(n, 2 * len(keys), dtype=np.int64))
    geom_len = per_feature(geom_lengths, counts)
    pieces = []
    if ids is not None:
        pieces += [_const(varint(1 << 3), n), _varint_piece(np.asarray(ids, dtype=np.int64)[kept].astype(np.uint64))]
    pieces += [_length_delimited(2, tag_bytes, tag_len), _const(varint(3 << 3) + varint(POLYGON), n),
               _length_delimited(4, geom_bytes, geom_len)]
    features, feature_lengths = _ragged(pieces)
    return b"".join([_field(1, name.encode("utf-8")), _length_delimited(2, features, feature_lengths)[0].tobytes(),
                     *(_field(3, k.encode("utf-8")) for k in keys), _values(np.asarray(uniques, dtype=object)),
                     varint(5 << 3) + varint(extent), varint(15 << 3) + varint(VERSION)])


def tile(layers: Sequence[bytes]) -> bytes:
    """The tile holding the non-empty `layers`."""
    return b"".join(_field(3, layer) for layer in layers if layer)
