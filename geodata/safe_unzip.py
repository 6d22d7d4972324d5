"""Unpacking an uploaded zip within limits, so a small archive cannot fill the memory or the disk.

A 2 MB zip can hold a 2 GiB .dbf (deflate reaches ~1000:1 on repeated bytes). Before anything
is unpacked, the archive's own directory is read: the number of members (from the end record,
before Python builds an object per member), and the declared sizes of the members that would be
unpacked, against `ZipLimits`. The members are then copied in chunks with a running count, so an
archive that lies about its sizes is stopped at the limit too; nothing is ever read whole.

Member names written by Korean Windows tools are cp949 without the zip's UTF-8 flag; they are
decoded here, so reports and `--source-layer` use the names the GIS officer sees.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from geodata import env_settings
from geodata.disk_full import is_disk_full, storage_full
from zones.errors import TooLarge

UNZIPPED_ENV = "ZONES_MAX_UNZIPPED_MB"
RATIO_ENV = "ZONES_MAX_ZIP_RATIO"
MEMBERS_ENV = "ZONES_MAX_ZIP_MEMBERS"
# An upload may be 200 MiB (ZONES_MAX_UPLOAD_MB). Real Shapefile zips unpack 3-4 times larger
# (the real legal-dong boundaries of the store: 3.98, the .shp coordinates barely compress, the
# .dbf's padded text does); 1 GiB lets a zip that fills the upload limit with such data through,
# and keeps one import's unpacked files (and the memory GDAL needs to read them) bounded.
DEFAULT_MAX_UNZIPPED_MB = 1024
# Whole archives of real data compress 3-4:1 (see above); a bomb reaches ~1000:1. 100:1 leaves real
# data a margin of 25 and refuses any archive that would unpack to more than 100 times its size.
DEFAULT_MAX_RATIO = 100.0
# A Shapefile is 3-9 files; a zip of one per district of the largest province (31 in Gyeonggi-do)
# holds under 300. Counted from the end record before the member list is built.
DEFAULT_MAX_MEMBERS = 1000
# Below this many unpacked bytes the ratio is not judged: a small .dbf of blank padded text may
# compress 200:1 and cannot hurt anyone at that size.
RATIO_FLOOR_BYTES = 10 * env_settings.MIB
CHUNK = 1024 * 1024
# Bytes of the member list allowed per member: a 46-byte entry and a name of 466 (real names: < 100).
MAX_ENTRY_BYTES = 512
_UTF8_FLAG = 0x800


@dataclass(frozen=True)
class ZipLimits:
    """How far an uploaded zip may unpack (bytes), expand (ratio) and how many members it may hold."""
    max_unzipped_bytes: int = DEFAULT_MAX_UNZIPPED_MB * env_settings.MIB
    max_ratio: float = DEFAULT_MAX_RATIO
    max_members: int = DEFAULT_MAX_MEMBERS

    @classmethod
    def from_env(cls) -> "ZipLimits":
        """The limits of ZONES_MAX_UNZIPPED_MB, ZONES_MAX_ZIP_RATIO and ZONES_MAX_ZIP_MEMBERS (the
        server and `kizone import` alike); InvalidInput names a bad variable."""
        return cls(env_settings.megabytes(UNZIPPED_ENV, DEFAULT_MAX_UNZIPPED_MB),
                   env_settings.positive_number(RATIO_ENV, DEFAULT_MAX_RATIO, "a compression ratio"),
                   env_settings.whole_number(MEMBERS_ENV, DEFAULT_MAX_MEMBERS, "zip members"))

    def describe(self) -> str:
        return (f"at most {_mib(self.max_unzipped_bytes)} unpacked ({UNZIPPED_ENV}), "
                f"{self.max_ratio:g} times the packed size ({RATIO_ENV}), "
                f"{self.max_members:,} members ({MEMBERS_ENV})")

    def facts(self) -> dict:
        return {"max_unzipped_mb": self.max_unzipped_bytes / env_settings.MIB, "max_ratio": self.max_ratio,
                "max_members": self.max_members}


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its maker wrote it: UTF-8, else cp949 (Korean Windows), else as read."""
    name = info.filename
    if info.flag_bits & _UTF8_FLAG or name.isascii():
        return name
    try:
        raw = name.encode("cp437")  # zipfile decoded the bytes as cp437; take them back
    except UnicodeEncodeError:
        return name
    for codec in ("utf-8", "cp949"):  # cp949 Hangul is never valid UTF-8, so the order is safe
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return name


