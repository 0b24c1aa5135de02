"""Label files: the queue out to Label Studio (tasks + labelling config) and JSONL, and the
analysts' decisions back in, refused whole when anything in them is wrong."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from classifiers.labelfiles import (
    LabelFileError,
    check_known,
    detect_format,
    parse_jsonl,
    write_jsonl,
)
from classifiers.labelqueue import Candidate
from classifiers.labelstudio import labelling_config, parse_export, task, write_export

NOW = "2026-11-22T12:00:00+00:00"
QUEUE = [
    Candidate(
        id="ad1",
        title="Hostess work abroad",
        text="Girls 18-25 for Dubai, visa paid, WhatsApp only",
        lure_score=0.55,
        lang="en",
        url="https://example.org/ad/1",
        model_version="v1",
    ),
    Candidate(id="ad2", title="Nurse", text="Enfermera para hospital", lure_score=0.45, lang="es"),
    Candidate(id="ad3", title="Cook", text="Cuisinier pour hôtel <b>& spa</b>", lure_score=None),
]


def annotation(choice: str | None, when: str, **extra: Any) -> dict[str, Any]:
    result: list[dict[str, Any]] = []
    if choice is not None:
        result.append(
            {
                "id": "r1",
                "type": "choices",
                "from_name": "label",
                "to_name": "text",
                "value": {"choices": [choice]},
            }
        )
    return {
        "id": 1,
        "result": result,
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": when,
        "updated_at": when,
        "completed_by": 4,
        **extra,
    }


def as_labelled_in_label_studio(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Label Studio's JSON export gives back after analysts worked on the tasks."""
    exported = []
    for number, item in enumerate(tasks, start=1):
        exported.append({"id": 100 + number, "project": 3, "data": item["data"]})
    exported[0]["annotations"] = [
        annotation("not_lure", "2026-11-20T09:00:00.1Z"),
        annotation(
            "lure",
            "2026-11-21T09:00:00.5Z",
            completed_by={"id": 7, "email": "ana@unit.example"},
            result=[
                {
                    "type": "choices",
                    "from_name": "label",
                    "to_name": "text",
                    "value": {"choices": ["lure"]},
                },
                {
                    "type": "textarea",
                    "from_name": "note",
                    "to_name": "text",
                    "value": {"text": ["passport kept"]},
                },
            ],
        ),
        annotation("not_lure", "2026-11-22T09:00:00Z", was_cancelled=True),
    ]
    exported[1]["annotations"] = [annotation("not_lure", "2026-11-21T10:00:00+02:00")]
    exported[2]["annotations"] = [annotation(None, "2026-11-21T10:00:00Z")]
    return exported


def test_export_round_trip_through_label_studio(tmp_path: Path) -> None:
    tasks_path, config_path = write_export(QUEUE, tmp_path / "batch.json")
    assert config_path == tmp_path / "batch-config.xml"
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert tasks[0] == {
        "data": {
            "text": QUEUE[0].text,
            "title": "Hostess work abroad",
            "ad_id": "ad1",
            "url": "https://example.org/ad/1",
            "lang": "en",
            "lure_score": 0.55,
            "model_version": "v1",
        }
    }
    assert tasks[2]["data"]["text"] == "Cuisinier pour hôtel <b>& spa</b>"  # kept as text
    exported = json.dumps(as_labelled_in_label_studio(tasks))
    assert detect_format(exported) == "labelstudio"
    result = parse_export(exported, now=NOW)
    assert [(d.ad_id, d.label) for d in result.labels] == [("ad1", 1), ("ad2", 0)]
    first, second = result.labels
    # The latest submitted annotation wins; the later cancelled one does not count.
    assert first.reviewer == "ana@unit.example"
    assert first.decided_at == "2026-11-21T09:00:00+00:00"
    assert first.note == "passport kept"
    assert second.reviewer == "label-studio user 4"
    assert second.decided_at == "2026-11-21T08:00:00+00:00"  # converted to UTC
    assert (result.unlabelled, result.cancelled, result.empty) == (1, 1, 1)
    assert result.counts() == {0: 1, 1: 1}


def test_reviewer_option_replaces_label_studio_user_ids() -> None:
    tasks = [{"id": 1, "data": {"ad_id": "ad1"}, "annotations": [annotation("lure", NOW)]}]
    result = parse_export(json.dumps(tasks), reviewer="maria")
    assert result.labels[0].reviewer == "maria"


def test_labelling_config_matches_the_tasks() -> None:
    root = ET.fromstring(labelling_config())
    text = root.find("Text")
    choices = root.find("Choices")
    assert text is not None and choices is not None
    assert text.get("value") == "$text"
    assert choices.get("toName") == text.get("name")
    assert choices.get("name") == "label"
    assert [c.get("value") for c in choices.findall("Choice")] == ["lure", "not_lure"]
    # Every $variable the interface shows is a field of the exported tasks.
    variables = {e.get("value", "") for e in root.iter() if e.get("value", "").startswith("$")}
    assert variables == {"$text", "$title", "$url"}
    assert {v[1:] for v in variables} <= set(task(QUEUE[0])["data"])


