"""A real Debian ``redis-server`` for tests: on 127.0.0.1, a free port, a temporary directory, no
persistence, stopped afterwards. A missing binary fails the test (``make test`` installs it)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

REDIS_SERVER = "redis-server"


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary() -> str:
    found = shutil.which(REDIS_SERVER) or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        pytest.fail(
            "redis-server is not installed: run `make test`, which installs Debian's"
            " redis-server (or `sudo apt-get install redis-server`)",
            pytrace=False,
        )
    return found


def _wait_for_ping(server: RedisServer, log: Path, timeout: float = 10.0) -> bool:
    client = server.client()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                return False  # exited: the port was taken, or a bad option
            try:
                if client.ping():
                    return True
            except redis.ConnectionError:
                time.sleep(0.02)  # polling a port that is not open yet
        raise RuntimeError(f"redis-server did not answer PING in {timeout} s: {_log_text(log)}")
    finally:
        client.close()


@contextmanager
def redis_server(directory: Path, attempts: int = 3) -> Iterator[RedisServer]:
    """Start ``redis-server`` with its files in ``directory``; stop it on exit."""
    binary = _binary()
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "redis.log"
    for _ in range(attempts):
        port = _free_port()
        # Another process may take the port between _free_port and the bind: then retry.
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory)]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        command += ["--logfile", str(log)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        server = RedisServer(port=port, process=process)
        try:
            if _wait_for_ping(server, log):
                break
        except BaseException:
            _stop(process)
            raise
        _stop(process)
    else:
        raise RuntimeError(f"redis-server would not start: {_log_text(log)}")
    try:
        yield server
    finally:
        _stop(process)


def _log_text(log: Path) -> str:
    return log.read_text()[-2000:] if log.exists() else "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stderr is not None:
        process.stderr.close()
