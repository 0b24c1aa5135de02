import json
from pathlib import Path

import pytest

from classifiers.corpus import (
    SPLIT_FILE,
    TEST,
    TRAIN,
    VALIDATION,
    LabelledAd,
    load_files,
    load_jsonl,
    load_seed,
    load_split_file,
    part_of,
    split,
    split_sha256,
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


def test_seed_ads_go_where_the_split_file_puts_them() -> None:
    fixed = load_split_file()
    ads = load_seed()
    parts = split(ads)
    for name, members in parts.items():
        assert {fixed[a.id] for a in members} <= {name}
    assert sum(len(v) for v in parts.values()) == len(ads) == len(fixed)
    # The same ads by themselves, or among other data, stay in their part.
    some_test = [a for a in ads if fixed[a.id] == TEST][:5]
    assert split(some_test)[TEST] == some_test
    mixed = split([*load_files([MINI]), *some_test])
    assert set(some_test) <= set(mixed[TEST])


def test_other_ads_follow_the_hash_rule_next_to_the_seed() -> None:
    mini = load_files([MINI])
    alone = split(mini)
    with_seed = split([*load_seed(), *mini])
    for name in (TRAIN, VALIDATION, TEST):
        mini_ids = {a.id for a in mini}
        assert [a.id for a in with_seed[name] if a.id in mini_ids] == [a.id for a in alone[name]]


def test_a_user_ad_reusing_a_seed_id_is_placed_like_that_seed_ad() -> None:
    fixed = load_split_file()
    test_id = next(i for i, part in fixed.items() if part == TEST)
    ad = LabelledAd(id=test_id, text="Some other text", label=0)
    assert split([ad])[TEST] == [ad]


def test_split_file_digest_and_bad_split_files(tmp_path: Path) -> None:
    assert len(split_sha256()) == 64
    assert split_sha256() == split_sha256(SPLIT_FILE)
    bad = tmp_path / "split.json"
    with pytest.raises(CorpusError, match="seed split file not found"):
        split([], split_file=bad)
    for content, reason in [
        ("{", "cannot read the seed split file"),
        ('{"train": [], "validation": []}', "'test' must be a list of ad ids"),
        ('{"train": ["a"], "validation": [1], "test": []}', "'validation' must be a list"),
        ('{"train": ["a"], "validation": [], "test": ["a"]}', "'a' is in both train and test"),
    ]:
        bad.write_text(content, encoding="utf-8")
        with pytest.raises(CorpusError, match=reason):
            load_split_file(bad)


def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"text": "Cook", "label": 0}).encode() + b"\n")
    assert [a.text for a in load_jsonl(path)] == ["Cook"]
