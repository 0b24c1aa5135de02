"""Court-grade evidence of every fetch: content-addressed files, WARC, manifest, verification.

See docs/evidence.md.
"""

from core.evidence.manifest import MANIFEST_EXT, SCHEMA, build_manifest, capture_fetch
from core.evidence.record import FetchRecord, canonical_json, lurewatch_version, settings_digest
from core.evidence.store import EvidenceStore, is_capture_path, relative_path
from core.evidence.verify import BUNDLE_MANIFEST, FileCheck, Status, VerifyReport, verify
from core.evidence.warc import build_warc

__all__ = [
    "BUNDLE_MANIFEST",
    "MANIFEST_EXT",
    "SCHEMA",
    "EvidenceStore",
    "FetchRecord",
    "FileCheck",
    "Status",
    "VerifyReport",
    "build_manifest",
    "build_warc",
    "canonical_json",
    "capture_fetch",
    "is_capture_path",
    "lurewatch_version",
    "relative_path",
    "settings_digest",
    "verify",
]
