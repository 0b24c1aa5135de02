"""Writing an evaluation report: ``report.html`` (figures embedded), the figures as PNG
files, and ``report.json`` with every number, into one folder."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from classifiers.evaluate import EvaluationReport
from classifiers.report.figures import render_figures
from classifiers.report.html import render_html
from core.settings import Settings

HTML_FILE = "report.html"
JSON_FILE = "report.json"


def default_report_dir(settings: Settings, report: EvaluationReport) -> Path:
    """``LUREWATCH_HOME/reports/<version>-<data name>-<UTC time>/``, never an existing one."""
    stamp = re.sub(r"[^0-9TZ]", "", report.evaluated_at.replace("+00:00", "Z"))
    base = settings.home_dir / "reports" / f"{report.version}-{report.data_name}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def write_report(report: EvaluationReport, out_dir: Path) -> Path:
    """Writes the report's files into ``out_dir`` (created if needed; other files there are
    left alone) and returns the path of ``report.html``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = render_figures(report)
    for name, data in figures.items():
        _write_atomic(out_dir / name, data)
    payload = json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False)
    _write_atomic(out_dir / JSON_FILE, (payload + "\n").encode("utf-8"))
    html_path = out_dir / HTML_FILE
    _write_atomic(html_path, render_html(report, figures).encode("utf-8"))
    return html_path


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


__all__ = ["default_report_dir", "render_figures", "render_html", "write_report"]
