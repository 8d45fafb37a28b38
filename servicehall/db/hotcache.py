"""Per-process memory for lookups that the busiest endpoints repeat on every request; the
caches themselves, each with what it saves and how stale it may be, are in `db/caches.py`.

Kiosks, window terminals and hall displays send the same device key, bearer key and category
letter hundreds of times a minute; looking each up again costs more than the work the request
does. An entry lives `SH_HOT_CACHE_SECONDS` (default 2; each cache may name its own setting).
Any save or delete of a model named in `invalidated_by` empties the cache in the process that
made it at once; other server processes see the change within those seconds. `.update()` on
a queryset sends no signal: code that changes such rows that way calls `forget()` itself.

Absent values (an unknown key) are not kept, so made-up keys cannot fill the memory; the cache
also empties itself when it holds more than `MAX_ENTRIES`.
"""

import threading
import time
from collections.abc import Callable, Hashable

from django.conf import settings
from django.db.models.signals import post_delete, post_save

MAX_ENTRIES = 10_000

_caches: list = []  # every cache of the process (clear_all), HotCache and VersionedCache
_lock = threading.Lock()


class HotCache:
    def __init__(self, name: str, *, invalidated_by: tuple[str, ...], seconds_setting: str = "SH_HOT_CACHE_SECONDS"):
        self.name = name
        self.seconds_setting = seconds_setting
        self.invalidated_by = frozenset(invalidated_by)  # model labels, e.g. "queueing.TicketCategory"
        self._entries: dict[Hashable, tuple[float, object]] = {}
        with _lock:
            _caches.append(self)

    def get(self, key: Hashable, load: Callable[[], object]):
        """The value for `key`, from memory while it is fresh, else from `load()`."""
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        self.put(key, value)
        return value

    def peek(self, key: Hashable):
        """The fresh value for `key`, or None; never loads."""
        hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def put(self, key: Hashable, value) -> None:
        seconds = getattr(settings, self.seconds_setting)
        if value is not None and seconds > 0:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries = {}
            self._entries[key] = (time.monotonic() + seconds, value)

    def clear(self) -> None:
        self._entries = {}


class VersionedCache:
    """One value per key, kept until a caller asks for another version of it: for things
    rebuilt only when their version changes (the hall document per ETag version, the calendar
    per revision), which the caller reads cheaply first. Shared by the process's threads: read
    the value, never change it."""

    invalidated_by = frozenset()  # a new version replaces the value; no save empties it

    def __init__(self, name: str):
        self.name = name
        self._entries: dict[Hashable, tuple[object, object]] = {}
        with _lock:
            _caches.append(self)

    def peek(self, key: Hashable, version):
        """The kept value of `key` if it is of `version`, else None."""
        hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] == version else None

    def put(self, key: Hashable, version, value) -> None:
        self._entries[key] = (version, value)

    def get(self, key: Hashable, version, build: Callable[[], object], *, keep: bool = True):
        """The value of `key` at `version`: the kept one if it is of that version, else
        `build()`, kept unless `keep` is false (a version that may yet be rolled back)."""
        value = self.peek(key, version)
        if value is None:
            value = build()
            if keep:
                self.put(key, version, value)
        return value

    def clear(self) -> None:
        self._entries = {}


def clear_all() -> None:
    for cache in list(_caches):
        cache.clear()


def forget(label: str) -> None:
    """Empty the caches invalidated by the model `label` ("app.Model"): what a save or delete
    does by signal, for changes made with `.update()`."""
    for cache in _caches:
        if label in cache.invalidated_by:
            cache.clear()


def _forget(sender, **kwargs) -> None:
    forget(sender._meta.label)


post_save.connect(_forget, dispatch_uid="hotcache_forget_save")
post_delete.connect(_forget, dispatch_uid="hotcache_forget_delete")
