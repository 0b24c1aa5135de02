import json
from pathlib import Path

import pytest

from classifiers.errors import CorpusError, TrainingError
from classifiers.registry import current_version, sha256_file
from classifiers.service import load_classifier
from classifiers.train import ModelInfo, train
from core.settings import Settings

MINI = Path(__file__).parent / "data" / "classifiers" / "mini.jsonl"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, ModelInfo]:
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    return settings, train(settings, data=[MINI], seed=0)


def test_train_writes_a_complete_version_and_makes_it_current(
    trained: tuple[Settings, ModelInfo],
) -> None:
    settings, info = trained
    assert info.path == settings.models_dir / info.version
    assert current_version(settings.models_dir) == info.version
    meta = json.loads((info.path / "meta.json").read_text())
    assert meta["version"] == info.version
    assert meta["model_sha256"] == sha256_file(info.path / "model.skops")
    assert meta["indicators_sha256"] == sha256_file(info.path / "indicators.yml")
    assert meta["training_data_sha256"] and meta["training_files"] == ["mini.jsonl"]
    assert meta["threshold"] == info.threshold and 0 < info.threshold < 1
    assert set(meta["metrics"]) == {"validation", "test"}
    assert meta["metrics"]["test"]["n"] == meta["counts"]["test"]["n"]
    assert sum(meta["counts"][p]["n"] for p in ("train", "validation", "test")) == 24
    assert meta["languages"] == ["en", "es", "fr", "ht", "pt"]
    card = (info.path / "MODEL_CARD.md").read_text()
    assert info.version in card and "Intended use" in card and "Limitations" in card


def test_same_data_and_seed_give_the_same_model_bytes(
    trained: tuple[Settings, ModelInfo], tmp_path: Path
) -> None:
    _, first = trained
    again = train(Settings(home=tmp_path / "again"), data=[MINI], seed=0)
    assert (again.path / "model.skops").read_bytes() == (first.path / "model.skops").read_bytes()
    assert again.version != first.version or again.path != first.path


def test_a_lone_weak_signal_is_not_flagged_but_a_multi_signal_lure_is(
    trained: tuple[Settings, ModelInfo],
) -> None:
    settings, _ = trained
    clf = load_classifier(settings)
    lone = clf.classify("No experience needed.")
    assert [i.code for i in lone.indicators if i.code != "no_company_identity"] == ["no_experience"]
    assert not lone.flagged
    lure = clf.classify(
        "Pretty girls 18-23 for hostess work in Dubai, US$4,500 a month, no experience needed. "
        "Ticket paid, passport kept by the agency. WhatsApp only, send photos, leave this week."
    )
    assert lure.flagged and lure.lure_score > lone.lure_score


def test_too_little_data_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "tiny.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({"id": f"t{i}", "text": f"Ad number {i}", "label": i % 2}) for i in range(3)
        )
    )
    with pytest.raises(TrainingError, match="at least 2 ads of each label"):
        train(Settings(home=tmp_path / "home"), data=[data])


def test_bad_training_file_is_reported(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "ok", "label": 0}\n{"text": "missing label"}\n')
    with pytest.raises(CorpusError, match=r"bad\.jsonl:2: 'label' must be 0 or 1"):
        train(Settings(home=tmp_path / "home"), data=[data])
