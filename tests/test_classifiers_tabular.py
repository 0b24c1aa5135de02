import csv
import json
from pathlib import Path

import pytest

from classifiers.errors import CorpusError
from classifiers.tabular import MAX_FIELD_CHARS, Columns, load_csv, load_table

KAGGLE = Columns(
    text=("company_profile", "description", "requirements"),
    title="title",
    label="fraudulent",
    id="job_id",
)


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def kaggle_rows() -> list[list[str]]:
    return [
        ["job_id", "title", "company_profile", "description", "requirements", "fraudulent"],
        ["1", "Marketing Intern", "We are Food52.", "Help the team.", "", "0"],
        ["2", "Data entry", "", "Work from home, pay the starter kit fee.", "None.", "1"],
    ]


def test_fake_job_postings_columns_are_mapped(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fake_job_postings.csv", kaggle_rows())
    first, second = load_table(path, KAGGLE)
    assert (first.id, first.title, first.label) == ("1", "Marketing Intern", 0)
    assert first.text == "We are Food52.\n\nHelp the team."  # empty columns are skipped
    assert (second.id, second.label, second.lang) == ("2", 1, None)
    assert second.text == "Work from home, pay the starter kit fee.\n\nNone."
    assert (first.source, second.source) == (f"{path}:2", f"{path}:3")


def test_standard_columns_are_used_when_present(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "labels.csv",
        [
            ["lang", "text", "label", "title", "extra"],
            ["pt-BR", "Vaga de garçom em Lisboa.", "no", "Garçom", "x"],
            ["xx", "Girls for Dubai, ticket paid.", "TRUE", "", "y"],
        ],
    )
    first, second = load_table(path)
    assert (first.lang, first.title, first.label) == ("pt", "Garçom", 0)
    assert (second.lang, second.label) == ("other", 1)
    assert first.id.startswith("sha-") and first.id != second.id


def test_bom_tsv_and_multiline_fields(tmp_path: Path) -> None:
    path = tmp_path / "labels.tsv"
    path.write_bytes(
        b"\xef\xbb\xbftext\tlabel\n"
        b'"Cook wanted\nin Arima"\t0\n'
        b"Earn big abroad, WhatsApp only\t1\n"
        b"\n"
        b"Cleaner for hotel\tyes\n"
    )
    ads = load_table(path)
    assert [a.label for a in ads] == [0, 1, 1]
    assert ads[0].text == "Cook wanted\nin Arima"
    assert [a.source.rsplit(":", 1)[1] for a in ads] == ["2", "4", "6"]


def test_label_values_are_configurable(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "l.csv", [["text", "verdict"], ["a", "FRAUD"], ["b", " legit "], ["c", "x"]]
    )
    columns = Columns(label="verdict", positive=("fraud",), negative=("legit",))
    with pytest.raises(CorpusError) as info:
        load_csv(path, columns)
    assert str(info.value) == (
        f"{path}:4: label 'x' in 'verdict' is neither 1 (fraud) nor 0 (legit)"
    )
    path.write_text("text,verdict\na,FRAUD\nb, legit \n", encoding="utf-8")
    assert [a.label for a in load_csv(path, columns)] == [1, 0]


@pytest.mark.parametrize(
    ("rows", "columns", "message"),
    [
        (
            [["description", "fraudulent"], ["a", "1"]],
            Columns(text=("description",)),
            ":1: no column 'label'; it has: 'description', 'fraudulent'",
        ),
        (
            [["text", "label"], ["a", "1"]],
            Columns(title="headline"),
            ":1: no column 'headline'; it has: 'text', 'label'",
        ),
        ([["text", "label"], ["a", "1"], ["b", "2"]], None, ":3: label '2' in 'label' is neither"),
        ([["text", "label"], ["a", ""]], None, ":2: label empty in 'label' is neither"),
        ([["text", "label"], ["a", "1"], [" ", "0"]], None, ":3: empty text (column 'text')"),
        (
            [["text", "label"], ["a", "1", "extra"]],
            None,
            ":2: 3 fields where the header has 2",
        ),
        ([["text", "label", "text"], ["a", "1", "b"]], None, ":1: column(s) named twice: text"),
        ([["text", "label"]], None, ": no labelled rows"),
        (
            [["id", "text", "label"], ["7", "a", "1"], ["7", "b", "0"]],
            None,
            ":3: id '7' as line 2 with label 1",
        ),
        (
            [["text", "label"], ["same ad", "1"], ["same ad", "0"]],
            None,
            ":3: the same title and text as line 2 with label 1",
        ),
        (
            [["job_id", "text", "label"], ["", "a", "1"]],
            Columns(id="job_id"),
            ":2: empty id in column 'job_id'",
        ),
    ],
)
def test_bad_csv_rows_name_file_and_line(
    tmp_path: Path, rows: list[list[str]], columns: Columns | None, message: str
) -> None:
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(CorpusError) as info:
        load_table(path, columns)
    assert str(info.value).startswith(f"{path}{message}")


def test_a_repeated_ad_with_the_same_label_is_read_once(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [["text", "label"], ["ad", "1"], ["ad", "1"], ["b", "0"]])
    assert [a.text for a in load_table(path)] == ["ad", "b"]


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CorpusError, match=r"empty\.csv: empty file; the first line must name"):
        load_table(empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,label\nCaf\xe9 worker,0\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"latin\.csv: not UTF-8 text"):
        load_table(latin)
    with pytest.raises(CorpusError, match=r"labelled data file not found: .*absent\.csv"):
        load_table(tmp_path / "absent.csv")
    sheet = tmp_path / "ads.xlsx"
    sheet.write_bytes(b"PK")
    with pytest.raises(CorpusError, match=r"unknown file type '\.xlsx'"):
        load_table(sheet)


