"""The bytes of evidence files: a fetch's WARC and manifest are byte for byte those the earlier
writer made (warcio's record writer; ``canonical_json`` of the whole manifest), for fetches of
every kind, and the shortcuts that make them (``settings_json``, the manifest's spliced
settings, the base32 digests, the record IDs) give what the long way gives."""

from __future__ import annotations

import base64
import copy
import enum
import hashlib
import json
import math
import os
import stat
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from core.ad import Capture
from core.evidence import (
    EvidenceStore,
    FetchRecord,
    canonical_json,
    capture_fetch,
    manifest,
    record,
    verify,
    warc,
)

VERSION = "9.9.9-test"  # lurewatch_version() in the files, so the digests below do not move

# --- fetches of every kind -----------------------------------------------------------------

SETTINGS_SETS: list[dict[str, Any]] = [
    {"USER_AGENT": "LureWatch/0.1 (+https://example.invalid)", "ROBOTSTXT_OBEY": True},
    {},
    {
        "DOWNLOAD_DELAY": 0.5,
        "TINY": 1e-05,
        "HUGE": 1e16,
        "NEG_ZERO": -0.0,
        "BIG": 2**70,
        "NEG": -(2**63) - 1,
        "ONE_FLOAT": 1.0,
        "ONE": 1,
        "FLAG": False,
        "NONE": None,
        "TEXT": 'caf\u00e9 \u20ac \U0001f600 \x00\x1f\x7f \u2028 "quoted" back\\slash\n',
        "LIST": [1, "two", [3.25, None], {"z": 1, "a": [True]}],
        "DEFAULT_REQUEST_HEADERS": {"Accept": "text/html", "Accept-Language": "en"},
        "\u00e9_KEY": "non-ASCII key",
        "Z": "",
        "a": "sorted by code point",
    },
    {"SURROGATE": "broken \ud800 text", "T": (1, 2)},
]
HEADER_SETS: list[list[tuple[str, str]]] = [
    [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("X-Note", "caf\xe9"),
        ("Content-Encoding", "gzip"),
    ],
    [],
    [
        ("X-Evil", "a\r\n\r\nHTTP/1.1 200 OK"),
        ("Bad Name:", "v"),
        ("", "empty name"),
        ("X\x7fDel", "x"),
        ("X-LF", "one\ntwo\rthree\r\n"),
        ("X-Tab", "a\tb"),
        ("X-Json", '"crawler_settings":null'),
    ],
    [("X-Browser", "gzip\nbr"), ("X-Euro", "\u20ac uses UTF-8"), ("Content-Encoding", "br")],
    [(f"X-{n}", "v" * (n * 90)) for n in range(120)],  # over the manifest's caps
]
URLS = [
    "http://127.0.0.1:8000/ads/42?lang=en",
    "https://example.invalid",
    "https://[::1]:8443/p%20q/?a=1&b=%C3%A9#frag",
    "https://xn--r8jz45g.jp/\u00fc?q=\u00e9",
    "http://user:pw@example.invalid:81/a;b?",
]
WHEN = [
    datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC),
    datetime(2026, 3, 1, 9, 30, 15),  # naive: UTC
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2027, 1, 1, 0, 0, 0, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]
STATUS = [200, 404, 599, 999, 103, 301, 0]
PROTOCOLS = ["HTTP/1.1", "HTTP/1.0", "HTTP/2", "h2", ""]
REQUESTS: list[list[tuple[str, str]] | None] = [
    [("User-Agent", "LureWatch/0.1"), ("Accept-Encoding", "gzip")],
    None,
    [],
    [("Referer", "http://127.0.0.1:8000/ads/\u00e9"), ("X-Evil", "a\r\nHost: forged")],
]
ENCODINGS = [[], ["gzip"], ["br", "gzip"]]
NOTES = [
    [],
    ["headers as the spider saw them:\n  ReceivedMiddleware   was off"],
    ["\u00e9 \u00fcn\u00efcode", 'second "crawler_settings":null'],
]
IPS = ["127.0.0.1", None, "::1", ""]
METHODS = ["GET", "POST", "HEAD"]
FETCHES = 200


