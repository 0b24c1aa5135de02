"""Evidence files: content-addressed storage, the WARC and manifest of a fetch, and verification."""

from __future__ import annotations

import base64
import ctypes
import errno
import gzip
import hashlib
import json
import logging
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio import cli as warcio_cli
from warcio.archiveiterator import ArchiveIterator

from core.ad import Capture
from core.evidence import (
    EvidenceStore,
    FetchRecord,
    Status,
    canonical_json,
    capture_fetch,
    is_capture_path,
    lurewatch_version,
    settings_digest,
    syncer,
    verify,
)
from core.evidence.manifest import MAX_HEADER_CHARS, MAX_HEADERS

REPO = Path(__file__).resolve().parent.parent
BODY = "<html><body><h1>Hostess wanted</h1><p>Visa paid, café</p></body></html>".encode()
FETCHED = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
SETTINGS = {"USER_AGENT": "LureWatch/0.1 (+https://example.invalid)", "ROBOTSTXT_OBEY": True}


def fetch(**changes: object) -> FetchRecord:
    values: dict[str, object] = {
        "requested_url": "http://127.0.0.1:8000/old/42",
        "final_url": "http://127.0.0.1:8000/ads/42?lang=en",
        "status": 200,
        "headers": [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("X-Note", "caf\xe9"),  # a latin-1 byte on the wire
            ("Content-Encoding", "gzip"),
        ],
        "body": BODY,
        "fetched_at": FETCHED,
        "redirect_urls": ["http://127.0.0.1:8000/old/42"],
        "redirect_reasons": [301],
        "request_headers": [("User-Agent", SETTINGS["USER_AGENT"]), ("Accept-Encoding", "gzip")],
        "removed_content_encodings": ["gzip"],
        "ip_address": "127.0.0.1",
        "settings": SETTINGS,
        "settings_digest": settings_digest(SETTINGS),
    }
    values.update(changes)
    return FetchRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence")


def by_kind(captures: list[Capture]) -> dict[str, Capture]:
    return {c.kind: c for c in captures}


def warc_records(path: Path) -> list[object]:
    records: list[object] = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh, check_digests=True):
            records.append(
                {
                    "type": record.rec_type,
                    "warc": dict(record.rec_headers.headers),
                    "http": record.http_headers,
                    "raw": record.raw_stream.read(),
                    "problems": list(record.digest_checker.problems),
                }
            )
    return records


def warcio_check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[object, str]:
    """``warcio check -v PATH``: its exit status and report."""
    with pytest.raises(SystemExit) as exit_:
        warcio_cli.main(["check", "-v", str(path)])
    return exit_.value.code, capsys.readouterr().out


# --- storage -------------------------------------------------------------------------------


def test_put_names_the_file_by_its_hash_and_makes_it_read_only(store: EvidenceStore) -> None:
    capture = store.put(b"<html>ad</html>", "dom", "html")
    sha = hashlib.sha256(b"<html>ad</html>").hexdigest()
    assert capture == Capture("dom", sha, f"sha256/{sha[:2]}/{sha}.html", 15)
    path = store.root / capture.path
    assert path.read_bytes() == b"<html>ad</html>"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    assert is_capture_path(capture.path)
    assert store.path_of(capture) == path


def test_captures_stored_in_the_older_two_level_layout_still_open_and_verify(
    store: EvidenceStore,
) -> None:
    # Stores written before 2026-11-23 put files in sha256/<aa>/<bb>/<sha>.<ext>, and their
    # manifests and ads list those paths.
    def legacy(sha: str, name: str) -> str:
        return f"sha256/{sha[:2]}/{sha[2:4]}/{name}"

    captures = capture_fetch(store, fetch(dom=b"<html>dom</html>"))
    document = json.loads((store.root / captures[0].path).read_bytes())
    (store.root / captures[0].path).unlink()
    for entry in document["files"]:
        current = store.root / entry["path"]
        entry["path"] = legacy(entry["sha256"], current.name)
        (store.root / entry["path"]).parent.mkdir(parents=True, exist_ok=True)
        current.replace(store.root / entry["path"])
    data = canonical_json(document)
    sha = hashlib.sha256(data).hexdigest()
    manifest = Capture("manifest", sha, legacy(sha, f"{sha}.manifest.json"), len(data))
    (store.root / manifest.path).parent.mkdir(parents=True, exist_ok=True)
    (store.root / manifest.path).write_bytes(data)

    assert is_capture_path(manifest.path)
    assert store.path_of(manifest) == store.root / manifest.path
    report = verify(store.root / manifest.path)
    assert report.ok, report.summary()
    assert [c.status for c in report.checks] == [Status.OK] * 3
    assert verify(store.root).ok
    # The same bytes captured again go to the current layout; the old files stay.
    again = store.put(data, "manifest", "manifest.json")
    assert again.path == f"sha256/{sha[:2]}/{sha}.manifest.json"
    assert (store.root / manifest.path).read_bytes() == data