def test_huge_fields_are_refused_with_their_line(tmp_path: Path) -> None:
    before = csv.field_size_limit()
    huge = "x" * (MAX_FIELD_CHARS + 1)
    path = write_csv(tmp_path / "huge.csv", [["text", "label"], ["fine", "0"], [huge, "1"]])
    with pytest.raises(CorpusError) as info:
        load_table(path)
    assert str(info.value) == f"{path}:3: a field is longer than {MAX_FIELD_CHARS} characters"
    assert csv.field_size_limit() == before  # the process-wide limit is restored
    jsonl = tmp_path / "huge.jsonl"
    jsonl.write_text(json.dumps({"body": huge, "y": 1}) + "\n", encoding="utf-8")
    with pytest.raises(
        CorpusError, match=rf"huge\.jsonl:1: 'body' is longer than {MAX_FIELD_CHARS}"
    ):
        load_table(jsonl, Columns(text=("body",), label="y"))


def test_jsonl_fields_are_mapped_like_columns(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    rows = [
        {"job_id": 10, "headline": "Hostess", "body": "Dubai, ticket paid", "fraudulent": True},
        {"job_id": 11, "headline": "Cook", "body": "Hotel kitchen", "fraudulent": 0},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    columns = Columns(text=("body",), title="headline", label="fraudulent", id="job_id")
    ads = load_table(path, columns)
    assert [(a.id, a.title, a.label) for a in ads] == [("10", "Hostess", 1), ("11", "Cook", 0)]
    assert ads[1].source == f"{path}:2"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"body": "a"}, ":1: no field 'y'; it has: 'body'"),
        ({"body": "a", "y": 1.0}, ":1: label '1.0' in 'y' is neither"),
        ({"body": ["a"], "y": 1}, ":1: 'body' must be text or a number, got list"),
        ({"body": "", "y": 1}, ":1: empty text (column 'body')"),
    ],
)
def test_bad_mapped_jsonl_lines(tmp_path: Path, line: dict[str, object], message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        load_table(path, Columns(text=("body",), label="y"))
    assert str(info.value).startswith(f"{path}{message}")


def test_standard_jsonl_keeps_the_strict_format(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps({"text": "a", "label": "1", "kind": "lure"}) + "\n")
    with pytest.raises(CorpusError, match="'label' must be 0 or 1"):
        load_table(path)
    path.write_text(json.dumps({"text": "a", "label": 1, "kind": "lure"}) + "\n")
    assert [(a.label, a.kind) for a in load_table(path)] == [(1, "lure")]


def test_bad_column_options() -> None:
    with pytest.raises(CorpusError, match="label value\\(s\\) yes given for both 1 and 0"):
        Columns(positive=("yes",), negative=("Yes", "no"))
    with pytest.raises(CorpusError, match="column names must not be empty"):
        Columns(text=("description", " "))
    with pytest.raises(CorpusError, match="at least one label value"):
        Columns(positive=(" ",))
    assert Columns().is_standard and not KAGGLE.is_standard
    assert KAGGLE.describe() == {
        "text": ["company_profile", "description", "requirements"],
        "title": "title",
        "label": "fraudulent",
        "id": "job_id",
        "lang": "lang",
        "positive": ["1", "true", "yes"],
        "negative": ["0", "false", "no"],
    }
