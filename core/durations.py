"""Intervals in configuration files: ``90s``, ``30m``, ``6h``, ``2d``, ``1w`` or plain seconds."""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``value``; a clear ``ValueError`` for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if match is None:
            raise ValueError(
                f"not a duration: {value!r} (use a number with s, m, h, d or w: 30m, 6h, 2d)"
            )
        seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if seconds <= 0:
        raise ValueError(f"a duration must be more than zero, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact spelling: 5400 -> ``90m``, 86400 -> ``1d``."""
    for unit, size in sorted(_UNITS.items(), key=lambda kv: -kv[1]):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
