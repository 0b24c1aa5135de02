"""The shared seen-store on a Redis server (``LUREWATCH_FRONTIER=redis://host:port/db``).

Several crawl processes, on one machine or many, crawl one source together: they share this
store and one request queue (``crawlers.frontier.scheduler``). Every change is one Lua script,
so it is atomic across processes: two processes never both claim a URL in one crawl.

A crawl "run" is a **generation** here, shared by all processes crawling the source at the same
time: the first to start creates it, later ones join it, each keeps its membership alive with a
heartbeat, and the last to leave ends it (a generation whose processes all died ends when their
heartbeats expire). The next crawl starts a new generation, so it may claim again what the last
one claimed.

Layout (``P`` = ``lurewatch:``, ``h`` = the first 24 hex digits of the SHA-256 of the canonical
URL, ``S`` = the source name)::

    P u:h               one string per URL: its state, tab-separated, the URL last
    P s:S:next          zset h -> next_fetch: URLs neither pending nor removed (what is due)
    P s:S:pending       zset h: claimed and not fetched since
    P s:S:gone          zset h: removed and not pending
    P s:S:listed        zset h -> last listed (or first seen): detail pages and posts not removed
    P s:S:stats         hash: known, fetched, removed counts
    P s:S:inflight      hash generation -> URLs it claimed and has not fetched yet
    P s:S:walk          start of the last complete listing walk
    P s:S:generation    the current generation id; P s:S:workers zset worker -> expiry (ms)
    P sources           set of source names

Each URL costs one key and one or two sorted-set entries keyed by a 24-character hash (the URL
itself is stored once): about 600 bytes of Redis memory for a 90-character ad URL. Redis keeps
it all in memory; give it ``appendonly yes`` for durability. Not for Redis Cluster (scripts
touch keys they compute).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import redis

from core.urls import canonical_url
from crawlers.frontier.base import PageKind, PageState

logger = logging.getLogger(__name__)

PREFIX = "lurewatch:"
# What SQLite stores for "never" (posts, removed ads): the same value, so both stores agree.
NEVER = 1e18
GENERATION_TTL = 10.0  # seconds a process may go without a heartbeat before it counts as dead
BATCH = 1000  # URLs per round trip when iterating

_KINDS = ("listing", "detail", "feed", "sitemap", "post")


class FrontierError(RuntimeError):
    pass


class FrontierUnavailable(FrontierError):
    pass


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***@" if parts.username else ":***@"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def connect(redis_url: str, *, decode: bool = True) -> redis.Redis:
    """A client for ``redis_url`` that has answered a PING, or a clear FrontierUnavailable."""
    try:
        client = redis.Redis.from_url(
            redis_url,
            decode_responses=decode,
            socket_connect_timeout=5,
            socket_timeout=30,
            health_check_interval=30,
        )
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError, ValueError) as exc:
        raise FrontierUnavailable(
            f"cannot reach the frontier at {redacted(redis_url)}: is redis-server running? ({exc})"
        ) from exc
    return client


def url_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def source_key(source: str, name: str, prefix: str = PREFIX) -> str:
    return f"{prefix}s:{source}:{name}"


def _num(value: float) -> str:
    """A time as the scripts store it: exact (repr round-trips), never infinite."""
    value = float(value)
    if math.isnan(value):
        raise ValueError("a time cannot be NaN")
    return repr(min(value, NEVER))


def _check_name(what: str, value: str) -> str:
    if not value or "\t" in value or "\n" in value:
        raise ValueError(f"{what} must be non-empty, without tabs or newlines: {value!r}")
    return value


# -- Lua ---------------------------------------------------------------------------------------

_COMMON = """
local P = ARGV[1]
local KIND, FIRST, FETCHED, NEXT, LISTED, STATUS, REMOVED, PENDING, RUN, SOURCE, URL =
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11

local function parse(v)
  local f, pos = {}, 1
  for i = 1, 10 do
    local tab = string.find(v, '\\t', pos, true)
    f[i] = string.sub(v, pos, tab - 1)
    pos = tab + 1
  end
  f[11] = string.sub(v, pos)
  return f
