"""Private SPARQL servers: Virtuoso 7.2 and Oxigraph server on 127.0.0.1, on free ports.

Each server runs in its own temporary directory and is stopped by its PID. Used by the remote
benchmark (benchmarks/remote.py) and by the tests' fixtures (tests/servers.py); no pytest here.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from jobgraph.remote import Endpoint, RetryPolicy

START_TIMEOUT = 60.0
INSTALL = {
    "virtuoso": "apt-get install -y --no-install-recommends virtuoso-opensource-7-bin",
    "oxigraph": f"{Path(sys.executable).parent / 'pip'} install oxigraph  (the 'test' extra)",
}


class ServerUnavailable(RuntimeError):
    """The server's program is not installed."""

    def __init__(self, kind: str, why: str) -> None:
        super().__init__(f"{kind} is not available ({why}); install it with: {INSTALL[kind]}")
        self.kind = kind


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A server process we own: its URLs, credentials and how to start and stop it."""

    kind: str
    workdir: Path
    command: list[str]
    query: str
    update: str
    gsp: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    stop_command: list[str] | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    def endpoint(self, *, gsp: bool = True, timeout: float = 30.0, **changes: object) -> Endpoint:
        values: dict[str, object] = dict(query=self.query, update=self.update,
                                         gsp=self.gsp if gsp else None, user=self.user,
                                         password=self.password, timeout=timeout,
                                         retry=self.retry)
        values.update(changes)
        return Endpoint(**values)

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.command, cwd=self.workdir, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            if self.answers():
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.kind} did not answer within {START_TIMEOUT:g} s:\n"
                           + self.log_tail())

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def answers(self) -> bool:
        """The query URL answers an ASK with SPARQL JSON (httpx, as jobgraph's first contact)."""
        try:
            resp = httpx.get(self.query, params={"query": "ASK { ?s ?p ?o }"}, timeout=5.0,
                             headers={"Accept": "application/sparql-results+json"})
            return resp.status_code == 200 and "head" in json.loads(resp.content)
        except (httpx.HTTPError, ValueError):
            return False

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """Stop at once (SIGKILL), as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """Stop cleanly, then by PID if it does not go."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            if self.stop_command:
                subprocess.run(self.stop_command, cwd=self.workdir, capture_output=True,
                               timeout=10, check=False)
            else:
                self.proc.terminate()
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # a wedged server does not hear a clean stop
            self.kill()


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
DirsAllowed = ., {dir}
NumberOfBuffers = 40000
MaxDirtyBuffers = 30000
MaxQueryMem = 500M
ThreadsPerQuery = 2
CheckpointInterval = 60
; the push swaps every graph in one transaction: its log passes the 50 MB default from ×30 on
TransactionAfterImageLimit = {after_image}

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {dir}
MaxClientConnections = 8
ServerThreads = 8
EnabledDavVSP = 0

[SPARQL]
; no cut rows, no "anytime" partial answers, no refusal on the optimiser's estimate (which is
; wildly high for the UNION-heavy stored queries): the client's timeout bounds a query instead
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
"""


def make_virtuoso(workdir: Path, *, after_image: int = 2_000_000_000) -> Server:
    """A private Virtuoso 7.2; ``after_image``: its TransactionAfterImageLimit, in bytes."""
    binary, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if binary is None or isql is None:
        raise ServerUnavailable("virtuoso", "virtuoso-t or isql-vt not on PATH")
    isql_port, http_port = free_port(), free_port()
    ini = workdir / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=workdir, isql=isql_port, http=http_port,
                                       after_image=after_image))
    base = f"http://127.0.0.1:{http_port}"
    return Server("virtuoso", workdir, [binary, "-f", "-c", str(ini)], query=f"{base}/sparql",
                  update=f"{base}/sparql-auth", gsp=f"{base}/sparql-graph-crud-auth",
                  user="dba", password="dba",
                  stop_command=[isql, f"127.0.0.1:{isql_port}", "dba", "dba", "-K"])


def oxigraph_binary() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def make_oxigraph(workdir: Path) -> Server:
    binary = oxigraph_binary()
    if binary is None:
        raise ServerUnavailable("oxigraph", "no 'oxigraph' command beside Python or on PATH")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # no --union-default-graph: the backend must name the graphs with default-graph-uri
    return Server("oxigraph", workdir, [binary, "serve", "--location", str(workdir / "db"),
                                        "--bind", f"127.0.0.1:{port}"],
                  query=f"{base}/query", update=f"{base}/update", gsp=f"{base}/store")


MAKERS: dict[str, Callable[..., Server]] = {"virtuoso": make_virtuoso,
                                               "oxigraph": make_oxigraph}
