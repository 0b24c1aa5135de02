"""Serving a test site from a thread on 127.0.0.1 (a free port unless one is given)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any


@contextmanager
def serve_in_thread(handler: Callable[..., Any], port: int = 0) -> Iterator[str]:
    """Serve ``handler`` while in the block; yields the base URL (``http://127.0.0.1:N``)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
