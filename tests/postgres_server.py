"""A real Debian PostgreSQL server for tests: on 127.0.0.1, a free port, its data and unix socket
in a temporary directory, fsync off, stopped and deleted afterwards. A missing binary fails the
test (``make test`` installs Debian's ``postgresql``).

PostgreSQL refuses to run as root: as root (CI, containers) the server runs as Debian's
``postgres`` system user, in a directory that user owns.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "lurewatch"
SYSTEM_USER = "postgres"  # created by Debian's postgresql package
INSTALL_HINT = (
    "PostgreSQL is not installed: run `make test`, which installs Debian's postgresql"
    " (or `sudo apt-get install postgresql`)"
)
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass
class PostgresServer:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` (the psycopg 3 driver)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a plain database name: {name!r}")
        with psycopg.connect(**self._connect_args("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # a checked name: no injection
        return self.url(name)

    def _connect_args(self, database: str) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "user": SUPERUSER,
            "dbname": database,
            "connect_timeout": 5,
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))


def binaries() -> Path:
    """The ``bin`` folder of the newest PostgreSQL installed (Debian keeps each major version
    under /usr/lib/postgresql/VERSION)."""
    servers = [p for p in PG_ROOT.glob("*/bin/postgres") if os.access(p, os.X_OK)]
    if not servers:
        pytest.fail(INSTALL_HINT, pytrace=False)
    return max(servers, key=_version_key).parent


def _run_as() -> dict[str, Any]:
    """Popen arguments that drop root to the ``postgres`` user; none for anyone else."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pytest.fail(
            f"running as root and there is no {SYSTEM_USER!r} user for PostgreSQL to run as: "
            + INSTALL_HINT,
            pytrace=False,
        )
    return {"user": SYSTEM_USER, "group": SYSTEM_USER, "extra_groups": []}


def _wait_until_ready(server: PostgresServer, log: Path, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False  # exited: the port was taken, or a bad option
        try:
            with psycopg.connect(**server._connect_args("postgres")):
                return True
        except psycopg.OperationalError:
            time.sleep(0.05)  # not listening yet, or still starting up
    raise RuntimeError(f"PostgreSQL did not accept connections in {timeout} s: {_log_text(log)}")


@contextmanager
def postgres_server(attempts: int = 3) -> Iterator[PostgresServer]:
    """Start a PostgreSQL server in a new temporary directory; stop it and delete the
    directory on exit."""
    bin_dir = binaries()
    as_user = _run_as()
    # Not under pytest's tmp_path: root's pytest folder is closed to the postgres user.
    directory = Path(tempfile.mkdtemp(prefix="lurewatch-pg-"))
    try:
        if as_user:
            shutil.chown(directory, as_user["user"], as_user["group"])
        data, log = directory / "data", directory / "server.log"
        initdb = [str(bin_dir / "initdb"), "--pgdata", str(data), "--username", SUPERUSER]
        initdb += ["--auth", "trust", "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync"]
        done = subprocess.run(
            initdb, capture_output=True, text=True, check=False, cwd=directory, **as_user
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        with log.open("ab") as log_file:
            server = _start(bin_dir, directory, data, log, log_file, as_user, attempts)
        try:
            yield server
        finally:
            _stop(server.process)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _start(
    bin_dir: Path,
    directory: Path,
    data: Path,
    log: Path,
    log_file: Any,
    as_user: dict[str, Any],
    attempts: int,
) -> PostgresServer:
    for _ in range(attempts):
        port = _free_port()
        # Another process may take the port between _free_port and the bind: then retry.
        command = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port)]
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(directory),
            "fsync": "off",  # a test database: speed over durability
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "50",
            "shared_buffers": "32MB",
        }
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        process = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, cwd=directory, **as_user
        )
        server = PostgresServer(port=port, directory=directory, process=process)
        try:
            if _wait_until_ready(server, log):
                return server
        except BaseException:
            _stop(process)
            raise
        _stop(process)
    raise RuntimeError(f"PostgreSQL would not start: {_log_text(log)}")


def _log_text(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        # SIGINT is PostgreSQL's fast shutdown: it ends open sessions instead of waiting for
        # them (SIGTERM would wait for every pooled connection to close).
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
