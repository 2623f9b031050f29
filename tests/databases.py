"""A throwaway PostgreSQL cluster for the test suite, and fresh databases on it.

The suite starts one cluster per session (Debian's ``postgresql`` package: ``initdb`` and
``pg_ctl`` under ``/usr/lib/postgresql/<version>/bin``) in a folder of its own under the
system's temporary folder. It listens only on a Unix socket in that folder, so it needs no
free port and nothing outside this machine can reach it; durability is off (``fsync``),
since a test database is thrown away anyway.

``initdb`` refuses to run as root: as root the cluster belongs to the ``postgres`` user
and runs through ``runuser``. Each run writes its owner's process id beside the cluster;
a later run stops and deletes clusters whose owner has died (a test run that was killed),
so a crash never leaves a server behind for good.

Every test database is a copy of a template that kb's migrations built once, which takes
about 40 ms on a quiet machine instead of running every migration again (and several
hundred ms when other work keeps the disk busy). A background thread keeps two copies
ready and drops used ones, so tests rarely wait for either.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

# Parameters for fixtures that give a database URL: a test that takes one runs once per
# backend, and carries the backend's mark (``pytest -m postgresql`` runs only those).
BACKENDS = ("sqlite", "postgresql")
BACKEND_PARAMS = [pytest.param(name, marks=getattr(pytest.mark, name), id=name) for name in BACKENDS]

PARENT = Path(tempfile.gettempdir()) / f"kb-test-postgres-{os.getuid()}"
SERVICE_USER = "postgres"  # who runs the cluster when the tests run as root
SUPERUSER = "kb"
TEMPLATE = "kb_template"
INSTALL_HINT = ("Run `make test`, which installs Debian's postgresql package when it is missing, "
                "or install it with `apt-get install postgresql`.")


class PostgresUnavailable(Exception):
    """No PostgreSQL server could be started for the tests; the message says why and what to do."""


def find_bindir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: the newest Debian version, else the PATH."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if debian:
        return debian[-1].parent
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    raise PostgresUnavailable(f"PostgreSQL is not installed: no initdb under /usr/lib/postgresql/*/bin or on "
                              f"the PATH. {INSTALL_HINT}")


def _run_as() -> list[str]:
    """The command prefix that runs PostgreSQL's tools as an unprivileged user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise PostgresUnavailable(f"The tests run as root, and initdb refuses root, but there is no "
                                  f"'{SERVICE_USER}' user to run it. {INSTALL_HINT}") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("The tests run as root and need `runuser` (util-linux) to start PostgreSQL "
                                  f"as '{SERVICE_USER}'.")
    return [runuser, "-u", SERVICE_USER, "--"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Cluster:
    """A running throwaway cluster; :meth:`stop` stops it and deletes its folder."""

    root: Path
    bindir: Path
    prefix: list[str]
    ready_target: int = 2  # copies of the template kept ready for the next tests
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))
    _admin: sa.Engine | None = None
    _ready: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    _work: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    _worker: threading.Thread | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of a database on this cluster (through its Unix socket)."""
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.root}"

    def _pg_ctl(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
                              capture_output=True, text=True, check=check, timeout=timeout)

    @property
    def admin(self) -> sa.Engine:
        """An autocommit engine on the maintenance database, for CREATE and DROP DATABASE."""
        if self._admin is None:
            self._admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT",
                                           poolclass=sa.NullPool)
        return self._admin

    def _create(self, template: str | None = TEMPLATE) -> str:
        name = f"kb_test_{os.getpid()}_{next(self._names)}"
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        with self.admin.connect() as conn:
            conn.exec_driver_sql(sql)
        return self.url(name)

    def _drop(self, url: str) -> None:
        name = sa.engine.make_url(url).database
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _in_background(self, job: Callable[[], None]) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._run_jobs, name="kb-test-postgres", daemon=True)
            self._worker.start()
        self._work.put(job)

    def _run_jobs(self) -> None:
        while (job := self._work.get()) is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):  # a test that needs it reports the error
                job()

    def _make_ready(self) -> None:
        self._ready.put(self._create())

    def create_database(self, *, template: str | None = TEMPLATE) -> str:
        """A new database: a copy of the migrated template, or empty when ``template`` is None."""
        if template != TEMPLATE:
            return self._create(template)
        try:
            url = self._ready.get_nowait()
        except queue.Empty:
            url = self._create()
            for _ in range(self.ready_target):
                self._in_background(self._make_ready)
        else:
            self._in_background(self._make_ready)
        return url

    def drop_database(self, url: str) -> None:
        """Drop a test database in the background, ending any connection still open to it."""
        self._in_background(lambda: self._drop(url))

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete the cluster's folder; safe to call twice."""
        if self._worker is not None:
            self._work.put(None)
            self._worker.join(timeout=60)
            self._worker = None
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None
        if (self.data / "postmaster.pid").exists():
            result = self._pg_ctl("stop", "-m", "fast", "-w", check=False)
            if result.returncode != 0:
                self._pg_ctl("stop", "-m", "immediate", "-w", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _postmaster_running(data: Path) -> bool:
    """Whether the pid file names a live postgres serving this very folder (not a reused pid)."""
    try:
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, IndexError):
        return False
    return str(data).encode() in command