end

local function pack(f) return table.concat(f, '\\t', 1, 11) end

local function copy(f)
  local c = {}
  for i = 1, 11 do c[i] = f[i] end
  return c
end

local function skey(source, name) return P .. 's:' .. source .. ':' .. name end

local function zone(f)
  if f[PENDING] == '1' then return 'pending' end
  if f[REMOVED] == '1' then return 'gone' end
  return 'next'
end

local function listed_score(f)
  if (f[KIND] == 'detail' or f[KIND] == 'post') and f[REMOVED] ~= '1' then
    if f[LISTED] ~= '' then return f[LISTED] end
    return f[FIRST]
  end
  return nil
end

local function inflight(f, by)
  local key = skey(f[SOURCE], 'inflight')
  -- A dead generation's count was dropped when the next one started: leave it dropped.
  if by > 0 or redis.call('HEXISTS', key, f[RUN]) == 1 then
    redis.call('HINCRBY', key, f[RUN], by)
  end
end

-- Store ``new`` for URL hash ``h`` and keep the source's sorted sets and counts in step.
local function save(h, old, new)
  local s = new[SOURCE]
  redis.call('SET', P .. 'u:' .. h, pack(new))
  if old and zone(old) ~= zone(new) then redis.call('ZREM', skey(s, zone(old)), h) end
  redis.call('ZADD', skey(s, zone(new)), new[NEXT], h)
  local ls = listed_score(new)
  if ls then
    redis.call('ZADD', skey(s, 'listed'), ls, h)
  elseif old and listed_score(old) then
    redis.call('ZREM', skey(s, 'listed'), h)
  end
  local stats = skey(s, 'stats')
  if not old then
    redis.call('HINCRBY', stats, 'known', 1)
    redis.call('SADD', P .. 'sources', s)
  end
  if new[FETCHED] ~= '' and (not old or old[FETCHED] == '') then
    redis.call('HINCRBY', stats, 'fetched', 1)
  end
  local was_removed = old and old[REMOVED] == '1'
  if new[REMOVED] == '1' and not was_removed then redis.call('HINCRBY', stats, 'removed', 1) end
  if new[REMOVED] ~= '1' and was_removed then redis.call('HINCRBY', stats, 'removed', -1) end
  if old and old[PENDING] == '1' then inflight(old, -1) end
  if new[PENDING] == '1' then inflight(new, 1) end
end

local function load(h, url)
  local v = redis.call('GET', P .. 'u:' .. h)
  if not v then return nil end
  local f = parse(v)
  if url and f[URL] ~= url then
    return redis.error_reply('seen-store hash collision: ' .. url .. ' and ' .. f[URL])
  end
  return f
end
"""

# ARGV: prefix, hash, url, source, kind, now, force, run
_CLAIM = """
local h, url, source, kind, now, force, run =
  ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7] == '1', ARGV[8]
local old = load(h, url)
if old and old.err then return old end
if not old then
  save(h, nil, {kind, now, '', now, '', '', '0', '1', run, source, url})
  return 1
end
if old[RUN] == run then return 0 end
-- Listings, feeds and sitemaps are read by every crawl: that is how new ads are found.
local always = old[KIND] == 'listing' or old[KIND] == 'feed' or old[KIND] == 'sitemap'
local wanted = force or old[PENDING] == '1' or always
  or (old[REMOVED] ~= '1' and tonumber(old[NEXT]) <= tonumber(now))
if not wanted then return 0 end
local new = copy(old)
new[PENDING], new[RUN] = '1', run
save(h, old, new)
return 1
"""

# ARGV: prefix, hash, operation, a, b, c
_UPDATE = """
local h, op = ARGV[2], ARGV[3]
local old = load(h, nil)
if not old then return 0 end
local new = copy(old)
if op == 'fetched' then
  new[PENDING], new[FETCHED], new[STATUS], new[NEXT] = '0', ARGV[4], ARGV[5], ARGV[6]
  if ARGV[7] ~= '' then new[KIND] = ARGV[7] end
