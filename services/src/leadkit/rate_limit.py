"""Token buckets: `rate` requests per second on average, bursts up to `burst`. Pure."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one is available."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def wait(self, now: float) -> float:
        """The seconds until a token is available, taking none."""
        tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate


class RateLimiter:
    """One bucket per key (an API key, a client IP), the least recently used forgotten first."""

    def __init__(self, *, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def retry_after(self, key: str, now: float) -> int:
        """0 when the request may go ahead; otherwise whole seconds to wait (for Retry-After)."""
        return _whole_seconds(self._bucket(key, now).take(now))

    def waiting(self, key: str, now: float) -> int:
        """Like `retry_after` but taking nothing: for limits that count only failures, checked
        before a request and charged (`failed`) once it has failed. A key never charged waits 0."""
        bucket = self._buckets.get(key)
        return 0 if bucket is None else _whole_seconds(bucket.wait(now))

    def failed(self, key: str, now: float) -> None:
        """Charge one failure to `key`."""
        self._bucket(key, now).take(now)

    def refund(self, key: str) -> None:
        """Give back the token `retry_after` took: for limits that count only failures, a token is
        taken before the attempt (so concurrent attempts cannot all slip through) and returned
        when the attempt succeeds."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.tokens = min(bucket.burst, bucket.tokens + 1)

    def _bucket(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self.rate, self.burst, self.burst, now)
            self._buckets[key] = bucket
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket


def _whole_seconds(wait: float) -> int:
    return 0 if wait == 0 else max(1, math.ceil(wait))
