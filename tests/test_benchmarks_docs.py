"""docs/benchmarks.md: each benchmark replaces only its own section."""

from __future__ import annotations

from pathlib import Path

from benchmarks.docs import HEADER, replace_section


def test_sections_are_added_then_replaced_in_place(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    replace_section(doc, "crawl", "## Crawl\n\nfirst run\n")
    replace_section(doc, "memory", "## Memory\n\nkept\n")
    text = doc.read_text()
    assert text.startswith(HEADER)
    assert text.index("first run") < text.index("kept")

    replace_section(doc, "crawl", "## Crawl\n\nsecond run\n")
    text = doc.read_text()
    assert "first run" not in text and "second run" in text
    assert text.index("second run") < text.index("kept")
    assert text.count("## Crawl") == 1 and text.count("## Memory") == 1


def test_text_written_by_hand_is_kept(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nA note by hand.\n\n## Rendered memory\n\n42 MB\n")
    replace_section(doc, "crawl", "## Crawl\n\nnumbers\n")
    replace_section(doc, "crawl", "## Crawl\n\nnew numbers\n")
    text = doc.read_text()
    assert "A note by hand." in text and "42 MB" in text
    assert "new numbers" in text and "\nnumbers" not in text
