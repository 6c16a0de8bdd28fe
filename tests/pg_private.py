"""A private, throwaway PostgreSQL server, for tests and benchmarks that restart the database.

Restarting the PostgreSQL server that other test suites share would break them, so whatever
restarts the database gets a server of its own: `initdb` into a fresh temporary folder, trust
authentication, listening on a free port on 127.0.0.1 only, stopped and removed on exit. The
server binaries are found without naming a version: `QUIZBOT_PG_BINDIR`, then
`pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`, then the PATH. As root
they run as the `postgres` user (PostgreSQL refuses to run as root).

Durability is not what these runs test: `fsync` is off. A fast restart (`pg_ctl restart -m
fast`, what `pg_ctlcluster ... restart` does) still writes everything committed before it
stops, so no committed row is lost.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import asyncpg  # type: ignore[import-untyped]

NEEDED = ("initdb", "pg_ctl", "postgres")
RUN_AS = "postgres"  # the user the server runs as when this process is root
USER = "postgres"  # the database superuser initdb creates
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections


def _has_binaries(folder: Path) -> bool:
    return all((folder / name).is_file() for name in NEEDED)


def _version(folder: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", folder.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None when there is none."""
    candidates: list[Path] = []
    if os.environ.get("QUIZBOT_PG_BINDIR"):
        candidates.append(Path(os.environ["QUIZBOT_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    return next((c for c in candidates if _has_binaries(c)), None)


def unavailable_reason() -> str | None:
    """None when a private server can be started here, else why not."""
    if find_bindir() is None:
        return (
            "the PostgreSQL server binaries (initdb, pg_ctl) were not found in "
            "QUIZBOT_PG_BINDIR, `pg_config --bindir`, /usr/lib/postgresql/*/bin or the PATH"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root and there is no {RUN_AS!r} user to run PostgreSQL as"
    return None


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivatePostgres:
    """One private PostgreSQL server in a temporary folder; a context manager.

    `start()` (or `with`) creates and starts it; `restart()` restarts it the way an operator
    would; `close()` stops it and removes its folder, whatever state it is in.
    """

    def __init__(self, *, bindir: Path | None = None, max_connections: int = 100) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise RuntimeError(unavailable_reason() or "no PostgreSQL binaries")
        self.bindir = found
        self.max_connections = max_connections
        self.port = 0
        self.folder: Path | None = None
        self.restarts = 0
        self._as_other_user = os.geteuid() == 0

    # ------------------------------------------------------------------ paths

    @property
    def data(self) -> Path:
        assert self.folder is not None, "not started"
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        """The server's own log (kept until close)."""
        assert self.folder is not None, "not started"
        return self.folder / "server.log"

    def url(self, database: str = USER) -> str:
        """A plain URL of a database on this server (the app maps it to asyncpg)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        """What the server logged so far (empty before it started)."""
        if self.folder is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    # -------------------------------------------------------------- lifecycle

    def _run(self, *args: str, timeout: float = START_TIMEOUT + 30) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_other_user:
            if shutil.which("runuser"):
                command = ["runuser", "-u", RUN_AS, "--", *command]
            else:
                command = ["su", RUN_AS, "-s", "/bin/sh", "-c", shlex.join(command)]
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} {' '.join(args[1:3])} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}\n{self.log()[-3000:]}"
            )

    def start(self) -> PrivatePostgres:
        """Create the cluster and start the server on a free port."""
        self.folder = Path(tempfile.mkdtemp(prefix="quizbot-pg-", dir=self._parent()))
        try:
            if self._as_other_user:
                entry = pwd.getpwnam(RUN_AS)
                os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                timeout=120,
            )
            settings = {
                "listen_addresses": "'127.0.0.1'",
                # The socket lives in the private folder, not next to the shared server's.
                "unix_socket_directories": f"'{self.data}'",
                "max_connections": str(self.max_connections),
                "shared_buffers": "'32MB'",
                "fsync": "off",
                "full_page_writes": "off",
                "log_min_messages": "'warning'",
            }
            for attempt in range(5):
                self.port = free_port()
                settings["port"] = str(self.port)
                with (self.data / "postgresql.auto.conf").open("a") as conf:
                    conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
                try:
                    self._pg_ctl("start")
                    return self
                except RuntimeError:
                    # The port was taken in between: try another; anything else is final.
                    if attempt == 4 or "could not bind" not in self.log():
                        raise
        except BaseException:
            self.close()
            raise
        raise AssertionError("unreachable")

    def _parent(self) -> str | None:
        """Where to make the folder: the usual temporary folder, unless the server's user
        could not reach into it (a root-only TMPDIR), then /tmp."""
        base = Path(tempfile.gettempdir())
        if not self._as_other_user or all(p.stat().st_mode & 0o001 for p in (base, *base.parents)):
            return None
        return "/tmp"

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._run(
            "pg_ctl",
            action,
            "-D",
            str(self.data),
            "-l",
            str(self.log_path),
            "-w",
            "-t",
            str(START_TIMEOUT),
            *extra,
        )

    def restart(self) -> float:
        """`pg_ctl restart -m fast`: end every session, stop, start; return the seconds taken."""
        began = time.monotonic()
        self._pg_ctl("restart", "-m", "fast")
        self.restarts += 1
        return time.monotonic() - began

    def close(self) -> None:
        """Stop the server (at once) if it runs, and remove its folder."""
        if self.folder is None:
            return
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError, OSError):
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -------------------------------------------------------------- databases

    async def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        conn = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user=USER, database=USER, timeout=10
        )
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)
