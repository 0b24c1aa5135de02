import json
import time
from pathlib import Path

import pytest

from classifiers.evaluate import evaluate
from classifiers.service import load_classifier
from core.settings import Settings

LONE_SIGNALS: list[tuple[str, str | None]] = [
    ("No experience needed.", "en"),
    ("Urgent!", None),  # French too: any language will do
    ("WhatsApp me.", "en"),
    ("Sin experiencia.", "es"),
    ("Sans expérience.", "fr"),
    ("Pa bezwen eksperyans.", "ht"),
    ("Sem experiência.", "pt"),
]
LURES = [
    "Slim young ladies 18-25 wanted for hostess work in Dubai. Earn US$3,000 a month, no "
    "experience needed. Flight and visa paid. WhatsApp +1 758 555 0101, send full body photo.",
    "Se buscan chicas de 18 a 24 años para bar en Panamá, pasaje pagado que se descuenta del "
    "sueldo. Sin experiencia. Escríbenos al WhatsApp con fotos.",
    "Jeunes filles pour travail à l'étranger, billet payé, frais de dossier 200 dollars. "
    "Contact uniquement WhatsApp.",
    "Nou bezwen jenn fi pou travay lòt bò, tikè peye, w ap ranbouse sou salè w. "
    "Voye foto sou WhatsApp.",
    "Moças para trabalhar na Europa, passagem paga e descontada do salário, sem experiência. "
    "Chama no zap.",
]


@pytest.mark.slow
def test_bundled_seed_model_is_trained_on_first_use_and_scores_well(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    messages: list[str] = []
    started = time.monotonic()
    clf = load_classifier(settings, announce=messages.append)
    elapsed = time.monotonic() - started
    assert messages == [
        f"No model in {settings.models_dir}: training the bundled seed model (first run only)…"
    ]
    assert elapsed < 120, f"first-run training took {elapsed:.0f}s"

    meta = json.loads((settings.models_dir / clf.version / "meta.json").read_text())
    test = meta["metrics"]["test"]
    assert test["n"] >= 100
    assert test["f1"] >= 0.85, test
    for lang in ("en", "es", "fr", "ht", "pt"):
        assert test["by_language"][lang]["f1"] >= 0.7, (lang, test["by_language"][lang])

    for text, lang in LONE_SIGNALS:
        result = clf.classify(text)
        assert lang is None or result.lang == lang, text
        assert not result.flagged, (text, result.lure_score)
    for text in LURES:
        result = clf.classify(text)
        assert result.flagged, (text, result.lure_score)

    report = evaluate(settings, announce=pytest.fail)
    assert report.version == clf.version
    assert (report.n, report.f1) == (test["n"], test["f1"])
    assert load_classifier(settings, announce=pytest.fail).version == clf.version