def one_task(annotations: Any, data: Any = None) -> str:
    return json.dumps(
        [
            {"id": 1, "data": {"ad_id": "ad1"}},
            {"id": 2, "data": data or {"ad_id": "ad2"}, "annotations": annotations},
        ]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[{not json", "not JSON"),
        ('{"data": {}}', "expected a list of tasks"),
        ("[1]", "task 1: expected a task object"),
        ('[{"data": {"text": "x"}}]', "task 1: no data.ad_id"),
        (one_task({"a": 1}), "task 2 (Label Studio id 2): 'annotations' must be a list"),
        (
            one_task([annotation("maybe", NOW)]),
            "task 2 (Label Studio id 2) annotation 1: unknown choice 'maybe'",
        ),
        (
            one_task(
                [{"result": [{"type": "choices", "value": {"choices": ["lure", "not_lure"]}}]}]
            ),
            "exactly one choice",
        ),
        (one_task([{"result": "lure"}]), "'result' must be a list"),
        (one_task([annotation("lure", "yesterday")]), "not an ISO 8601 time"),
    ],
)
def test_bad_label_studio_exports_are_refused_with_the_task(content: str, message: str) -> None:
    with pytest.raises(LabelFileError, match=re.escape(message)):
        parse_export(content)


def test_cancelled_and_empty_annotations_are_counted_not_imported() -> None:
    tasks = [
        {
            "id": 1,
            "data": {"ad_id": "a"},
            "annotations": [annotation("lure", NOW, was_cancelled=True)],
        },
        {"id": 2, "data": {"ad_id": "b"}, "annotations": [annotation(None, NOW)]},
        {"id": 3, "data": {"ad_id": "c"}},
        # A cancelled annotation may hold anything: it is not read.
        {
            "id": 4,
            "data": {"ad_id": "d"},
            "annotations": [annotation("junk", NOW, was_cancelled=True)],
        },
    ]
    result = parse_export(json.dumps(tasks))
    assert result.labels == []
    assert (result.unlabelled, result.cancelled, result.empty) == (4, 2, 1)


def test_jsonl_queue_and_decisions_round_trip() -> None:
    out = io.StringIO()
    assert write_jsonl(QUEUE, out) == 3
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows[0] == {
        "ad_id": "ad1",
        "title": "Hostess work abroad",
        "text": QUEUE[0].text,
        "url": "https://example.org/ad/1",
        "lang": "en",
        "lure_score": 0.55,
    }
    rows[0].update(label=1, note="fee and passport")
    rows[1].update(label=0, reviewer="joe", decided_at="2026-11-20T10:00:00-04:00")
    content = "\n".join(json.dumps(r) for r in rows) + "\n"  # ad3 left without a label
    assert detect_format(content) == "jsonl"
    result = parse_jsonl(content, default_reviewer="ana", now=NOW)
    assert [(d.ad_id, d.label, d.reviewer, d.decided_at, d.note) for d in result.labels] == [
        ("ad1", 1, "ana", NOW, "fee and passport"),
        ("ad2", 0, "joe", "2026-11-20T14:00:00+00:00", ""),
    ]
    assert result.unlabelled == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"ad_id": "a", "label": 1}\nnot json\n', "line 2: not JSON"),
        ('{"ad_id": "a", "label": 2}\n', "line 1: 'label' must be 0 or 1, got 2"),
        ('{"ad_id": "a", "label": true}\n', "line 1: 'label' must be 0 or 1"),
        ('{"ad_id": "a", "label": "1"}\n', "line 1: 'label' must be 0 or 1"),
        ('{"label": 1}\n', "line 1: missing or empty string field 'ad_id'"),
        ('{"ad_id": "a", "label": 1}\n[1]\n', "line 2: expected a JSON object"),
        ('{"ad_id": "a", "label": 1, "reviewer": 5}\n', "'reviewer' must be a string"),
    ],
)
def test_bad_jsonl_is_refused_with_the_line(content: str, message: str) -> None:
    with pytest.raises(LabelFileError, match=re.escape(message)):
        parse_jsonl(content, default_reviewer="ana")


@pytest.mark.parametrize("content", ["", "   \n", "lure,ad1\n", "<xml/>"])
def test_files_that_are_neither_format_are_refused(content: str) -> None:
    with pytest.raises(LabelFileError, match=r"empty|not a label file"):
        detect_format(content)


def test_decisions_on_unknown_ads_name_their_task() -> None:
    tasks = [
        {"id": 1, "data": {"ad_id": "ad1"}, "annotations": [annotation("lure", NOW)]},
        {"id": 2, "data": {"ad_id": "gone"}, "annotations": [annotation("lure", NOW)]},
    ]
    result = parse_export(json.dumps(tasks))
    check_known(result, {"ad1", "gone"})
    with pytest.raises(LabelFileError, match=r"task 2 \(Label Studio id 2\): 'gone'"):
        check_known(result, {"ad1"})
