"""Plain text of parsed HTML elements.

Works on the lxml tree rather than on markup, so a literal ``<script>`` that an ad's text talks
about (``&lt;script&gt;`` in the page) stays text, while the page's own scripts and styles never
become text.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from core.text import clean_text

NEVER_TEXT = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "svg",
        "canvas",
        "iframe",
        "object",
        "embed",
        "select",
        "button",
        "textarea",
    }
)
# Blocks that start a paragraph (blank line) and blocks that only start a line.
PARAGRAPHS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "div",
        "dl",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
    }
)
LINES = frozenset({"br", "dd", "dt", "figcaption", "li", "tr"})
CELLS = frozenset({"td", "th"})


def tag_of(node: etree._Element) -> str:
    # Comments and processing instructions have a function, not a string, as their tag.
    tag = node.tag  # read once: lxml builds a new string on every read
    return tag.lower() if isinstance(tag, str) else ""


def node_text(
    node: etree._Element,
    skip: Callable[[etree._Element], bool] | None = None,
    max_chars: int | None = None,
) -> str:
    """Text of ``node`` with blocks on their own lines; ``skip`` leaves out whole subtrees."""
    return clean_text("".join(_pieces(node, skip)), max_chars)


def _pieces(root: etree._Element, skip: Callable[[etree._Element], bool] | None) -> list[str]:
    out: list[str] = []
    pending = 0  # line breaks owed before the next visible text

    def brk(lines: int) -> None:
        nonlocal pending
        pending = max(pending, lines)

    def emit(text: str | None) -> None:
        nonlocal pending
        if not text:
            return
        if not text.strip():
            out.append(" ")
            return
        if pending and out:
            out.append("\n" * pending)
        pending = 0
        out.append(text)

    def breaks(tag: str) -> int:
        return 2 if tag in PARAGRAPHS else 1 if tag in LINES else 0

    # Iterative walk: hostile pages can nest deeper than Python's recursion limit.
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        tag = tag_of(node)
        if closing:
            brk(breaks(tag))
            if tag in CELLS:
                out.append(" ")
            if node is not root:
                emit(node.tail)
            continue
        if not tag or tag in NEVER_TEXT or (skip is not None and node is not root and skip(node)):
            if node is not root:
                emit(node.tail)
            continue
        brk(breaks(tag))
        emit(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return out
