"""Check evidence files against their SHA-256, offline: ``lurewatch verify PATH``.

PATH may be one capture file (its name is its hash), a capture manifest (itself and every file it
lists), or a folder (every capture file under it, and what its manifests list). Export bundles
(a later issue) hook in through ``BUNDLE_MANIFEST``: a ``manifest.json`` whose ``files`` list
paths relative to its own folder, checked by the same rules. Paths read from a manifest are
untrusted: absolute paths, ``..`` and symbolic links out of the folder are reported, never opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from core.evidence.manifest import MANIFEST_EXT, SCHEMA
from core.evidence.store import CAPTURE_NAME, HASH_DIR, TEMP_PREFIX

BUNDLE_MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


class Status(StrEnum):
    OK = "ok"
    MISMATCH = "mismatch"  # the bytes are not the ones hashed (or not the size listed)
    MISSING = "missing"  # listed in a manifest, not there
    UNREADABLE = "unreadable"  # there, but cannot be read
    BAD = "bad"  # not evidence where evidence was asked for, or a manifest that lies about paths


@dataclass(frozen=True)
class FileCheck:
    path: str
    status: Status
    expected: str | None = None
    actual: str | None = None
    detail: str = ""
    listed_in: str | None = None  # the manifest that named this file

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": str(self.status),
            "expected": self.expected,
            "actual": self.actual,
            "detail": self.detail,
            "listed_in": self.listed_in,
        }


@dataclass
class VerifyReport:
    target: str
    checks: list[FileCheck] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files under a folder that are not evidence

    @property
    def problems(self) -> list[FileCheck]:
        return [c for c in self.checks if c.status is not Status.OK]

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in Status}
        for check in self.checks:
            counts[str(check.status)] += 1
        return counts

    def summary(self) -> str:
        checked = f"{len(self.checks)} file{'' if len(self.checks) == 1 else 's'} checked"
        problems = self.problems
        if not problems:
            return f"{checked}, all hashes match"
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.counts().items() if n and kind != "ok")
        plural = "" if len(problems) == 1 else "s"
        return f"{checked}, {len(problems)} problem{plural} ({kinds})"

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "ok": self.ok,
            "summary": self.summary(),
            "counts": self.counts(),
            "skipped": list(self.skipped),
            "files": [c.to_json() for c in self.checks],
        }


def verify(path: Path, evidence_root: Path | None = None) -> VerifyReport:
    """Raises FileNotFoundError when PATH does not exist; every other finding is in the report."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(f"no such file or folder: {path}")
    verifier = _Verifier(VerifyReport(target=str(path)), evidence_root)
    if path.is_dir():
        verifier.folder(path)
    else:
        verifier.file(path, explicit=True)
    return verifier.report


