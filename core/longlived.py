"""Keeping a process's start-up objects out of the garbage collector's way."""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Moves every object alive now into the collector's permanent generation. Call it once
    start-up is done (modules, settings, models, pipelines loaded): those objects live as long
    as the process, and frozen they are left out of full collections, which a busy process
    runs every few hundred pages and which otherwise walk all of them each time (hundreds of
    thousands of objects once spaCy and a model are loaded).

    Only the first call runs a full collection, so that nothing unreachable gets frozen; a
    later one freezes what was loaded since, which holds little garbage."""
    if gc.get_freeze_count() == 0:
        gc.collect()
    gc.freeze()
