import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from classifiers.corpus import (
    TEST,
    TRAIN,
    VALIDATION,
    LabelledAd,
    load_files,
    load_seed,
    load_split_file,
    part_of,
    split_sha256,
)
from classifiers.errors import CorpusError, TrainingError
from classifiers.features import AdInput
from classifiers.indicators import IndicatorExtractor
from classifiers.language import default_identifier
from classifiers.metrics import best_f1_threshold
from classifiers.model import LureModel
from classifiers.registry import current_version, load_version, sha256_file
from classifiers.service import load_classifier
from classifiers.train import ModelInfo, plan_parts, prepare, train
from core.settings import Settings

MINI = Path(__file__).parent / "data" / "classifiers" / "mini.jsonl"
SEED_PICKS = {TRAIN: 4, VALIDATION: 2, TEST: 3}  # seed ads put in the user's file, per part


@dataclass(frozen=True)
class Trained:
    settings: Settings
    info: ModelInfo
    data: Path
    direct: list[LabelledAd]
    copy_id: str  # a user ad with the text of a seed test ad
    seed_ids: dict[str, list[str]]  # the seed ads in the file, by fixed part
    fits: list[tuple[int, int]]  # (rows, positives) of every LureModel.fit call

    @property
    def meta(self) -> dict[str, Any]:
        return json.loads((self.info.path / "meta.json").read_text())


def _mixed_data(folder: Path) -> tuple[Path, str, dict[str, list[str]]]:
    """MINI, a few seed ads from each fixed part, and a copy of a seed test ad under an id
    the hash rule would put in train."""
    fixed = load_split_file()
    seed = [a for a in load_seed() if a.kind != "single_signal"]
    picked = {
        part: [a for a in seed if fixed[a.id] == part][::97][:n] for part, n in SEED_PICKS.items()
    }
    copy_id = next(f"copy-{n}" for n in range(100) if part_of(f"copy-{n}") == TRAIN)
    original = picked[TEST][0]
    rows = [json.loads(line) for line in MINI.read_text(encoding="utf-8").splitlines() if line]
    for ads in picked.values():
        rows += [{"id": a.id, "title": a.title, "text": a.text, "label": a.label} for a in ads]
    rows.append({"id": copy_id, "title": original.title, "text": original.text, "label": 1})
    path = folder / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path, copy_id, {part: [a.id for a in ads] for part, ads in picked.items()}


DIRECT = [
    LabelledAd(
        id="store-1",
        label=1,
        lang="en",
        text="Girls 18-22 for bar work in Aruba, ticket paid and repaid from wages. WhatsApp only.",
    ),
    LabelledAd(
        id="store-2",
        label=0,
        lang="en",
        text="Hardware store in Castries needs a cashier. Apply at 12 Bridge Street with your CV.",
    ),
    LabelledAd(
        id="store-3",
        label=1,
        lang="es",
        text="Chicas para trabajar en Panamá, pasaje pagado, se descuenta del sueldo. Solo fotos.",
    ),
    LabelledAd(
        id="store-4",
        label=0,
        lang="es",
        text="Panadería en Maracay busca ayudante de cocina, turno de mañana, contrato y seguro.",
    ),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    folder = tmp_path_factory.mktemp("data")
    data, copy_id, seed_ids = _mixed_data(folder)
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    fits: list[tuple[int, int]] = []
    real_fit = LureModel.fit

    def spy(self: LureModel, X: Sequence[AdInput], y: Sequence[int]) -> LureModel:
        fits.append((len(X), int(sum(y))))
        return real_fit(self, X, y)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LureModel, "fit", spy)
        info = train(settings, data=[data], seed=0, ads=list(reversed(DIRECT)))
    return Trained(settings, info, data, DIRECT, copy_id, seed_ids, fits)


def test_train_writes_a_complete_version_and_makes_it_current(trained: Trained) -> None:
    settings, info, meta = trained.settings, trained.info, trained.meta
    assert info.path == settings.models_dir / info.version
    assert current_version(settings.models_dir) == info.version
    assert meta["version"] == info.version
    assert meta["model_sha256"] == sha256_file(info.path / "model.skops")
    assert meta["indicators_sha256"] == sha256_file(info.path / "indicators.yml")
    assert re.fullmatch(r"[0-9a-f]{64}", meta["training_data_sha256"])
    assert meta["training_files"] == ["mixed.jsonl"]
    assert meta["split_sha256"] == split_sha256()
    assert meta["split_file"] == "classifiers/seed/split.json"
    assert meta["seed"] == 0
    assert meta["threshold"] == info.threshold and 0 < info.threshold < 1
    assert set(meta["software"]) >= {"python", "scikit-learn", "skops", "numpy", "spacy"}
    assert [s["kind"] for s in meta["data"]["sources"]] == ["jsonl", "direct"]
    assert meta["data"]["direct_ads"] == 4 and meta["data"]["seed_included"] is False
    assert meta["languages"] == ["en", "es", "fr", "ht", "pt"]
    card = (info.path / "MODEL_CARD.md").read_text()
    assert info.version in card and "Intended use" in card and "Limitations" in card
    assert meta["training_data_sha256"] in card and meta["split_sha256"] in card
    assert "reviewers' decisions (direct, 4 ads)" in card


