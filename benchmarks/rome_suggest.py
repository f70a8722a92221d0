"""Measure `jobgraph rome suggest` on the shipped data: top-5 share against the curated rome.csv
links (each job's own labels and links left out of the index), per referential, a
leave-one-referential-out check of the weights, and the latency of the command.

    .venv/bin/python benchmarks/rome_suggest.py [--store DIR] [--misses]

The same figures are part of ``python -m benchmarks.search``, which measures the search engine
that ranks them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.search import suggest_figures
from jobgraph.backends import OxigraphBackend
from jobgraph.build import ensure_store
from jobgraph.search import manifest_key, open_engine
from jobgraph.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default=str(ROOT / ".jobgraph"))
    ap.add_argument("--misses", action="store_true",
                    help="list the jobs whose code is not in the top 5")
    args = ap.parse_args()
    store = Path(args.store)
    db, _ = ensure_store(ROOT / "data", store)
    backend = OxigraphBackend.open(db)
    ws = Workspace(store)
    t = time.perf_counter()
    engine = open_engine(backend, ws.cache, data_key=manifest_key(ws.read_manifest()))
    print(f"index opened in {time.perf_counter() - t:.2f} s ({len(engine.index.codes)} fiches, "
          f"{len(engine.index.entries)} titles, {len(engine.index.items)} competence items)")
    s = suggest_figures(engine, backend)
    print(f"top-5 share: {s['top5']}/{s['jobs']} = {s['share']:.1%}; first place: "
          f"{s['first']}/{s['jobs']} = {s['first'] / s['jobs']:.1%}; {s['ms_per_job']:.0f} ms "
          "per job")
    for ref, (hits, n) in s["by_referential"].items():
        print(f"  {ref}: {hits}/{n} = {hits / n:.1%}")
    held, n = s["leave_one_referential_out"]
    print(f"leave-one-referential-out top-5 share: {held}/{n} = {held / n:.1%}")
    if args.misses:
        for line in s["misses"]:
            print(f"  miss {line}")
    cmd = [str(Path(sys.executable).parent / "jobgraph"), "rome", "suggest",
           "tp-cagea/charge-accueil-gestion-administrative", "--store", str(store)]
    times = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    times.sort()
    print(f"`jobgraph rome suggest` wall time (index cached): median {times[2]:.2f} s, "
          f"min {times[0]:.2f} s of 5 runs")


if __name__ == "__main__":
    main()
