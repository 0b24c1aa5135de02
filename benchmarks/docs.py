"""Each benchmark owns one section of docs/benchmarks.md, between its own markers, and replaces
only that section on a rerun; the rest of the file is left as it is."""

from __future__ import annotations

import os
import re
from pathlib import Path

HEADER = """# Benchmarks

Numbers produced by the scripts in `benchmarks/` (not timed tests). Each section says the
command, date and machine that produced it; rerunning a benchmark replaces its own section.
"""


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- benchmark:{name} -->", f"<!-- /benchmark:{name} -->"


def replace_section(doc: Path, name: str, text: str) -> None:
    """Put ``text`` in ``doc`` as the section ``name``: in place of the old one, or at the end."""
    start, end = _markers(name)
    block = f"{start}\n{text.rstrip()}\n{end}\n"
    current = doc.read_text(encoding="utf-8") if doc.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(current):
        updated = pattern.sub(lambda _: block, current, count=1)
    else:
        updated = current.rstrip("\n") + "\n\n" + block
    temporary = doc.with_name(f".{doc.name}.{os.getpid()}.tmp")
    temporary.write_text(updated, encoding="utf-8")
    temporary.replace(doc)


def publish(text: str, doc: Path, name: str, write: bool = True) -> None:
    """Print a benchmark's section and, unless told not to, put it in ``doc``."""
    print(text, flush=True)
    if write:
        replace_section(doc, name, text)
        print(f"written to {doc}", flush=True)
