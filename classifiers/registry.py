"""Model versions under ``settings.models_dir``: one folder per version holding
``model.skops``, ``meta.json``, ``MODEL_CARD.md`` and the ``indicators.yml`` the model was
trained with, plus a ``current`` file naming the version in use.

Loading checks the SHA-256 recorded in ``meta.json`` and loads skops with an explicit
allow-list of types; a model that fails either check is refused, never half-loaded.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import skops.io as sio

from classifiers.errors import ModelIntegrityError, ModelNotFoundError, UntrustedModelError
from classifiers.indicators import IndicatorExtractor
from classifiers.model import LureModel

MODEL_FILE = "model.skops"
META_FILE = "meta.json"
CARD_FILE = "MODEL_CARD.md"
INDICATORS_FILE = "indicators.yml"
# The other configuration a model's features depend on, versioned with it.
WAGES_FILE = "wages.yml"
PLACES_FILE = "places.yml"
CONFIG_FILES = (WAGES_FILE, PLACES_FILE)
CURRENT_FILE = "current"
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,99}$")
# Types beyond skops' built-in safe set that a LureModel contains. Anything else in a model
# file (a function, os.system, an unknown class) means it was not written by us: refused.
TRUSTED_TYPES = frozenset(
    {
        "classifiers.features.IndicatorVectorizer",
        "classifiers.model.LureModel",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.model_selection._split.StratifiedKFold",
    }
)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ARRAY_FILE = re.compile(r"^(\d+)\.(npy|npz)$")


@dataclass(frozen=True)
class StoredModel:
    version: str
    path: Path
    meta: dict[str, Any]
    model: LureModel


def dump_model(model: LureModel) -> bytes:
    """skops bytes that depend only on the model: skops names nodes and array files by
    ``id()`` and stamps zip entries with the time, so both are renumbered and fixed."""
    for vectorizer in (model.word_vectorizer_, model.char_vectorizer_):
        # A cache holding id(stop_words): differs per process, rebuilt on first use.
        vectorizer.__dict__.pop("_stop_words_id", None)
    with zipfile.ZipFile(io.BytesIO(sio.dumps(model))) as raw:
        schema = json.loads(raw.read("schema.json"))
        numbering: dict[int, int] = {}
        renames: dict[str, str] = {}
        _renumber(schema, numbering, renames)
        blobs = {renames[name]: raw.read(name) for name in raw.namelist() if name in renames}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        entries = [("schema.json", json.dumps(schema, indent=1, sort_keys=False).encode())]
        entries += sorted(blobs.items(), key=lambda kv: int(kv[0].split(".")[0]))
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=6)
    return out.getvalue()


def _renumber(node: Any, numbering: dict[int, int], renames: dict[str, str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("__id__"), int):
            node["__id__"] = numbering.setdefault(node["__id__"], len(numbering))
        name = node.get("file")
        if isinstance(name, str):
            match = _ARRAY_FILE.match(name)
            if match:
                if name not in renames:
                    new = numbering.setdefault(int(match.group(1)), len(numbering))
                    renames[name] = f"{new}.{match.group(2)}"
                node["file"] = renames[name]
        for value in node.values():
            _renumber(value, numbering, renames)
    elif isinstance(node, list):
        for value in node:
            _renumber(value, numbering, renames)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_version_name(version: str) -> str:
    if not _VERSION.match(version):
        raise ModelNotFoundError(f"invalid model version name {version!r}")
    return version


def save_version(
    models_dir: Path,
    version: str,
    model_bytes: bytes,
    meta: dict[str, Any],
    card: str,
    indicators_file: Path,
    config_files: Mapping[str, Path] | None = None,
) -> Path:
    """Write a complete version folder atomically (a half-written version never appears).
    ``config_files`` (name in ``CONFIG_FILES`` -> path) are copied in and hashed too."""
    check_version_name(version)
    target = models_dir / version
    if target.exists():
        raise FileExistsError(f"model version already exists: {target}")
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=models_dir))
    staging.chmod(0o755)  # mkdtemp makes it owner-only; a model is not a secret
    try:
        (staging / MODEL_FILE).write_bytes(model_bytes)
        shutil.copyfile(indicators_file, staging / INDICATORS_FILE)
        for name, source in sorted((config_files or {}).items()):
            if name not in CONFIG_FILES:
                raise ValueError(f"unknown model configuration file {name!r}")
            shutil.copyfile(source, staging / name)
        meta = {
            **meta,
            "version": version,
            "model_sha256": sha256_bytes(model_bytes),
            "indicators_sha256": sha256_file(staging / INDICATORS_FILE),
            "config_sha256": {
                name: sha256_file(staging / name) for name in sorted(config_files or {})
            },
        }
        (staging / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        (staging / CARD_FILE).write_text(card, encoding="utf-8")
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def set_current(models_dir: Path, version: str) -> None:
    check_version_name(version)
    if not (models_dir / version / META_FILE).is_file():
        raise ModelNotFoundError(f"no model version {version!r} in {models_dir}")
    tmp = models_dir / f".{CURRENT_FILE}.{os.getpid()}"
    tmp.write_text(version + "\n")
    os.replace(tmp, models_dir / CURRENT_FILE)


def current_version(models_dir: Path) -> str | None:
    pointer = models_dir / CURRENT_FILE
    if not pointer.is_file():
        return None
    version = pointer.read_text().strip()
    return check_version_name(version) if version else None


def list_versions(models_dir: Path) -> list[str]:
    return sorted(
        p.name for p in models_dir.iterdir() if _VERSION.match(p.name) and (p / META_FILE).is_file()
    )


def read_meta(models_dir: Path, version: str) -> dict[str, Any]:
    path = models_dir / check_version_name(version) / META_FILE
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelNotFoundError(f"no model version {version!r} in {models_dir}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelIntegrityError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("model_sha256"), str):
        raise ModelIntegrityError(f"{path} has no model_sha256")
    return meta


def load_version(models_dir: Path, version: str | None = None) -> StoredModel:
    if version is None:
        version = current_version(models_dir)
        if version is None:
            raise ModelNotFoundError(f"no current model in {models_dir}")
    meta = read_meta(models_dir, version)
    folder = models_dir / version
    data = (folder / MODEL_FILE).read_bytes() if (folder / MODEL_FILE).is_file() else None
    if data is None:
        raise ModelNotFoundError(f"model file missing: {folder / MODEL_FILE}")
    _check_files(folder, meta, sha256_bytes(data))
    try:
        untrusted = set(sio.get_untrusted_types(data=data))
    except Exception as exc:  # a corrupt archive must not pass as "no untrusted types"
        raise ModelIntegrityError(
            f"{folder / MODEL_FILE} is not a readable skops file: {exc}"
        ) from exc
    unexpected = sorted(untrusted - TRUSTED_TYPES)
    if unexpected:
        raise UntrustedModelError(
            f"{folder / MODEL_FILE} contains types outside the allow-list: {', '.join(unexpected)}"
        )
    try:
        model = sio.loads(data, trusted=sorted(untrusted))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        # Trusted types holding what they never save (a file replaced along with its hash).
        raise ModelIntegrityError(f"{folder / MODEL_FILE} cannot be read: {exc}") from exc
    if not isinstance(model, LureModel):
        raise UntrustedModelError(
            f"{folder / MODEL_FILE} holds {type(model).__name__}, not LureModel"
        )
    return StoredModel(version=version, path=folder, meta=meta, model=model)


@dataclass(frozen=True)
class VersionInfo:
    """One version as ``lurewatch models list`` shows it (from its ``meta.json``)."""

    version: str
    created_at: str
    current: bool
    training_data_sha256: str
    threshold: float | None
    test: dict[str, float | None]  # precision, recall, f1 on the test part
    train_ads: int | None  # ads in the training part
    total_ads: int | None  # ads in train, validation and test together
    problem: str = ""  # why loading it would be refused; empty when its files check out

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created_at": self.created_at,
            "current": self.current,
            "training_data_sha256": self.training_data_sha256,
            "threshold": self.threshold,
            "test": dict(self.test),
            "train_ads": self.train_ads,
            "total_ads": self.total_ads,
            "problem": self.problem,
        }


def verify_version(models_dir: Path, version: str) -> dict[str, Any]:
    """The version's meta after checking its files' SHA-256 against it (without loading the
    model: ``load_version`` also checks the types inside). Raises like ``load_version``."""
    meta = read_meta(models_dir, version)
    folder = models_dir / version
    model_file = folder / MODEL_FILE
    if not model_file.is_file():
        raise ModelNotFoundError(f"model file missing: {model_file}")
    _check_files(folder, meta, sha256_file(model_file))
    return meta


def extractor_of(folder: Path) -> IndicatorExtractor:
    """The indicator extractor a version was trained with: its own indicators.yml, and its
    wages.yml / places.yml when it has them (older versions use ``config/``'s)."""
    own = {name: folder / name for name in CONFIG_FILES if (folder / name).is_file()}
    return IndicatorExtractor.from_file(
        folder / INDICATORS_FILE, own.get(WAGES_FILE), own.get(PLACES_FILE)
    )


def _check_files(folder: Path, meta: dict[str, Any], model_sha256: str) -> None:
    """Every file of the version against the SHA-256 its meta.json recorded."""
    if model_sha256 != meta["model_sha256"]:
        raise ModelIntegrityError(
            f"{folder / MODEL_FILE} does not match the SHA-256 in {META_FILE}: the file was "
            "changed after training; refusing to load it"
        )
    indicators = folder / INDICATORS_FILE
    if not indicators.is_file() or sha256_file(indicators) != meta.get("indicators_sha256"):
        raise ModelIntegrityError(
            f"{indicators} is missing or does not match the SHA-256 in {META_FILE}; refusing"
        )
    _check_config_files(folder, meta)


def _check_config_files(folder: Path, meta: dict[str, Any]) -> None:
    recorded = meta.get("config_sha256") or {}
    if not isinstance(recorded, dict):
        raise ModelIntegrityError(f"{folder / META_FILE}: config_sha256 is not a mapping")
    for name, digest in recorded.items():
        path = folder / str(name)
        if name not in CONFIG_FILES or not path.is_file() or sha256_file(path) != digest:
            raise ModelIntegrityError(
                f"{path} is missing or does not match the SHA-256 in {META_FILE}; refusing"
            )


def describe_versions(models_dir: Path) -> list[VersionInfo]:
    """Every version, oldest first, each with its files checked. A version whose meta.json
    cannot be read is listed with the problem rather than hidden."""
    current = current_version(models_dir) if models_dir.is_dir() else None
    names = list_versions(models_dir) if models_dir.is_dir() else []
    infos = []
    for name in names:
        problem, meta = "", {}
        try:
            meta = verify_version(models_dir, name)
        except (ModelIntegrityError, ModelNotFoundError) as exc:
            problem = str(exc)
            try:
                meta = read_meta(models_dir, name)
            except (ModelIntegrityError, ModelNotFoundError):
                meta = {}
        infos.append(_info(name, meta, name == current, problem))
    return sorted(infos, key=lambda i: (i.created_at, i.version))


def _info(version: str, meta: dict[str, Any], current: bool, problem: str) -> VersionInfo:
    metrics = meta.get("metrics")
    test = metrics.get("test") if isinstance(metrics, dict) else None
    test = test if isinstance(test, dict) else {}
    counts = meta.get("counts")
    counts = counts if isinstance(counts, dict) else {}
    parts = [c.get("n") for c in counts.values() if isinstance(c, dict)]
    train = counts.get("train")
    threshold = meta.get("threshold")
    return VersionInfo(
        version=version,
        created_at=str(meta.get("created_at") or ""),
        current=current,
        training_data_sha256=str(meta.get("training_data_sha256") or ""),
        threshold=float(threshold) if isinstance(threshold, int | float) else None,
        test={k: _number(test.get(k)) for k in ("precision", "recall", "f1")},
        train_ads=_count(train.get("n")) if isinstance(train, dict) else None,
        total_ads=sum(p for p in parts if isinstance(p, int)) if parts else None,
        problem=problem,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def promote(models_dir: Path, version: str) -> StoredModel:
    """Make ``version`` current after loading it with every check (hashes, allow-listed
    types). A version that fails a check is refused and the current one stays."""
    stored = load_version(models_dir, check_version_name(version))
    set_current(models_dir, stored.version)
    return stored
