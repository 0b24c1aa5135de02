import fnmatch
import hashlib
import json
import re
import time
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from classifiers.corpus import (
    PARTS,
    SINGLE_SIGNAL_FILE,
    SPLIT_FILE,
    TEST,
    TRAIN,
    VALIDATION,
    LabelledAd,
    load_files,
    load_seed,
    load_split_file,
    seed_files,
    split,
    split_sha256,
)
from classifiers.evaluate import evaluate
from classifiers.language import SEED_DIR
from classifiers.registry import current_version, read_meta
from classifiers.seedsplit import NEAR_DUPLICATE, make_split, near_duplicate_pairs
from classifiers.service import load_classifier
from core.settings import Settings

LANGS = ("en", "es", "fr", "ht", "pt")
ROOT = Path(__file__).resolve().parent.parent
# The ads written before the corpus was extended, per language (ids up to this number).
ORIGINAL = {"en": 140, "es": 150, "fr": 140, "ht": 140, "pt": 140}


@pytest.fixture(scope="module")
def seed_ads() -> list[LabelledAd]:
    return load_files(sorted(SEED_DIR.glob("*.jsonl")))


@pytest.fixture(scope="module")
def bundled() -> list[LabelledAd]:
    """Everything training reads by default: the seed plus the single-signal negatives."""
    return load_seed()


def test_seed_corpus_is_big_and_balanced_across_languages(seed_ads: list[LabelledAd]) -> None:
    assert len(seed_ads) >= 1500
    by_lang = Counter(a.lang for a in seed_ads)
    assert set(by_lang) == set(LANGS)
    for lang in LANGS:
        assert 0.18 <= by_lang[lang] / len(seed_ads) <= 0.22, by_lang
        labels = Counter(a.label for a in seed_ads if a.lang == lang)
        assert 0.4 <= labels[1] / by_lang[lang] <= 0.6, (lang, labels)


def test_a_third_of_lures_are_subtle_and_30pc_of_benign_ads_hard_negatives(
    seed_ads: list[LabelledAd],
) -> None:
    assert {(a.label, a.kind) for a in seed_ads} == {
        (1, "lure"),
        (1, "subtle_lure"),
        (0, "benign"),
        (0, "hard_negative"),
    }
    for lang in (None, *LANGS):
        ads = [a for a in seed_ads if lang is None or a.lang == lang]
        kinds = Counter(a.kind for a in ads)
        lures = kinds["lure"] + kinds["subtle_lure"]
        benign = kinds["benign"] + kinds["hard_negative"]
        assert kinds["subtle_lure"] * 3 >= lures, (lang, kinds)
        assert kinds["hard_negative"] >= 0.3 * benign, (lang, kinds)


def test_seed_ids_are_unique_and_numbered_per_language(seed_ads: list[LabelledAd]) -> None:
    for path in sorted(SEED_DIR.glob("*.jsonl")):
        ads = load_files([path])
        lang = path.stem
        assert {a.lang for a in ads} == {lang}
        assert [a.id for a in ads] == [f"{lang}-{n:04d}" for n in range(1, len(ads) + 1)]
    bundled = [a.id for a in load_seed()]
    assert len(bundled) == len(set(bundled))
    assert all(a.title.strip() and a.text.strip() and a.category for a in seed_ads)


def test_no_exact_or_near_duplicate_between_original_and_added_ads(
    seed_ads: list[LabelledAd],
) -> None:
    texts = Counter(" ".join(f"{a.title} {a.text}".casefold().split()) for a in seed_ads)
    assert texts.most_common(1)[0][1] == 1
    lang_of = {a.id: a.lang or "" for a in seed_ads}

    def original(ad_id: str) -> bool:
        return int(ad_id.rsplit("-", 1)[1]) <= ORIGINAL[lang_of[ad_id]]

    crossing = [p for p in near_duplicate_pairs(seed_ads) if original(p[0]) != original(p[1])]
    assert crossing == []


def test_split_file_lists_every_bundled_ad_once(bundled: list[LabelledAd]) -> None:
    fixed = load_split_file()
    assert sorted(fixed) == sorted(a.id for a in bundled)
    doc = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    for part in PARTS:
        assert doc[part] == sorted(doc[part])


