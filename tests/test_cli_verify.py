"""``lurewatch verify PATH``: what an investigator runs on a case folder before court."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from core.ad import Capture
from core.evidence import EvidenceStore, FetchRecord, canonical_json, capture_fetch
from core.settings import Settings

runner = CliRunner()


@pytest.fixture
def captures(settings: Settings) -> list[Capture]:
    record = FetchRecord(
        requested_url="http://127.0.0.1:8000/ads/1",
        final_url="http://127.0.0.1:8000/ads/1",
        status=200,
        headers=[("Content-Type", "text/html")],
        body=b"<html>Hostess wanted, visa paid</html>",
        fetched_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        request_headers=[],
        rendered=True,
        dom=b"<html>rendered</html>",
    )
    return capture_fetch(EvidenceStore(settings.evidence_dir), record)


def test_verify_ok_exits_0(settings: Settings, captures: list[Capture]) -> None:
    result = runner.invoke(app, ["verify", str(settings.evidence_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "3 files checked, all hashes match"


def test_verify_tampered_file_exits_1_and_names_it(
    settings: Settings, captures: list[Capture]
) -> None:
    dom = settings.evidence_dir / captures[2].path
    dom.chmod(0o644)
    dom.write_bytes(b"<html>edited</html>")
    result = runner.invoke(app, ["verify", str(settings.evidence_dir / captures[0].path)])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"mismatch: {dom}; expected sha256 {captures[2].sha256}, found ")
    assert lines[-1] == "3 files checked, 1 problem (1 mismatch)"


def test_verify_missing_file_exits_1(settings: Settings, captures: list[Capture]) -> None:
    warc = settings.evidence_dir / captures[1].path
    warc.unlink()
    result = runner.invoke(app, ["verify", str(settings.evidence_dir)])
    assert result.exit_code == 1
    assert f"missing: {warc}" in result.stdout


def test_verify_json(settings: Settings, captures: list[Capture]) -> None:
    result = runner.invoke(app, ["verify", "--json", str(settings.evidence_dir / captures[0].path)])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["counts"]["ok"] == 3
    assert {f["path"] for f in report["files"]} == {
        str(settings.evidence_dir / c.path) for c in captures
    }


def test_verify_escapes_hostile_paths_in_its_output(settings: Settings) -> None:
    listing = {
        "schema": "lurewatch.capture-manifest/1",
        "files": [{"path": "/etc/\x1b[31mpasswd", "sha256": "a" * 64}],
    }
    store = EvidenceStore(settings.evidence_dir)
    manifest = store.put(canonical_json(listing), "manifest", "manifest.json")
    result = runner.invoke(app, ["verify", str(settings.evidence_dir / manifest.path)])
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout
    assert "bad: /etc/\\x1b[31mpasswd; path leaves the evidence folder" in result.stdout


def test_verify_a_path_that_does_not_exist_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", str(tmp_path / "no-such-case")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'no-such-case'} does not exist"
