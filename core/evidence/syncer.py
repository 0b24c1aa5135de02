"""Flushes evidence files to disk on a background thread, so a crawl does not wait on fsync.

A file is complete and in place (atomic rename) before ``put`` returns, so a killed process loses
nothing; only a power cut in the moment before this thread syncs it could.

On Linux the thread syncs each batch of new files with one ``syncfs`` of their filesystem: every
file, its new name and any new folder are then on disk, as a ``fsync`` of each file and folder
would leave them, for one system call per batch instead of two per file (the per-file calls
cost more CPU than writing the files). It also writes out whatever else on that filesystem was
waiting to be written, earlier than the kernel would have: on a disk busy with other writers a
batch's sync takes longer, which only ``flush()`` and ``close()`` wait for. Where ``syncfs`` is
missing, or reports an error, each file and its folder are synced one by one, and any failure
is logged against the file.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

logger = logging.getLogger(__name__)

StrPath = str | os.PathLike[str]
# syncfs errors that will not go away on a retry.
_SYNCFS_UNAVAILABLE = frozenset({errno.ENOSYS, errno.EPERM, errno.EINVAL})
SYNC_INTERVAL = 0.01  # seconds: at most 100 syncs a second, each for all files since the last


class BackgroundSyncer:
    def __init__(self, workers: int = 8) -> None:
        # (path, st_dev of its filesystem), or None to stop.
        self._queue: queue.Queue[tuple[str, int] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._workers = workers
        self._closed = False
        self._syncfs = _syncfs()
        # One open folder per filesystem, held so that each syncfs reports every write error
        # since the previous one on it, whoever else syncs that filesystem meanwhile.
        self._handles: dict[int, int] = {}

    def add(self, path: StrPath, device: int) -> None:
        """Sync ``path`` (a new file), on the filesystem ``device`` (its ``st_dev``), soon."""
        with self._lock:
            if self._closed:
                sync_file(path)  # a late write after close: sync it here and now
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="evidence-sync", daemon=True)
                self._thread.start()
        self._queue.put((os.fspath(path), device))

    def flush(self) -> None:
        """Wait until every file added so far is on disk."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()
        if self._pool is not None:
            self._pool.shutdown()
        for handle in self._handles.values():
            os.close(handle)
        self._handles.clear()

    def _run(self) -> None:
        last = 0.0
        while True:
            batch = [self._queue.get()]
            if batch[0] is not None:
                # Let a few more files arrive: one sync for them all costs as much as for one.
                time.sleep(max(0.0, last + SYNC_INTERVAL - time.monotonic()))
            last = time.monotonic()
            # Take what else is waiting, and sync it all at once.
            while batch[-1] is not None:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                by_device: dict[int, list[str]] = {}
                for item in batch:
                    if item is not None:
                        by_device.setdefault(item[1], []).append(item[0])
                for device, paths in by_device.items():
                    if not self._sync_filesystem(device, paths):
                        self._sync_each(paths)
            except Exception:
                logger.exception("evidence sync failed")
            finally:
                for _ in batch:
                    self._queue.task_done()
            if batch[-1] is None:
                return

    def _sync_filesystem(self, device: int, paths: list[str]) -> bool:
        """syncfs the filesystem the paths are on; False if that is not possible."""
        if self._syncfs is None:
            return False
        handle = self._handles.get(device)
        if handle is None:
            handle = _open_on(device, paths)
            if handle is None:
                return False
            self._handles[device] = handle
        if self._syncfs(handle) == 0:
            return True
        error = ctypes.get_errno()
        if error in _SYNCFS_UNAVAILABLE:
            # Refused here for good (a sandbox, an old kernel): say so once, not per batch.
            self._syncfs = None
            logger.warning(
                "syncfs is not available (%s): evidence files are synced one by one",
                os.strerror(error),
            )
            return False
        logger.warning(
            "cannot sync the evidence filesystem: %s; syncing its %d new files one by one",
            os.strerror(error),
            len(paths),
        )
        return False

    def _sync_each(self, paths: list[str]) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="evidence-fsync")
        # Concurrent fsyncs share the filesystem's journal commits: a batch costs little
        # more than one file, where one after the other each waits for its own commit.
        oks = self._pool.map(sync_path, paths)
        synced = [p for p, ok in zip(paths, oks, strict=True) if ok]
        list(self._pool.map(sync_path, {os.path.dirname(p) for p in synced}))


def sync_file(path: StrPath) -> None:
    """fsync a file, then its folder (which holds the new name)."""
    if sync_path(path):
        sync_path(os.path.dirname(os.fspath(path)))


def sync_path(path: StrPath) -> bool:
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


def _open_on(device: int, paths: list[str]) -> int | None:
    """An open folder on the filesystem ``device``: the folder of one of the paths."""
    for path in paths:
        try:
            handle = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        if os.fstat(handle).st_dev == device:
            return handle
        os.close(handle)
    return None


@cache
def _syncfs() -> Callable[[int], int] | None:
    """libc's syncfs(2) (Linux), which Python's os module does not offer; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function
