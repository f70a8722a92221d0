"""Every answer a person asks for, timed warm in one process, as the web application gives them.

    python -m benchmarks.answers STORE_FOLDER PLAN.json --job IRI --target IRI [--runs N]

A process opens the store once and then asks, in turn: every stored question of the plan through
``queries.run`` (what `jobgraph query` and the web pages call: the computed answers, equivalent
jobs, next steps and competence gap, included), `jobgraph path` from the plan's job to its
target, both ways (reading a part of the facts at a time, as the command line does, and with the
graph of steps kept, as the web application does), and free-text search for a few phrases. The
first answer of each (what a fresh server pays once) is reported beside the median of the warm
runs. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# phrases as people type them: a title in their words, an activity, a title with a typo
SEARCH_TEXTS = ("agent de sécurité", "je répare des voitures", "developpeur web",
                "photographe de mariage", "conseiller en insertion professionnelle")


def _timed(fn: Callable[[], Any], runs: int, budget: float) -> dict[str, Any]:
    """The first call's time, then up to ``runs`` warm calls (fewer when they pass ``budget``
    seconds together), their median."""
    t = time.perf_counter()
    first = fn()
    out: dict[str, Any] = {"first": time.perf_counter() - t}
    times: list[float] = []
    while len(times) < runs and sum(times) < budget:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    out["warm"] = statistics.median(times) if times else out["first"]
    out["runs"] = len(times)
    rows = getattr(first, "rows", None)
    if rows is not None:
        out["rows"] = len(rows)
    return out


def measure(store: Path, plan_file: Path, *, job: str | None, target: str | None, runs: int,
            budget: float) -> dict[str, Any]:
    from rdflib import Literal, URIRef

    from jobgraph.backends import OxigraphBackend
    from jobgraph.careers.answers import facts_for
    from jobgraph.paths import Graph, find_paths
    from jobgraph.queries import run
    from jobgraph.search import manifest_key, open_engine
    from jobgraph.workspace import Workspace

    ws = Workspace(store)
    t = time.perf_counter()
    backend = OxigraphBackend.open(ws.db)
    result: dict[str, Any] = {"open_seconds": time.perf_counter() - t, "answers": []}
    answers: list[dict[str, Any]] = result["answers"]

    def note(kind: str, name: str, fn: Callable[[], Any]) -> None:
        row = {"kind": kind, "name": name, **_timed(fn, runs, budget)}
        answers.append(row)
        sys.stderr.write(f"  {kind} {name}: first {row['first']:.3f} s, warm {row['warm']:.3f} s"
                         f" ({row['runs']} runs)\n")

    for item in json.loads(plan_file.read_text()):
        if item.get("skip"):
            continue
        params = {k: URIRef(v) if kind == "iri" else Literal(v)
                  for k, (kind, v) in item["bindings"].items()}
        note("query", f"{item['query']} [{item['set']}]",
             lambda q=item["query"], p=params: run(backend, q, p).result)
    if job and target:
        note("path", "read a part at a time (command line)",
             lambda: find_paths(backend, job, target))
        t = time.perf_counter()
        facts, titles = facts_for(backend, "fr")
        graph = Graph.from_facts(facts, titles, "fr")
        result["path_graph_seconds"] = time.perf_counter() - t
        note("path", "graph of steps kept (web application)",
             lambda: find_paths(backend, job, target, graph=graph))
    t = time.perf_counter()
    # the ROME vectors shipped with data/ (found by text: the synthetic data sets link its ROME)
    engine = open_engine(backend, ws.cache, data_key=manifest_key(ws.read_manifest()),
                         data_dir=Path(__file__).resolve().parents[1] / "data")
    result["search_open_seconds"] = time.perf_counter() - t
    for text in SEARCH_TEXTS:
        note("search", text, lambda x=text: engine.search(x))
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.answers", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store", type=Path, help="the store folder (`jobgraph build --store`)")
    ap.add_argument("plan", type=Path, help="the plan of stored queries (plan.json of the run)")
    ap.add_argument("--job")
    ap.add_argument("--target")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--budget", type=float, default=20.0,
                    help="seconds of warm runs per answer before it stops repeating")
    args = ap.parse_args(argv)
    found = measure(args.store, args.plan, job=args.job, target=args.target, runs=args.runs,
                    budget=args.budget)
    sys.stdout.write(json.dumps(found) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
