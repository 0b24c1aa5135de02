"""``lurewatch verify PATH``: one line per problem, then a summary; the exit status says it all.

0: every hash matches. 1: a file is changed, missing, unreadable or not evidence. 2: no PATH.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.evidence import FileCheck, verify

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_NO_PATH = 2


def run_verify(path: Path, *, evidence_root: Path | None = None, as_json: bool = False) -> int:
    try:
        report = verify(path, evidence_root)
    except FileNotFoundError:
        print(f"error: {printable(str(path))} does not exist", file=sys.stderr)
        return EXIT_NO_PATH
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=True, indent=2))
    else:
        for check in report.problems:
            print(problem_line(check))
        print(report.summary())
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def problem_line(check: FileCheck) -> str:
    words = [f"{check.status}: {printable(check.path)}"]
    if check.expected and check.actual and check.expected != check.actual:
        words.append(f"expected sha256 {check.expected}, found {check.actual}")
    if check.detail:
        words.append(printable(check.detail))
    if check.listed_in:
        words.append(f"listed in {printable(check.listed_in)}")
    return "; ".join(words)


def printable(text: str) -> str:
    """Paths come from manifests that may be hostile: no terminal control characters."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
