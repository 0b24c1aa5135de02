import json
from pathlib import Path

import pytest

from classifiers.corpus import (
    TEST,
    TRAIN,
    VALIDATION,
    load_files,
    load_jsonl,
    load_seed,
    part_of,
    split,
)
from classifiers.errors import CorpusError

MINI = Path(__file__).parent / "data" / "classifiers" / "mini.jsonl"


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_user_file_with_optional_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        json.dumps({"text": "Cook wanted", "label": 0}),
        "",
        json.dumps({"id": "a1", "title": "T", "text": "Earn big", "label": 1, "lang": "pt-BR"}),
    )
    first, second = load_jsonl(path)
    assert (first.label, first.title, first.lang) == (0, "", None)
    assert first.id.startswith("sha-") and first.source == f"{path}:1"
    assert (second.id, second.lang, second.source) == ("a1", "pt", f"{path}:3")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"label": 1}), "missing or empty string field 'text'"),
        (json.dumps({"text": "x", "label": 2}), "'label' must be 0 or 1"),
        (json.dumps({"text": "x", "label": True}), "'label' must be 0 or 1"),
        (json.dumps({"text": "x"}), "'label' must be 0 or 1"),
        (json.dumps({"text": "x", "label": 0, "title": 5}), "'title' must be a string"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = write(tmp_path, json.dumps({"text": "ok", "label": 0}), line)
    with pytest.raises(CorpusError) as info:
        load_jsonl(path)
    assert str(info.value).startswith(f"{path}:2: ")
    assert reason in str(info.value)


def test_missing_file_and_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        load_jsonl(tmp_path / "absent.jsonl")
    path = write(
        tmp_path,
        json.dumps({"id": "x", "text": "a", "label": 0}),
        json.dumps({"id": "x", "text": "b", "label": 1}),
    )
    with pytest.raises(CorpusError, match=r"labels\.jsonl:2: id 'x' already used at .*:1"):
        load_files([path])


def test_split_is_deterministic_and_never_moves_test_ads() -> None:
    ads = load_files([MINI])
    first, second = split(ads), split(list(reversed(ads)))
    assert {k: sorted(a.id for a in v) for k, v in first.items()} == {
        k: sorted(a.id for a in v) for k, v in second.items()
    }
    # An ad's part depends on its id alone (apart from the language top-up from train).
    for ad in first[TEST]:
        assert part_of(ad.id) in (TEST, TRAIN)
    ids = [a.id for part in first.values() for a in part]
    assert len(ids) == len(set(ids)) == len(ads)


def test_seed_corpus_split_covers_every_language_in_every_part() -> None:
    ads = load_seed()
    assert len(ads) >= 500
    parts = split(ads)
    langs = {a.lang for a in ads}
    assert langs >= {"en", "es", "fr", "ht", "pt"}
    for name in (TRAIN, VALIDATION, TEST):
        present = {(a.lang, a.label) for a in parts[name]}
        for lang in ("en", "es", "fr", "ht", "pt"):
            assert (lang, 0) in present and (lang, 1) in present, (name, lang)
    assert 0.6 < len(parts[TRAIN]) / len(ads) < 0.8
