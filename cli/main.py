"""``lurewatch`` commands. Each stays thin: parse options, call one package, print the result."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import UserError, user_errors
from cli.labels import label_queue
from cli.models import models_app, rescore
from core.settings import Settings
from core.sources import SourceError, find_source, load_sources

if TYPE_CHECKING:
    from crawlers.summary import CrawlSummary

app = typer.Typer(
    help="LureWatch: watch public job ads for human-trafficking recruitment lures.",
    no_args_is_help=True,
    add_completion=False,
)
users_app = typer.Typer(help="Manage web app users.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(models_app, name="models")
app.command()(rescore)


def _settings() -> Settings:
    return Settings()


@app.callback()
def _setup(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    # The level sits on the handler too: Scrapy lowers the root logger's level to DEBUG.
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    # spaCy says "Created vocabulary" at INFO for every pipeline it builds: noise here.
    logging.getLogger("spacy").setLevel(max(level, logging.WARNING))


@app.command()
def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the summary.")] = False,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Set up, crawl the bundled demo sites offline, and serve the web app."""
    from cli.demo import run_demo

    with user_errors(SourceError, RuntimeError):
        run_demo(_settings(), serve=not no_serve, host=host, port=port)


@app.command()
def crawl(
    urls: Annotated[
        list[str] | None, typer.Argument(help="Sites to crawl in generic mode.")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="A source from the sources file.")
    ] = None,
    render: Annotated[bool, typer.Option(help="Render the URLs in Chromium.")] = False,
    max_pages: Annotated[int | None, typer.Option(min=1, help="Stop after N pages.")] = None,
    revisit: Annotated[
        bool,
        typer.Option("--revisit", help="Re-fetch every known page now, whatever its due time."),
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Fetch the pages that failed before again now.")
    ] = False,
) -> None:
    """Crawl sites once: the URLs given, the named sources, or every configured source.

    Crawls are incremental: listings are read again, an ad's page only when new or due."""
    from crawlers.runner import generic_source, run_crawl
    from crawlers.state.runs import failed_urls

    settings = _settings()
    with user_errors(SourceError, ValueError, RuntimeError):
        if urls:
            sources = [generic_source(url, render=render) for url in urls]
        else:
            configured = load_sources(settings.sources_file)
            sources = [find_source(configured, n) for n in source] if source else configured
        if not sources:
            raise UserError(
                f"nothing to crawl: give URLs or declare sources in {settings.sources_file}"
            )
        retry = {s.name: failed_urls(settings, s.name) for s in sources} if retry_failed else None
        if retry is not None and not any(retry.values()):
            print("no failed pages to retry")
            return
        summary = run_crawl(
            settings, sources, max_pages=max_pages, revisit=revisit, retry_urls=retry
        )
    _print_crawl_summary(summary)


def _print_crawl_summary(summary: CrawlSummary) -> None:
    print(
        f"pages fetched: {summary.pages_fetched}  ads found: {summary.ads_found}  "
        f"new: {summary.ads_new}  updated: {summary.ads_updated}  "
        f"removed: {summary.ads_removed}  flagged: {summary.ads_flagged}  "
        f"errors: {summary.errors}  seconds: {summary.seconds:.1f}"
    )


@app.command()
def classify(
    infile: Annotated[Path, typer.Argument(help="JSONL with a `text` per line ('-' for stdin).")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Default: stdout.")] = None,
) -> None:
    """Score ads from a JSONL file: adds lure_score, flagged, indicators and model_version."""
    from classifiers import classify_stream, load_classifier

    settings = _settings()
    with user_errors(ValueError):
        clf = load_classifier(settings)
        stdin = str(infile) == "-"
        source = sys.stdin if stdin else infile.open(encoding="utf-8", errors="replace")
        out = sys.stdout if output is None else output.open("w", encoding="utf-8")
        try:
            bad = classify_stream(clf, source, out, sys.stderr)
        finally:
            if source is not sys.stdin:
                source.close()
            if out is not sys.stdout:
                out.close()
    if bad:
        print(f"{bad} bad line(s) skipped", file=sys.stderr)
        raise typer.Exit(2)


@app.command()
def train(
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            help="'seed' (the bundled corpus, the default), 'store' (reviewers' decisions in the"
            " case store, with the seed unless other data is given) or a labelled"
            " .jsonl/.csv/.tsv file; repeatable.",
        ),
    ] = None,
    seed: int = 0,
    text_column: Annotated[
        list[str] | None,
        typer.Option("--text-column", help="Column with ad text (repeatable: joined)."),
    ] = None,
    title_column: Annotated[str | None, typer.Option(help="Column with the title.")] = None,
    label_column: Annotated[str | None, typer.Option(help="Column with the label.")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column with a unique ad id.")] = None,
    lang_column: Annotated[str | None, typer.Option(help="Column with a language code.")] = None,
    positive_label: Annotated[
        list[str] | None,
        typer.Option(help="Label value meaning a lure (repeatable; default 1, true, yes)."),
    ] = None,
    negative_label: Annotated[
        list[str] | None,
        typer.Option(help="Label value meaning not a lure (repeatable; default 0, false, no)."),
    ] = None,
) -> None:
    """Train a new model version, test it on the seed's fixed test part, make it current."""
    from cli.training import run_training

    with user_errors(ValueError):
        run_training(
            _settings(),
            data,
            seed,
            text_columns=text_column or (),
            title_column=title_column,
            label_column=label_column,
            id_column=id_column,
            lang_column=lang_column,
            positive_labels=positive_label or (),
            negative_labels=negative_label or (),
        )


