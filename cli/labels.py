"""``lurewatch label-queue``: the next ads for analysts to label, out as Label Studio tasks or
JSONL, and their decisions back in.

With nothing to label (an empty store, or every ad labelled) it says so on stderr, writes no
file and exits 0: that is a state of the store, not a mistake of the user.
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import UserError, user_errors
from core.settings import Settings

FORMATS = ("jsonl", "labelstudio")
DEFAULT_N = 50


def label_queue(
    n: Annotated[
        int | None,
        typer.Option("--n", min=1, max=10_000, help=f"How many ads (default {DEFAULT_N})."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl (default) or labelstudio.")] = "jsonl",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Default: stdout for jsonl; LUREWATCH_HOME/labels/queue-<time>.json "
            "(and its -config.xml) for labelstudio.",
        ),
    ] = None,
    import_file: Annotated[
        Path | None,
        typer.Option(
            "--import",
            help="Read decisions back: a Label Studio JSON export or JSONL "
            '({"ad_id", "label": 0|1, "reviewer"?, "note"?}), told apart by content.',
        ),
    ] = None,
    reviewer: Annotated[
        str | None,
        typer.Option(
            "--reviewer",
            help="Who decided. Label Studio: recorded instead of its annotators; JSONL: for "
            "lines without a reviewer (default: your login name).",
        ),
    ] = None,
) -> None:
    """Pick the next ads to label (most uncertain first, no near-copies), or import labels."""
    settings = Settings()
    with user_errors(ValueError):
        if import_file is not None:
            if n is not None or out is not None or fmt != "jsonl":
                raise UserError("--import reads its format from the file: drop --n/--format/--out")
            run_import(settings, import_file, reviewer)
        else:
            if fmt not in FORMATS:
                raise UserError(f"--format must be jsonl or labelstudio, not {fmt!r}")
            if reviewer is not None:
                raise UserError("--reviewer goes with --import")
            run_export(settings, n or DEFAULT_N, fmt, out)


def run_export(settings: Settings, n: int, fmt: str, out: Path | None) -> None:
    from classifiers.labelfiles import write_jsonl
    from classifiers.labelqueue import choose
    from classifiers.labelstudio import write_export
    from index.labels import queue_candidates

    candidates, labelled = queue_candidates(settings)
    result = choose(candidates, n, labelled)
    if not result.picked:
        why = (
            "every stored ad is labelled or a near-copy of a labelled one"
            if candidates or labelled
            else "the store holds no ads yet (run a crawl first)"
        )
        print(f"nothing to label: {why}; no file written", file=sys.stderr)
        return
    summary = (
        f"{len(result.picked)} ads to label ({result.near_duplicates} near-copies passed over, "
        f"{len(labelled)} already labelled)"
    )
    if fmt == "labelstudio":
        target = out or _default_labelstudio_path(settings)
        tasks, config = write_export(result.picked, target)
        print(summary)
        print(f"tasks: {tasks}")
        print(f"labelling config: {config}")
        return
    if out is None:
        write_jsonl(result.picked, sys.stdout)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as handle:
            write_jsonl(result.picked, handle)
    print(summary + ("" if out is None else f": {out}"), file=sys.stderr)


def _default_labelstudio_path(settings: Settings) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.home_dir / "labels" / f"queue-{stamp}.json"


def run_import(settings: Settings, path: Path, reviewer: str | None) -> None:
    from classifiers.labelfiles import MAX_FILE_CHARS, check_known, detect_format, parse_jsonl
    from classifiers.labelstudio import parse_export
    from index.labels import Decision, Decisions, known_ads

    if path.is_file() and path.stat().st_size > MAX_FILE_CHARS:
        raise UserError(f"{path}: too large for one import; split it")
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text") from exc
    kind = detect_format(content)
    if kind == "labelstudio":
        result = parse_export(content, reviewer)
        source = "label-studio"
    else:
        result = parse_jsonl(content, reviewer or _login_name())
        source = "jsonl"
    check_known(result, known_ads(settings, (label.ad_id for label in result.labels)))
    decisions = Decisions(settings)
    try:
        added = decisions.record(
            Decision(
                ad_id=label.ad_id,
                label=label.label,
                reviewer=label.reviewer,
                decided_at=label.decided_at,
                source=source,
                note=label.note,
            )
            for label in result.labels
        )
    finally:
        decisions.close()
    counts = result.counts()
    what = "a Label Studio export" if kind == "labelstudio" else "JSONL"
    print(
        f"read {len(result.labels)} decision(s) from {what}: {counts[1]} lure, {counts[0]} not_lure"
    )
    print(
        f"recorded {added} new ({len(result.labels) - added} already recorded); skipped: "
        f"{result.unlabelled} without a decision, {result.cancelled} cancelled and "
        f"{result.empty} empty annotation(s)"
    )


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
