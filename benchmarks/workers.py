"""The naive baselines and the warm-query loop, each run in its own process by the harness.

    python -m benchmarks.workers bulkload GRAPH.nq STORE_DIR
    python -m benchmarks.workers pyshacl GRAPH.nq
    python -m benchmarks.workers queries STORE_DB GRAPH.nq PLAN.json [--runs N] [--timeout S]

Each prints one JSON object on stdout. The harness measures the process (wall time, CPU, peak
memory) from outside; the JSON adds what only the worker can see (phases, rows, agreement).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jobgraph.resources import resource_dir


def bulkload(graph_file: Path, store_dir: Path) -> dict[str, Any]:
    """The physical limit of a build: pyoxigraph bulk-loading the N-Quads a build writes."""
    import pyoxigraph as ox

    t = time.perf_counter()
    store = ox.Store(str(store_dir))
    store.bulk_load(path=str(graph_file), format=ox.RdfFormat.N_QUADS)
    store.flush()
    return {"quads": len(store), "load_seconds": time.perf_counter() - t}


def naive_shacl(graph_file: Path) -> dict[str, Any]:
    """pyshacl over the whole graph in rdflib (curated + ROME + ontology), every shape file,
    sh:sparql constraints included, evaluated by pyshacl itself (once per focus node)."""
    from pyshacl import validate
    from rdflib import Dataset, Graph
    from rdflib.namespace import RDF, SH

    t = time.perf_counter()
    ds = Dataset()
    ds.parse(str(graph_file), format="nquads")
    data = Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        data.add((s, p, o))
    del ds
    shapes = Graph()
    for path in sorted(resource_dir("shapes").glob("*.ttl")):
        shapes.parse(path, format="turtle")
    _declare_prefixes(shapes)
    parsed = time.perf_counter()
    conforms, results, _ = validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                    allow_warnings=True, inplace=True)

    n = len(set(results.subjects(RDF.type, SH.ValidationResult)))
    return {"triples": len(data), "parse_seconds": parsed - t,
            "validate_seconds": time.perf_counter() - parsed, "conforms": bool(conforms),
            "results": n}


def _declare_prefixes(shapes: Any) -> None:
    """Give every SPARQL constraint jobgraph's prefixes the SHACL way (sh:prefixes, sh:declare):
    the shape files leave them out because jobgraph's validate prepends them to the query."""
    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import SH, XSD

    from jobgraph.namespaces import PREFIXES

    decl = URIRef("urn:benchmarks:prefixes")
    for prefix, ns in sorted(PREFIXES.items()):
        b = BNode()
        shapes.add((decl, SH.declare, b))
        shapes.add((b, SH.prefix, Literal(prefix)))
        shapes.add((b, SH.namespace, Literal(ns, datatype=XSD.anyURI)))
    for constraint in set(shapes.objects(None, SH.sparql)):
        shapes.add((constraint, SH.prefixes, decl))


class _Timeout(Exception):
    pass


@contextmanager
def _limit(seconds: float) -> Iterator[None]:
    """Interrupt pure-Python work (rdflib's evaluator) after ``seconds``."""
    def on_alarm(_sig: int, _frame: Any) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _more(times: list[float], first: float, budget: float) -> bool:
    if not times:
        return True
    return first * 3 <= budget and sum(times) < budget


