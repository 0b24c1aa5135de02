import json
import re
from pathlib import Path

import pytest
from PIL import Image

from classifiers.corpus import TEST, LabelledAd, load_seed, split
from classifiers.evaluate import (
    EvaluationError,
    EvaluationReport,
    build_report,
    evaluate,
    load_data,
)
from classifiers.indicators import IndicatorExtractor
from classifiers.metrics import calibration_bins, confusion, expected_calibration_error
from classifiers.report import default_report_dir, write_report
from classifiers.train import train
from core.ad import Classification, Evidence, Indicator
from core.settings import Settings

MINI = Path(__file__).parent / "data" / "classifiers" / "mini.jsonl"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIGURES = ("pr_curve.png", "calibration.png", "confusion.png", "scores.png", "per_language.png")
HOSTILE = "<script>alert('x')</script>"
EXTRA = [
    # German: reported under "other".
    {
        "id": "extra-de-1",
        "lang": "de",
        "label": 0,
        "title": "Koch gesucht",
        "text": "Koch für unser Restaurant in Berlin gesucht. Bewerbung an jobs@gasthaus.example.",
        "kind": "benign",
    },
    # Rules out fees explicitly.
    {
        "id": "extra-en-nofee",
        "lang": "en",
        "label": 0,
        "title": "Line cook",
        "text": "Line cook wanted at Hotel Soleil Ltd. No fees charged to workers. "
        "Send your CV to jobs@hotel.example",
        "kind": "hard_negative",
    },
    {
        "id": "extra-en-hostile",
        "lang": "en",
        "label": 1,
        "title": f"Office work {HOSTILE}",
        "text": f"Office assistant, 9 to 5. {HOSTILE} Apply at hr@firm.example",
        "kind": HOSTILE,
    },
]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    train(settings, data=[MINI], seed=0)
    return settings


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "eval-set.jsonl"
    lines = MINI.read_text(encoding="utf-8").splitlines()
    lines += [json.dumps(row, ensure_ascii=False) for row in EXTRA]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report(home: Settings, data_file: Path) -> EvaluationReport:
    return evaluate(
        home,
        data_file,
        announce=pytest.fail,
        review_budget=20,
        ads_per_day=54,
        target_recall=0.9,
    )


