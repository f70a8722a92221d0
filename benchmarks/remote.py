"""Remote servers: push time of the shipped graph, stored-query latency embedded vs servers.

Starts a private Virtuoso 7.2 and a private Oxigraph server (benchmarks/servers.py, as the tests
do), builds the shipped data into a temporary store, and measures:

- the push of the whole graph (``jobgraph.remote.push``, what ``jobgraph push`` runs) to an empty
  server, and again to the same server (Oxigraph server: unchanged large graphs are compared and
  skipped; Virtuoso: rewritten), each round on a fresh server, median of ``--pushes`` rounds;
- each stored query with the parameter sets of the main benchmark (benchmarks/params.py), warm:
  one untimed run per backend, then up to ``--runs`` timed runs taken in turn on the embedded
  store, Virtuoso and Oxigraph server; median per backend; the rows of the three compared;
- the QC queries (``jobgraph validate --endpoint``'s work) against the embedded store's.

    .venv/bin/python -m benchmarks.remote [--runs 20] [--pushes 3] [--out benchmarks/results]

Writes ``remote.json`` (every figure) and ``remote.md`` (the tables) into ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from jobgraph.backends import OxigraphBackend, Result
from jobgraph.catalogue import get_query, list_qc, list_queries
from jobgraph.checks import run_qc
from jobgraph.errors import JobgraphError
from jobgraph.queries import run
from jobgraph.remote import EndpointBackend, GraphData, push, safe_url, store_graphs
from jobgraph.validate import validate_backend

from .generate import SHIPPED_DATA
from .params import pick, plans
from .servers import MAKERS, Server, ServerUnavailable

KINDS = ("virtuoso", "oxigraph")
TITLES = {"embedded": "embedded", "virtuoso": "Virtuoso 7.2", "oxigraph": "Oxigraph server"}


def _log(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# --- push ---------------------------------------------------------------------------------------

def _pushed(result: Any) -> dict[str, Any]:
    """A push's figures: the whole, each graph's load, the one swap request, the checkpoints."""
    return {"seconds": result.seconds, "triples": result.triples,
            "swap_seconds": result.swap_seconds, "checkpoint_seconds": result.checkpoint_seconds,
            "graphs": [{"name": p.name, "triples": p.triples, "seconds": p.seconds,
                        "method": p.method} for p in result.graphs]}


def bench_push(kind: str, graphs: list[GraphData], work: Path, rounds: int,
               timeout: float) -> tuple[dict[str, Any], Server]:
    """Rounds of (push to a fresh server, push again); the last round's server is kept running."""
    out: dict[str, Any] = {"rounds": []}
    server: Server | None = None
    for i in range(rounds):
        if server is not None:
            server.stop()
            shutil.rmtree(server.workdir, ignore_errors=True)
        workdir = work / f"{kind}-{i}"
        workdir.mkdir(parents=True)
        server = MAKERS[kind](workdir)
        try:
            t = time.perf_counter()
            server.start()
            started = time.perf_counter() - t
            endpoint = server.endpoint(timeout=timeout)
            first = push(graphs, endpoint)
            again = push(graphs, endpoint)
        except BaseException:
            server.stop()
            raise
        out["rounds"].append({"start_seconds": started, "first": _pushed(first),
                              "repeated": _pushed(again), "load": _load()})
        _log(f"  {kind} round {i + 1}: first push {first.seconds:.1f} s, repeated "
             f"{again.seconds:.1f} s ({', '.join(sorted({p.method for p in again.graphs}))})")
    assert server is not None
    out["server"] = EndpointBackend(server.endpoint()).info.server
    for which in ("first", "repeated"):
        out[which] = _median([r[which]["seconds"] for r in out["rounds"]])
        out[f"{which}_swap"] = _median([r[which].get("swap_seconds") or 0.0
                                        for r in out["rounds"]])
        checkpoints = [r[which]["checkpoint_seconds"] for r in out["rounds"]
                       if r[which].get("checkpoint_seconds") is not None]
        out[f"{which}_checkpoint"] = _median(checkpoints)
        rome = [g["seconds"] for r in out["rounds"] for g in r[which]["graphs"]
                if g["name"] == "rome"]
        out[f"{which}_rome"] = _median(rome)
        out[f"{which}_methods"] = sorted({g["method"] for r in out["rounds"]
                                          for g in r[which]["graphs"]})
    return out, server


# --- queries ------------------------------------------------------------------------------------

def _rows(result: Result, lists: frozenset[str]) -> list[tuple[str, ...]]:
    """The rows compared as the parity test compares them (``terms.canonical``)."""
    return result.canonical(lists)


