"""Whole-process measurements: wall time, CPU time and peak memory of one command.

Peak memory comes from ``/usr/bin/time -v`` when it exists, else from ``getrusage`` of the
children in a small Python wrapper; both report the largest resident set of the process and of
the children it waited for (not their sum).
"""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TIME = Path("/usr/bin/time")

_WRAPPER = """
import json, os, resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(os.environ["BENCH_RUSAGE"], "w") as fh:
    json.dump({"maxrss_kb": r.ru_maxrss, "user": r.ru_utime, "sys": r.ru_stime}, fh)
sys.exit(code)
"""


@dataclass
class Measure:
    """One run of a command."""

    seconds: float
    cpu: float
    peak_mb: float
    code: int | None  # None: killed at the timeout
    stdout: str = ""
    stderr: str = ""

    @property
    def timed_out(self) -> bool:
        return self.code is None

    def brief(self) -> dict[str, float | int | None]:
        return {"seconds": round(self.seconds, 4), "cpu": round(self.cpu, 3),
                "peak_mb": round(self.peak_mb, 1), "code": self.code}


def measure(cmd: Sequence[str], *, timeout: float | None = None, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> Measure:
    """Run ``cmd`` to its end (or kill its process group at ``timeout``) and measure it."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        stats = Path(tmp) / "stats"
        run_env = dict(os.environ if env is None else env)
        if TIME.exists():
            full = [str(TIME), "-v", "-o", str(stats), *cmd]
        else:
            run_env["BENCH_RUSAGE"] = str(stats)
            full = [sys.executable, "-c", _WRAPPER, *cmd]
        t = time.perf_counter()
        proc = subprocess.Popen(full, cwd=cwd, env=run_env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        code: int | None
        try:
            out, err = proc.communicate(timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            # kill the measured command (the group this call started, nothing else) but let
            # /usr/bin/time live to report the peak memory reached so far
            _kill_group(proc.pid, spare=proc.pid if TIME.exists() else None)
            try:
                out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()
            code = None
        seconds = time.perf_counter() - t
        cpu = peak = 0.0
        if stats.exists():
            text = stats.read_text()
            if TIME.exists():
                cpu = _field(text, "User time (seconds)") + _field(text, "System time (seconds)")
                peak = _field(text, "Maximum resident set size (kbytes)") / 1024
                m = re.search(r"Command exited with non-zero status (\d+)", text)
                if code is not None and m:
                    code = int(m.group(1))
            else:
                data = json.loads(text)
                cpu, peak = data["user"] + data["sys"], data["maxrss_kb"] / 1024
    return Measure(seconds, cpu, peak, code, out, err)


def _kill_group(pgid: int, spare: int | None) -> None:
    """SIGKILL every process of group ``pgid`` but ``spare``."""
    killed = False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == spare:
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # fields after the command name (which may hold spaces): state ppid pgrp ...
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                killed = True
            except ProcessLookupError:
                pass
    if not killed:
        os.killpg(pgid, signal.SIGKILL)


def _field(text: str, name: str) -> float:
    m = re.search(rf"{re.escape(name)}: ([0-9.]+)", text)
    return float(m.group(1)) if m else 0.0


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def summary(runs: Sequence[Measure]) -> dict[str, object]:
    """Medians of the runs that finished, with every run kept for the record."""
    done = [r for r in runs if not r.timed_out]
    return {"seconds": median([r.seconds for r in done]), "cpu": median([r.cpu for r in done]),
            "peak_mb": max((r.peak_mb for r in done), default=None),
            "runs": [r.brief() for r in runs], "failed": [r.code for r in runs if r.code]}
