"""What one running app holds: settings, the stores it reads, the login throttle."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from fastapi import Request

from core.settings import Settings
from index.search import SearchIndex
from index.store import Store
from web.users import UserStore


class LoginThrottle:
    """Refuses a name after ``limit`` failed logins within ``window`` seconds. In memory: it
    slows guessing through this process, it is not an account lockout."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent(key, now).append(now)
            if len(self._failures) > 10_000:
                # Keep memory bounded when someone sprays names.
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


@dataclass
class AppState:
    settings: Settings
    users: UserStore
    store: Store
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    _index: SearchIndex | None = None
    _index_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: Settings) -> AppState:
        return cls(settings=settings, users=UserStore(settings), store=Store(settings))

    @property
    def index(self) -> SearchIndex:
        # Opened on first search, so the app starts even before anything was indexed.
        with self._index_lock:
            if self._index is None:
                self._index = SearchIndex(self.settings)
            return self._index

    def close(self) -> None:
        self.users.close()
        self.store.close()


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.lurewatch
    return state