def _more(times: list[float], first: float, runs: int, budget: float) -> bool:
    """Another timed run? Until ``runs``, or the budget; a slow query is timed twice at most."""
    if len(times) >= runs:
        return False
    if not times:
        return True
    return first * 3 <= budget and sum(times) < budget


def ask(backend: Any, name: str, given: dict[str, Node]) -> Result:
    """A stored question as `jobgraph query` and the web pages ask it (``queries.run``): the
    derived graph's twin where the backend holds the derived graph, the computed answers
    (equivalent jobs, next steps, competence gap) in Python over its SPARQL."""
    return run(backend, name, given).result


def bench_queries(backends: dict[str, Any], embedded: OxigraphBackend, runs: int,
                  budget: float) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Every planned query on every backend, timed in turn."""
    picks = pick(embedded)
    planned, skipped = plans(list_queries(), picks, embedded)
    out = []
    for plan in planned:
        q = get_query(plan.query)
        lists = q.lists
        given: dict[str, Node] = {k: URIRef(v) if kind == "iri" else Literal(v)
                                  for k, (kind, v) in plan.bindings.items()}
        row: dict[str, Any] = {"query": plan.query, "set": plan.set,
                               "bindings": {k: v for k, (_, v) in plan.bindings.items()}}
        results: dict[str, list[tuple[str, ...]]] = {}
        firsts: dict[str, float] = {}
        times: dict[str, list[float]] = {}
        for name, backend in backends.items():
            t = time.perf_counter()
            try:
                result = ask(backend, plan.query, given)
            except JobgraphError as exc:
                row[f"{name}_error"] = str(exc)[:500]
                continue
            firsts[name] = time.perf_counter() - t
            results[name] = _rows(result, lists)
            times[name] = []
        row["rows"] = {name: len(r) for name, r in results.items()}
        row["same_rows"] = {name: r == results.get("embedded")
                            for name, r in results.items() if name != "embedded"}
        while True:
            due = [n for n in times if _more(times[n], firsts[n], runs, budget)]
            if not due:
                break
            for name in due:  # in turn, so that a burst of load hits every backend
                t = time.perf_counter()
                ask(backends[name], plan.query, given)
                times[name].append(time.perf_counter() - t)
        for name in backends:
            row[name] = _median(times.get(name, [])) if times.get(name) else firsts.get(name)
            row[f"{name}_first"] = firsts.get(name)
            row[f"{name}_runs"] = len(times.get(name, []))
        out.append(row)
        shown = ", ".join(f"{n} {row[n] * 1000:.1f} ms" if row[n] is not None else
                          f"{n} error: {row[f'{n}_error']}" for n in backends)
        differ = [n for n, same in row["same_rows"].items() if not same]
        _log(f"  {plan.query} [{plan.set}]: {shown}"
             + (f"; rows differ from embedded on {', '.join(differ)}" if differ else ""))
    return out, [{"query": s.query, "reason": s.reason} for s in skipped]


# --- QC -----------------------------------------------------------------------------------------

def _timed(call: Callable[[], Any], times: int) -> tuple[Any, list[float]]:
    seconds = []
    value = None
    for _ in range(times):
        t = time.perf_counter()
        value = call()
        seconds.append(time.perf_counter() - t)
    return value, seconds


def bench_qc(embedded: OxigraphBackend, servers: dict[str, Server], times: int,
             timeout: float) -> dict[str, Any]:
    """The QC queries on the embedded store and through ``validate --endpoint``'s code."""
    qc = list_qc()
    local, seconds = _timed(lambda: run_qc(embedded, qc), times)
    key = {(f.rule, f.focus, f.value) for f in local}
    out: dict[str, Any] = {"embedded": {"seconds": _median(seconds), "findings": len(local),
                                        "by_rule": _by_rule(local)}}
    for kind, server in servers.items():
        def remote(url: str = server.query) -> Any:
            backend = EndpointBackend(url, timeout=timeout)
            return validate_backend(backend, where=safe_url(url), graphs=len(backend.graphs()))

        report, seconds = _timed(remote, times)
        # the server runs the SHACL-SPARQL rules too: the QC queries' findings are compared
        report.findings = [f for f in report.findings if f.kind == "qc"]
        there = {(f.rule, f.focus, f.value) for f in report.findings}
        out[kind] = {"seconds": _median(seconds), "findings": len(report.findings),
                     "by_rule": _by_rule(report.findings), "same_findings": there == key,
                     "only_there": sorted(map(str, there - key))[:10],
                     "only_embedded": sorted(map(str, key - there))[:10]}
        _log(f"  QC on {kind}: {len(report.findings)} findings in {out[kind]['seconds']:.2f} s, "
             f"same as embedded: {there == key}")
    return out


