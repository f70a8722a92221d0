"""Profile one jobgraph command with pyinstrument and keep the top of the call tree.

    .venv/bin/python -m benchmarks.profile [--data-set x100] [--work DIR] validate --no-reason
    .venv/bin/python -m benchmarks.profile --data-set x100 build --cold

Runs ``jobgraph COMMAND --data WORK/DATA_SET/data --store WORK/DATA_SET/store …`` under
pyinstrument (``pip install pyinstrument``, in the ``bench`` extra) on a data set the benchmark
prepared, and writes ``benchmarks/results/profile-<command>-<data set>.txt``: the call tree down
to ``--depth`` levels, frames under ``--min`` seconds left out.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .run import DEFAULT_WORK, RESULTS

_FRAME = re.compile(r"^([│ ]*)[├└]─ ([\d.]+) ")


def trim(text: str, depth: int, minimum: float) -> str:
    """The header and the frames of pyinstrument's text tree that are shallow and heavy enough."""
    out = []
    for line in text.splitlines():
        m = _FRAME.match(line)
        if m is None:
            if not line.startswith(("│", " ")) or not line.strip():
                out.append(line)
            continue
        if len(m.group(1)) // 3 <= depth and float(m.group(2)) >= minimum:
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-set", default="x100", help="shipped, x1, x10, x100 … (default x100)")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--depth", type=int, default=9)
    ap.add_argument("--min", type=float, default=0.5, help="seconds (default 0.5)")
    ap.add_argument("--cold", action="store_true", help="build into an empty store folder")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="jobgraph command and options")
    args = ap.parse_args(argv)
    if not args.command:
        ap.error("give a jobgraph command, e.g. validate --no-reason")
    root = args.work / args.data_set
    if not (root / "data").is_dir():
        ap.error(f"{root / 'data'} not found: run python -m benchmarks first")
    store = root / ("store-profile" if args.cold else "store")
    if args.cold:
        shutil.rmtree(store, ignore_errors=True)
    name = args.command[0]
    raw = root / f"profile-{name}.txt"
    cmd = [sys.executable, "-m", "pyinstrument", "-r", "text", "--show-all", "-o", str(raw),
           "-m", "jobgraph.cli", name, "--data", str(root / "data"), "--store", str(store),
           *args.command[1:]]
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    if args.cold:
        shutil.rmtree(store, ignore_errors=True)
    label = f"{name}{'-cold' if args.cold else ''}-{args.data_set}"
    out = RESULTS / f"profile-{label}.txt"
    out.write_text(trim(raw.read_text(encoding="utf-8"), args.depth, args.min), encoding="utf-8")
    sys.stdout.write(f"{out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