def warm_queries(db: Path, graph_file: Path, plan_file: Path, runs: int,
                 timeout: float, budget: float = 60.0, *, rdflib: bool = True) -> dict[str, Any]:
    """Each planned query on the open store and on rdflib's in-memory graph, pair by pair.

    One warm-up run each, then ``runs`` timed pairs (embedded run, rdflib run, alternating), so
    that a burst of load on the machine hits both sides. An rdflib run longer than ``timeout``
    is cut and the query's remaining rdflib runs skipped ("> timeout"); a query whose runs
    together pass ``budget`` seconds stops repeating after 3 pairs.
    """
    from rdflib import Literal, URIRef

    from jobgraph.backends import OxigraphBackend, RdflibBackend, same_rows
    from jobgraph.catalogue import bindings_for, get_query

    plan = json.loads(plan_file.read_text())
    t = time.perf_counter()
    ox = OxigraphBackend.open(db)
    opened = time.perf_counter() - t
    t = time.perf_counter()
    # no rdflib side above the scale the harness says (``--rdflib-max-scale``): parsing 3.7 M
    # triples into rdflib takes minutes and GBs, and its ratio is known from the smaller scales
    rd = RdflibBackend.from_nquads(graph_file.read_text(encoding="utf-8")) if rdflib else None
    rdflib_load = time.perf_counter() - t if rdflib else None
    out: list[dict[str, Any]] = []
    for item in plan:
        if item.get("skip"):
            out.append({"query": item["query"], "set": item["set"], "skipped": item["skip"]})
            continue
        q = get_query(item["query"])
        given: dict[str, Any] = {}
        for name, (kind, value) in item["bindings"].items():
            given[name] = URIRef(value) if kind == "iri" else Literal(value)
        bindings = bindings_for(q, given)  # the defaults, as `jobgraph query` binds them
        row: dict[str, Any] = {"query": item["query"], "set": item["set"]}
        t = time.perf_counter()
        first = ox.select(q.text, bindings)
        row["oxigraph_first"] = time.perf_counter() - t
        row["rows"] = len(first.rows)
        ox_times: list[float] = []
        rd_times: list[float] = []
        rd_result = None
        rd_cut = rd is None
        try:
            if rd is not None:
                with _limit(timeout):
                    t = time.perf_counter()
                    rd_result = rd.select(q.text, bindings)
                    row["rdflib_first"] = time.perf_counter() - t
        except _Timeout:
            rd_cut = True
        rd_first = row.get("rdflib_first", 0.0)
        for _ in range(runs):
            # each side repeats until ``runs`` or its ``budget``; a side whose first run takes
            # more than a third of the budget is timed once more only
            ox_more = _more(ox_times, row["oxigraph_first"], budget)
            rd_more = not rd_cut and _more(rd_times, rd_first, budget)
            if not ox_more and not rd_more:
                break
            if ox_more:
                t = time.perf_counter()
                ox.select(q.text, bindings)
                ox_times.append(time.perf_counter() - t)
            if not rd_more:
                continue
            assert rd is not None
            try:
                with _limit(timeout):
                    t = time.perf_counter()
                    rd.select(q.text, bindings)
                    rd_times.append(time.perf_counter() - t)
            except _Timeout:
                rd_cut = True
        row["oxigraph"] = statistics.median(ox_times) if ox_times else row["oxigraph_first"]
        row["oxigraph_runs"] = len(ox_times)
        row["rdflib"] = statistics.median(rd_times) if rd_times else row.get("rdflib_first")
        row["rdflib_runs"] = len(rd_times)
        row["rdflib_timeout"] = timeout if rd_cut and not rd_times and rd is not None else None
        row["rdflib_not_run"] = rd is None
        lists = q.lists
        row["agree"] = (same_rows(first, rd_result, lists=lists)
                        if rd_result is not None else None)
        out.append(row)
        sys.stderr.write(f"  {item['query']} [{item['set']}]: oxigraph {row['oxigraph']:.4f} s, "
                         f"rdflib {row['rdflib'] if row['rdflib'] is not None else '>timeout'}\n")
    return {"open_seconds": opened, "rdflib_load_seconds": rdflib_load,
            "queries": out}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.workers")
    sub = ap.add_subparsers(dest="task", required=True)
    b = sub.add_parser("bulkload")
    b.add_argument("graph", type=Path)
    b.add_argument("store", type=Path)
    s = sub.add_parser("pyshacl")
    s.add_argument("graph", type=Path)
    q = sub.add_parser("queries")
    q.add_argument("db", type=Path)
    q.add_argument("graph", type=Path)
    q.add_argument("plan", type=Path)
    q.add_argument("--runs", type=int, default=20)
    q.add_argument("--timeout", type=float, default=60.0)
    q.add_argument("--budget", type=float, default=60.0)
    q.add_argument("--no-rdflib", action="store_true", help="the embedded store alone")
    args = ap.parse_args(argv)
    if args.task == "bulkload":
        result = bulkload(args.graph, args.store)
    elif args.task == "pyshacl":
        result = naive_shacl(args.graph)
    else:
        result = warm_queries(args.db, args.graph, args.plan, args.runs, args.timeout,
                              args.budget, rdflib=not args.no_rdflib)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
