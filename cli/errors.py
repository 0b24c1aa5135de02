"""Turns the errors a user can cause into one clear line and an exit status, not a traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer


class UserError(Exception):
    """A problem the user can fix; the message says how."""


@contextmanager
def user_errors(*kinds: type[BaseException], code: int = 1) -> Iterator[None]:
    """``code``: the exit status for these errors (2: the input or options were wrong)."""
    handled: tuple[type[BaseException], ...] = (UserError, OSError, *kinds)
    try:
        yield
    except handled as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(code) from exc
