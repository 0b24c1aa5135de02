"""``lurewatch models list|compare|promote`` and ``lurewatch rescore``: the analysts' loop
after training. Heavy packages are imported inside the commands so ``--help`` stays fast."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import user_errors
from core.settings import Settings

models_app = typer.Typer(
    help="Model versions: list them, compare two on the same data, promote one.",
    no_args_is_help=True,
)


_TABLE_WIDTH = 120


def _settings() -> Settings:
    return Settings()


def _quiet_spacy() -> None:
    # spaCy logs each pipeline it builds at INFO, twice (its own handler and ours).
    logging.getLogger("spacy").setLevel(logging.WARNING)


def _refusals() -> tuple[type[BaseException], ...]:
    from classifiers import ClassifierError

    return (ClassifierError, ValueError)


@models_app.command("list")
def list_versions(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every model version: when made, which is current, its training data and test results."""
    from classifiers.registry import describe_versions

    settings = _settings()
    with user_errors(*_refusals(), code=2):
        infos = describe_versions(settings.models_dir)
    if as_json:
        print(json.dumps([i.to_dict() for i in infos], indent=2))
        return
    if not infos:
        print(f"no model versions in {settings.models_dir}; train one with `lurewatch train`")
        return
    table = Table(title=f"model versions in {settings.models_dir}")
    table.add_column("")
    table.add_column("version", no_wrap=True)
    for column in ("created", "data", "test F1", "prec.", "recall", "thr.", "ads", "files"):
        table.add_column(column)
    for info in infos:
        table.add_row(
            "*" if info.current else "",
            info.version,
            info.created_at[:16].replace("T", " "),
            info.training_data_sha256[:12],
            _num(info.test.get("f1")),
            _num(info.test.get("precision")),
            _num(info.test.get("recall")),
            _num(info.threshold),
            "-" if info.train_ads is None else str(info.train_ads),
            "REFUSED" if info.problem else "ok",
        )
    # markup=False: versions and messages are not rich markup. At least 120 columns: a
    # squeezed table (a pipe counts as 80) would cut the versions.
    console = Console(markup=False, highlight=False)
    if console.width < _TABLE_WIDTH:
        console = Console(markup=False, highlight=False, width=_TABLE_WIDTH)
    console.print(table)
    print("* current; data: SHA-256 of the training data; ads: ads in the training part")
    for info in infos:
        if info.problem:
            print(f"{info.version} is refused: {info.problem}")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@models_app.command("compare")
def compare(
    version_a: Annotated[str, typer.Argument(metavar="A", help="A model version.")],
    version_b: Annotated[str, typer.Argument(metavar="B", help="Another model version.")],
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Labelled JSONL; default: the seed corpus' fixed test split."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score the same labelled ads with A and B, each at its own threshold: metrics side by
    side with B - A, per language, and the ads whose flag would change."""
    from classifiers.compare import compare_versions

    _quiet_spacy()
    with user_errors(*_refusals(), code=2):
        result = compare_versions(_settings(), version_a, version_b, data)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(result.to_text(), end="")


@models_app.command("promote")
def promote(
    version: Annotated[str, typer.Argument(help="The model version to make current.")],
    no_rescore: Annotated[
        bool, typer.Option("--no-rescore", help="Do not rescore the stored ads now.")
    ] = False,
) -> None:
    """Make a version current (refused if its files fail their checks), then rescore every
    stored ad with it in the background."""
    from classifiers.registry import current_version
    from classifiers.registry import promote as promote_version

    settings = _settings()
    with user_errors(*_refusals(), code=2):
        before = current_version(settings.models_dir)
        stored = promote_version(settings.models_dir, version)
    was = f" (was {before})" if before and before != stored.version else ""
    print(f"model {stored.version} is now current{was}")
    if no_rescore:
        print("stored ads keep their scores; run `lurewatch rescore` to rescore them")
        return
    with user_errors():
        pid, log = start_rescore(settings)
    print(f"rescoring the stored ads in the background (pid {pid}); log: {log}")


def start_rescore(settings: Settings) -> tuple[int, Path]:
    """Start ``lurewatch rescore`` detached from this process (it outlives the terminal and
    is not this process's child to wait for). Returns its pid and log file."""
    logs = settings.home_dir / "logs"
    logs.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log = logs / f"rescore-{stamp}.log"
    n = 1
    while log.exists():
        n += 1
        log = logs / f"rescore-{stamp}-{n}.log"
    log.touch()
    env = {**os.environ, "LUREWATCH_HOME": str(settings.home_dir)}
    # The shell starts the rescore in the background and exits at once, so the rescore is
    # adopted by init: nothing here has to wait for it, and no zombie is left.
    script = 'log=$1; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'
    command = [sys.executable, "-m", "cli.main", "rescore"]
    launcher = subprocess.run(
        ["/bin/sh", "-c", script, "sh", str(log), *command],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        start_new_session=True,  # Ctrl-C at the terminal does not reach the rescore
    )
    pid = launcher.stdout.strip()
    if launcher.returncode != 0 or not pid.isdigit():
        raise OSError(f"could not start the rescore: {launcher.stderr.strip() or 'no pid'}")
    return int(pid), log


def rescore(
    model: Annotated[
        str | None,
        typer.Option("--model", help="Version to score with; default: the current model."),
    ] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Ads per batch.")] = 200,
) -> None:
    """Score every stored ad with the current (or given) model, in batches; keeps each ad's
    history of scores. Resumable: a rerun skips ads the model already scored."""
    from index import IndexBusyError
    from index.rescore import rescore as rescore_ads

    settings = _settings()
    _quiet_spacy()
    with user_errors(*_refusals(), IndexBusyError, code=2):
        result = rescore_ads(settings, model, batch_size=batch)
    print(result.summary())
