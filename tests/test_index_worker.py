"""The ingest worker process: what a crawl hands it comes back scored, stored and indexed."""

from __future__ import annotations

import hashlib
import json
import queue
import time
from typing import Any

import pytest

from core.ad import AdRemoved
from core.evidence import verify
from core.settings import Settings
from crawlers.evidence import PendingCaptures
from index.ingest import Steps, apply_changes
from index.search import SearchIndex
from index.store import Store
from index.worker import WorkerClient, WorkerError, outcomes_of
from tests.factories import make_ad
from tests.test_core_evidence import fetch

pytestmark = pytest.mark.slow

HOSTESS = (
    "Pretty girls 18-25 wanted as hostesses in Dubai. Visa and flight paid, we keep your"
    " passport. Registration fee US$500. WhatsApp only +1 758 555 0101."
)
COOK = (
    "Sunset Resort, Rodney Bay, is hiring a line cook. Two years' experience, food handler's"
    " certificate. Apply with your CV to jobs@sunsetresort.example."
)


def _started(settings: Settings, steps: Steps) -> tuple[WorkerClient, queue.Queue[Any]]:
    replies: queue.Queue[Any] = queue.Queue()
    client = WorkerClient(settings, steps)
    client.start(replies.put)
    return client, replies


def test_a_batch_comes_back_scored_stored_and_indexed(trained_settings: Settings) -> None:
    client, replies = _started(trained_settings, Steps(index_batch=1000))
    hostess = make_ad("http://127.0.0.1:9/ads/hostess.html", "Hostesses for Dubai", HOSTESS)
    cook = make_ad("http://127.0.0.1:9/ads/cook.html", "Line cook", COOK)
    first = client.send([hostess, cook])
    reply = replies.get(timeout=120)
    assert reply["op"] == "done" and reply["id"] == first
    outcomes = outcomes_of(reply)
    assert [o.stored for o in outcomes] == ["new", "new"]
    assert [o.scored for o in outcomes] == [True, True]
    assert outcomes[0].flagged and not outcomes[1].flagged

    # The crawl's copy of the ad gets what the worker's scoring set, entities included.
    apply_changes(hostess, outcomes[0].changed)
    assert hostess.flagged and hostess.model_version == client.model_version
    assert {i.code for i in hostess.indicators} >= {"fee_or_debt", "documents_held"}
    assert "+17585550101" in {e.value for e in hostess.entities}

    removed = AdRemoved(
        id=cook.id,
        url=cook.url,
        site=cook.site,
        removed_at="2026-11-22T10:00:00+00:00",
        reason="http 404",
        http_status=404,
    )
    client.send([removed, hostess])
    reply = replies.get(timeout=60)
    assert [o.stored for o in outcomes_of(reply)] == ["removed", "unchanged"]

    # A crawl that reads no item after the worker asks for no scores back; they are stored.
    again = make_ad("http://127.0.0.1:9/ads/hostess2.html", "Hostesses for Doha", HOSTESS)
    client.send([again], scored_back=False)
    (outcome,) = outcomes_of(replies.get(timeout=60))
    assert outcome.stored == "new" and outcome.scored and outcome.flagged
    assert outcome.changed == {}

    client.close()
    assert replies.get(timeout=10)["op"] == "closed"
    assert client.indexed == 3  # indexed once at close, after the batch size was never reached
    assert 0 < client.cpu_seconds < 120  # its work after ready: scoring three ads, the index

    store = Store(trained_settings)
    stored = store.get_many([hostess.id, cook.id, again.id])
    assert stored[hostess.id].ad.flagged and stored[cook.id].removed
    assert stored[again.id].ad.flagged and stored[again.id].ad.indicators
    store.close()
    hits = SearchIndex(trained_settings).search("passport").hits
    assert sorted(h.id for h in hits) == sorted([hostess.id, again.id])


def test_a_worker_that_cannot_load_its_model_says_why(trained_settings: Settings) -> None:
    [model] = trained_settings.models_dir.glob("*/model.skops")
    model.write_bytes(model.read_bytes() + b"tampered")
    with pytest.raises(WorkerError, match="does not match the SHA-256"):
        _started(trained_settings, Steps())


def test_a_worker_that_dies_is_reported(settings: Settings) -> None:
    client, replies = _started(settings, Steps(classify=False))
    assert client._process is not None  # the test reaches in: nothing else kills it
    client._process.kill()
    reply = replies.get(timeout=30)
    assert reply["op"] == "died" and "exit code" in reply["message"]
    # Sends fail from then on (the writer thread finds the pipe broken on the first one).
    ad = make_ad("http://127.0.0.1:9/ads/x.html", "x", "y")
    with pytest.raises(WorkerError):
        for _ in range(200):
            client.send([ad])
            time.sleep(0.05)
    client.close()


OWNER = """
import sys, time
from core.settings import Settings
from index.ingest import Steps
from index.worker import WorkerClient

client = WorkerClient(Settings(home=sys.argv[1]), Steps(classify=False))
client.start(lambda message: None)
print(client._process.pid, flush=True)
time.sleep(600)
"""


def test_a_worker_does_not_outlive_a_killed_crawl(settings: Settings) -> None:
    import os
    import signal
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-c", OWNER, str(settings.home_dir)], stdout=subprocess.PIPE, text=True
    ) as owner:
        assert owner.stdout is not None
        worker = int(owner.stdout.readline())
        os.kill(owner.pid, signal.SIGKILL)  # as a crawl killed mid-way
        owner.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    pytest.fail(f"worker {worker} still running 20 s after its crawl was killed")


def test_the_worker_writes_the_evidence_of_the_fetches_it_is_sent(
    trained_settings: Settings,
) -> None:
    client, replies = _started(trained_settings, Steps(index=False))
    page = PendingCaptures(fetch(final_url="http://127.0.0.1:9/ads/channel"))
    # Two posts of one channel page, in two batches: the page's evidence is written once.
    posts = [make_ad(f"http://127.0.0.1:9/ads/channel/{n}", "Hostesses", HOSTESS) for n in (1, 2)]
    for post in posts:
        post.captures = page
        client.send([post])
        reply = replies.get(timeout=120)
        assert reply["op"] == "done"
        apply_changes(post, outcomes_of(reply)[0].changed)
    client.close()
    assert replies.get(timeout=10)["op"] == "closed"

    first, second = posts[0].captures, posts[1].captures
    assert [c.kind for c in first] == ["manifest", "warc"] and first == second
    files = [p for p in trained_settings.evidence_dir.rglob("*") if p.is_file()]
    assert len(files) == 2
    assert verify(trained_settings.evidence_dir).ok
    manifest = json.loads((trained_settings.evidence_dir / first[0].path).read_bytes())
    assert manifest["final_url"] == "http://127.0.0.1:9/ads/channel"
    assert manifest["body_sha256"] == hashlib.sha256(page.fetch.body or b"").hexdigest()
    store = Store(trained_settings)
    assert store.get(posts[1].id).ad.captures == first  # type: ignore[union-attr]
    store.close()