def body(n: int) -> bytes:
    kind = n % 4
    if kind == 0:
        return b""
    if kind == 1:
        return (
            "<html><body><h1>Hostess wanted</h1><p>Visa paid, caf\u00e9</p></body></html>".encode()
        )
    if kind == 2:  # about 21 KB of page
        words = [hashlib.sha256(f"{n}-{i}".encode()).hexdigest()[: 3 + i % 9] for i in range(2600)]
        return ("<html><body>" + " ".join(words) + "</body></html>").encode()
    return hashlib.sha256(f"{n}".encode()).digest() * 40  # binary


def variant(n: int) -> dict[str, Any]:
    """The n-th fetch: each property cycles at its own length, so they combine differently.
    n % 5: 0-2 a plain HTTP fetch, 3 rendered with the page's HTTP response, 4 rendered without
    it (a DOM resource record, or, one time in ten, not even a DOM)."""
    settings = SETTINGS_SETS[n % len(SETTINGS_SETS)]
    url = URLS[n % len(URLS)]
    values: dict[str, Any] = {
        "requested_url": URLS[(n + 1) % len(URLS)],
        "final_url": url,
        "status": STATUS[n % len(STATUS)],
        "headers": HEADER_SETS[n % len(HEADER_SETS)],
        "body": body(n),
        "fetched_at": WHEN[n % len(WHEN)],
        "redirect_urls": [URLS[(n + 2) % len(URLS)]] * (n % 3),
        "redirect_reasons": [301, "meta refresh"][: n % 3],
        "protocol": PROTOCOLS[n % len(PROTOCOLS)],
        "method": METHODS[n % len(METHODS)],
        "request_headers": REQUESTS[n % len(REQUESTS)],
        "removed_content_encodings": ENCODINGS[n % len(ENCODINGS)],
        "ip_address": IPS[n % len(IPS)],
        "settings": settings,
        "settings_digest": hashlib.sha256(str(n % 4).encode()).hexdigest() if n % 7 else "",
        "notes": NOTES[n % len(NOTES)],
    }
    if n % 5 >= 3:
        values.update(
            rendered=True,
            request_headers=None,
            dom=f"<html>dom {n}</html>".encode(),
            screenshot=b"\x89PNG\r\n\x1a\n" + bytes([n % 256]) * (n % 3),
            page_url=None if n % 2 else url + "#after",
        )
    if n % 5 == 4:
        values["body"] = None
        if n % 10 == 9:
            values["dom"] = None
    return values


def fixed_random(n: int) -> Callable[[int], bytes]:
    """os.urandom for fetch n: record IDs that are the same on every run."""
    calls = iter(range(1, 1000))
    return lambda size: hashlib.shake_256(f"{n}/{next(calls)}".encode()).digest(size)


def members(data: bytes) -> Iterator[bytes]:
    """The gzip members of a file, each decompressed."""
    while data:
        member = zlib.decompressobj(zlib.MAX_WBITS + 16)
        yield member.decompress(data)
        assert member.eof
        data = member.unused_data


def files_digest(root: Path, captures: list[Capture]) -> str:
    """A digest of what a fetch's files hold, the same whichever zlib compressed them.

    The WARC counts as its records (each gzip member decompressed; that the file is exactly
    each record gzipped at level 3 is checked here too), and the manifest with the WARC's entry
    left out, since the WARC's hash and size depend on the compressor's bytes.
    """
    digest = hashlib.sha256()
    warc_entry = manifest_data = b""
    for capture in captures:
        data = (root / capture.path).read_bytes()
        if capture.kind == "warc":
            records = list(members(data))
            assert data == b"".join(zlib.compress(r, 3, zlib.MAX_WBITS + 16) for r in records)
            for one in records:
                digest.update(f"warc record {len(one)}\n".encode() + one)
            warc_entry = (
                f'"path":"{capture.path}","sha256":"{capture.sha256}","size":{capture.size}'
            ).encode()
        elif capture.kind == "manifest":
            manifest_data = data
        else:
            digest.update(f"{capture.kind} {len(data)}\n".encode() + data)
    assert manifest_data.count(warc_entry) == 1
    digest.update(manifest_data.replace(warc_entry, b"WARC"))
    return digest.hexdigest()