elseif op == 'failed' then
  new[PENDING], new[NEXT] = '0', ARGV[4]
elseif op == 'removed' then
  new[REMOVED], new[PENDING], new[NEXT] = '1', '0', ARGV[4]
end
save(h, old, new)
return 1
"""

# ARGV: prefix, now, hash...
_LISTED = """
local now = ARGV[2]
for i = 3, #ARGV do
  local h = ARGV[i]
  local old = load(h, nil)
  if old then
    local new = copy(old)
    new[LISTED] = now
    -- A removed ad listed again is live again, and due at once.
    if old[REMOVED] == '1' then new[REMOVED], new[NEXT] = '0', now end
    save(h, old, new)
  end
end
return 1
"""

# ARGV: prefix, source, started
_WALK = """
local key = P .. 's:' .. ARGV[2] .. ':walk'
local last = redis.call('GET', key)
if not last or tonumber(last) < tonumber(ARGV[3]) then redis.call('SET', key, ARGV[3]) end
return 1
"""

# Members of sorted set KEYS[1] after the cursor (score ARGV[4], member ARGV[5]; '' = from the
# start), at most ARGV[6] of them, none scoring above ARGV[2] ('' = no limit; ARGV[3] = '1':
# strictly below). Returns member, score, member, score... Paging by (score, member) and not by
# offset, so members that leave the set while a caller iterates never make it skip others.
_RANGE = """
local key, top, below, lscore, lmember, n =
  KEYS[1], ARGV[2], ARGV[3] == '1', ARGV[4], ARGV[5], tonumber(ARGV[6])
local start = 0
if lmember ~= '' then
  local score = redis.call('ZSCORE', key, lmember)
  if score and tonumber(score) == tonumber(lscore) then
    start = redis.call('ZRANK', key, lmember) + 1
  else
    -- The cursor's member moved or left: find the first (score, member) after it.
    local lo = redis.call('ZCOUNT', key, '-inf', '(' .. lscore)
    local hi = lo + redis.call('ZCOUNT', key, lscore, lscore)
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if redis.call('ZRANGE', key, mid, mid)[1] <= lmember then lo = mid + 1 else hi = mid end
    end
    start = lo
  end
