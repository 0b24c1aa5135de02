"""Flushes evidence files to disk on background threads, so a crawl does not wait on fsync.

A file is complete and in place (atomic rename) before ``put`` returns, so a killed process loses
nothing; only a power cut in the moment before these threads sync it could.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

logger = logging.getLogger(__name__)


class BackgroundSyncer:
    def __init__(self, workers: int = 8) -> None:
        self._queue: queue.Queue[Path | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._workers = workers
        self._closed = False

    def add(self, path: Path) -> None:
        with self._lock:
            if self._closed:
                sync_file(path)  # a late write after close: sync it here and now
                return
            if self._thread is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="evidence-fsync")
                self._thread = threading.Thread(target=self._run, name="evidence-sync", daemon=True)
                self._thread.start()
        self._queue.put(path)

    def flush(self) -> None:
        """Wait until every file added so far is on disk."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread, pool = self._thread, self._pool
        if thread is not None:
            self._queue.put(None)
            thread.join()
        if pool is not None:
            pool.shutdown()

    def _run(self) -> None:
        assert self._pool is not None
        while True:
            batch = [self._queue.get()]
            # Take what else is waiting, and sync it all at once.
            while batch[-1] is not None:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            files = [p for p in batch if p is not None]
            try:
                # Concurrent fsyncs share the filesystem's journal commits: a batch costs little
                # more than one file, where one after the other each waits for its own commit.
                oks = self._pool.map(sync_path, files)
                synced = [p for p, ok in zip(files, oks, strict=True) if ok]
                list(self._pool.map(sync_path, {p.parent for p in synced}))
            finally:
                for _ in batch:
                    self._queue.task_done()
            if batch[-1] is None:
                return


def sync_file(path: Path) -> None:
    """fsync a file, then its folder (which holds the new name)."""
    if sync_path(path):
        sync_path(path.parent)


def sync_path(path: Path) -> bool:
    """fsync a file or folder; False (and a log line) if it is gone or cannot be synced."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        logger.warning("cannot sync evidence %s: %s", path, exc)
        return False
    try:
        os.fsync(fd)
        return True
    except OSError as exc:
        logger.warning("cannot sync evidence %s: %s", path, exc)
        return False
    finally:
        os.close(fd)
