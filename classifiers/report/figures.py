"""The report's figures as PNG bytes. Matplotlib's object API on the Agg canvas (no pyplot:
no display, no global figure state), default style, fixed size and resolution and no
"Software" stamp, so the same report gives the same bytes on every run.

Only numbers, language codes and indicator codes are drawn: ad text never reaches a figure
(a glyph missing from the font would warn, and text in an image cannot be escaped)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import matplotlib.style
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from classifiers.evaluate import EvaluationReport, ThresholdChoice

SIZE = (6.4, 4.8)
DPI = 100
LURE, BENIGN, MARK = "#c0392b", "#2e86c1", "#111111"
_STYLE: dict[str, Any] = {
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
}


def render_figures(report: EvaluationReport) -> dict[str, bytes]:
    """File name -> PNG bytes, in the order the report shows them."""
    drawers: dict[str, Callable[[Figure, EvaluationReport], None]] = {
        "pr_curve.png": _pr_curve,
        "calibration.png": _calibration,
        "confusion.png": _confusion,
        "scores.png": _scores,
        "per_language.png": _per_language,
    }
    return {name: _png(draw, report) for name, draw in drawers.items()}


def _png(draw: Callable[[Figure, EvaluationReport], None], report: EvaluationReport) -> bytes:
    # The library defaults, not the user's matplotlibrc: same bytes on any machine with
    # the same matplotlib.
    with matplotlib.style.context(["default", _STYLE]):
        figure = Figure(figsize=SIZE, dpi=DPI)
        FigureCanvasAgg(figure)
        draw(figure, report)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _undefined(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)


def _pr_curve(figure: Figure, report: EvaluationReport) -> None:
    ax = figure.add_subplot()
    ax.set(xlim=(0, 1.02), ylim=(0, 1.05), xlabel="recall (share of lures flagged)")
    ax.set_ylabel("precision (share of flagged ads that are lures)")
    ax.set_title("Precision-recall curve")
    points = [p for p in report.pr_curve if p.precision is not None and p.recall is not None]
    if not report.positives or report.positives == report.n or not points:
        _undefined(ax, "undefined: the data needs both lures and benign ads")
        return
    recall = [0.0] + [p.recall or 0.0 for p in points]
    precision = [points[0].precision or 0.0] + [p.precision or 0.0 for p in points]
    ax.plot(recall, precision, drawstyle="steps-post", color=BENIGN, label="model")
    ax.axhline(report.positives / report.n, color="#999999", ls="--", lw=0.8, label="chance")
    if report.precision is not None and report.recall is not None:
        ax.plot(
            [report.recall],
            [report.precision],
            "o",
            color=LURE,
            ms=8,
            label=f"model threshold {report.threshold:.3f}",
        )
    for choice, marker in ((report.budget, "s"), (report.target, "^")):
        _mark_choice(ax, choice, marker)
    ax.grid(True, lw=0.3)
    ax.legend(loc="lower left")


def _mark_choice(ax: Axes, choice: ThresholdChoice | None, marker: str) -> None:
    if choice is None or choice.row is None:
        return
    row = choice.row
    if row.precision is None or row.recall is None:
        return
    label = "review budget" if choice.rule.startswith("review") else "target recall"
    ax.plot(
        [row.recall],
        [row.precision],
        marker,
        color=MARK,
        ms=7,
        fillstyle="none",
        label=f"{label} {row.threshold:.3f}",
    )


def _calibration(figure: Figure, report: EvaluationReport) -> None:
    grid = figure.add_gridspec(2, 1, height_ratios=(3, 1))
    ax = figure.add_subplot(grid[0])
    counts = figure.add_subplot(grid[1], sharex=ax)
    ax.plot([0, 1], [0, 1], ls="--", color="#999999", lw=0.8, label="perfectly calibrated")
    filled = [
        (b.mean_score, b.fraction_lures)
        for b in report.calibration
        if b.mean_score is not None and b.fraction_lures is not None
    ]
    ax.plot(
        [score for score, _ in filled],
        [share for _, share in filled],
        "o-",
        color=LURE,
        label="model",
    )
    brier = "n/a" if report.brier is None else f"{report.brier:.3f}"
    ece = "n/a" if report.ece is None else f"{report.ece:.3f}"
    ax.set_title(f"Reliability diagram (Brier {brier}, ECE {ece})")
    ax.set(xlim=(0, 1), ylim=(0, 1.02), ylabel="share of lures in bin")
    ax.grid(True, lw=0.3)
    ax.legend(loc="upper left")
    width = 1 / max(1, len(report.calibration))
    centres = [(b.lower + b.upper) / 2 for b in report.calibration]
    counts.bar(centres, [b.n for b in report.calibration], width=width * 0.9, color=BENIGN)
    counts.set(xlabel="score (mean per bin)", ylabel="ads")


def _confusion(figure: Figure, report: EvaluationReport) -> None:
    ax = figure.add_subplot()
    c = report.confusion
    cells = [[c["tp"], c["fn"]], [c["fp"], c["tn"]]]
    ax.imshow(cells, cmap="Blues", vmin=0, vmax=max(1, max(max(row) for row in cells)))
    total = max(1, report.n)
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            dark = value > max(max(r) for r in cells) / 2
            ax.text(
                j,
                i,
                f"{value}\n{value / total:.1%}",
                ha="center",
                va="center",
                fontsize=12,
                color="white" if dark else "black",
            )
    ax.set_xticks([0, 1], ["flagged", "not flagged"])
    ax.set_yticks([0, 1], ["lure", "benign"])
    ax.set_xlabel(f"model at threshold {report.threshold:.3f}")
    ax.set_ylabel("label")
    ax.set_title(f"Confusion matrix ({report.n} ads)")


def _scores(figure: Figure, report: EvaluationReport) -> None:
    ax = figure.add_subplot()
    edges = [i / 20 for i in range(21)]
    lures = [s.score for s in report.scores if s.label == 1]
    benign = [s.score for s in report.scores if s.label == 0]
    ax.hist(
        [benign, lures],
        bins=edges,
        stacked=True,
        color=[BENIGN, LURE],
        label=[f"benign ({len(benign)})", f"lure ({len(lures)})"],
    )
    ax.axvline(report.threshold, color=MARK, lw=1.2, label=f"threshold {report.threshold:.3f}")
    for choice, style in ((report.budget, ":"), (report.target, "-.")):
        if choice is not None and choice.row is not None:
            name = "review budget" if choice.rule.startswith("review") else "target recall"
            ax.axvline(
                choice.row.threshold,
                color=MARK,
                ls=style,
                lw=1.0,
                label=f"{name} {choice.row.threshold:.3f}",
            )
    ax.set(xlim=(0, 1), xlabel="lure score", ylabel="ads")
    ax.set_title("Scores by label")
    ax.legend(loc="upper center")


def _per_language(figure: Figure, report: EvaluationReport) -> None:
    ax = figure.add_subplot()
    langs = list(report.per_language)
    width = 0.26
    for k, (name, color) in enumerate((("precision", BENIGN), ("recall", LURE), ("f1", "#7d8c3c"))):
        values = [getattr(report.per_language[lang], name) for lang in langs]
        xs = [i + (k - 1) * width for i in range(len(langs))]
        ax.bar(xs, [v if v is not None else 0.0 for v in values], width, color=color, label=name)
        for x, value in zip(xs, values, strict=True):
            if value is None:  # undefined for this language's ads, not zero
                ax.text(x, 0.02, "n/a", ha="center", va="bottom", rotation=90, fontsize=7)
    ax.set_xticks(range(len(langs)), [f"{lang}\n({report.per_language[lang].n})" for lang in langs])
    ax.set(ylim=(0, 1.22), yticks=[0, 0.2, 0.4, 0.6, 0.8, 1.0], ylabel="at the model threshold")
    ax.set_title("Results by language (n ads)")
    ax.legend(loc="upper center", ncols=3)
