import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from classifiers.errors import ModelIntegrityError, ModelNotFoundError, UntrustedModelError
from classifiers.registry import (
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
