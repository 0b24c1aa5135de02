"""Write the fixed train/validation/test split of the bundled seed corpus.

    .venv/bin/python scripts/make_seed_split.py            # assign new seed ads, keep the rest
    .venv/bin/python scripts/make_seed_split.py --fresh    # re-split everything (moves ads!)
    .venv/bin/python scripts/make_seed_split.py --check    # exit 1 if the file is out of date

Deterministic: the same corpus gives the same file. Commit the result.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from classifiers.corpus import PARTS, SPLIT_FILE, load_seed, load_split_file
from classifiers.errors import CorpusError
from classifiers.seedsplit import make_split, split_document


def render(fresh: bool, path: Path) -> tuple[str, dict[str, list[str]], dict[str, str]]:
    """(file text, part -> ids, id -> language)."""
    ads = load_seed()
    existing = None if fresh or not path.is_file() else load_split_file(path)
    if existing:
        known = {a.id for a in ads}
        existing = {i: p for i, p in existing.items() if i in known}
    parts = make_split(ads, existing)
    text = json.dumps(split_document(parts), ensure_ascii=False, indent=1) + "\n"
    return text, parts, {a.id: a.lang or "?" for a in ads}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--fresh", action="store_true", help="ignore the existing split")
    parser.add_argument("--check", action="store_true", help="only compare with the file")
    parser.add_argument("--output", type=Path, default=SPLIT_FILE)
    args = parser.parse_args(argv)
    try:
        text, parts, langs = render(args.fresh, args.output)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is out of date: run {sys.argv[0]}", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    total = sum(len(ids) for ids in parts.values())
    for part in PARTS:
        by_lang = dict(sorted(Counter(langs[i] for i in parts[part]).items()))
        print(f"{part:<10} {len(parts[part]):>5} ({len(parts[part]) / total:.0%}) {by_lang}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
