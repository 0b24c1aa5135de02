"""Content-addressed, write-once evidence files: ``sha256/<aa>/<sha256>.<ext>``.

A file's name is the SHA-256 of its bytes, so a copied folder can be checked without any
database, the same bytes are stored once, and a changed byte shows (``core.evidence.verify``).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
import stat
from contextlib import suppress
from pathlib import Path

from core.ad import Capture
from core.evidence.syncer import BackgroundSyncer, sync_path

logger = logging.getLogger(__name__)

HASH_DIR = "sha256"
TEMP_PREFIX = ".tmp-"
EXT_PATTERN = r"[a-z0-9]{1,10}(?:\.[a-z0-9]{1,10}){0,2}"
_EXT = re.compile(EXT_PATTERN + r"\Z")
CAPTURE_NAME = re.compile(r"(?P<sha256>[0-9a-f]{64})\.(?P<ext>" + EXT_PATTERN + r")\Z")
READ_ONLY = 0o444


def relative_path(sha256: str, ext: str) -> str:
    # One level of 256 folders, as git does. (Stores written before 2026-11-23 used two,
    # ``<aa>/<bb>/``: on ext4 a new folder for almost every file doubled what a capture
    # cost to write. Their paths stay valid: see ``is_capture_path``.)
    return f"{HASH_DIR}/{sha256[:2]}/{sha256}.{ext}"


def legacy_relative_path(sha256: str, ext: str) -> str:
    return f"{HASH_DIR}/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"


def is_capture_path(rel: str) -> bool:
    """True for exactly the relative paths ``relative_path`` makes, or made in the older
    two-level layout (ads stored then still point there)."""
    parts = rel.split("/")
    if len(parts) not in (3, 4) or parts[0] != HASH_DIR:
        return False
    name = CAPTURE_NAME.match(parts[-1])
    if name is None:
        return False
    layout = relative_path if len(parts) == 3 else legacy_relative_path
    return layout(name["sha256"], name["ext"]) == rel


class EvidenceStore:
    """Writes each file once, atomically (temp file, fsync, rename), read-only afterwards.

    ``background_sync=True`` (what a crawl uses) does the fsyncs on a thread: the file is in
    place when ``put`` returns, and on disk shortly after; ``flush()`` waits for that and
    ``close()`` also stops the thread. ``fsync=False`` skips them: a killed process loses nothing
    either way, a power cut might.
    """

    def __init__(self, root: Path, *, fsync: bool = True, background_sync: bool = False) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self._syncer = BackgroundSyncer() if fsync and background_sync else None
        # put() runs for every file of every page: plain strings and os calls, not pathlib.
        self._root = os.fspath(self.root)
        self._made: set[str] = set()  # folders known to exist: one mkdir per folder, not per file

    def put(self, data: bytes, kind: str, ext: str) -> Capture:
        if not _EXT.match(ext):
            raise ValueError(f"bad evidence file extension {ext!r}")
        sha256 = hashlib.sha256(data).hexdigest()
        folder = f"{self._root}/{HASH_DIR}/{sha256[:2]}"
        target = f"{folder}/{sha256}.{ext}"
        if folder not in self._made and self._make_folder(folder):
            self._write(folder, target, data)  # a new folder holds no file yet
        else:
            try:
                size = os.stat(target).st_size
            except FileNotFoundError:
                self._write(folder, target, data)
            else:
                if size != len(data):
                    # The name promises these bytes; a file of another size is damaged. Rewrite.
                    logger.warning("evidence file %s has the wrong size; rewriting it", target)
                    self._write(folder, target, data)
        return Capture(kind=kind, sha256=sha256, path=relative_path(sha256, ext), size=len(data))

    def path_of(self, capture: Capture) -> Path:
        """The file of a capture; refuses any path the store would not have written."""
        if not is_capture_path(capture.path):
            raise ValueError(f"not an evidence path: {capture.path!r}")
        return self.root / capture.path

    def flush(self) -> None:
        if self._syncer is not None:
            self._syncer.flush()

    def close(self) -> None:
        if self._syncer is not None:
            self._syncer.close()

    def _make_folder(self, folder: str) -> bool:
        """Make sure the folder exists; True if this call made it."""
        try:
            # Once the 256 folders exist every file lands in a known one; a new one takes one
            # mkdir, no walk up the tree.
            os.mkdir(folder)
            made = True
        except FileExistsError:
            made = False
        except FileNotFoundError:
            os.makedirs(os.path.dirname(folder), exist_ok=True)
            try:
                os.mkdir(folder)
                made = True
            except FileExistsError:
                made = False
        self._made.add(folder)
        return made

    def _write(self, folder: str, target: str, data: bytes) -> None:
        try:
            fd, tmp = _create_temp(folder)
        except FileNotFoundError:
            # The folder went away since this store made it.
            self._made.discard(folder)
            self._make_folder(folder)
            fd, tmp = _create_temp(folder)
        try:
            try:
                written = os.write(fd, data)
                if written < len(data):  # a short write: write the rest
                    view = memoryview(data)[written:]
                    while view:
                        view = view[os.write(fd, view) :]
                device = 0
                if self._syncer is not None:
                    # The syncer needs the filesystem; the same call tells whether the umask
                    # left the file 0444 (it always does but for a umask that takes read
                    # permissions away), which saves a fchmod per file.
                    status = os.fstat(fd)
                    device = status.st_dev
                    if stat.S_IMODE(status.st_mode) != READ_ONLY:
                        os.fchmod(fd, READ_ONLY)
                else:
                    os.fchmod(fd, READ_ONLY)
                    if self.fsync:
                        os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        if self._syncer is not None:
            self._syncer.add(target, device)
        elif self.fsync:
            # The rename is only durable once the folder's entry is on disk too.
            sync_path(folder)


_temp_names = itertools.count()


def _create_temp(folder: str) -> tuple[int, str]:
    """A new, empty temp file in the folder, open for writing, read-only (0444) once closed
    (made so here, as far as the umask allows: the file's permissions do not bind the open
    file, and the store makes sure of the rest).

    Its name is unique to this process and call (a leftover of a killed process that had the
    same pid is skipped by O_EXCL), and starts with ``TEMP_PREFIX``, which ``verify`` skips.
    """
    while True:
        tmp = f"{folder}/{TEMP_PREFIX}{os.getpid()}-{next(_temp_names)}"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, READ_ONLY), tmp
        except FileExistsError:
            continue
