"""core.ad's conversions (``plain``, what ``to_dict`` writes, and ``Ad.from_dict``) and clock."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.ad import (
    Ad,
    AdRemoved,
    Capture,
    Entity,
    Evidence,
    Indicator,
    Term,
    field_names,
    plain,
    utc_now_iso,
)
from tests.factories import lure_ad


def plain_as_it_was(value: Any) -> Any:
    """``plain`` before its leaves were tested inline: the reference it must still match."""
    if type(value) in (str, int, float, bool) or value is None:
        return value
    if dataclasses.is_dataclass(value):
        return {f.name: plain_as_it_was(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [plain_as_it_was(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_as_it_was(v) for k, v in value.items()}
    return value


class Text(str):
    pass


class Captures(list[Capture]):
    pass


@dataclass
class Box:
    items: tuple[Any, ...] = ()
    more: dict[str, Any] = field(default_factory=dict)


def full_ad() -> Ad:
    ad = lure_ad()
    ad.top_terms = [Term("dubai", 0.7, 40, 45), Term("ind:fee", 1.5, kind="indicator")]
    ad.entities = [Entity("wage", "2500 USD/month", 3, 9, "2500", {"amount": 2500.0})]
    ad.captures = Captures([Capture("warc", "a" * 64, "aa/a.warc.gz", 12)])
    ad.structured = {
        "title": Text("Hostess"),
        "pair": (1, [2, (3, None)]),
        "box": Box((Term("x", 1.0),), {"ok": OrderedDict(a=1)}),
        "odd": {1: b"bytes", "set": {1, 2}},
    }
    ad.title = Text("Hostess work abroad")
    return ad


@pytest.mark.parametrize(
    "value",
    [
        full_ad(),
        lure_ad(),
        AdRemoved(
            "i", "u", "s", "2026-11-01T00:00:00+00:00", "http 404", 404, [Capture("warc", "b", "p")]
        ),
        [Indicator("c", "l", [Evidence("t", 0, 1)]), (1.5, None)],
        {"a": [Box()], "b": True},
        "text",
        None,
    ],
    ids=["full ad", "lure ad", "removal", "list", "dict", "str", "none"],
)
def test_plain_is_what_it_was(value: Any) -> None:
    got, expected = plain(value), plain_as_it_was(value)
    assert got == expected
    assert repr(got) == repr(expected)  # the same types too: lists for tuples, str kept


def test_plain_shares_leaves_and_copies_containers() -> None:
    ad = full_ad()
    data = plain(ad)
    assert data["title"] is ad.title
    assert data["structured"] is not ad.structured
    assert data["top_terms"][0] == {
        "term": "dubai",
        "weight": 0.7,
        "start": 40,
        "end": 45,
        "kind": "word",
    }


def test_field_names_are_for_dataclass_instances_only() -> None:
    assert field_names(Term("x", 1.0)) == ("term", "weight", "start", "end", "kind")
    assert field_names(Term) is None
    assert field_names({"term": "x"}) is None


def test_an_ad_comes_back_from_its_dict() -> None:
    ad = lure_ad()
    ad.top_terms = [Term("dubai", 0.7, 40, 45)]
    ad.entities = [Entity("phone", "+17585550101", 1, 5, "758", {"chat": "whatsapp"})]
    ad.captures = [Capture("warc", "a" * 64, "aa/a.warc.gz", 12)]
    data = ad.to_dict()
    assert Ad.from_dict(data) == ad
    assert Ad.from_dict(data | {"not_a_field": 1}) == ad
    with pytest.raises(TypeError):
        Ad.from_dict({"url": ad.url})  # no id, no site


def test_now_is_utc_to_the_second() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = utc_now_iso()
    after = datetime.now(UTC)
    parsed = datetime.fromisoformat(stamp)
    assert stamp.endswith("+00:00") and "." not in stamp
    assert before <= parsed <= after and after - parsed < timedelta(seconds=1)