end
local items = redis.call('ZRANGE', key, start, start + n - 1, 'WITHSCORES')
if top == '' then return items end
local limit, out = tonumber(top), {}
for i = 1, #items, 2 do
  local s = tonumber(items[i + 1])
  if s > limit or (below and s == limit) then break end
  out[#out + 1] = items[i]
  out[#out + 1] = items[i + 1]
end
return out
"""

# Generations. ARGV: prefix, source, worker, ttl (ms), new id
_JOIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local source, worker, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
local gk, wk = skey(source, 'generation'), skey(source, 'workers')
redis.call('ZREMRANGEBYSCORE', wk, '-inf', now)
local gen, started = redis.call('GET', gk), 0
if not gen or redis.call('ZCARD', wk) == 0 then
  gen, started = ARGV[5], 1
  redis.call('SET', gk, gen)
  -- What dead generations claimed is pending for good now: resumed by the new one.
  redis.call('DEL', skey(source, 'inflight'))
end
redis.call('ZADD', wk, now + ttl, worker)
redis.call('PEXPIRE', gk, ttl)
redis.call('PEXPIRE', wk, ttl)
return {gen, started}
"""

# ARGV: prefix, source, worker, ttl (ms), generation
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local source, worker, ttl, gen = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local gk, wk = skey(source, 'generation'), skey(source, 'workers')
local current = redis.call('GET', gk)
-- Expired (every member was silent) but nobody started another: it is still ours.
if not current then redis.call('SET', gk, gen) elseif current ~= gen then return 0 end
redis.call('ZADD', wk, now + ttl, worker)
redis.call('PEXPIRE', gk, ttl)
redis.call('PEXPIRE', wk, ttl)
return 1
"""

# ARGV: prefix, source, worker, generation
_LEAVE = """
local source, worker, gen = ARGV[2], ARGV[3], ARGV[4]
local gk, wk = skey(source, 'generation'), skey(source, 'workers')
redis.call('ZREM', wk, worker)
if redis.call('GET', gk) == gen and redis.call('ZCARD', wk) == 0 then
  redis.call('DEL', gk, wk)
end
return 1
"""


class _Scripts:
    def __init__(self, client: redis.Redis) -> None:
        def script(body: str) -> Any:
            return client.register_script(_COMMON + body)

        self.claim = script(_CLAIM)
        self.update = script(_UPDATE)
        self.listed = script(_LISTED)
        self.walk = script(_WALK)
        self.range = script(_RANGE)
        self.join = script(_JOIN)
        self.beat = script(_BEAT)
        self.leave = script(_LEAVE)


# -- generations -------------------------------------------------------------------------------


@dataclass
class Generation:
    """This process's membership of the crawl generation of ``source``."""

    client: redis.Redis = field(repr=False)
    source: str
    id: str
    worker: str
    started: bool  # this process created the generation (it was the first to start)
    ttl: float = GENERATION_TTL
    prefix: str = PREFIX
    alive: bool = True
    _scripts: _Scripts | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.id

    def heartbeat(self) -> bool:
        """Renew the membership for ``ttl`` seconds; False once the generation has ended without
        this process (it was silent for longer than ``ttl`` and a new crawl started)."""
        if not self.alive:
            return False
        ok = self._run().beat(args=[self.prefix, self.source, self.worker, self._ttl_ms, self.id])
        if not ok:
            self.alive = False
            logger.error(
                "crawl generation %s of %s ended while this process was silent for over %.0f s:"
                " it claims nothing more",
                self.id,
                self.source,
                self.ttl,
            )
        return self.alive

    def keep_alive(self, every: float | None = None) -> None:
        """Heartbeat from a daemon thread every ``every`` seconds (``ttl / 5``) until ``leave``:
        a process stays a member however long its crawl blocks, and stops being one within
        ``ttl`` seconds of being killed."""
        if self._thread is not None:
            return
        interval = every if every is not None else self.ttl / 5
        self._thread = threading.Thread(
            target=self._beat_until_stopped,
            args=(interval,),
            name=f"frontier-heartbeat-{self.source}",
            daemon=True,
        )
        self._thread.start()

    def inflight(self) -> int:
        """URLs claimed by this generation and not fetched yet (by any of its processes)."""
        value = self.client.hget(source_key(self.source, "inflight", self.prefix), self.id)
        return int(value) if value else 0

    def leave(self) -> None:
        """Leave the generation; the last process to leave ends it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.alive:
            self.alive = False
            self._run().leave(args=[self.prefix, self.source, self.worker, self.id])

    def _beat_until_stopped(self, interval: float) -> None:
        failing = False
        while not self._stop.wait(interval):
            try:
                if not self.heartbeat():
                    return
                failing = False
            except redis.RedisError as exc:
                if not failing:  # one line per outage, not one per beat
                    logger.warning("frontier heartbeat of %s failed: %s", self.source, exc)
                failing = True

    @property
    def _ttl_ms(self) -> int:
        return max(1, int(self.ttl * 1000))

    def _run(self) -> _Scripts:
        if self._scripts is None:
            self._scripts = _Scripts(self.client)
        return self._scripts


def join_generation(
    client: redis.Redis, source: str, *, ttl: float = GENERATION_TTL, prefix: str = PREFIX
) -> Generation:
    """Join the running generation of ``source``, or start one if none runs."""
    _check_name("source name", source)
    scripts = _Scripts(client)
    worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    new_id = f"{int(time.time()):x}-{secrets.token_hex(5)}"
    gen, started = scripts.join(args=[prefix, source, worker, max(1, int(ttl * 1000)), new_id])
    return Generation(
        client=client,
        source=source,
        id=gen.decode() if isinstance(gen, bytes) else str(gen),
        worker=worker,
        started=bool(started),
        ttl=ttl,
        prefix=prefix,
        _scripts=scripts,
    )


def open_generation(redis_url: str, source: str, *, ttl: float = GENERATION_TTL) -> Generation:
    """Join or start the crawl generation of ``source`` on the frontier at ``redis_url``.

    Call ``keep_alive()`` (or ``heartbeat()`` more often than every ``ttl`` seconds) while
    crawling and ``leave()`` at the end. ``generation.id`` is the run id of ``RedisSeenStore``.
    """
    return join_generation(connect(redis_url), source, ttl=ttl)


# -- the store ---------------------------------------------------------------------------------


class RedisSeenStore:
    """The ``SeenStore`` protocol on Redis, with the same behaviour as ``SqliteSeenStore``.

    ``run_id`` is the generation id (``open_generation``); with ``generation`` given, the store
    claims nothing once the generation is lost, and leaves it on ``close()``.
    """

    def __init__(
        self,
        url: str,
        run_id: str,
        *,
        generation: Generation | None = None,
        client: redis.Redis | None = None,
        prefix: str = PREFIX,
        batch: int = BATCH,
    ) -> None:
        self.url = url
        self.run_id = _check_name("run id", run_id)
        self.prefix = prefix
        self.batch = batch
        self._client = client if client is not None else connect(url)
        self._scripts = _Scripts(self._client)
        self._generation = generation
        self._lost_logged = False

    @classmethod
    def for_source(
        cls, redis_url: str, source: str, *, ttl: float = GENERATION_TTL
    ) -> RedisSeenStore:
        """A store that claims in the current generation of ``source`` (joined or started)."""
        client = connect(redis_url)
        generation = join_generation(client, source, ttl=ttl)
        generation.keep_alive()
        return cls(redis_url, generation.id, generation=generation, client=client)

    @property
    def generation(self) -> Generation | None:
        return self._generation

    # -- the protocol ------------------------------------------------------------------------

    def claim(
        self, url: str, source: str, kind: PageKind, now: float, *, force: bool = False
    ) -> bool:
        if not self._alive():
            return False
        key = canonical_url(url)
        result = self._scripts.claim(
            args=[
                self.prefix,
                url_hash(key),
                key,
                _check_name("source name", source),
                _kind(kind),
                _num(now),
                "1" if force else "0",
                self.run_id,
            ]
        )
        return bool(result)

    def fetched(
        self, url: str, now: float, status: int, next_fetch: float, kind: PageKind | None = None
    ) -> None:
        self._update(
            url,
            "fetched",
            _num(now),
            str(int(status)),
            _num(next_fetch),
            _kind(kind) if kind else "",
        )

    def failed(self, url: str, now: float, retry_at: float) -> None:
        self._update(url, "failed", _num(retry_at))

    def listed(self, urls: Iterable[str], now: float) -> None:
        hashes = [url_hash(canonical_url(u)) for u in urls]
        for start in range(0, len(hashes), self.batch):
            self._scripts.listed(args=[self.prefix, _num(now), *hashes[start : start + self.batch]])

    def removed(self, url: str, now: float) -> None:
        self._update(url, "removed", _num(NEVER))

    def pending(self, source: str) -> Iterator[str]:
        for state, run in self._states(source, "pending"):
            if state.pending and run != self.run_id:
                yield state.url

    def due(self, source: str, now: float) -> Iterator[str]:
        for state, _ in self._states(source, "next", top=_num(now)):
            if not state.pending and not state.removed and state.next_fetch <= now:
                yield state.url

    def known(self, source: str, kind: PageKind | None = None) -> Iterator[str]:
        # Pending first: a caller that claims what it is given moves URLs from "next" and
        # "gone" into "pending", behind this iteration rather than ahead of it.
        for zone in ("pending", "next", "gone"):
            for state, _ in self._states(source, zone):
                if kind is None or state.kind == kind:
                    yield state.url

    def unlisted(self, source: str, before: float) -> Iterator[str]:
        for state, _ in self._states(source, "listed", top=_num(before), below=True):
            since = state.last_listed if state.last_listed is not None else state.first_seen
            if state.kind in ("detail", "post") and not state.removed and since < before:
                yield state.url

    def walk_complete(self, source: str, started: float) -> None:
        self._scripts.walk(args=[self.prefix, _check_name("source name", source), _num(started)])

    def last_walk(self, source: str) -> float | None:
        value = self._client.get(source_key(source, "walk", self.prefix))
        return None if value is None else float(cast(str, value))

    def counts(self, source: str, now: float) -> dict[str, int]:
        pipe = self._client.pipeline(transaction=True)
        pipe.hmget(source_key(source, "stats", self.prefix), ["known", "fetched", "removed"])
        pipe.zcount(source_key(source, "next", self.prefix), "-inf", _num(now))
        pipe.zcard(source_key(source, "pending", self.prefix))
        (known, fetched, removed), due, pending = pipe.execute()
        return {
            "known": int(known or 0),
            "fetched": int(fetched or 0),
            "due": int(due),
            "pending": int(pending),
            "removed": int(removed or 0),
        }

    def flush(self) -> None:
        """Nothing to do: every change is on the server once its call returns (how durable the
        server keeps it is its ``appendonly``/``save`` configuration)."""

    def get(self, url: str) -> PageState | None:
        found = self._load([url_hash(canonical_url(url))])[0]
        return None if found is None else found[0]

    def count(self, source: str | None = None) -> int:
        if source is not None:
            return int(
                cast(str, self._client.hget(source_key(source, "stats", self.prefix), "known")) or 0
            )
        sources = cast(set[str], self._client.smembers(f"{self.prefix}sources"))
        return sum(self.count(name) for name in sources)

    def close(self) -> None:
        if self._generation is not None:
            self._generation.leave()
        self._client.close()

    # -- internals -----------------------------------------------------------------------------

    def _alive(self) -> bool:
        generation = self._generation
        if generation is None or generation.alive:
            return True
        if not self._lost_logged:
            self._lost_logged = True
            logger.error("this crawl process lost its generation: no URL is claimed any more")
        return False

    def _update(self, url: str, operation: str, *values: str) -> None:
        self._scripts.update(args=[self.prefix, url_hash(canonical_url(url)), operation, *values])

    def _states(
        self, source: str, zone: str, *, top: str = "", below: bool = False
    ) -> Iterator[tuple[PageState, str]]:
        """The current state (and claiming run) of the URLs in sorted set ``zone`` of
        ``source``, a batch at a time."""
        key = source_key(source, zone, self.prefix)
        score, member = "", ""
        while True:
            flat = self._scripts.range(
                keys=[key],
                args=[self.prefix, top, "1" if below else "0", score, member, self.batch],
            )
            members = flat[0::2]
            for found in self._load(members):
                if found is not None:
                    yield found
            if len(members) < self.batch:
                return
            member, score = flat[-2], flat[-1]

    def _load(self, hashes: list[str]) -> list[tuple[PageState, str] | None]:
        if not hashes:
            return []
        values = cast(list[str | None], self._client.mget([f"{self.prefix}u:{h}" for h in hashes]))
        return [None if v is None else _parse(v) for v in values]


def open_redis_seen_store(redis_url: str, source: str) -> RedisSeenStore:
    """The shared seen-store of ``source``: joins (or starts) its crawl generation, keeps it
    alive while used, and leaves it on ``close()``."""
    return RedisSeenStore.for_source(redis_url, source)


def _parse(value: str) -> tuple[PageState, str]:
    """A stored record: the page's state and the run that last claimed it."""
    kind, first, fetched, nxt, listed, status, removed, pending, run, source, url = value.split(
        "\t", 10
    )
    state = PageState(
        url=url,
        source=source,
        kind=cast(PageKind, kind),
        first_seen=float(first),
        last_fetched=float(fetched) if fetched else None,
        next_fetch=float(nxt),
        last_listed=float(listed) if listed else None,
        status=int(status) if status else None,
        removed=removed == "1",
        pending=pending == "1",
    )
    return state, run


def _kind(kind: str) -> str:
    if kind not in _KINDS:
        raise ValueError(f"unknown page kind {kind!r}")
    return kind
