"""A token bucket: the per-channel send rate."""

from __future__ import annotations

import time


class TokenBucket:
    """``rate`` tokens a second, bursts up to one second's worth (at least 1)."""

    def __init__(self, rate: float) -> None:
        self.rate = max(rate, 0.001)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self._at = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self._at) * self.rate)
        self._at = now

    def available(self) -> int:
        self._refill()
        return int(self.tokens)

    def take(self) -> None:
        self._refill()
        self.tokens -= 1

    def wait_time(self) -> float:
        """Seconds until one token is available."""
        self._refill()
        return max(0.0, (1 - self.tokens) / self.rate)
