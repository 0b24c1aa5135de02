"""The report page: one HTML file from ``report.html`` with Jinja2 autoescaping on, so every
string that came from the data (titles, snippets, ids, kinds, the file name) is escaped.
Figures are embedded as data: URIs; the page has no scripts and a Content-Security-Policy
that would block any."""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from classifiers.evaluate import EvaluationReport, choice_text
from classifiers.language import OTHER
from classifiers.nlp import LANGUAGES

TEMPLATE = "report.html"
FIGURE_ALT = {
    "pr_curve.png": "Precision-recall curve with the model threshold marked",
    "calibration.png": "Reliability diagram and scores per bin",
    "confusion.png": "Confusion matrix",
    "scores.png": "Score distribution of lures and benign ads",
    "per_language.png": "Precision, recall and F1 by language",
}


def _number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.filters["num"] = _number
_env.filters["pct"] = _percent


def render_html(report: EvaluationReport, figures: dict[str, bytes]) -> str:
    images = {
        name: "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        for name, data in figures.items()
    }
    shown_langs = [*LANGUAGES, OTHER]
    languages = [(lang, report.per_language.get(lang)) for lang in shown_langs] + [
        (lang, m) for lang, m in report.per_language.items() if lang not in shown_langs
    ]
    choices = [
        choice_text(c, report.ads_per_day, report.ads_per_day_assumed)
        for c in (report.budget, report.target)
        if c is not None
    ]
    return _env.get_template(TEMPLATE).render(
        r=report,
        images=images,
        alt=FIGURE_ALT,
        languages=languages,
        choices=choices,
    )
