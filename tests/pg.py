"""A throwaway PostgreSQL server for tests: initdb in a temp dir, start on a free loopback port, stop at the end.

PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user (runuser).
.ci/setup-system.sh installs postgresql-15. Without binaries the tests skip locally and fail under CI.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def pg_bindir() -> Path | None:
    """SALESTIER_PG_BIN, else Debian's /usr/lib/postgresql/<newest>/bin, else the pg_ctl on PATH."""
    env = os.environ.get("SALESTIER_PG_BIN")
    candidates = [env] if env else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name),
                         reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))
    return next((Path(c) for c in candidates if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists()),
                None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a libpq DSN of a fresh cluster (trust auth on 127.0.0.1, fsync off); stop and delete it after."""
    bindir = pg_bindir()
    if bindir is None:
        _unavailable("PostgreSQL binaries not found; run `sudo bash .ci/setup-system.sh`")
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="salestier-pg-"))
    if as_root:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(tmp)
            _unavailable("running as root and no `postgres` user to own the test cluster")
        os.chown(tmp, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = tmp / "data", tmp / "server.log"

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], cwd=tmp, check=True, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)

    port = _free_port()
    started = False
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        options = (f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start")
        started = True
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=10"
    except subprocess.CalledProcessError as exc:
        server_log = log.read_text() if log.exists() else ""
        raise RuntimeError(f"test PostgreSQL failed: {exc.stderr}\n{server_log}") from exc
    finally:
        if started:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                           cwd=tmp, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)