def directory_size(path: Path) -> tuple[int, int] | None:
    """(members, bytes of the member list) as the archive's end record declares them (zip64 too),
    read without building the member list; None when there is no end record (zipfile then says
    the file is no zip)."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - (22 + 65535)))  # the end record, after a comment of up to 64 KiB
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        count = int.from_bytes(tail[at + 10:at + 12], "little")
        listing = int.from_bytes(tail[at + 12:at + 16], "little")
        if (count != 0xFFFF and listing != 0xFFFFFFFF) or at < 20 or tail[at - 20:at - 16] != b"PK\x06\x07":
            return count, listing
        fh.seek(int.from_bytes(tail[at - 12:at - 4], "little"))  # the zip64 end record
        record = fh.read(56)
        if record[:4] != b"PK\x06\x06" or len(record) < 48:
            return count, listing
        return int.from_bytes(record[32:40], "little"), int.from_bytes(record[40:48], "little")


def check_directory(path: Path, name: str, limits: ZipLimits) -> None:
    """Refuse a zip with too many members before Python builds an object for each: by the count
    the end record declares and by the size of the member list (which a lying count cannot hide;
    MAX_ENTRY_BYTES a member on average)."""
    declared = directory_size(path)
    if declared is None:
        return
    count, listing = declared
    if count > limits.max_members or listing > limits.max_members * MAX_ENTRY_BYTES:
        shown = f"{count:,} members" if count > limits.max_members else f"a member list of {_mib(listing)}"
        raise TooLarge(f"{name}: the zip holds {shown}; the limit is {limits.max_members:,} members "
                       f"({MEMBERS_ENV}). Zip the layer's files alone.",
                       code="zip_too_many_members", members=count, **limits.facts())


def check_member_count(infos: list[zipfile.ZipInfo], name: str, limits: ZipLimits) -> None:
    if len(infos) > limits.max_members:
        raise TooLarge(f"{name}: the zip holds {len(infos):,} members; the limit is {limits.max_members:,} "
                       f"({MEMBERS_ENV}). Zip the layer's files alone.",
                       code="zip_too_many_members", members=len(infos), **limits.facts())


def check_sizes(infos: list[zipfile.ZipInfo], archive_bytes: int, name: str, limits: ZipLimits) -> None:
    """Refuse, before unpacking, members whose declared sizes break the limits."""
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    ratio = unpacked / max(packed, 1)
    listing = ", ".join(f"{member_name(i)} {_mib(i.file_size)}" for i in sorted(infos, key=lambda i: -i.file_size)[:3])
    if unpacked > limits.max_unzipped_bytes:
        raise TooLarge(f"{name}: the layer's files would unpack to {_mib(unpacked)} ({listing}); the limit is "
                       f"{_mib(limits.max_unzipped_bytes)} ({UNZIPPED_ENV}). Nothing was unpacked; "
                       f"split the layer or raise the limit.",
                       code="zip_too_large", unzipped_bytes=unpacked, **limits.facts())
    if unpacked > RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
        raise TooLarge(f"{name}: {_mib(packed)} of the zip would unpack to {_mib(unpacked)}, {ratio:,.0f} times "
                       f"its size ({listing}); the limit is {limits.max_ratio:g} times ({RATIO_ENV}). "
                       f"Nothing was unpacked; real survey data compresses far less.",
                       code="zip_ratio_too_high", ratio=round(ratio, 1), unzipped_bytes=unpacked,
                       archive_bytes=archive_bytes, **limits.facts())


def extract(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], dest: dict[str, Path], name: str,
            limits: ZipLimits) -> None:
    """Copy each member to `dest[member filename]` in chunks, never more than it declared nor,
    all together, more than the limit (the declared sizes were checked, but they may lie)."""
    budget = min(limits.max_unzipped_bytes, sum(i.file_size for i in infos))
    written = 0
    for info in infos:
        own = 0
        try:
            with archive.open(info) as src, open(dest[info.filename], "wb") as out:
                while chunk := src.read(CHUNK):
                    own += len(chunk)
                    written += len(chunk)
                    if own > info.file_size or written > budget:
                        raise TooLarge(f"{name}: {member_name(info)} unpacks to more than the "
                                       f"{_mib(info.file_size)} the zip declares for it; refused at {_mib(written)} "
                                       f"({limits.describe()})",
                                       code="zip_lies_about_sizes", unzipped_bytes=written, **limits.facts())
                    out.write(chunk)
        except OSError as exc:
            if is_disk_full(exc):
                raise storage_full(f"the unpacked files of {name} (in the temporary folder)") from None
            raise


def _mib(n: int) -> str:
    return f"{n / env_settings.MIB:,.1f} MiB" if n >= env_settings.MIB else f"{n / 1024:,.1f} KiB"


__all__ = ["ZipLimits", "check_directory", "check_member_count", "check_sizes", "extract", "member_name"]