def remove_abandoned_clusters(bindir: Path, prefix: list[str]) -> None:
    """Stop and delete clusters left by earlier runs whose test process no longer exists."""
    if not PARENT.is_dir():
        return
    for root in PARENT.iterdir():
        try:
            owner = int((root / "owner").read_text())
        except (OSError, ValueError):
            owner = 0
            with contextlib.suppress(OSError):
                if time.time() - root.stat().st_mtime < 60:
                    continue  # another run has just made its folder and not yet written its owner
        if owner and _alive(owner):
            continue
        if _postmaster_running(root / "data"):
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(root / "data"), "stop", "-m",
                            "immediate", "-w"], capture_output=True, timeout=60, check=False)
        shutil.rmtree(root, ignore_errors=True)


def start_cluster() -> Cluster:
    """initdb and start a cluster, and build the migrated template; raises PostgresUnavailable."""
    bindir = find_bindir()
    prefix = _run_as()
    remove_abandoned_clusters(bindir, prefix)
    PARENT.mkdir(mode=0o755, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="run-", dir=PARENT))
    (root / "owner").write_text(str(os.getpid()))
    root.chmod(0o755)
    if prefix:
        shutil.chown(root, SERVICE_USER, SERVICE_USER)
    cluster = Cluster(root, bindir, prefix)
    atexit.register(cluster.stop)  # also after a test run that ends without tearing fixtures down
    try:
        init = subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(cluster.data), "-U", SUPERUSER,
                               "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
                              capture_output=True, text=True, timeout=120, check=False)
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed in {cluster.data}:\n{init.stderr.strip()}")
        options = (f"-c listen_addresses='' -k {root} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=300")
        started = cluster._pg_ctl("start", "-w", "-t", "60", "-l", str(root / "server.log"), "-o", options,
                                  check=False, timeout=90)
        if started.returncode != 0:
            log_file = root / "server.log"
            log = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
            raise PostgresUnavailable(f"pg_ctl could not start PostgreSQL in {cluster.data}:\n"
                                      f"{started.stderr.strip()}\n{log}")
        _build_template(cluster)
    except PostgresUnavailable:
        cluster.stop()
        raise
    except (OSError, subprocess.SubprocessError, sa.exc.SQLAlchemyError) as exc:
        cluster.stop()
        raise PostgresUnavailable(f"Could not start a PostgreSQL cluster in {root}: {exc}") from exc
    return cluster


def _build_template(cluster: Cluster) -> None:
    from kb.db import apply_migrations

    deadline = time.monotonic() + 30
    while True:  # pg_ctl -w returns once the postmaster accepts connections; be patient anyway
        try:
            with cluster.admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{TEMPLATE}"')
            break
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    engine = sa.create_engine(cluster.url(TEMPLATE), poolclass=sa.NullPool)
    try:
        apply_migrations(engine)
    finally:
        engine.dispose()
