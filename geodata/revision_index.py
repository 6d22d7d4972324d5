"""A fingerprint of every feature of every revision, so two revisions are compared without
reading their geometries.

Each feature of a revision gets four numbers: a 64-bit hash of its feature id (`key`), of
its normalised geometry (`geom`: WKB of `shapely.normalize`, so a ring that starts at another
vertex or runs the other way hashes the same), of its attributes (`attr`: the properties JSON
the history stores) and the row it is stored under (`fid`, to fetch it). The rows are sorted
by key and cut into buckets by the key's top bits; each bucket is stored as one blob with a
digest of its rows (`zones_revision_index`). Two revisions of a million features that differ
in a hundred differ in at most a hundred buckets: the diff reads the 4,096 digests of each
side, then only the differing buckets, then only the changed features (a Merkle-style index,
as version-control systems for data use).

The index is written in the transaction that writes the revision (geodata.revisions.snapshot)
and dropped with its content under the retention limit. A revision written before the index
existed is indexed when it is first compared, from its stored content.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import shapely

if TYPE_CHECKING:
    from geodata.gpkg_write import WrittenRows

# key, geometry hash, attribute hash, fid: one row of the index
ROW = np.dtype([("key", "<u8"), ("geom", "<u8"), ("attr", "<u8"), ("fid", "<i8")])
BUCKET_BITS = 12  # 4,096 buckets: ~250 features each for a million-parcel layer
_SHIFT = np.uint64(64 - BUCKET_BITS)
_CHUNK = 50_000  # rows hashed at once: bounds the memory of a million-feature write

INDEX_DDL = (
    """CREATE TABLE IF NOT EXISTS zones_revision_index (
        layer TEXT NOT NULL,
        revision INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        digest BLOB NOT NULL,
        rows BLOB NOT NULL,
        PRIMARY KEY (layer, revision, bucket))""",
)
INDEX_TABLE = ("zones_revision_index", "Feature fingerprints of every layer revision, for diffs (kizone)")
# A revision's index always holds this bucket (an empty blob when the revision has no feature),
# so "not indexed yet" and "no feature" are told apart.
MARKER_BUCKET = -1


def _h64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def h64_many(datas: Iterable[bytes]) -> np.ndarray:
    """`_h64` of each of `datas`, as one array: the digests are joined and read as little-endian
    64-bit integers at once, not converted one by one.

    >>> h64_many([b"a", b"bc"]).tolist() == [_h64(b"a"), _h64(b"bc")]
    True
    """
    b2 = hashlib.blake2b
    return np.frombuffer(b"".join([b2(d, digest_size=8).digest() for d in datas]), dtype="<u8").copy()


def feature_key(feature_id: str, occurrence: int) -> int:
    """The index key of the `occurrence`-th feature (0 for the first) carrying `feature_id`:
    duplicated ids are paired in stored order."""
    return _h64(f"{feature_id}\x1f{occurrence}".encode("utf-8"))


def geometry_hashes(wkbs: Sequence[bytes | None]) -> np.ndarray:
    """64-bit hashes of the normalised geometries given as WKB (0 for a missing geometry)."""
    geoms = shapely.from_wkb(np.asarray(list(wkbs), dtype=object))
    return geometry_hashes_of(geoms)


def geometry_hashes_of(geoms: np.ndarray, wrapped: np.ndarray | None = None) -> np.ndarray:
    """64-bit hashes of normalised shapely geometries (0 for a missing or empty one); those marked
    in `wrapped` are hashed as their one-part multi geometry (geodata.gpkg_write.wrapped_wkb), which
    normalises to the multi of the normalised part."""
    from geodata.gpkg_write import wrapped_wkb

    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms), dtype="<u8")
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if present.any():
        wkb = shapely.to_wkb(shapely.normalize(geoms[present]), output_dimension=2, byte_order=1)
        wkb = wrapped_wkb(wkb, None if wrapped is None else wrapped[present])
        out[present] = h64_many(wkb)
    return out


def text_hashes(texts: Iterable[str]) -> np.ndarray:
    return h64_many(t.encode("utf-8") for t in texts)


def keys_for(ids: Sequence[str]) -> np.ndarray:
    """Keys of features in stored order (`feature_key`); a repeated id counts its occurrences.

    >>> keys_for(["a", "b", "a"]).tolist() == [feature_key("a", 0), feature_key("b", 0), feature_key("a", 1)]
    True
    """
    if len(set(ids)) == len(ids):  # the usual case: every id once, every occurrence 0
        return h64_many(f"{fid}\x1f0".encode("utf-8") for fid in ids)
    seen: dict[str, int] = defaultdict(int)
    occurrences = []
    for fid in ids:
        occurrences.append(seen[fid])
        seen[fid] += 1
    return h64_many(f"{fid}\x1f{k}".encode("utf-8") for fid, k in zip(ids, occurrences))


def build_rows(ids: Sequence[str], geom_hashes: np.ndarray, attr_hashes: np.ndarray,
               fids: np.ndarray) -> np.ndarray:
    """The index rows of one revision, sorted by key."""
    rows = np.empty(len(ids), dtype=ROW)
    rows["key"] = keys_for(ids)
    rows["geom"] = geom_hashes
    rows["attr"] = attr_hashes
    rows["fid"] = fids
    return np.sort(rows, order="key", kind="stable")


def bucket_of(keys: np.ndarray) -> np.ndarray:
    return (keys >> _SHIFT).astype(np.int64)


def bucket_digest(rows: np.ndarray) -> bytes:
    """What a bucket holds, without where it is stored: fids change when a layer is rewritten."""
    content = np.column_stack([rows["key"], rows["geom"], rows["attr"]]).tobytes() if len(rows) else b""
    return hashlib.blake2b(content, digest_size=16).digest()


def split_buckets(rows: np.ndarray) -> dict[int, np.ndarray]:
    if not len(rows):
        return {}
    buckets = bucket_of(rows["key"])
    cuts = np.flatnonzero(np.diff(buckets)) + 1
    starts = np.concatenate([[0], cuts])
    return {int(buckets[s]): part for s, part in zip(starts, np.split(rows, cuts))}


def index_rows(con: sqlite3.Connection, layer: str, revision: int) -> np.ndarray:
    """The index of a revision from its stored content, read in batches (the caller's transaction).

    A feature without an `id` is numbered 1..n in stored order, as readers number it."""
    from geodata.revisions import wkb_sql

    cur = con.execute(f"SELECT fid, json_extract(properties, '$.id'), {wkb_sql('geom')}, properties "
                      "FROM main.zones_revision_data WHERE layer = ? AND revision = ? ORDER BY fid", (layer, revision))
    ids: list[str] = []
    fids: list[int] = []
    geom_parts: list[np.ndarray] = []
    attr_parts: list[np.ndarray] = []
    while batch := cur.fetchmany(_CHUNK):
        fid, feature_id, wkbs, props = zip(*batch)
        start = len(ids)
        ids.extend(str(start + k + 1) if f is None else str(f) for k, f in enumerate(feature_id))
        fids.extend(fid)
        geom_parts.append(geometry_hashes(wkbs))
        attr_parts.append(text_hashes(props))
    cat = (lambda parts: np.concatenate(parts) if parts else np.empty(0, dtype="<u8"))
    return build_rows(ids, cat(geom_parts), cat(attr_parts), np.asarray(fids, dtype=np.int64))


def index_rows_of_written(con: sqlite3.Connection, layer: str, revision: int, written: "WrittenRows"
                          ) -> tuple[str, int, np.ndarray] | None:
    """(checksum, feature count, index rows) of a revision just copied from the rows a write holds
    (geodata.gpkg_write.WrittenRows): the geometries come from memory, and only the feature ids and
    properties are read back. The same values as `query_checksum` and `index_rows` on the stored
    content; None when the stored rows are not the written ones (then those are used)."""
    from geodata.revisions import checksum_update

    cur = con.execute("SELECT fid, json_extract(properties, '$.id'), CAST(properties AS BLOB) "
                      "FROM main.zones_revision_data WHERE layer = ? AND revision = ? ORDER BY fid", (layer, revision))
    h = hashlib.sha256()
    ids: list[str] = []
    fids: list[int] = []
    attr_parts: list[np.ndarray] = []
    blobs = written.blobs
    while batch := cur.fetchmany(_CHUNK):
        fid, feature_id, props = zip(*batch)
        start = len(ids)
        ids.extend(str(start + k + 1) if f is None else str(f) for k, f in enumerate(feature_id))
        fids.extend(fid)
        mine = blobs[start:start + len(batch)]
        checksum_update(h, [0 if b is None else len(b) for b in mine], [b or b"" for b in mine], props)
        attr_parts.append(h64_many(props))
    if len(fids) != len(written.fids) or not np.array_equal(np.asarray(fids, dtype=np.int64), written.fids):
        return None
    attr = np.concatenate(attr_parts) if attr_parts else np.empty(0, dtype="<u8")
    rows = build_rows(ids, geometry_hashes_of(written.geoms, written.wrapped), attr, np.asarray(fids, dtype=np.int64))
    return h.hexdigest(), len(fids), rows


# The directory row of a revision (bucket MARKER_BUCKET) holds every bucket's digest in one blob,
# so a diff reads two small blobs before it reads any bucket.
DIRECTORY = np.dtype([("bucket", "<i8"), ("digest", "S16")])


def write_index(con: sqlite3.Connection, layer: str, revision: int, rows: np.ndarray) -> None:
    """Store a revision's index (the caller holds the write transaction)."""
    buckets = split_buckets(rows)
    directory = np.array([(b, bucket_digest(part)) for b, part in buckets.items()], dtype=DIRECTORY)
    con.executemany(
        "INSERT OR REPLACE INTO main.zones_revision_index (layer, revision, bucket, digest, rows) VALUES (?, ?, ?, ?, ?)",
        [(layer, revision, b, d, part.tobytes()) for (b, part), d in zip(buckets.items(), directory["digest"])]
        + [(layer, revision, MARKER_BUCKET, bucket_digest(rows[:0]), directory.tobytes())])


def drop_index(con: sqlite3.Connection, layer: str, up_to_revision: int) -> None:
    """Drop the index of revisions whose content is dropped (retention)."""
    if con.execute("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'zones_revision_index'").fetchone():
        con.execute("DELETE FROM main.zones_revision_index WHERE layer = ? AND revision <= ?", (layer, up_to_revision))


def read_digests(con: sqlite3.Connection, layer: str, revision: int) -> dict[int, bytes] | None:
    """bucket -> digest of one revision (its directory row); None when the revision has no index."""
    try:
        row = con.execute("SELECT rows FROM zones_revision_index WHERE layer = ? AND revision = ? AND bucket = ?",
                          (layer, revision, MARKER_BUCKET)).fetchone()
    except sqlite3.OperationalError:  # a store from before the index
        return None
    if row is None:
        return None
    directory = np.frombuffer(row[0], dtype=DIRECTORY)
    return dict(zip(directory["bucket"].tolist(), directory["digest"].tolist()))


def read_buckets(con: sqlite3.Connection, layer: str, revision: int, buckets: Iterable[int]) -> np.ndarray:
    """The index rows of `buckets` of one revision, sorted by key."""
    wanted = sorted(buckets)
    parts = []
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        marks = ",".join("?" * len(chunk))
        parts += [np.frombuffer(r[0], dtype=ROW) for r in con.execute(
            f"SELECT rows FROM zones_revision_index WHERE layer = ? AND revision = ? AND bucket IN ({marks}) "
            "ORDER BY bucket", (layer, revision, *chunk))]
    return np.concatenate(parts) if parts else np.empty(0, dtype=ROW)
