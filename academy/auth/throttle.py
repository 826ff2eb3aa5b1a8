"""A growing delay per account for sign-in, beside Flask-Limiter's limit per address.

Every attempt on an account (a password, or a second-step code) is counted before it is checked;
a completed sign-in forgets the count. After ``LOGIN_ACCOUNT_FREE_ATTEMPTS`` the account waits
``LOGIN_ACCOUNT_DELAY`` seconds before the next attempt, twice as long after each further one,
at most ``LOGIN_ACCOUNT_MAX_DELAY``: guessing slows to a crawl, yet the owner is never locked out
for good (the right password after the wait works). Counts are keyed by the e-mail as typed, so
unknown addresses are throttled alike and the answer tells nothing about who has an account.

With ``REDIS_URL`` the counts live in Redis and every worker shares them; if Redis does not
answer, sign-in stops (ThrottleUnavailable → 503) instead of quietly counting per worker.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time

from flask import current_app

log = logging.getLogger(__name__)
KEY_PREFIX = "academy:signin:"

# Atomic check-and-count: the wait left (> 0), or 0 after counting this attempt.
_ATTEMPT_LUA = """
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local t = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
local now, free, base, cap, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
    tonumber(ARGV[4]), tonumber(ARGV[5])
if n >= free then
  local wait = t + math.min(base * 2 ^ (n - free), cap) - now
  if wait > 0 then return math.ceil(wait) end
end
redis.call('HSET', KEYS[1], 'n', n + 1, 't', ARGV[1])
redis.call('EXPIRE', KEYS[1], window)
return 0
"""


class AccountThrottled(Exception):
    """Too many recent attempts on this account; ``seconds`` until the next one is taken."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


class ThrottleUnavailable(Exception):
    """The shared store of attempt counts (Redis) does not answer."""


def now() -> float:
    return time.time()


def wait_seconds(attempts: int, last_at: float, at: float, settings: tuple) -> int:
    """Seconds still to wait after ``attempts`` counted, the last one at ``last_at``."""
    free, base, cap, _ = settings
    if attempts < free:
        return 0
    return max(0, math.ceil(last_at + min(base * 2 ** (attempts - free), cap) - at))


class MemoryCounts:
    """Counts in this process (no Redis configured: one worker, development, tests)."""

    MAX_KEYS = 100_000  # a spray of made-up addresses must not grow memory without end

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def attempt(self, key: str, at: float, settings: tuple) -> int:
        with self._lock:
            attempts, last_at = self._live(key, at, settings[3])
            wait = wait_seconds(attempts, last_at, at, settings)
            if not wait:
                if len(self._counts) >= self.MAX_KEYS:
                    self._forget_expired(at, settings[3])
                self._counts[key] = (attempts + 1, at)
            return wait

    def forget(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def _live(self, key: str, at: float, window: int) -> tuple[int, float]:
        attempts, last_at = self._counts.get(key, (0, 0.0))
        return (attempts, last_at) if at - last_at < window else (0, 0.0)

    def _forget_expired(self, at: float, window: int) -> None:
        self._counts = {k: v for k, v in self._counts.items() if at - v[1] < window}
        if len(self._counts) >= self.MAX_KEYS:
            self._counts.clear()


class RedisCounts:
    """Counts shared by every worker and host."""

    def __init__(self, url: str):
        from redis import Redis  # noqa: PLC0415 - only with REDIS_URL; 0.4 s to import

        self._redis = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self._attempt = self._redis.register_script(_ATTEMPT_LUA)

    def attempt(self, key: str, at: float, settings: tuple) -> int:
        free, base, cap, window = settings
        return int(self._call(self._attempt, keys=[key], args=[repr(at), free, base, cap, window]))

    def forget(self, key: str) -> None:
        self._call(self._redis.delete, key)

    @staticmethod
    def _call(func, *args, **kwargs):
        from redis.exceptions import RedisError  # noqa: PLC0415 - as Redis in __init__

        try:
            return func(*args, **kwargs)
        except RedisError as exc:
            log.error(
                "Redis unreachable for sign-in attempt counts (%s): sign-in is refused until "
                "it answers, rather than counted per worker",
                exc,
            )
            raise ThrottleUnavailable from exc


def _store():
    app = current_app._get_current_object()
    url = app.config.get("REDIS_URL")
    cached = app.extensions.get("academy.signin_counts")
    if cached is None or cached[0] != url:
        cached = (url, RedisCounts(url) if url else MemoryCounts())
        app.extensions["academy.signin_counts"] = cached
    return cached[1]


def _key(email: str) -> str:
    normalised = (email or "").strip().lower()
    return KEY_PREFIX + hashlib.sha256(normalised.encode()).hexdigest()


def _settings() -> tuple:
    config = current_app.config
    return (
        int(config["LOGIN_ACCOUNT_FREE_ATTEMPTS"]),
        float(config["LOGIN_ACCOUNT_DELAY"]),
        float(config["LOGIN_ACCOUNT_MAX_DELAY"]),
        int(config["LOGIN_ACCOUNT_WINDOW"]),
    )


def count_attempt(email: str) -> None:
    """Count one sign-in attempt on ``email``'s account, or raise AccountThrottled while it must
    wait (ThrottleUnavailable when the shared store is down)."""
    wait = _store().attempt(_key(email), now(), _settings())
    if wait:
        raise AccountThrottled(wait)


def forget_attempts(email: str) -> None:
    """A completed sign-in: the account starts afresh."""
    _store().forget(_key(email))
