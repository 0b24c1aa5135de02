"""Freezing a process's start-up objects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCRIPT = """
import gc, weakref
from core.longlived import freeze_long_lived

class Node:
    pass

def garbage():
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the collector frees it
    return weakref.ref(a)

gc.disable()
first = garbage()
freeze_long_lived()
assert first() is None, "the first freeze froze garbage"
assert gc.get_freeze_count() > 0
print("ok")
"""


def test_the_first_freeze_collects_garbage_before_freezing() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
