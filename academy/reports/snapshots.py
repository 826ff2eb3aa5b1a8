"""Stale-while-revalidate: the latest result of an expensive computation per key, in one process.

A reader always gets the latest snapshot at once. When it is older than the allowed age, one
background thread per key computes a new one while readers keep getting the old; only the very
first reader of a key waits for a computation. A refresh that fails is logged and leaves the last
snapshot in place (its ``generated_at`` tells readers how old it is).
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class Snapshots:
    def __init__(self, compute):
        """``compute(key)`` runs inside an application context and returns the snapshot."""
        self.compute = compute
        self._lock = threading.Lock()
        self._latest: dict = {}  # key -> (time.monotonic() when taken, value)
        self._refreshing: dict = {}  # key -> background thread
        self._first: dict = {}  # key -> lock held while the first snapshot of that key is computed

    def get(self, app, key, max_age: float, *, wait: bool = True):
        """The latest snapshot for ``key``; starts a background refresh when it is older than
        ``max_age``. With ``wait=False`` a reader never waits, not even the first: while there is
        no snapshot yet it gets None and the first computation runs in the background."""
        with self._lock:
            latest = self._latest.get(key)
            stale = latest is not None and time.monotonic() - latest[0] >= max_age
            if (stale or (latest is None and not wait)) and key not in self._refreshing:
                self._refreshing[key] = thread = threading.Thread(
                    target=self._refresh, args=(app, key), name=f"snapshot-{key}", daemon=True
                )
                thread.start()
            first = self._first.setdefault(key, threading.Lock()) if latest is None else None
        if latest is not None:
            return latest[1]
        if not wait:
            return None
        with first:  # concurrent first readers wait for one computation
            latest = self._latest.get(key)
            if latest is None:
                latest = self._store(key, self.compute(key))
            return latest[1]

    def wait(self) -> None:
        """Wait for the refreshes in progress (tests; a clean shutdown)."""
        for thread in list(self._refreshing.values()):
            thread.join()

    def _refresh(self, app, key) -> None:
        try:
            with app.app_context():
                self._store(key, self.compute(key))
        except Exception:  # the last snapshot stays; the next stale read tries again
            log.exception("snapshot refresh failed for %r", key)
        finally:
            with self._lock:
                self._refreshing.pop(key, None)

    def _store(self, key, value):
        with self._lock:
            self._latest[key] = latest = (time.monotonic(), value)
        return latest
