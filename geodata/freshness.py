"""One way to cache what is computed from the store: keep it under the store's freshness stamp.

Every cache of store content (the provider's layers, the API's pre-encoded features, the
maps, the allocation report, the siting rules bound to the layers) is a `StampedCache`: an
entry is served only while the store's stamp (`GeoPackageStore.stamp`) is the one it was
computed under, and the whole cache is dropped when the stamp moves. Values are keyed by
what they are, never by the identity of the objects they came from.

The stamp is taken *before* the value is computed: a write landing in between makes the
value newer than its stamp, which only costs one rebuild on the next call; the reverse
(a stale value under a new stamp) cannot happen.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from geodata.store import StoreStamp

V = TypeVar("V")


class StampedCache(Generic[V]):
    """Values computed from the store, valid while its freshness stamp stays the same.

    `stamp` returns the current stamp (may open the database); `settled` returns it without
    any I/O but the file stats, or None when it cannot say (used by `peek` on an event loop).
    """

    def __init__(self, stamp: Callable[[], StoreStamp | None],
                 settled: Callable[[], StoreStamp | None] | None = None):
        self._stamp_now = stamp
        self._settled = settled
        self._lock = threading.Lock()
        self._stamp: StoreStamp | None = None
        self._entries: dict[Hashable, V] = {}

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        """The value for `key` as of the store's current state, built by `build()` when needed."""
        return self.get_covering(key, lambda _value: True, lambda _previous: build())

    def get_covering(self, key: Hashable, covers: Callable[[V], bool], build: Callable[[V | None], V]) -> V:
        """The value for `key` when it is current and `covers(value)`; otherwise `build(previous)`
        (the current value that does not cover, or None) makes the one kept: a value that grows
        (more columns of a layer) replaces itself instead of being kept twice."""
        stamp = self._stamp_now()
        previous = None
        with self._lock:
            if stamp != self._stamp:
                self._entries.clear()
                self._stamp = stamp
            if stamp is not None and key in self._entries:
                previous = self._entries[key]
                if covers(previous):
                    return previous
        value = build(previous)
        with self._lock:
            if stamp is not None and self._stamp == stamp:
                self._entries[key] = value
        return value

    def peek(self, key: Hashable) -> V | None:
        """The cached value when it is certainly current and knowing so needs no database read;
        otherwise None (call `get`, off the event loop)."""
        if self._settled is None:
            return None
        stamp = self._settled()
        with self._lock:
            if stamp is None or stamp != self._stamp:
                return None
            return self._entries.get(key)
