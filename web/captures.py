"""Evidence files for download. A captured page is hostile: it is only ever sent as an
attachment of an opaque type, never rendered by this site, and only when a stored ad points to
it by its hash."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import FileResponse
from starlette.responses import Response

from core.ad import Capture
from web.auth import require_page_user
from web.state import get_state
from web.users import User

router = APIRouter(include_in_schema=False)

_SHA256 = re.compile(r"[0-9a-f]{64}")
# File name endings kept in the download's name; anything else (an .html DOM, say) ends in
# .bin, so a double click does not open a hostile page in the browser.
_KEPT_SUFFIXES = {".warc", ".warc.gz", ".gz", ".png", ".json"}
_CHUNK = 1 << 20


def download_name(capture: Capture) -> str:
    suffix = "".join(FilePath(capture.path).suffixes[-2:]).lower()
    if suffix not in _KEPT_SUFFIXES:
        suffix = FilePath(capture.path).suffix.lower()
    if suffix not in _KEPT_SUFFIXES:
        suffix = ".bin"
    kind = re.sub(r"[^a-z0-9]", "", capture.kind.lower())[:20] or "capture"
    return f"{kind}-{capture.sha256}{suffix}"


def _sha256_of(path: FilePath) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def evidence_path(root: FilePath, capture: Capture) -> FilePath | None:
    """The capture's file inside ``root``; None when the path leads elsewhere or is missing."""
    base = root.resolve()
    path = (base / capture.path).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


@router.get("/evidence/{sha256}", name="evidence_file")
def evidence_file(
    request: Request,
    user: Annotated[User, Depends(require_page_user)],
    sha256: Annotated[str, Path(max_length=200)],
) -> Response:
    not_found = HTTPException(404, "No stored ad refers to an evidence file with this hash.")
    if not _SHA256.fullmatch(sha256):
        raise not_found
    state = get_state(request)
    capture = state.store.find_capture(sha256)
    if capture is None:
        raise not_found
    path = evidence_path(state.settings.evidence_dir, capture)
    if path is None:
        raise HTTPException(404, "The evidence file is missing from the evidence folder.")
    if _sha256_of(path) != sha256:
        # Never hand over a file as evidence that is not what was captured.
        raise HTTPException(409, "The evidence file does not match its hash: run lurewatch verify.")
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=download_name(capture),
        content_disposition_type="attachment",
    )
