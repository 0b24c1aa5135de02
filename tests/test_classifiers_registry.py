import io
import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio

from classifiers import model as model_module
from classifiers.errors import ModelIntegrityError, ModelNotFoundError, UntrustedModelError
from classifiers.registry import (
    dump_model,
    list_versions,
    load_version,
    set_current,
    sha256_bytes,
)
from classifiers.service import LureClassifier, load_classifier
from classifiers.train import ModelInfo, train
from core.settings import Settings

MINI = Path(__file__).parent / "data" / "classifiers" / "mini.jsonl"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, ModelInfo]:
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    return settings, train(settings, data=[MINI], seed=0)


@pytest.fixture
def copy(trained: tuple[Settings, ModelInfo], tmp_path: Path) -> tuple[Settings, Path]:
    """A private copy of the trained home that a test may damage."""
    settings, info = trained
    home = tmp_path / "home"
    shutil.copytree(settings.home_dir, home)
    return Settings(home=home), home / "models" / info.version


def test_loads_the_current_version(trained: tuple[Settings, ModelInfo]) -> None:
    settings, info = trained
    clf = load_classifier(settings, announce=pytest.fail)
    assert isinstance(clf, LureClassifier)
    assert clf.version == info.version and clf.threshold == info.threshold
    assert list_versions(settings.models_dir) == [info.version]


def test_tampered_model_file_is_refused(copy: tuple[Settings, Path]) -> None:
    settings, folder = copy
    data = bytearray((folder / "model.skops").read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / "model.skops").write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="does not match the SHA-256"):
        load_classifier(settings)


def test_tampered_indicator_patterns_are_refused(copy: tuple[Settings, Path]) -> None:
    settings, folder = copy
    with (folder / "indicators.yml").open("a") as handle:
        handle.write("\n# edited\n")
    with pytest.raises(ModelIntegrityError, match=r"indicators\.yml"):
        load_classifier(settings)


@pytest.mark.parametrize("name", ["wages.yml", "places.yml"])
def test_config_files_travel_with_the_version_and_are_checked(
    copy: tuple[Settings, Path], name: str
) -> None:
    settings, folder = copy
    # The version keeps its own copy: editing config/ later does not change its features.
    assert (folder / name).read_bytes() == (
        Path(settings.indicators_file).parent / name
    ).read_bytes()
    with (folder / name).open("a") as handle:
        handle.write("\n# edited\n")
    with pytest.raises(ModelIntegrityError, match=name.replace(".", r"\.")):
        load_classifier(settings)


def _replace_model(folder: Path, data: bytes) -> None:
    (folder / "model.skops").write_bytes(data)
    meta = json.loads((folder / "meta.json").read_text())
    meta["model_sha256"] = sha256_bytes(data)  # as an attacker with write access would
    (folder / "meta.json").write_text(json.dumps(meta))


def test_model_with_untrusted_types_is_refused_even_with_matching_hash(
    copy: tuple[Settings, Path],
) -> None:
    settings, folder = copy
    _replace_model(folder, sio.dumps({"run": os.system}))
    with pytest.raises(UntrustedModelError, match=r"outside the allow-list: .*system"):
        load_classifier(settings)


def test_model_of_the_wrong_kind_is_refused(copy: tuple[Settings, Path]) -> None:
    settings, folder = copy
    _replace_model(folder, sio.dumps({"weights": np.zeros(3)}))
    with pytest.raises(UntrustedModelError, match="not LureModel"):
        load_classifier(settings)


def test_garbage_model_file_is_refused(copy: tuple[Settings, Path]) -> None:
    settings, folder = copy
    _replace_model(folder, b"this is not a zip file")
    with pytest.raises(ModelIntegrityError, match="not a readable skops file"):
        load_classifier(settings)


def test_unknown_and_malformed_versions(copy: tuple[Settings, Path]) -> None:
    settings, _ = copy
    with pytest.raises(ModelNotFoundError, match="no model version 'nope'"):
        load_version(settings.models_dir, "nope")
    with pytest.raises(ModelNotFoundError, match="invalid model version name"):
        load_version(settings.models_dir, "../outside")
    with pytest.raises(ModelNotFoundError):
        set_current(settings.models_dir, "nope")
    (settings.models_dir / "current").write_text("../../etc\n")
    with pytest.raises(ModelNotFoundError, match="invalid model version name"):
        load_version(settings.models_dir)


def test_no_model_at_all(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no current model"):
        load_version(Settings(home=tmp_path).models_dir)


def _schema(folder: Path) -> dict[str, Any]:
    with zipfile.ZipFile(folder / "model.skops") as archive:
        loaded: dict[str, Any] = json.loads(archive.read("schema.json"))
        return loaded


def _rewrite_schema(folder: Path, schema: dict[str, Any]) -> None:
    with zipfile.ZipFile(folder / "model.skops") as archive:
        blobs = {name: archive.read(name) for name in archive.namelist()}
    blobs["schema.json"] = json.dumps(schema).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, blob in blobs.items():
            archive.writestr(name, blob)
    _replace_model(folder, out.getvalue())


ADS = [
    "Hostess work in Dubai, visa and flight paid, WhatsApp +1 758 555 0134",
    "Registered nursing agency, licence 4471, no fees charged to workers.",
    "Trabajo en Panamá, pasaje pagado, sin experiencia, solo chicas de 18 a 25",
]


def test_a_model_saved_with_whole_vocabularies_still_loads(
    copy: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions saved before the vocabularies were packed hold them as dicts: they load
    and score as the packed file does."""
    settings, folder = copy
    packed = load_classifier(settings)
    assert "packed_vocabularies_" in _schema(folder)["content"]["content"]
    with monkeypatch.context() as patched:
        patched.setattr(model_module, "_pack_vocabularies", lambda state: state)
        old_layout = dump_model(load_version(settings.models_dir).model)
    _replace_model(folder, old_layout)
    content = _schema(folder)["content"]["content"]
    assert "packed_vocabularies_" not in content
    assert "vocabulary_" in content["word_vectorizer_"]["content"]["content"]
    whole = load_classifier(settings)
    assert [whole.classify(ad) for ad in ADS] == [packed.classify(ad) for ad in ADS]


def test_a_packed_vocabulary_that_does_not_fit_the_model_is_refused(
    copy: tuple[Settings, Path],
) -> None:
    settings, folder = copy
    schema = _schema(folder)
    node = schema["content"]["content"]["packed_vocabularies_"]["content"]["word_vectorizer_"]
    terms = json.loads(node["content"])
    node["content"] = json.dumps(terms + "\nextra")
    _rewrite_schema(folder, schema)
    with pytest.raises(ModelIntegrityError, match="packed vocabulary for word_vectorizer_"):
        load_classifier(settings)