class _Verifier:
    def __init__(self, report: VerifyReport, evidence_root: Path | None) -> None:
        self.report = report
        self.evidence_root = evidence_root
        self._hashes: dict[Path, str | OSError] = {}
        self._done: set[tuple[Path, str]] = set()  # (file, expected hash) already reported

    def folder(self, folder: Path) -> None:
        if (folder / BUNDLE_MANIFEST).is_file():
            self.bundle(folder / BUNDLE_MANIFEST)
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            here = Path(dirpath)
            for name in sorted(dirnames):
                if (here / name).is_symlink():
                    self._add(
                        FileCheck(
                            str(here / name), Status.BAD, detail="symbolic link, not followed"
                        )
                    )
            dirnames.sort()
            for name in sorted(filenames):
                path = here / name
                if name.startswith(TEMP_PREFIX):
                    self.report.skipped.append(str(path))  # an interrupted write, never named
                    continue
                if here == folder and name == BUNDLE_MANIFEST:
                    continue  # read above
                if path.is_symlink():
                    self._add(
                        FileCheck(str(path), Status.BAD, detail="symbolic link, not followed")
                    )
                    continue
                self.file(path, explicit=False)

    def file(self, path: Path, *, explicit: bool) -> None:
        name = CAPTURE_NAME.match(path.name)
        if name is not None:
            self.hashed(path, name["sha256"])
            if name["ext"] == MANIFEST_EXT:
                self.capture_manifest(path)
        elif path.name == BUNDLE_MANIFEST and explicit:
            self.bundle(path)
        elif explicit:
            self._add(
                FileCheck(
                    str(path),
                    Status.BAD,
                    detail="not an evidence file: its name is not its SHA-256",
                )
            )
        else:
            self.report.skipped.append(str(path))

    def hashed(
        self, path: Path, expected: str, listed_in: str | None = None, size: int | None = None
    ) -> None:
        key = (_resolve(path) or path, expected)
        if key in self._done:
            return
        self._done.add(key)
        actual = self._sha256(path)
        if isinstance(actual, FileNotFoundError):
            self._add(FileCheck(str(path), Status.MISSING, expected, listed_in=listed_in))
        elif isinstance(actual, OSError):
            self._add(
                FileCheck(
                    str(path),
                    Status.UNREADABLE,
                    expected,
                    detail=actual.strerror or str(actual),
                    listed_in=listed_in,
                )
            )
        elif actual != expected:
            self._add(FileCheck(str(path), Status.MISMATCH, expected, actual, listed_in=listed_in))
        elif size is not None and path.stat().st_size != size:
            self._add(
                FileCheck(
                    str(path),
                    Status.MISMATCH,
                    expected,
                    actual,
                    detail=f"listed size {size}, file size {path.stat().st_size}",
                    listed_in=listed_in,
                )
            )
        else:
            self._add(FileCheck(str(path), Status.OK, expected, actual, listed_in=listed_in))

    def capture_manifest(self, path: Path) -> None:
        document = self._load(path)
        if document is None:
            return
        if document.get("schema") != SCHEMA:
            self._add(FileCheck(str(path), Status.BAD, detail="unknown manifest schema"))
            return
        self._listed(path, document, self.evidence_root or _evidence_root_of(path))

    def bundle(self, path: Path) -> None:
        """Extension point for export bundles: files listed relative to the bundle folder."""
        document = self._load(path)
        if document is not None:
            self._listed(path, document, path.parent)

    def _listed(self, manifest: Path, document: dict[str, Any], root: Path) -> None:
        files = document.get("files")
        if not isinstance(files, list):
            self._add(FileCheck(str(manifest), Status.BAD, detail="manifest has no list of files"))
            return
        real_root = root.resolve()
        for n, entry in enumerate(files, start=1):
            rel, sha256, size = _entry(entry)
            if rel is None or sha256 is None:
                self._add(
                    FileCheck(
                        f"{manifest} entry {n}",
                        Status.BAD,
                        detail="entry needs a relative path and a SHA-256",
                        listed_in=str(manifest),
                    )
                )
                continue
            if not _safe_relative(rel):
                self._add(
                    FileCheck(
                        rel,
                        Status.BAD,
                        sha256,
                        detail="path leaves the evidence folder; not opened",
                        listed_in=str(manifest),
                    )
                )
                continue
            target = root / rel
            resolved = _resolve(target)
            if resolved is None or not resolved.is_relative_to(real_root):
                self._add(
                    FileCheck(
                        str(target),
                        Status.BAD,
                        sha256,
                        detail="symbolic link out of the evidence folder; not opened",
                        listed_in=str(manifest),
                    )
                )
                continue
            self.hashed(target, sha256, listed_in=str(manifest), size=size)

    def _load(self, path: Path) -> dict[str, Any] | None:
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_MANIFEST_BYTES + 1)
        except OSError:
            return None  # already reported as unreadable by its hash check
        problem = ""
        document: Any = None
        if len(data) > MAX_MANIFEST_BYTES:
            problem = f"manifest larger than {MAX_MANIFEST_BYTES} bytes; not read"
        else:
            try:
                document = json.loads(data)
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                problem = "manifest is not valid JSON"
        if not problem and not isinstance(document, dict):
            problem = "manifest is not a JSON object"
        if problem:
            self._add(FileCheck(str(path), Status.BAD, detail=problem))
            return None
        return document

    def _sha256(self, path: Path) -> str | OSError:
        key = _resolve(path) or path
        if key not in self._hashes:
            try:
                with path.open("rb") as fh:
                    self._hashes[key] = hashlib.file_digest(fh, "sha256").hexdigest()
            except OSError as exc:
                self._hashes[key] = exc
        return self._hashes[key]

    def _add(self, check: FileCheck) -> None:
        self.report.checks.append(check)


def _entry(entry: Any) -> tuple[str | None, str | None, int | None]:
    if not isinstance(entry, dict):
        return None, None, None
    rel, sha256, size = entry.get("path"), entry.get("sha256"), entry.get("size")
    return (
        rel if isinstance(rel, str) else None,
        sha256 if isinstance(sha256, str) and _SHA256.match(sha256) else None,
        size if isinstance(size, int) and not isinstance(size, bool) else None,
    )


def _safe_relative(rel: str) -> bool:
    if not rel or "\x00" in rel or "\\" in rel or re.match(r"[A-Za-z]:", rel):
        return False
    path = PurePosixPath(rel)
    return not path.is_absolute() and ".." not in path.parts


def _resolve(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symbolic link loop
        return None


def _evidence_root_of(manifest: Path) -> Path:
    """The evidence folder a stored manifest sits in (``<root>/sha256/aa/<name>``, or
    ``<root>/sha256/aa/bb/<name>`` in the older layout); a manifest copied out of that layout
    is read against its own folder."""
    parents = manifest.parents
    for depth in (1, 2):
        if len(parents) > depth + 1 and parents[depth].name == HASH_DIR:
            return parents[depth + 1]
    return manifest.parent