@pytest.fixture(scope="module")
def written(report: EvaluationReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(report, tmp_path_factory.mktemp("report"))


def test_report_files_are_written(written: Path) -> None:
    assert written.name == "report.html"
    for name in FIGURES:
        data = (written.parent / name).read_bytes()
        assert data.startswith(PNG_MAGIC), name
        assert len(data) > 10_000, name
        with Image.open(written.parent / name) as image:
            assert image.size == (640, 480)
    assert (written.parent / "report.json").is_file()


def test_html_has_the_per_language_and_per_indicator_tables(
    written: Path, report: EvaluationReport
) -> None:
    html = written.read_text(encoding="utf-8")
    assert report.version in html
    languages = html[html.index('<table class="per-language">') :]
    languages = languages[: languages.index("</table>")]
    for lang in ("en", "es", "fr", "ht", "pt", "other"):
        assert f'<td class="t">{lang}</td>' in languages
    indicators = html[html.index('<table class="per-indicator">') :]
    indicators = indicators[: indicators.index("</table>")]
    for code in ("fee_or_debt", "chat_only_contact", "documents_held", "no_contract"):
        assert f"<code>{code}</code>" in indicators
    # Figures are embedded, and the page runs no script.
    assert html.count('src="data:image/png;base64,') == len(FIGURES)
    assert "<script" not in html.lower()


def test_ad_text_is_escaped(written: Path, report: EvaluationReport) -> None:
    html = written.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    assert escaped in html  # the kind column
    missed = {ad.id for ad in report.missed_lures}
    if "extra-en-hostile" in missed:  # its title and text are shown too
        assert f"Office work {escaped}" in html


def test_json_numbers_match_the_metrics(written: Path, report: EvaluationReport) -> None:
    data = json.loads((written.parent / "report.json").read_text(encoding="utf-8"))
    assert data["version"] == report.version and data["n"] == len(EXTRA) + 24
    labels = [s["label"] for s in data["scores"]]
    scores = [s["score"] for s in data["scores"]]
    point = confusion(labels, scores, data["threshold"])
    assert data["confusion"] == {"tp": point.tp, "fp": point.fp, "tn": point.tn, "fn": point.fn}
    ece = expected_calibration_error(calibration_bins(labels, scores))
    assert point.precision is not None and point.recall is not None and point.f1 is not None
    assert ece is not None
    assert data["precision"] == round(point.precision, 4)
    assert data["recall"] == round(point.recall, 4)
    assert data["f1"] == round(point.f1, 4)
    assert data["ece"] == round(ece, 4)
    for lang, metrics in data["per_language"].items():
        idx = [i for i, s in enumerate(data["scores"]) if s["lang"] == lang]
        group = confusion([labels[i] for i in idx], [scores[i] for i in idx], data["threshold"])
        assert (metrics["n"], metrics["positives"], metrics["flagged"]) == (
            group.n,
            group.positives,
            group.flagged,
        )
    assert data["per_language"]["other"]["n"] == 1
    # Review budget: 20 flags a day of 54 ads, so at most 10 of the 27 ads.
    budget = data["budget"]["row"]
    assert budget is not None, data["budget"]
    assert budget["flags_per_day"] <= 20
    flagged = sum(s >= budget["threshold"] for s in scores)
    assert budget["flagged"] == flagged
    assert budget["flags_per_day"] == round(flagged / len(scores) * 54, 2)
    target = data["target"]["row"]
    assert target["recall"] >= 0.9
    assert any(row["note"] == "model" for row in data["threshold_table"])


def test_indicator_counts(report: EvaluationReport) -> None:
    by_code = {i.code: i for i in report.indicators}
    assert list(by_code)[:3] == ["fee_or_debt", "travel_paid_abroad", "pay_too_good"]
    fee = by_code["fee_or_debt"]
    assert fee.absent >= 1  # at least the "no fees charged" cook
    assert fee.fired >= 1 and fee.lure_share is not None
    for result in report.indicators:
        assert result.fired_lures <= result.fired <= report.n
        assert result.absent_lures <= result.absent and result.absent_flagged <= result.absent
        assert (result.lure_share is None) == (result.fired == 0)


def test_figures_are_byte_identical_on_rerun(report: EvaluationReport, tmp_path: Path) -> None:
    first = write_report(report, tmp_path / "a").parent
    second = write_report(report, tmp_path / "b").parent
    for name in FIGURES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_default_report_dir(home: Settings, report: EvaluationReport) -> None:
    path = default_report_dir(home, report)
    assert path.parent == home.home_dir / "reports"
    assert re.fullmatch(rf"{re.escape(report.version)}-eval-set-\d{{8}}T\d{{6}}Z", path.name)
    path.mkdir(parents=True)
    assert default_report_dir(home, report).name == path.name + "-2"  # never reused


def test_one_class_data_reports_undefined_metrics(home: Settings, tmp_path: Path) -> None:
    benign = tmp_path / "benign.jsonl"
    benign.write_text(json.dumps(EXTRA[0]) + "\n" + json.dumps(EXTRA[1]) + "\n")
    report = evaluate(home, benign, announce=pytest.fail, target_recall=0.8, review_budget=1)
    assert (report.recall, report.f1, report.average_precision) == (None, None, None)
    assert report.target is not None and report.target.row is None
    assert "no lure" in report.target.reason
    html = write_report(report, tmp_path / "out").read_text(encoding="utf-8")
    assert "n/a" in html
    assert "recall n/a" in report.summary()


def test_empty_data_and_bad_options_are_refused(home: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(EvaluationError, match="no labelled ads"):
        evaluate(home, empty, announce=pytest.fail)
    with pytest.raises(EvaluationError, match="target recall"):
        evaluate(home, MINI, announce=pytest.fail, target_recall=1.5)
    with pytest.raises(EvaluationError, match="review budget"):
        evaluate(home, MINI, announce=pytest.fail, review_budget=0)


def _ad(ad_id: str, label: int, title: str = "", kind: str = "") -> LabelledAd:
    return LabelledAd(id=ad_id, text="text of " + ad_id, label=label, title=title, kind=kind)


def _result(score: float, *codes: str, lang: str = "en") -> Classification:
    indicators = [Indicator(c, c, [Evidence("x", 0, 1)]) for c in codes]
    return Classification(score, score >= 0.5, indicators, "v1", lang)


def test_build_report_per_indicator_and_mistakes() -> None:
    """Hand-made scores, so every number is known."""
    extractor = IndicatorExtractor.from_file(Settings().indicators_file)
    ads = [
        _ad("lure-1", 1),
        _ad("lure-2", 1),
        _ad("lure-3", 1),
        _ad("benign-1", 0, title=HOSTILE),
        _ad("benign-2", 0),
        _ad("benign-3", 0),
    ]
    results = [
        _result(0.9, "fee_or_debt", "urgency"),
        _result(0.3, "fee_or_debt"),  # missed
        _result(0.8, "urgency", lang="pt"),
        _result(0.7, "urgency"),  # a false positive
        _result(0.2, "fee_or_debt"),
        _result(0.1, lang="other"),
    ]
    no_fees = frozenset({"fee_or_debt"})
    absent = [frozenset(), frozenset(), frozenset(), frozenset(), no_fees, no_fees]
    report = build_report(
        ads,
        results,
        absent,
        extractor,
        version="v1",
        threshold=0.5,
        data="hand-made",
        data_name="hand",
        review_budget=2,
        ads_per_day=6,
        target_recall=1.0,
    )
    fee = next(i for i in report.indicators if i.code == "fee_or_debt")
    assert (fee.fired, fee.fired_lures, fee.lure_share) == (3, 2, round(2 / 3, 4))
    assert (fee.recall, fee.false_positive_rate) == (0.5, 0.0)
    assert (fee.absent, fee.absent_lures, fee.absent_flagged) == (2, 0, 0)
    urgency = next(i for i in report.indicators if i.code == "urgency")
    assert (urgency.fired, urgency.recall, urgency.false_positive_rate) == (3, 1.0, 1.0)
    assert (report.precision, report.recall) == (round(2 / 3, 4), round(2 / 3, 4))
    assert [a.id for a in report.false_positives] == ["benign-1"]
    assert [a.id for a in report.missed_lures] == ["lure-2"]
    assert list(report.per_language) == ["en", "pt", "other"]
    # Two flags a day of six: the two top ads (0.9, 0.8), both lures.
    assert report.budget is not None and report.budget.row is not None
    assert (report.budget.row.threshold, report.budget.row.recall) == (0.8, round(2 / 3, 4))
    # All three lures need a threshold of 0.3: four flags, precision 3/4.
    assert report.target is not None and report.target.row is not None
    assert (report.target.row.threshold, report.target.row.precision) == (0.3, 0.75)
    assert report.target.row.flags_per_day == 4.0


def test_data_test_means_the_seed_test_split() -> None:
    expected = [a.id for a in split(load_seed())[TEST]]
    for data in (None, "test"):
        ads, description, name = load_data(data)
        assert [a.id for a in ads] == expected
        assert (description, name) == ("seed corpus (test part)", "test")
    ads, description, name = load_data(MINI)
    assert (len(ads), description, name) == (24, str(MINI), "mini")