@app.command()
def evaluate(
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Labelled JSONL (or CSV) file, or 'test': the seed corpus' fixed test split"
            " (the default).",
        ),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Default: current.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Report folder; default: LUREWATCH_HOME/reports/<version>-<data>-<time>/."
        ),
    ] = None,
    review_budget: Annotated[
        int | None,
        typer.Option(
            "--review-budget", help="At most N flagged ads a day: report the threshold for it."
        ),
    ] = None,
    ads_per_day: Annotated[
        int | None,
        typer.Option(
            "--ads-per-day", help="Ads arriving a day; default: the number of ads evaluated."
        ),
    ] = None,
    target_recall: Annotated[
        float | None,
        typer.Option("--target-recall", help="Report the highest threshold with this recall."),
    ] = None,
) -> None:
    """Evaluate a model on labelled data: writes a report (HTML, PNG figures, JSON) with
    precision, recall, F1, PR and calibration curves, per-language and per-indicator results
    and thresholds for a review budget or a target recall."""
    from classifiers import ClassifierError
    from classifiers import evaluate as evaluate_model
    from classifiers.report import default_report_dir, write_report

    settings = _settings()
    with user_errors(ValueError, ClassifierError, code=2):
        report = evaluate_model(
            settings,
            data,
            model,
            review_budget=review_budget,
            ads_per_day=ads_per_day,
            target_recall=target_recall,
        )
        html = write_report(report, out or default_report_dir(settings, report))
    print(report.summary(), end="")
    print(f"report: {html}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Full-text query; '' lists everything.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 20,
    status: Annotated[
        str, typer.Option(help="live | removed: only ads still online, or taken down.")
    ] = "",
) -> None:
    """Search everything collected, removed ads included."""
    from index import IndexBusyError, QueryError, SearchFilters, SearchIndex

    with user_errors(QueryError, IndexBusyError):
        if status not in ("", "live", "removed"):
            raise UserError(f"--status must be live or removed, not {status!r}")
        filters = SearchFilters(
            status="removed" if status == "removed" else "live" if status else None
        )
        index = SearchIndex(_settings())
        result = index.search(query, filters, limit=limit, facets=False)
        if index.outdated and result.total == 0:
            print(
                "note: the search index is from an older LureWatch; run `lurewatch reindex`",
                file=sys.stderr,
            )
    if as_json:
        payload = {"total": result.total, "hits": [h.to_json() for h in result.hits]}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{result.total} ads match")
    for column in ("score", "flag", "site", "title", "indicators", "removed"):
        table.add_column(column)
    for hit in result.hits:
        score = "-" if hit.lure_score is None else f"{hit.lure_score:.2f}"
        # markup=False: titles are scraped text, never rich markup.
        flag = "⚑" if hit.flagged else ""
        removed = (hit.removed_at or "")[:10]
        table.add_row(score, flag, hit.site, hit.title, ", ".join(hit.indicators), removed)
    Console(markup=False, highlight=False).print(table)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the web app."""
    from cli.demo import serve_app

    serve_app(_settings(), host=host, port=port)


@app.command()
def status(
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).")
    ] = None,
    failed: Annotated[
        bool, typer.Option("--failed", help="List the failed pages not fetched since.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show each source's last crawl (pages, ads, errors, bytes, render time) or failed pages."""
    from cli.status import run_status, seen_counts

    settings = _settings()
    with user_errors(SourceError):
        run_status(settings, source, failed=failed, as_json=as_json, extra=seen_counts(settings))


@app.command()
def monitor(
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).")
    ] = None,
    rounds: Annotated[
        int | None, typer.Option(min=1, help="Stop after N rounds of crawls (default: never).")
    ] = None,
) -> None:
    """Crawl every source on its revisit interval until stopped (Ctrl-C / SIGTERM)."""
    from cli.monitor import run_monitor

    with user_errors(SourceError, ValueError):
        done = run_monitor(_settings(), source or None, rounds)
    print(f"monitor stopped after {done} round(s) of crawls")


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="reviewer | investigator | analyst | admin")],
) -> None:
    """Create a user; prints the generated password once."""
    from web import add_user

    with user_errors(ValueError):
        password = add_user(_settings(), name, role)
    print(f"user {name} ({role}) created; password: {password}")


@app.command()
def reindex() -> None:
    """Rebuild the search index from the store."""
    from index import IndexBusyError, SearchIndex, Store

    settings = _settings()
    with user_errors(IndexBusyError):
        count = SearchIndex(settings).rebuild(Store(settings))
    print(f"reindexed {count} ads")


@app.command()
def verify(
    path: Annotated[
        Path, typer.Argument(help="A capture file, a capture manifest, or a folder of them.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    root: Annotated[
        Path | None,
        typer.Option("--root", help="Evidence folder that manifest paths are relative to."),
    ] = None,
) -> None:
    """Check the SHA-256 of evidence captures offline; exit 1 if any differs or is missing."""
    from cli.verify import run_verify

    raise typer.Exit(run_verify(path, evidence_root=root, as_json=as_json))


app.command("label-queue")(label_queue)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
