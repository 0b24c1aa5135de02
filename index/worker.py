"""The ingest worker: a child process that scores, stores and indexes the crawl's ads, so the
crawl's own process (Scrapy is single-threaded) spends its core on fetching and extracting.

The two talk over a pipe in MessagePack, which carries what JSON does (never pickle: ads
are scraped content) at a third of the cost to encode. The crawl sends
``{"op": "batch", "id": N, "items": [...], "fetches": [...]}`` and finally ``{"op": "close"}``;
a batch whose ads bring the fetches whose evidence the worker is to write comes as a frame:
``FRAME``, the message's length (8 bytes, big-endian), the message, then the fetches' bytes
(``core.evidence.wire``). The worker
answers ``ready`` once its model is loaded, ``done``/``failed`` per batch and ``closed`` with
the number of ads indexed and the CPU seconds it spent after ``ready``. A worker whose parent
dies sees the pipe close and exits; what it committed stays, and ads it had not stored are not
marked fetched, so the next crawl fetches them again.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

import msgpack
from threadpoolctl import threadpool_limits

from core.ad import Ad, AdRemoved
from core.evidence.wire import Blobs
from core.longlived import freeze_long_lived
from core.settings import Settings
from index.ingest import (
    Ingest,
    Outcome,
    Steps,
    fetches_from_wire,
    fetches_to_wire,
    item_from_wire,
    item_to_wire,
)

log = logging.getLogger("lurewatch.ingest")
# Far above a batch of capped ads; a larger message means something is wrong.
MAX_MESSAGE_BYTES = 512 * 1024 * 1024


class WorkerError(RuntimeError):
    pass


FRAME = b"LWF1"
_NO_BYTES = memoryview(b"")


def encode(message: dict[str, Any]) -> bytes:
    # surrogatepass: a lone surrogate in scraped text crosses unchanged instead of failing.
    try:
        return msgpack.packb(message, use_bin_type=True, unicode_errors="surrogatepass")
    except OverflowError:
        # An integer past 64 bits (scraped numbers can be anything): JSON has no limit.
        return json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")


def decode(data: bytes) -> Any:
    try:
        if data[:1] == b"{":  # no MessagePack map starts with "{" (0x7b is a small integer)
            return json.loads(data.decode("utf-8", "surrogatepass"))
        return msgpack.unpackb(data, raw=False, unicode_errors="surrogatepass")
    except (ValueError, msgpack.UnpackException) as exc:
        raise WorkerError(
            f"an unreadable message from the other side: {type(exc).__name__}: {exc}"
        ) from exc


def _send(conn: Connection, message: dict[str, Any]) -> None:
    conn.send_bytes(encode(message))


def frame(message: dict[str, Any], blobs: Blobs) -> bytes:
    header = encode(message)
    if not blobs.parts:
        return header
    return b"".join((FRAME, len(header).to_bytes(8, "big"), header, *blobs.parts))


def _receive(conn: Connection) -> dict[str, Any]:
    return _receive_framed(conn)[0]


def _receive_framed(conn: Connection) -> tuple[dict[str, Any], memoryview]:
    """A message and the bytes that came after its JSON (empty for a plain message)."""
    data = conn.recv_bytes(MAX_MESSAGE_BYTES)
    blob = _NO_BYTES
    if data.startswith(FRAME):
        length = int.from_bytes(data[4:12], "big")
        if length > len(data) - 12:
            raise WorkerError(f"a frame names {length} bytes of JSON, {len(data) - 12} came")
        blob = memoryview(data)[12 + length :]
        data = data[12 : 12 + length]
    message = decode(data)
    if not isinstance(message, dict) or "op" not in message:
        raise WorkerError(f"unexpected message from the other side: {str(message)[:200]}")
    return message, blob


# --- the child -------------------------------------------------------------------------------


def _exit_with(parent: int) -> None:
    """Ends this process as soon as the crawl process is gone, whatever it is doing (a
    worker stuck waiting for a lock must not outlive the crawl and keep the store's and the
    index's locks). What it committed stays; nothing half-done is committed."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(3)


def worker_main(conn: Connection, settings_json: str, steps_json: str, parent: int) -> None:
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    settings = Settings.model_validate_json(settings_json)
    steps = Steps(**json.loads(steps_json))

    def announce(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    ingest = Ingest(settings, steps, announce=announce)
    try:
        version = ingest.open()
    except Exception as exc:  # the crawl shows this and stops: nothing can be stored
        _send(conn, {"op": "error", "message": f"{type(exc).__name__}: {exc}"})
        return
    # The model, spaCy's pipelines and the matchers stay for the whole crawl: see core.longlived.
    freeze_long_lived()
    # Scoring sparse batches gains nothing from BLAS threads, and idle ones spin on the core
    # the crawl process needs.
    threadpool_limits(limits=1)
    _send(conn, {"op": "ready", "model_version": version})
    ready_cpu = time.process_time()
    settings_seen: dict[str, dict[str, Any]] = {}  # crawler settings of the fetches, by digest
    try:
        while True:
            message, blob = _receive_framed(conn)
            if message["op"] == "close":
                ingest.close()
                cpu = time.process_time() - ready_cpu
                _send(conn, {"op": "closed", "indexed": ingest.indexed, "cpu_seconds": cpu})
                return
            if message["op"] != "batch":
                raise WorkerError(f"unknown op {message['op']!r}")
            try:
                items = [item_from_wire(m) for m in message["items"]]
                fetches = fetches_from_wire(message, blob, settings_seen)
                outcomes = ingest.process(
                    items, fetches, scored_back=bool(message.get("scored_back", True))
                )
            except Exception as exc:
                log.exception("ingest batch %s failed", message.get("id"))
                _send(
                    conn,
                    {
                        "op": "failed",
                        "id": message["id"],
                        "message": f"{type(exc).__name__}: {exc}",
                    },
                )
                continue
            # An Outcome's fields are plain already (``changed`` too): no walk over them again.
            _send(conn, {"op": "done", "id": message["id"], "results": [vars(o) for o in outcomes]})
    except (EOFError, OSError):
        return  # the crawl process is gone: exit without committing more


# --- the parent ------------------------------------------------------------------------------

OnReply = Callable[[dict[str, Any]], None]


class WorkerClient:
    """The crawl's end: starts the child, sends batches, hands each reply to ``on_reply``
    from a reader thread (the caller moves it onto its event loop)."""

    def __init__(self, settings: Settings, steps: Steps) -> None:
        self.settings, self.steps = settings, steps
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._reader: threading.Thread | None = None
        self._writer: threading.Thread | None = None
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._writer_error: str | None = None
        self._next_id = 0
        self._settings_sent: set[str] = set()  # crawler settings digests the worker has had
        self.model_version: str | None = None
        self.indexed = 0
        self.cpu_seconds = 0.0  # the worker's, from ready to closed: its share of the crawl

    def start(self, on_reply: OnReply) -> None:
        """Blocks until the worker has loaded what it needs (the model may be trained on a
        first run: minutes); raises ``WorkerError`` with the worker's reason if it could not."""
        # spawn, not fork: the crawl process runs threads (Twisted's pool, Playwright).
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe(duplex=True)
        self._process = context.Process(
            target=worker_main,
            args=(
                child,
                self.settings.model_dump_json(),
                json.dumps(asdict(self.steps)),
                os.getpid(),
            ),
            name="lurewatch-ingest",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._conn = parent
        try:
            first = _receive(parent)
        except (EOFError, OSError) as exc:
            raise WorkerError(f"the ingest worker exited while starting ({self._exit()})") from exc
        if first["op"] != "ready":
            self._process.join(5)
            raise WorkerError(f"the ingest worker could not start: {first.get('message')}")
        self.model_version = first.get("model_version")
        self._reader = threading.Thread(
            target=self._read, args=(on_reply,), name="lurewatch-ingest-reader", daemon=True
        )
        self._reader.start()
        self._writer = threading.Thread(
            target=self._write, name="lurewatch-ingest-writer", daemon=True
        )
        self._writer.start()

    def send(self, items: list[Ad | AdRemoved], *, scored_back: bool = True) -> int:
        """Queues a batch; a writer thread sends it, so the caller never waits for the worker
        to read (a full pipe would otherwise hold the crawl's event loop). ``scored_back``:
        the reply carries each ad's scored fields (the captures and counts come always)."""
        if self._conn is None or self._writer_error is not None:
            raise WorkerError(self._writer_error or "the ingest worker is not running")
        with self._lock:
            self._next_id += 1
            batch_id = self._next_id
        blobs = Blobs()
        wire = {
            "op": "batch",
            "id": batch_id,
            "items": [item_to_wire(i) for i in items],
            "scored_back": scored_back,
        }
        fetches_to_wire(items, wire, blobs, self._settings_sent)
        self._outbox.put(frame(wire, blobs))
        return batch_id

    def _write(self) -> None:
        assert self._conn is not None
        while True:
            data = self._outbox.get()
            if data is None:
                return
            try:
                self._conn.send_bytes(data)
            except (OSError, ValueError) as exc:
                self._writer_error = f"could not send to the ingest worker: {exc}"
                return

    def close(self, timeout: float = 120.0) -> None:
        """Asks the worker to index what is pending and exit; waits for it."""
        if self._conn is None or self._process is None:
            return
        self._outbox.put(encode({"op": "close"}))
        self._outbox.put(None)
        if self._writer is not None:
            self._writer.join(timeout)
        if self._reader is not None:
            self._reader.join(timeout)
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._conn.close()
        self._conn = None

    def _read(self, on_reply: OnReply) -> None:
        assert self._conn is not None
        while True:
            try:
                message = _receive(self._conn)
            except (EOFError, OSError, WorkerError, ValueError):
                on_reply({"op": "died", "message": f"the ingest worker exited ({self._exit()})"})
                return
            if message["op"] == "closed":
                self.indexed = int(message.get("indexed", 0))
                self.cpu_seconds = float(message.get("cpu_seconds", 0.0))
                on_reply(message)
                return
            on_reply(message)

    def _exit(self) -> str:
        if self._process is None:
            return "not started"
        self._process.join(1)
        code = self._process.exitcode
        return "still running" if code is None else f"exit code {code}"


def outcomes_of(message: dict[str, Any]) -> list[Outcome]:
    return [Outcome(**r) for r in message["results"]]