@pytest.fixture
def fixed_version(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (warc, manifest):
        monkeypatch.setattr(module, "lurewatch_version", lambda: VERSION)


# Made by the writer before this one (warcio's record writer, the manifest as canonical_json of
# the whole document) from these fetches, at commit 196bbb7: sha256 of their files_digest
# lines, and of the kinds of files each fetch gave.
EXPECTED_FILES = "3899ca8a29ab453c4aa63783d6cb483d005dc049877a96923dc1d9c8f6139894"
EXPECTED_KINDS = "40375b7f49468709ccf786a7062b5e0793e05678a051420de8a055578f795a41"


def test_files_are_byte_for_byte_those_of_the_earlier_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixed_version: None
) -> None:
    store = EvidenceStore(tmp_path / "evidence", fsync=False)
    kinds, files = digests(store, capture_fetch, FetchRecord, monkeypatch)
    assert kinds == EXPECTED_KINDS
    assert files == EXPECTED_FILES
    assert verify(store.root).ok


def digests(
    store: Any, capture: Callable[..., list[Capture]], fetch: type, patch: pytest.MonkeyPatch
) -> tuple[str, str]:
    """The kinds of files each fetch gave, and what they hold (``files_digest``), over all
    ``FETCHES`` fetches. (The arguments let the earlier writer's modules run it too.)"""
    lines, kinds = [], []
    for n in range(FETCHES):
        with patch.context() as random:
            random.setattr(os, "urandom", fixed_random(n))
            captures = capture(store, fetch(**variant(n)))
        lines.append(files_digest(Path(store.root), captures))
        kinds.append(",".join(c.kind for c in captures))
    return (
        hashlib.sha256("\n".join(kinds).encode()).hexdigest(),
        hashlib.sha256("\n".join(lines).encode()).hexdigest(),
    )


