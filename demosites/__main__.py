"""``python -m demosites [--port 8631]``: serve the demo sites until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from demosites.server import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demosites", description="Serve the LureWatch demo sites on loopback."
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8631, help="port (default 8631; 0 = any)")
    parser.add_argument("--seed-dir", type=Path, default=None, help="seed corpus directory")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        run(args.host, args.port, args.seed_dir, args.verbose)
    except (ValueError, OSError) as exc:
        print(f"demosites: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