def _by_rule(findings: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f"{f.rule} ({f.severity})"] = counts.get(f"{f.rule} ({f.severity})", 0) + 1
    return dict(sorted(counts.items()))


# --- report -------------------------------------------------------------------------------------

def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _ms(value: float | None) -> str:
    if value is None:
        return "error"
    return f"{value * 1000:.1f}" if value < 10 else f"{value * 1000:.0f}"


def markdown(res: dict[str, Any]) -> str:
    kinds = [k for k in KINDS if k in res["push"]]
    lines = ["# Remote servers: push and query latency", "",
             f"Run {res['date']} on {res['machine']['cpus']} cores ({res['machine']['platform']}), "
             f"load average {res['load_before']} before, {res['load_after']} after; "
             f"`python -m benchmarks.remote --runs {res['settings']['runs']} --pushes "
             f"{res['settings']['pushes']}`. Servers: "
             + ", ".join(f"{TITLES[k]} (`{res['push'][k]['server']}`)" for k in kinds) + ".", "",
             f"Shipped graph: **{res['graph']['triples']:,} triples** in "
             f"{len(res['graph']['graphs'])} named graphs (ROME: "
             f"{res['graph']['graphs'].get('rome', 0):,}); dumped from the embedded store in "
             f"{res['graph']['dump_seconds']:.1f} s.", "",
             "## Push of the whole graph", "",
             f"`jobgraph.remote.push` (what `jobgraph push` runs) over HTTP on 127.0.0.1, by the "
             f"Graph Store Protocol into temporary graphs, then every graph moved by one update "
             f"request (the swap), then on Virtuoso a checkpoint before and after the swap. "
             f"Median of {res['settings']['pushes']} rounds, each on a fresh server: a first push "
             "into the empty server, then the same push again. *ROME*: the load of its "
             "temporary graph (or its comparison), before the swap.", "",
             "| server | first push | ROME | swap | checkpoints | repeated push | ROME | swap | "
             "repeated push does |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for k in kinds:
        p = res["push"][k]
        does = "compares ROME and skips it (unchanged)" if "unchanged" in \
            p["repeated_methods"] else "rewrites every graph"
        lines.append(f"| {TITLES[k]} | {_s(p['first'])} | {_s(p['first_rome'])} | "
                     f"{_s(p.get('first_swap'))} | {_s(p.get('first_checkpoint'))} | "
                     f"{_s(p['repeated'])} | {_s(p['repeated_rome'])} | "
                     f"{_s(p.get('repeated_swap'))} | {does} |")
    lines += ["", "## Stored queries, warm", "",
              f"Milliseconds, median of up to {res['settings']['runs']} runs after one untimed "
              f"run (a query slower than {res['settings']['budget'] / 3:g} s is timed twice), "
              "runs taken in turn on the three backends. Embedded: `OxigraphBackend` in the "
              "process; servers: `EndpointBackend` (HTTP, SPARQL JSON results, parsed into rdflib "
              "terms). Parameter sets of benchmarks/params.py. *rows*: the same rows on every "
              "backend (numbers by value), else each backend's count.", "",
              "| query | parameters | rows | embedded | " + " | ".join(TITLES[k] for k in kinds)
              + " | " + " | ".join(f"× {TITLES[k]}" for k in kinds) + " |",
              "| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in kinds) + " | "
              + " | ".join("---:" for _ in kinds) + " |"]
    for q in res["queries"]:
        same = all(q["same_rows"].get(k) for k in kinds)
        rows = str(q["rows"].get("embedded", "–")) if same else \
            " / ".join(f"{q['rows'].get(n, 'err')}" for n in ("embedded", *kinds))
        ratios = []
        for k in kinds:
            e, r = q.get("embedded"), q.get(k)
            ratios.append(f"{r / e:.0f}" if e and r and r / e >= 10 else
                          f"{r / e:.1f}" if e and r else "–")
        lines.append(f"| {q['query']} | {q['set'].replace('|', '/')} | {rows} | "
                     f"{_ms(q.get('embedded'))} | " + " | ".join(_ms(q.get(k)) for k in kinds)
                     + " | " + " | ".join(ratios) + " |")
    for s in res["skipped"]:
        lines.append(f"| {s['query']} | skipped: {s['reason']} | | | "
                     + " | ".join("" for _ in kinds) + " | " + " | ".join("" for _ in kinds) + " |")
    total = {n: sum(q[n] for q in res["queries"] if q.get(n) is not None)
             for n in ("embedded", *kinds)}
    lines += ["", "Sum of the medians: " + ", ".join(f"{TITLES[n]} {total[n]:.2f} s"
                                                      for n in ("embedded", *kinds)) + "."]
    qc = res["qc"]
    lines += ["", "## QC queries (`jobgraph validate --endpoint`)", "",
              f"The {qc['queries']} QC queries of `queries/qc/`, median of "
              f"{res['settings']['qc_runs']} runs; on a server through `validate_backend` (what "
              "`jobgraph validate --endpoint URL` runs).", "",
              "| backend | seconds | findings | same findings as embedded |",
              "| --- | ---: | ---: | --- |",
              f"| embedded | {qc['embedded']['seconds']:.2f} | {qc['embedded']['findings']} | |"]
    for k in kinds:
        lines.append(f"| {TITLES[k]} | {qc[k]['seconds']:.2f} | {qc[k]['findings']} | "
                     f"{'yes' if qc[k]['same_findings'] else 'NO'} |")
    lines += ["", "Findings by rule (embedded): " + ", ".join(
        f"{r}: {n}" for r, n in qc["embedded"]["by_rule"].items()) + ". On the curated data "
        "these are all accepted findings (`accepted:` in referential.yaml): `jobgraph validate` "
        "reports them as accepted and conforms; `validate --endpoint` has only the server's "
        "triples, not the curated files' acceptances, so it lists them as findings.", ""]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------

def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("jobgraph", "pyoxigraph", "rdflib", "oxigraph"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "?"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.remote", description=__doc__.split(
        "\n", 1)[0])
    ap.add_argument("--runs", type=int, default=20, help="timed runs of each query (default 20)")
    ap.add_argument("--pushes", type=int, default=3, help="push rounds per server (default 3)")
    ap.add_argument("--qc-runs", type=int, default=3, help="runs of the QC queries (default 3)")
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds of timed runs per query and backend (default 60)")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="seconds to wait for a server's answer (default 600)")
    ap.add_argument("--servers", default=",".join(KINDS), help="virtuoso,oxigraph")
    ap.add_argument("--data", type=Path, default=SHIPPED_DATA)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    ap.add_argument("--work", type=Path, help="folder for the store and the servers' files "
                    "(default: a temporary folder, removed at the end)")
    args = ap.parse_args(argv)
    kinds = [k for k in args.servers.split(",") if k]
    if unknown := [k for k in kinds if k not in MAKERS]:
        ap.error(f"unknown server(s): {', '.join(unknown)}")
    work = args.work or Path(tempfile.mkdtemp(prefix="jobgraph-remote-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), **_versions()},
        "settings": {"runs": args.runs, "pushes": args.pushes, "qc_runs": args.qc_runs,
                     "budget": args.budget, "timeout": args.timeout, "data": str(args.data)},
        "load_before": _load(), "push": {}}
    servers: dict[str, Server] = {}
    try:
        from jobgraph.build import build

        _log(f"building {args.data} into {work / 'store'}")
        built = build(args.data, store_dir=work / "store")
        db = work / "store" / "store" / "db"
        t = time.perf_counter()
        graphs = store_graphs(db)
        res["graph"] = {"triples": sum(g.triples for g in graphs),
                        "graphs": {g.name: g.triples for g in graphs},
                        "build_seconds": built.seconds,
                        "dump_seconds": time.perf_counter() - t}
        embedded = OxigraphBackend.open(db)
        for kind in kinds:
            _log(f"pushing {res['graph']['triples']:,} triples to {kind}")
            res["push"][kind], servers[kind] = bench_push(kind, graphs, work, args.pushes,
                                                          args.timeout)
        backends: dict[str, Any] = {"embedded": embedded}
        for kind, server in servers.items():
            backends[kind] = EndpointBackend(server.endpoint(timeout=args.timeout))
        _log("stored queries")
        res["queries"], res["skipped"] = bench_queries(backends, embedded, args.runs,
                                                       args.budget)
        _log("QC queries")
        res["qc"] = bench_qc(embedded, servers, args.qc_runs, args.timeout)
        res["qc"]["queries"] = len(list_qc())
        res["load_after"] = _load()
    except ServerUnavailable as exc:
        _log(str(exc))
        return 3
    finally:
        for server in servers.values():
            server.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "remote.json").write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n")
    (args.out / "remote.md").write_text(markdown(res))
    _log(f"wrote {args.out / 'remote.json'} and {args.out / 'remote.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