def test_split_is_stratified_70_15_15_by_language_label_and_kind(
    bundled: list[LabelledAd],
) -> None:
    parts = split(bundled)
    assert 0.68 < len(parts[TRAIN]) / len(bundled) < 0.72
    for name in (VALIDATION, TEST):
        assert 0.13 < len(parts[name]) / len(bundled) < 0.17
    strata: dict[tuple[str | None, int, str], Counter[str]] = defaultdict(Counter)
    for name, ads in parts.items():
        for ad in ads:
            strata[(ad.lang, ad.label, ad.kind)][name] += 1
    assert {lang for lang, _, _ in strata} == set(LANGS)
    for key, counts in strata.items():
        total = sum(counts.values())
        for name, share in ((TRAIN, 0.7), (VALIDATION, 0.15), (TEST, 0.15)):
            # Every stratum is in every part, within two ads of its share.
            assert counts[name] >= 1 and abs(counts[name] - share * total) <= 2, (key, counts)


def test_no_near_duplicates_across_split_parts(bundled: list[LabelledAd]) -> None:
    part = load_split_file()
    pairs = near_duplicate_pairs(bundled, threshold=NEAR_DUPLICATE)
    assert pairs, "the corpus has template variants; they must stay in one part"
    assert [p for p in pairs if part[p[0]] != part[p[1]]] == []


def test_split_file_is_what_the_script_makes(bundled: list[LabelledAd]) -> None:
    fixed = load_split_file()
    from_file = {name: sorted(i for i, p in fixed.items() if p == name) for name in PARTS}
    assert make_split(bundled) == from_file
    assert make_split(list(reversed(bundled))) == from_file
    assert make_split(bundled, existing=fixed) == from_file


def test_adding_ads_never_moves_the_split_ones(bundled: list[LabelledAd]) -> None:
    fixed = load_split_file()
    template = next(a for a in bundled if a.id == "es-0001")
    # Unrelated texts (random hex), so that none is a near-duplicate of another.
    new = [
        LabelledAd(id=f"new-{n}", text=hashlib.sha256(bytes([n])).hexdigest(), label=0, lang="es")
        for n in range(20)
    ]
    variant = LabelledAd(
        id="new-variant",
        title=template.title,
        text=template.text.replace("Trinidad", "Curazao"),
        label=1,
        lang="es",
        kind="lure",
    )
    grown = make_split([*bundled, *new, variant], existing=fixed)
    placed = {i: name for name, ids in grown.items() for i in ids}
    assert {i: placed[i] for i in fixed} == fixed
    assert placed["new-variant"] == fixed["es-0001"]
    assert {placed[a.id] for a in new} == set(PARTS)


def test_split_file_ships_with_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["*"]
    rel = SPLIT_FILE.relative_to(ROOT / "classifiers").as_posix()
    assert any(fnmatch.fnmatch(rel, pattern) for pattern in patterns)
    assert SINGLE_SIGNAL_FILE in seed_files()


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
def test_bundled_seed_model_is_trained_on_first_use_and_scores_well(
    tmp_path: Path, trained_models: Path
) -> None:
    settings = Settings(home=tmp_path / "home")
    messages: list[str] = []
    # CPU time, not wall time: the test machine is shared, and waiting is not training.
    started = time.process_time()
    clf = load_classifier(settings, announce=messages.append)
    elapsed = time.process_time() - started
    assert messages == [
        f"No model in {settings.models_dir}: training the bundled seed model (first run only)…"
    ]
    assert elapsed < 120, f"first-run training took {elapsed:.0f}s of CPU"

    meta = json.loads((settings.models_dir / clf.version / "meta.json").read_text())
    fixed = load_split_file()
    assert meta["ids"]["test"] == sorted(i for i, p in fixed.items() if p == TEST)
    assert meta["ids"]["train"] == sorted(i for i, p in fixed.items() if p == TRAIN)
    assert meta["ids"]["user_test"] == [] and "user_test" not in meta["metrics"]
    assert meta["data"]["seed_included"] and meta["data"]["columns"] is None
    test = meta["metrics"]["test"]
    assert test["n"] == len(meta["ids"]["test"]) >= 200
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

    # Reproducible: the session's seed model (another training run) is the same model.
    other = read_meta(trained_models, current_version(trained_models) or "")
    assert meta["model_sha256"] == other["model_sha256"]
    assert meta["training_data_sha256"] == other["training_data_sha256"]
    assert meta["split_sha256"] == other["split_sha256"] == split_sha256()
    card = (settings.models_dir / clf.version / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert re.search(r"Test \(seed, fixed split\): precision [\d.]+, recall", card)
    assert meta["split_sha256"] in card and meta["training_data_sha256"] in card