def test_put_twice_stores_once_and_does_not_rewrite(store: EvidenceStore) -> None:
    first = store.put(b"same bytes", "dom", "html")
    path = store.root / first.path
    before = path.stat()
    second = store.put(b"same bytes", "dom", "html")
    assert second == first
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert len(list(store.root.rglob("*.html"))) == 1


def test_put_repairs_a_file_of_the_wrong_size(store: EvidenceStore) -> None:
    capture = store.put(b"the real bytes", "dom", "html")
    path = store.root / capture.path
    path.chmod(0o644)
    path.write_bytes(b"cut")
    store.put(b"the real bytes", "dom", "html")
    assert path.read_bytes() == b"the real bytes"


def test_background_sync_store_keeps_writing_after_close(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence", background_sync=True)
    first = store.put(b"one", "dom", "html")
    store.flush()
    store.close()
    second = store.put(b"two", "dom", "html")  # synced on the spot once closed
    assert (store.root / first.path).read_bytes() == b"one"
    assert (store.root / second.path).read_bytes() == b"two"


def test_background_sync_syncs_every_file_once_it_is_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = syncer._syncfs()
    if real is None:
        pytest.skip("syncfs is Linux only")
    in_place: set[str] = set()

    def watching(fd: int) -> int:
        in_place.update(p.name for p in (tmp_path / "evidence").rglob("*.html"))
        return real(fd)

    monkeypatch.setattr(syncer, "_syncfs", lambda: watching)
    store = EvidenceStore(tmp_path / "evidence", background_sync=True)
    names = {Path(store.put(f"<p>{n}</p>".encode(), "dom", "html").path).name for n in range(30)}
    store.flush()
    store.close()
    assert names <= in_place  # each file was there when its filesystem was synced


def test_background_sync_falls_back_to_each_file_when_the_filesystem_sync_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def failing(fd: int) -> int:
        ctypes.set_errno(errno.EIO)
        return -1

    synced: list[str] = []
    real_sync_path = syncer.sync_path

    def spy(path: str) -> bool:
        synced.append(os.fspath(path))
        return real_sync_path(path)

    monkeypatch.setattr(syncer, "_syncfs", lambda: failing)
    monkeypatch.setattr(syncer, "sync_path", spy)
    store = EvidenceStore(tmp_path / "evidence", background_sync=True)
    with caplog.at_level(logging.WARNING, logger=syncer.__name__):
        capture = store.put(b"one", "dom", "html")
        store.flush()
    store.close()
    path = store.root / capture.path
    assert "cannot sync the evidence filesystem: Input/output error" in caplog.text
    assert sorted(synced) == sorted([str(path), str(path.parent)])
    assert path.read_bytes() == b"one"


def test_syncfs_refused_by_the_system_is_given_up_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def refused(fd: int) -> int:  # as under a seccomp sandbox
        calls.append(fd)
        ctypes.set_errno(errno.EPERM)
        return -1

    monkeypatch.setattr(syncer, "_syncfs", lambda: refused)
    store = EvidenceStore(tmp_path / "evidence", background_sync=True)
    with caplog.at_level(logging.WARNING, logger=syncer.__name__):
        captures = []
        for n in range(3):
            captures.append(store.put(f"file {n}".encode(), "dom", "html"))
            store.flush()  # one batch each
    store.close()
    assert len(calls) == 1
    assert caplog.text.count("syncfs is not available") == 1
    assert all((store.root / c.path).exists() for c in captures)


def test_a_write_that_fails_leaves_no_file_behind(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write

    def disk_full(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[:3]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.put(b"<html>ad</html>", "dom", "html")
    monkeypatch.undo()
    assert [p for p in store.root.rglob("*") if not p.is_dir()] == []  # no part file, no temp
    capture = store.put(b"<html>ad</html>", "dom", "html")
    assert (store.root / capture.path).read_bytes() == b"<html>ad</html>"


KILLED_MID_WRITE = """
import os, sys
from pathlib import Path
from core.evidence import EvidenceStore

store = EvidenceStore(Path(sys.argv[1]))
real_write = os.write

def killed(fd, data):
    real_write(fd, bytes(data[:3]))
    os._exit(9)

os.write = killed
store.put(b"<html>ad</html>", "dom", "html")
"""


def test_a_process_killed_mid_write_leaves_no_file_under_a_final_name(tmp_path: Path) -> None:
    root = tmp_path / "evidence"
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", KILLED_MID_WRITE, str(root)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 9, result.stderr
    left = [p for p in root.rglob("*") if not p.is_dir()]
    assert [p.read_bytes() for p in left] == [b"<ht"]
    assert left[0].name.startswith(".tmp-")  # a temp file, never named as evidence
    report = verify(root)
    assert report.ok
    assert report.skipped == [str(left[0])]
    capture = EvidenceStore(root).put(b"<html>ad</html>", "dom", "html")
    assert (root / capture.path).read_bytes() == b"<html>ad</html>"


@pytest.mark.parametrize("ext", ["../x", "HTML", "", "a/b", "html\n"])
def test_put_refuses_extensions_that_are_not_plain(store: EvidenceStore, ext: str) -> None:
    with pytest.raises(ValueError):
        store.put(b"x", "dom", ext)


def test_path_of_refuses_paths_the_store_never_writes(store: EvidenceStore) -> None:
    with pytest.raises(ValueError):
        store.path_of(Capture("dom", "0" * 64, "../../etc/passwd"))


# --- WARC ----------------------------------------------------------------------------------


def test_warc_holds_the_exchange_as_received(store: EvidenceStore) -> None:
    captures = capture_fetch(store, fetch())
    assert [c.kind for c in captures] == ["manifest", "warc"]
    warc = store.root / by_kind(captures)["warc"].path
    assert gzip.decompress(warc.read_bytes()).startswith(b"WARC/1.1\r\n")
    records = warc_records(warc)
    assert [r["type"] for r in records] == ["warcinfo", "request", "response"]  # type: ignore[index]
    assert all(not r["problems"] for r in records)  # type: ignore[index]
    info, request, response = records
    assert isinstance(info, dict) and isinstance(request, dict) and isinstance(response, dict)

    assert response["raw"] == BODY
    assert response["warc"]["WARC-Target-URI"] == "http://127.0.0.1:8000/ads/42?lang=en"
    assert response["warc"]["WARC-Date"] == "2026-03-01T09:30:15.123456Z"
    assert response["warc"]["WARC-IP-Address"] == "127.0.0.1"
    digest = base64.b32encode(hashlib.sha256(BODY).digest()).decode()
    assert response["warc"]["WARC-Payload-Digest"] == f"sha256:{digest}"
    assert response["warc"]["LureWatch-Body-Transfer-Decoded"] == "gzip"
    assert response["http"].statusline == "200 OK"
    # Every header, repeated ones too, with its original value (Content-Encoding as sent).
    assert response["http"].headers == fetch().headers
    raw = gzip.decompress(warc.read_bytes())
    assert b"X-Note: caf\xe9\r\n" in raw  # byte for byte, not %-encoded

    assert request["http"].protocol == "GET"
    assert request["http"].statusline == "/ads/42?lang=en HTTP/1.1"
    assert request["http"].get_header("Host") == "127.0.0.1:8000"
    assert request["http"].get_header("User-Agent") == SETTINGS["USER_AGENT"]
    assert request["warc"]["WARC-Concurrent-To"] == response["warc"]["WARC-Record-ID"]

    fields = info["raw"].decode()
    assert f"lurewatch-version: {lurewatch_version()}\r\n" in fields
    assert f"crawler-settings-digest: sha256:{settings_digest(SETTINGS)}\r\n" in fields
    assert response["warc"]["WARC-Warcinfo-ID"] == info["warc"]["WARC-Record-ID"]


def test_a_header_cannot_break_the_warc(store: EvidenceStore) -> None:
    hostile = [("X-Evil", "a\r\n\r\nHTTP/1.1 200 OK"), ("Bad Name:", "v")]
    captures = capture_fetch(store, fetch(headers=hostile, removed_content_encodings=[]))
    records = warc_records(store.root / by_kind(captures)["warc"].path)
    response = records[-1]
    assert isinstance(response, dict)
    assert response["raw"] == BODY
    assert response["http"].headers == [
        ("X-Evil", "a"),
        ("X-Evil", ""),
        ("X-Evil", "HTTP/1.1 200 OK"),
        ("Bad_Name_", "v"),
    ]


def test_decoded_encodings_cannot_add_fields_to_the_warc(store: EvidenceStore) -> None:
    # What a browser makes of repeated Content-Encoding headers, one of them hostile.
    removed = ["gzip\nWARC-Type: resource\r\nWARC-Target-URI: http://127.0.0.1/forged"]
    captures = capture_fetch(store, fetch(removed_content_encodings=removed))
    response = warc_records(store.root / by_kind(captures)["warc"].path)[-1]
    assert isinstance(response, dict)
    assert response["type"] == "response" and not response["problems"]
    assert response["warc"]["WARC-Target-URI"] == "http://127.0.0.1:8000/ads/42?lang=en"
    assert response["warc"]["LureWatch-Body-Transfer-Decoded"] == (
        "gzip WARC-Type: resource WARC-Target-URI: http://127.0.0.1/forged"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"request_headers": None},
        {"headers": [("X-Evil", "a\r\nb"), ("X-Note", "caf\xe9")], "status": 599},
        {"body": None, "rendered": True, "dom": b"<html>dom</html>", "request_headers": None},
    ],
    ids=["exchange", "no-request", "odd-headers", "dom-only"],
)
def test_warcio_check_passes_every_digest(
    store: EvidenceStore, capsys: pytest.CaptureFixture[str], changes: dict[str, object]
) -> None:
    warc = store.root / by_kind(capture_fetch(store, fetch(**changes)))["warc"].path
    code, report = warcio_check(warc, capsys)
    assert code == 0, report
    assert report.count("digest pass") == len(warc_records(warc)), report


def test_warcio_check_catches_a_changed_body(
    store: EvidenceStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    warc = store.root / by_kind(capture_fetch(store, fetch()))["warc"].path
    raw = gzip.decompress(warc.read_bytes())
    assert raw.count(b"Hostess") == 1
    tampered = tmp_path / "tampered.warc"
    tampered.write_bytes(raw.replace(b"Hostess", b"H0stess"))
    code, report = warcio_check(tampered, capsys)
    assert code == 1
    assert "payload digest failed" in report
    assert "block digest failed" in report


def test_warc_without_an_observed_request_has_no_request_record(store: EvidenceStore) -> None:
    captures = capture_fetch(store, fetch(request_headers=None))
    records = warc_records(store.root / by_kind(captures)["warc"].path)
    assert [r["type"] for r in records] == ["warcinfo", "response"]  # type: ignore[index]


def test_rendered_page_without_http_keeps_the_dom_as_a_resource(store: EvidenceStore) -> None:
    dom = b"<html><body>rendered ad</body></html>"
    png = b"\x89PNG\r\n\x1a\nfake"
    record = fetch(body=None, rendered=True, dom=dom, screenshot=png, request_headers=None)
    captures = capture_fetch(store, record)
    kinds = by_kind(captures)
    assert [c.kind for c in captures] == ["manifest", "warc", "dom", "screenshot"]
    assert (store.root / kinds["dom"].path).read_bytes() == dom
    assert (store.root / kinds["screenshot"].path).read_bytes() == png
    assert kinds["screenshot"].path.endswith(".png")
    records = warc_records(store.root / kinds["warc"].path)
    resource = records[-1]
    assert isinstance(resource, dict)
    assert resource["type"] == "resource"
    assert resource["raw"] == dom
    assert "did not keep the HTTP response" in resource["warc"]["LureWatch-Note"]
    manifest = json.loads((store.root / kinds["manifest"].path).read_bytes())
    assert manifest["rendered"] is True
    assert manifest["body_sha256"] is None


# --- manifest ------------------------------------------------------------------------------


def test_manifest_records_the_fetch_and_hashes_the_other_files(store: EvidenceStore) -> None:
    captures = capture_fetch(store, fetch(dom=b"<html>dom</html>"))
    manifest_capture = captures[0]
    raw = (store.root / manifest_capture.path).read_bytes()
    manifest = json.loads(raw)
    assert canonical_json(manifest) == raw  # sorted keys, no spaces: a stable hash
    assert manifest_capture.path.endswith(".manifest.json")
    assert manifest["requested_url"] == "http://127.0.0.1:8000/old/42"
    assert manifest["final_url"] == "http://127.0.0.1:8000/ads/42?lang=en"
    assert manifest["redirect_chain"] == [
        "http://127.0.0.1:8000/old/42",
        "http://127.0.0.1:8000/ads/42?lang=en",
    ]
    assert manifest["http_status"] == 200
    assert manifest["fetched_at"] == "2026-03-01T09:30:15.123456+00:00"
    assert manifest["body_sha256"] == hashlib.sha256(BODY).hexdigest()
    assert manifest["body_transfer_decoded"] is True
    assert ["Content-Encoding", "gzip"] in manifest["response_headers"]
    assert manifest["lurewatch_version"] == lurewatch_version()
    assert manifest["crawler_settings_digest"] == settings_digest(SETTINGS)
    assert manifest["crawler_settings_keys"] == ["ROBOTSTXT_OBEY", "USER_AGENT"]
    assert manifest["rendered"] is False
    assert manifest["files"] == [
        {"kind": c.kind, "sha256": c.sha256, "path": c.path, "size": c.size} for c in captures[1:]
    ]


def test_manifest_caps_headers_but_the_warc_keeps_them(store: EvidenceStore) -> None:
    headers = [("X-Big", "v" * (MAX_HEADER_CHARS + 10))]
    headers += [(f"X-{n}", str(n)) for n in range(MAX_HEADERS + 20)]
    captures = capture_fetch(store, fetch(headers=headers))
    manifest = json.loads((store.root / captures[0].path).read_bytes())
    assert len(manifest["response_headers"]) == MAX_HEADERS
    assert len(manifest["response_headers"][0][1]) == MAX_HEADER_CHARS
    assert manifest["response_headers_truncated"] is True
    response = warc_records(store.root / captures[1].path)[-1]
    assert isinstance(response, dict)
    assert len(response["http"].headers) == len(headers)


# --- verify --------------------------------------------------------------------------------


def test_verify_a_manifest_checks_it_and_every_file_it_lists(store: EvidenceStore) -> None:
    captures = capture_fetch(store, fetch(dom=b"<html>dom</html>"))
    report = verify(store.root / captures[0].path)
    assert report.ok
    assert [c.status for c in report.checks] == [Status.OK] * 3
    assert report.summary() == "3 files checked, all hashes match"


def test_verify_finds_one_changed_byte(store: EvidenceStore) -> None:
    captures = capture_fetch(store, fetch(dom=b"<html>dom</html>"))
    dom = store.root / by_kind(captures)["dom"].path
    dom.chmod(0o644)
    dom.write_bytes(b"<html>DOM</html>")
    report = verify(store.root / captures[0].path)
    assert not report.ok
    [problem] = report.problems
    assert problem.status is Status.MISMATCH
    assert problem.path == str(dom)
    assert problem.expected == by_kind(captures)["dom"].sha256
    assert problem.actual == hashlib.sha256(b"<html>DOM</html>").hexdigest()
    assert report.summary() == "3 files checked, 1 problem (1 mismatch)"


def test_verify_a_single_capture_file(store: EvidenceStore) -> None:
    capture = store.put(b"<html>x</html>", "dom", "html")
    path = store.root / capture.path
    assert verify(path).ok
    path.chmod(0o644)
    path.write_bytes(b"<html>y</html>")
    assert [c.status for c in verify(path).checks] == [Status.MISMATCH]


def test_verify_reports_a_missing_file(store: EvidenceStore) -> None:
    captures = capture_fetch(store, fetch())
    warc = store.root / by_kind(captures)["warc"].path
    warc.unlink()
    report = verify(store.root / captures[0].path)
    assert [(c.status, c.path) for c in report.problems] == [(Status.MISSING, str(warc))]


def test_verify_never_opens_paths_that_leave_the_evidence_folder(
    store: EvidenceStore, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("not evidence")
    sha = hashlib.sha256(b"not evidence").hexdigest()
    real = store.put(b"inside", "dom", "html")
    link = store.root / "sha256" / "link.html"
    link.symlink_to(outside)
    hostile = {
        "schema": "lurewatch.capture-manifest/1",
        "files": [
            {"kind": "dom", "sha256": sha, "path": "../secret.txt"},
            {"kind": "dom", "sha256": sha, "path": str(outside)},
            {"kind": "dom", "sha256": sha, "path": "sha256/../../secret.txt"},
            {"kind": "dom", "sha256": sha, "path": "sha256/link.html"},
            {"kind": "dom", "sha256": sha, "path": "..\\secret.txt"},
            {"kind": "dom", "sha256": "not-a-hash", "path": real.path},
            {"kind": "dom", "sha256": real.sha256, "path": real.path},
        ],
    }
    manifest = store.put(canonical_json(hostile), "manifest", "manifest.json")
    report = verify(store.root / manifest.path)
    statuses = [c.status for c in report.checks]
    assert statuses == [Status.OK] + [Status.BAD] * 6 + [Status.OK]
    assert all(c.actual is None for c in report.problems)  # nothing outside was hashed


def test_verify_a_folder_checks_every_capture_and_skips_the_rest(store: EvidenceStore) -> None:
    first = capture_fetch(store, fetch(dom=b"<html>one</html>"))
    capture_fetch(store, fetch(dom=b"<html>two</html>", final_url="http://127.0.0.1:8000/ads/43"))
    (store.root / "README.txt").write_text("notes")
    dom = store.root / by_kind(first)["dom"].path
    dom.chmod(0o644)
    dom.write_bytes(b"<html>0ne</html>")
    report = verify(store.root)
    assert len(report.checks) == 6  # two manifests, two WARCs, two DOMs: each file once
    assert [(c.status, c.path) for c in report.problems] == [(Status.MISMATCH, str(dom))]
    assert report.skipped == [str(store.root / "README.txt")]


def test_verify_a_listed_path_that_is_a_folder_is_unreadable(store: EvidenceStore) -> None:
    sha = "a" * 64
    folder = store.root / "sha256" / "aa" / "aa" / f"{sha}.html"
    folder.mkdir(parents=True)
    listing = {
        "schema": "lurewatch.capture-manifest/1",
        "files": [{"sha256": sha, "path": str(folder.relative_to(store.root))}],
    }
    manifest = store.put(canonical_json(listing), "manifest", "manifest.json")
    report = verify(store.root / manifest.path)
    assert [c.status for c in report.problems] == [Status.UNREADABLE]


def test_verify_a_bundle_folder_reads_its_manifest_json(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "files").mkdir(parents=True)
    (bundle / "files" / "ad.html").write_bytes(b"<html>ad</html>")
    listing = {
        "files": [
            {"path": "files/ad.html", "sha256": hashlib.sha256(b"<html>ad</html>").hexdigest()},
            {"path": "files/gone.png", "sha256": "b" * 64},
        ]
    }
    (bundle / "manifest.json").write_text(json.dumps(listing))
    report = verify(bundle)
    assert [c.status for c in report.checks] == [Status.OK, Status.MISSING]


def test_verify_rejects_what_is_not_evidence(tmp_path: Path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("x")
    assert [c.status for c in verify(plain).checks] == [Status.BAD]
    broken = tmp_path / f"{hashlib.sha256(b'{').hexdigest()}.manifest.json"
    broken.write_bytes(b"{")
    report = verify(broken)
    assert [c.status for c in report.checks] == [Status.OK, Status.BAD]
    assert "not valid JSON" in report.checks[1].detail
    with pytest.raises(FileNotFoundError):
        verify(tmp_path / "nothing-here")


def test_a_copied_evidence_folder_still_verifies(store: EvidenceStore, tmp_path: Path) -> None:
    captures = capture_fetch(store, fetch())
    copy = tmp_path / "case-17"
    os.rename(store.root, copy)
    assert verify(copy / captures[0].path).ok