def test_every_model_is_tested_on_the_fixed_seed_test_part_and_its_own(trained: Trained) -> None:
    meta = trained.meta
    fixed = load_split_file()
    # The seed was not in the training data, yet its whole test part is the test set.
    assert meta["ids"]["test"] == sorted(i for i, p in fixed.items() if p == TEST)
    assert meta["metrics"]["test"]["n"] == meta["counts"]["test"]["n"] == len(meta["ids"]["test"])
    assert set(meta["metrics"]["test"]["by_language"]) == {"en", "es", "fr", "ht", "pt"}
    own = meta["ids"]["user_test"]
    assert own and not set(own) & set(fixed)
    assert meta["metrics"]["user_test"]["n"] == len(own)
    assert trained.info.metrics == meta["metrics"]
    assert "Test part of the other data" in (trained.info.path / "MODEL_CARD.md").read_text()


def test_test_ads_are_never_fitted_on(trained: Trained) -> None:
    meta = trained.meta
    fixed = load_split_file()
    ids = meta["ids"]
    seed_test = {i for i, p in fixed.items() if p == TEST}
    assert not set(ids[TRAIN]) & seed_test and not set(ids[VALIDATION]) & seed_test
    assert not set(ids[TRAIN]) & set(ids["user_test"])
    # Seed ads in a user's file keep their fixed part.
    for part, seed_ids in trained.seed_ids.items():
        assert set(seed_ids) <= set(ids[part]), part
    # A copy of a test ad under another id is left out, not trained on.
    assert meta["data"]["left_out_as_test_copies"] == [trained.copy_id]
    assert all(trained.copy_id not in ids[p] for p in (TRAIN, VALIDATION, TEST, "user_test"))
    # What the model was actually fitted on: the train part, once per grid candidate.
    train_n, train_pos = meta["counts"][TRAIN]["n"], meta["counts"][TRAIN]["positives"]
    assert len(ids[TRAIN]) == train_n
    assert trained.fits and set(trained.fits) == {(train_n, train_pos)}


def test_threshold_is_the_best_f1_on_validation(trained: Trained) -> None:
    meta = trained.meta
    everything = {a.id: a for a in [*load_files([trained.data]), *trained.direct]}
    validation = [everything[i] for i in meta["ids"][VALIDATION]]
    extractor = IndicatorExtractor.from_file(trained.settings.indicators_file)
    inputs, _ = prepare(validation, extractor, default_identifier())
    model = load_version(trained.settings.models_dir, trained.info.version).model
    scores = model.predict_proba(inputs)[:, 1].tolist()
    found = best_f1_threshold([a.label for a in validation], scores)
    assert found is not None and meta["threshold"] == round(found, 4)
    assert meta["metrics"][VALIDATION]["n"] == len(validation)


def test_same_data_and_seed_give_the_same_model_bytes(trained: Trained, tmp_path: Path) -> None:
    again = train(Settings(home=tmp_path / "again"), data=[trained.data], seed=0, ads=DIRECT)
    assert (again.path / "model.skops").read_bytes() == (
        trained.info.path / "model.skops"
    ).read_bytes()
    meta = json.loads((again.path / "meta.json").read_text())
    assert meta["training_data_sha256"] == trained.meta["training_data_sha256"]
    assert meta["ids"] == trained.meta["ids"]


def test_a_lone_weak_signal_is_not_flagged_but_a_multi_signal_lure_is(trained: Trained) -> None:
    clf = load_classifier(trained.settings)
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
    assert not (tmp_path / "home" / "models").exists() or not any(
        (tmp_path / "home" / "models").iterdir()
    )


def test_bad_training_file_is_reported(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "ok", "label": 0}\n{"text": "missing label"}\n')
    with pytest.raises(CorpusError, match=r"bad\.jsonl:2: 'label' must be 0 or 1"):
        train(Settings(home=tmp_path / "home"), data=[data])


def test_a_bad_direct_ad_is_reported(tmp_path: Path) -> None:
    bad = LabelledAd(id="store-9", text="  ", label=1, source="review of ad store-9")
    with pytest.raises(CorpusError, match="review of ad store-9: empty text"):
        train(Settings(home=tmp_path / "home"), data=[MINI], ads=[bad])


def test_plan_parts_keeps_test_texts_out_and_tells_seed_ads_from_lookalikes() -> None:
    fixed = load_split_file()
    seed = {a.id: a for a in load_seed()}
    test_id = next(i for i, p in fixed.items() if p == TEST)
    real = seed[test_id]
    lookalike = LabelledAd(id=test_id, text="Our own ad that happens to share the id", label=0)
    val_id = next(f"v-{n}" for n in range(200) if part_of(f"v-{n}") == VALIDATION)
    copy = LabelledAd(id=val_id, title=real.title, text=f"  {real.text.upper()} ", label=1)
    parts = plan_parts([lookalike, copy])
    assert sorted(a.id for a in parts.test) == sorted(i for i, p in fixed.items() if p == TEST)
    assert parts.user_test == [lookalike]
    assert parts.dropped == [copy] and parts.validation == [] and parts.train == []
    seed_parts = plan_parts([real])
    assert seed_parts.user_test == [] and real in seed_parts.test