def test_warcio_reads_every_record_and_checks_every_digest(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence", fsync=False)
    for n in range(0, FETCHES, 3):
        values = variant(n)
        captures = capture_fetch(store, FetchRecord(**values))
        kinds = {c.kind: c for c in captures}
        with (store.root / kinds["warc"].path).open("rb") as fh:
            records = [
                (r.rec_type, r.rec_headers, r.raw_stream.read(), r.digest_checker.problems)
                for r in ArchiveIterator(fh, check_digests=True)
            ]
        types = [t for t, _, _, _ in records]
        if values["body"] is not None:
            expected = ["request", "response"] if values["request_headers"] is not None else []
            assert types == ["warcinfo", *(expected or ["response"])]
            assert records[-1][2] == values["body"]
        elif values.get("dom") is not None:
            assert types == ["warcinfo", "resource"]
            assert records[-1][2] == values["dom"]
        else:
            assert types == ["warcinfo"]
        assert all(not problems for _, _, _, problems in records)
        info = records[0][1]
        assert all(
            h.get_header("WARC-Warcinfo-ID") == info.get_header("WARC-Record-ID")
            for _, h, _, _ in records[1:]
        )
        document = json.loads((store.root / kinds["manifest"].path).read_bytes())
        assert document["crawler_settings"] == json.loads(canonical_json(values["settings"]))
    assert verify(store.root).ok


# --- the shortcuts, against the long way ---------------------------------------------------


def test_the_manifest_with_its_settings_spliced_in_is_canonical_json(tmp_path: Path) -> None:
    for n in range(FETCHES):
        fetch = FetchRecord(**variant(n))
        files = [Capture("warc", "a" * 64, f"sha256/aa/{'a' * 64}.warc.gz", n)]
        document = manifest.build_manifest(fetch, files)
        spliced = manifest._manifest_json(document, record.settings_json(fetch.settings))
        assert spliced == canonical_json(document)


class Plain(enum.Enum):
    A = 1


class Number(enum.IntEnum):
    ONE = 1


class Text(str):
    pass


def floats() -> Iterator[float]:
    yield from (0.0, -0.0, 1.0, 0.1, 1e16, 1e15, 9999999999999998.0, 1e-4, 1e-5, 1e21, 1e22)
    yield from (5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 123456789.123)
    for n in range(3000):
        # Bit patterns spread over every exponent, from a fixed sequence.
        bits = int.from_bytes(hashlib.sha256(str(n).encode()).digest()[:8], "little")
        value = struct.unpack("<d", bits.to_bytes(8, "little"))[0]
        if math.isfinite(value):
            yield value
        yield (n - 1500) / 7 * 10.0 ** (n % 40 - 20)


def test_settings_json_is_canonical_json_for_values_of_every_kind() -> None:
    values: list[Any] = [
        *[{"x": f} for f in floats()],
        {"big": 2**64 - 1, "bigger": 2**64, "negative": -(2**63) - 1, "huge": 10**40},
        {"text": "".join(chr(c) for c in range(0x0, 0x800)), "astral": "\U0001f600\U0010ffff"},
        {"\u00e9": 1, "z": 2, "\U0001f600": 3, "\uffff": 4, "A": 5, "": 6},
        {"nested": {"b": [1, (2, 3), {"c": None}], "a": True}, "empty": {}, "list": []},
        {"surrogate": "x\udc80y", "pair": "\ud83d\ude00"},
        {"int_enum": Number.ONE, "text": Text("sub"), "key": {Text("k"): 1}},
        {1: "int key"},
    ]
    for value in values:
        first = record.settings_json(value)
        assert first == canonical_json(value)
        assert record.settings_json(value) == first  # checked and remembered
        assert record.settings_json(copy.deepcopy(value)) == first
    for refused in ({"nan": math.nan}, {"inf": -math.inf}, {"enum": Plain.A}, {"set": {1}}):
        with pytest.raises((ValueError, TypeError)):
            record.settings_json(refused)
    with pytest.raises(TypeError):
        record.settings_json({"uuid": uuid.UUID(int=1)})


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (True, 1),
        (1, True),
        (1, 1.0),
        (0.0, -0.0),
        (10**16, 1e16),
        ("a", Text("a")),
        (None, math.nan),
        (None, math.inf),
        (1, Plain.A),
        ("00000000-0000-0000-0000-000000000001", uuid.UUID(int=1)),
        ([1, 2], (1, 2)),
    ],
)
def test_settings_changed_in_place_are_written_anew(before: Any, after: Any) -> None:
    settings = {"K": before, "OTHER": "same"}
    assert record.settings_json(settings) == canonical_json(settings)
    settings["K"] = after
    try:
        expected: bytes | type[Exception] = canonical_json(settings)
    except (ValueError, TypeError) as exc:
        expected = type(exc)
    if isinstance(expected, bytes):
        assert record.settings_json(settings) == expected
    else:
        with pytest.raises(expected):
            record.settings_json(settings)


def test_digests_are_base32_of_the_sha256() -> None:
    for n in range(20000):
        raw = hashlib.sha256(n.to_bytes(4, "big")).digest()
        assert warc._digest(raw) == "sha256:" + base64.b32encode(raw).decode()
    for raw in (bytes(32), b"\xff" * 32):
        assert warc._digest(raw) == "sha256:" + base64.b32encode(raw).decode()


def test_record_ids_are_version_4_uuids_of_the_random_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(2000):
        random = hashlib.shake_256(str(n).encode()).digest(48)
        monkeypatch.setattr(os, "urandom", lambda size, random=random: random[:size])
        ids = warc._record_ids(3)
        monkeypatch.undo()
        assert ids == [
            f"<urn:uuid:{uuid.UUID(bytes=random[i : i + 16], version=4)}>" for i in (0, 16, 32)
        ]


# --- storage -------------------------------------------------------------------------------


@pytest.mark.parametrize("background_sync", [True, False])
def test_files_are_read_only_for_all_whatever_the_umask(
    tmp_path: Path, background_sync: bool
) -> None:
    store = EvidenceStore(tmp_path / "evidence", background_sync=background_sync)
    previous = os.umask(0o077)
    try:
        capture = store.put(b"<html>ad</html>", "dom", "html")
    finally:
        os.umask(previous)
        store.close()
    assert stat.S_IMODE((store.root / capture.path).stat().st_mode) == 0o444
