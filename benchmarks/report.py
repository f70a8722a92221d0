"""Tables and the growth plot of a benchmark run: results.md, figures.md, growth.csv, growth.png.

    .venv/bin/python -m benchmarks.report [benchmarks/results/results.json]
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

# the goals of the national-scale issue (#20): seconds, MB
GOALS_SHIPPED = {"build": 5.0, "query_cold": 1.0, "answer_warm": 0.1}
GOALS_X100 = {"answer_warm": 0.3}
GOALS_X300 = {"build": 180.0, "rebuild": 30.0, "validate": 240.0, "memory_mb": 4096.0,
              "answer_warm": 1.0}
RATIO_GOALS = {"queries": 20.0, "validate": 10.0, "build": 5.0}


def _s(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "–"
    if x < 0.01:
        return f"{x * 1000:.1f} ms"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    return f"{x:.{digits}f} s"


def _mb(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f} MB"


def _n(x: int | float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def _verdict(value: float | None, goal: float, *, lower_is_better: bool = True) -> str:
    if value is None:
        return "not measured"
    ok = value <= goal if lower_is_better else value >= goal
    if ok:
        return "met"
    factor = value / goal if lower_is_better else goal / value
    return f"**missed** (×{factor:.1f})"


def _warm(ds: dict[str, Any]) -> list[dict[str, Any]]:
    """The warm measurements that ran."""
    return [q for q in ds.get("query_warm", {}).get("queries", []) if "oxigraph" in q]


def _warm_skipped(ds: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for q in ds.get("query_warm", {}).get("queries", []) if "skipped" in q]


def _query_cold_max(ds: dict[str, Any]) -> tuple[str | None, float | None]:
    best: tuple[str | None, float | None] = (None, None)
    for key, s in ds.get("query_cold", {}).items():
        value = s.get("timeout") or s.get("seconds")  # a stopped run counts as its limit
        if value is not None and (best[1] is None or value > best[1]):
            best = (key, value)
    return best


def _query_warm_max(ds: dict[str, Any]) -> tuple[str | None, float | None]:
    best: tuple[str | None, float | None] = (None, None)
    for q in _warm(ds):
        if best[1] is None or q["oxigraph"] > best[1]:
            best = (f"{q['query']} [{q['set']}]", q["oxigraph"])
    return best


def _peak(ds: dict[str, Any]) -> tuple[str, float | None]:
    best: tuple[str, float | None] = ("", None)
    for step in ("build_cold", "build_warm", "validate"):
        v = ds.get(step, {}).get("peak_mb")
        if v is not None and (best[1] is None or v > best[1]):
            best = (step, v)
    for key, s in ds.get("query_cold", {}).items():
        v = s.get("peak_mb")
        if v is not None and (best[1] is None or v > best[1]):
            best = (f"query {key}", v)
    v = ds.get("answers", {}).get("peak_mb")
    if v is not None and (best[1] is None or v > best[1]):
        best = ("every answer in one process", v)
    return best


def _ratio_text(r: float | None, lower_bound: bool = False) -> str:
    if r is None:
        return "–"
    return f"{'> ' if lower_bound else ''}{r:.1f}×"


def _query_ratios(ds: dict[str, Any]) -> list[float]:
    return [q["rdflib"] / q["oxigraph"] for q in _warm(ds)
            if q.get("rdflib") is not None and q["oxigraph"] > 0]


def _large(results: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    synth = [(k, d) for k, d in results["datasets"].items() if d.get("scale")]
    return max(synth, key=lambda kd: kd[1]["scale"]) if synth else None


# --- sections ------------------------------------------------------------------------------------

def _answer_warm_max(ds: dict[str, Any]) -> tuple[str | None, float | None]:
    """The slowest warm answer of the answers step (every stored question through
    ``queries.run``, paths, search); the slowest warm stored query where that step did not run."""
    found = ds.get("answers", {}).get("answers")
    if not found:
        return _query_warm_max(ds)
    slow = max(found, key=lambda a: a["warm"])
    return f"{slow['kind']} {slow['name']}", slow["warm"]


def _at(results: dict[str, Any], scale: float) -> dict[str, Any] | None:
    return next((d for d in results["datasets"].values() if d.get("scale") == scale), None)


def goals(results: dict[str, Any]) -> str:
    rows: list[list[str]] = []
    sh = results["datasets"].get("shipped")
    if sh:
        cold = sh.get("build_cold", {}).get("seconds")
        rows.append(["shipped: build into an empty store", "≤ 5 s", _s(cold),
                     _verdict(cold, GOALS_SHIPPED["build"])])
        key, qc = _query_cold_max(sh)
        rows.append([f"shipped: cold `jobgraph query` process, slowest ({key})", "≤ 1 s",
                     _s(qc), _verdict(qc, GOALS_SHIPPED["query_cold"])])
        key, aw = _answer_warm_max(sh)
        rows.append([f"shipped: every answer warm, slowest ({key})", "≤ 100 ms", _s(aw),
                     _verdict(aw, GOALS_SHIPPED["answer_warm"])])
    x100 = _at(results, 100)
    if x100:
        key, aw = _answer_warm_max(x100)
        rows.append([f"×100: every answer warm, slowest ({key})", "≤ 300 ms", _s(aw),
                     _verdict(aw, GOALS_X100["answer_warm"])])
    x300 = _at(results, 300)
    if x300:
        for step, text, goal in (("build_cold", "build into an empty store", "build"),
                                 ("build_warm", "rebuild after editing one referential",
                                  "rebuild"),
                                 ("validate", "validate (--no-reason)", "validate")):
            x = x300.get(step, {}).get("seconds")
            rows.append([f"×300: {text}", f"≤ {GOALS_X300[goal]:g} s", _s(x),
                         _verdict(x, GOALS_X300[goal])])
        step, pk = _peak(x300)
        rows.append([f"×300: peak memory of any jobgraph command ({step})", "≤ 4 GB", _mb(pk),
                     _verdict(pk, GOALS_X300["memory_mb"])])
        key, aw = _answer_warm_max(x300)
        rows.append([f"×300: every answer warm, slowest ({key})", "≤ 1 s", _s(aw),
                     _verdict(aw, GOALS_X300["answer_warm"])])
    return _table(["goal", "target", "measured (median)", "status"], rows)


def answers_table(d: dict[str, Any]) -> str:
    """Every answer of the answers step: first in a fresh process, then warm."""
    rows = [[a["kind"], a["name"], _s(a["first"]), _s(a["warm"]), str(a["runs"]),
             _n(a.get("rows"))] for a in d.get("answers", {}).get("answers", [])]
    return _table(["kind", "answer", "first (fresh process)", "warm (median)", "warm runs",
                   "rows"], rows)


def ratios(results: dict[str, Any]) -> str:
    rows = []
    for d in results["datasets"].values():
        q = _query_ratios(d)
        timeouts = sum(1 for x in _warm(d)
                       if x.get("rdflib") is None and not x.get("rdflib_not_run"))
        qtext = "–" if q or not any(x.get("rdflib_not_run") for x in _warm(d)) else \
            "rdflib not run at this scale (--rdflib-max-scale)"
        if q:
            qtext = (f"median {statistics_median(q):.0f}×, min {min(q):.0f}× "
                     f"({len(q)} query runs)")
        if timeouts:
            qtext += f"; {timeouts} rdflib run(s) > {d['query_warm'].get('rdflib_timeout'):g} s"
        vn = d.get("validate_vs_naive") or {}
        naive = d.get("naive_shacl", {})
        vtext = _ratio_text(vn.get("ratio"), vn.get("lower_bound", False))
        if naive.get("skipped"):
            vtext = "> (naive " + naive["skipped"] + ")"
        elif vn.get("lower_bound"):
            vtext += f" (naive stopped at {naive.get('timeout'):g} s)"
        bc = d.get("build_cold_vs_bulkload")
        bw = d.get("build_warm_vs_bulkload")
        rows.append([d["label"], _n(d.get("triples")), qtext, vtext,
                     f"cold {_ratio_text(bc)}, warm {_ratio_text(bw)}"])
    return _table(["data", "triples", "queries: rdflib ÷ embedded (goal ≥ 20×)",
                   "validate: naive pyshacl ÷ jobgraph (goal ≥ 10×)",
                   "build ÷ bulk load of its output (goal ≤ 5×)"], rows)


def statistics_median(xs: list[float]) -> float:
    import statistics

    return float(statistics.median(xs))


def steps(results: dict[str, Any]) -> str:
    rows = []
    for _name, d in results["datasets"].items():
        for step, text in (("build_cold", "build, cold"), ("build_warm", "build, warm"),
                           ("bulkload", "pyoxigraph bulk load of the output"),
                           ("validate", "validate --no-reason"),
                           ("validate_owl", "validate with OWL check")):
            s = d.get(step)
            if not s:
                continue
            n = len(s["runs"])
            rows.append([d["label"], text, _s(s["seconds"]), _s(s.get("cpu")), _mb(s["peak_mb"]),
                         str(n) + (f" ({len(s['failed'])} failed)" if s["failed"] else "")])
        naive = d.get("naive_shacl", {})
        if naive.get("skipped"):
            rows.append([d["label"], "naive pyshacl (whole graph)", naive["skipped"], "", "", "0"])
        elif naive:
            t = naive.get("seconds")
            txt = f"> {naive['timeout']:g} s (stopped)" if naive.get("code") is None else _s(t)
            rows.append([d["label"], "naive pyshacl (whole graph)", txt, _s(naive.get("cpu")),
                         _mb(naive.get("peak_mb")), "1"])
    return _table(["data", "step", "wall (median)", "CPU (median)", "peak memory", "runs"], rows)


def phases(results: dict[str, Any]) -> str:
    rows = []
    keys: list[str] = []
    for d in results["datasets"].values():
        for k in d.get("validate_phases", {}):
            if k not in keys:
                keys.append(k)
    for d in results["datasets"].values():
        ph = d.get("validate_phases", {})
        counts = d.get("validate_counts", {})
        rows.append([d["label"], *(_s(ph.get(k)) for k in keys),
                     f"{counts.get('violation', '?')} / {counts.get('warning', '?')}"])
    return _table(["data", *keys, "violations / warnings"], rows)


def warm_table(d: dict[str, Any]) -> str:
    rows = []
    for q in _warm(d):
        rd = q.get("rdflib")
        ratio = f"{rd / q['oxigraph']:.0f}×" if rd is not None and q["oxigraph"] > 0 else "–"
        rdtext = (_s(rd) if rd is not None else "not run" if q.get("rdflib_not_run")
                  else f"> {d['query_warm']['rdflib_timeout']:g} s")
        agree = {True: "yes", False: "**no**", None: "–"}[q.get("agree")]
        rows.append([q["query"], q["set"], _n(q["rows"]), _s(q["oxigraph"]), rdtext, ratio,
                     agree, f"{q['oxigraph_runs']} / {q['rdflib_runs']}"])
    for q in _warm_skipped(d):
        rows.append([q["query"], q["set"], "–", f"not run: {q['skipped']}", "–", "–", "–", "0"])
    return _table(["query", "parameters", "rows", "embedded (pyoxigraph)", "rdflib", "ratio",
                   "same rows", "runs"], rows)


def cold_table(results: dict[str, Any]) -> str:
    keys: list[str] = []
    for d in results["datasets"].values():
        for k in d.get("query_cold", {}):
            if k not in keys:
                keys.append(k)
    names = list(results["datasets"])
    rows = []
    for k in keys:
        cells = []
        for n in names:
            s = results["datasets"][n].get("query_cold", {}).get(k)
            if s and s.get("timeout"):
                cells.append(f"> {s['timeout']:g} s (stopped)")
            else:
                cells.append(f"{_s(s['seconds'])}, {_mb(s['peak_mb'])}" if s else "–")
        rows.append([k, *cells])
    return _table(["query [parameters]", *(results["datasets"][n]["label"] for n in names)], rows)


# --- growth --------------------------------------------------------------------------------------

def growth_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    synth = sorted((d for d in results["datasets"].values() if d.get("scale")),
                   key=lambda d: d["scale"])
    slow_key = None
    if synth:
        last = synth[-1]
        warm = _warm(last)
        if warm:
            q = max(warm, key=lambda x: x["oxigraph"])
            slow_key = (q["query"], q["set"])
    for d in synth:
        row: dict[str, Any] = {"scale": d["scale"], "triples": d.get("triples"),
                               "curated_triples": d.get("curated_triples")}
        for step in ("build_cold", "build_warm", "validate"):
            row[f"{step}_s"] = d[step]["seconds"]
            row[f"{step}_mb"] = d[step]["peak_mb"]
        row["answer"], row["answer_warm_s"] = _answer_warm_max(d)
        if slow_key:
            for q in _warm(d):
                if (q["query"], q["set"]) == slow_key:
                    row["query_warm_s"] = q["oxigraph"]
            cold = d.get("query_cold", {}).get(f"{slow_key[0]} [{slow_key[1]}]", {})
            row["query_cold_s"] = cold.get("seconds")
            row["query_cold_mb"] = cold.get("peak_mb")
            row["query"] = f"{slow_key[0]} [{slow_key[1]}]"
        out.append(row)
    return out


def _exponent(a: float | None, b: float | None, na: float, nb: float) -> str:
    if not a or not b or na <= 0 or nb <= na:
        return "–"
    return f"{math.log(b / a) / math.log(nb / na):.2f}"


def growth(results: dict[str, Any]) -> str:
    rows_data = growth_rows(results)
    if not rows_data:
        return "(no synthetic scale measured)\n"
    rows = []
    for r in rows_data:
        rows.append([f"×{r['scale']:g}", _n(r["triples"]), _n(r["curated_triples"]),
                     f"{_s(r['build_cold_s'])}, {_mb(r['build_cold_mb'])}",
                     f"{_s(r['build_warm_s'])}, {_mb(r['build_warm_mb'])}",
                     f"{_s(r['validate_s'])}, {_mb(r['validate_mb'])}",
                     f"{_s(r.get('query_warm_s'))} warm; {_s(r.get('query_cold_s'))}, "
                     f"{_mb(r.get('query_cold_mb'))} cold process",
                     f"{_s(r.get('answer_warm_s'))} ({r.get('answer') or '–'})"])
    text = _table(["scale", "triples", "curated triples", "build cold", "build warm",
                   "validate", f"slowest query's own SPARQL ({rows_data[-1].get('query', '?')})",
                   "slowest answer, warm"], rows)
    exps = []
    for a, b in itertools.pairwise(rows_data):
        na, nb = a["curated_triples"], b["curated_triples"]
        exps.append([f"×{a['scale']:g} → ×{b['scale']:g}",
                     _exponent(a["build_cold_s"], b["build_cold_s"], na, nb),
                     _exponent(a["build_warm_s"], b["build_warm_s"], na, nb),
                     _exponent(a["validate_s"], b["validate_s"], na, nb),
                     _exponent(a.get("query_warm_s"), b.get("query_warm_s"), na, nb),
                     _exponent(a.get("answer_warm_s"), b.get("answer_warm_s"), na, nb),
                     _exponent(a["build_cold_mb"], b["build_cold_mb"], na, nb),
                     _exponent(a["validate_mb"], b["validate_mb"], na, nb)])
    text += "\nLocal growth exponents k in time ∝ (curated triples)^k between two scales "
    text += "(1 = linear; below 1 while fixed costs, ROME above all, still weigh):\n\n"
    text += _table(["between", "build cold", "build warm", "validate", "slowest query (warm)",
                    "slowest answer (warm)", "build memory", "validate memory"], exps)
    return text


def plot(results: dict[str, Any], path: Path) -> bool:
    rows = growth_rows(results)
    if len(rows) < 2:
        return False
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    # against the curated triples: ROME's ~445k triples and the ontology's ~1k are the same at
    # every scale, and would squeeze the scales together on a log axis
    x = [r["curated_triples"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    series = [("build_cold_s", "build (cold)"), ("build_warm_s", "build (warm)"),
              ("validate_s", "validate --no-reason"),
              ("query_cold_s", "slowest query, cold process"),
              ("query_warm_s", "slowest query's own SPARQL, warm"),
              ("answer_warm_s", "slowest answer, warm")]
    for key, label in series:
        ys = [r.get(key) for r in rows]
        if all(y is not None for y in ys):
            a.plot(x, ys, marker="o", label=label)
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel("curated triples (+ 446k of ROME and ontology)")
    a.set_ylabel("seconds (median)")
    a.set_title("Time")
    a.grid(True, which="both", alpha=0.3)
    a.legend(fontsize=8)
    for key, label in (("build_cold_mb", "build (cold)"), ("build_warm_mb", "build (warm)"),
                       ("validate_mb", "validate"), ("query_cold_mb", "slowest query process")):
        ys = [r.get(key) for r in rows]
        if all(y is not None for y in ys):
            b.plot(x, ys, marker="o", label=label)
    b.axhline(4096, color="grey", linestyle="--", linewidth=1, label="4 GB goal (×300)")
    b.set_xscale("log")
    b.set_xlabel("curated triples (+ 446k of ROME and ontology)")
    b.set_ylabel("peak resident memory, MB")
    b.set_title("Memory")
    b.grid(True, which="both", alpha=0.3)
    b.legend(fontsize=8)
    labels = ", ".join(f"×{r['scale']:g}" for r in rows)
    fig.suptitle(f"jobgraph growth on synthetic data ({labels})", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def conditions(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"- run {results['started']}, {results.get('minutes', '?')} min; "
        f"{m['cpus']} CPUs, {m['memory_mb']:,} MB RAM; {m['platform']}",
        f"- Python {m['python']}, pyoxigraph {m['pyoxigraph']}, rdflib {m['rdflib']}, "
        f"pyshacl {m['pyshacl']}, owlready2 {m['owlready2']}; peak memory from "
        f"{m['peak_memory_from']}",
        f"- load average (1, 5, 15 min) at start {results.get('load_start')}, at end "
        f"{results.get('load_end')}; per data set: "
        + "; ".join(f"{d['label']} {d.get('load_start')}" for d in results["datasets"].values()),
    ]
    if results.get("steps"):
        lines.append(f"- this run measured only {', '.join(results['steps'])}; the other figures "
                     f"come from the run of {results.get('previous_run')}")
    s = results["settings"]
    lines.append(f"- runs per command {s['runs']} (×100: {s['runs_large']}); cold query "
                 f"processes {s['query_runs']} runs (×100: ≤ 3); warm queries {s['warm_runs']} "
                 f"pairs (×100: {s['warm_runs_large']}); rdflib run cut at "
                 f"{s['rdflib_timeout']:g} s (×100: {s['rdflib_timeout_large']:g} s); naive "
                 f"pyshacl cut at {s['naive_timeout']:g} s")
    return "\n".join(lines) + "\n"


def sizes(results: dict[str, Any]) -> str:
    rows = []
    for d in results["datasets"].values():
        rows.append([d["label"], _n(d.get("triples")), _n(d.get("curated_triples")),
                     _n(d.get("rome_triples")), _n(d.get("graphs")),
                     f"{d.get('graph_file_mb', '–')} MB"])
    return _table(["data", "triples", "curated", "ROME", "named graphs", "N-Quads file"], rows)


def write_all(results: dict[str, Any], out: Path) -> None:
    """Write results.md, figures.md, growth.csv and growth.png next to results.json."""
    has_plot = plot(results, out / "growth.png")
    parts = ["# Benchmark results\n", "Written by `python -m benchmarks` "
             "(see ../README.md for what each figure means).\n", "## Conditions\n",
             conditions(results), "\n## Data\n", sizes(results), "\n## Goals\n", goals(results),
             "\n## Ratios against the naive stack (same run, pair by pair)\n", ratios(results),
             "\n## Steps (whole processes)\n", steps(results),
             "\n## Validation phases (seconds, from the report of the last run)\n",
             phases(results)]
    for _name, d in results["datasets"].items():
        if d.get("answers", {}).get("answers"):
            parts += [f"\n## Every answer, {d['label']} (one process: first answer, then warm; "
                      "as the web application gives them)\n", answers_table(d)]
        if _warm(d):
            parts += [f"\n## Warm queries, {d['label']} (median; embedded and rdflib in one "
                      "process, alternating)\n", warm_table(d)]
            if d.get("skipped_queries"):
                parts.append("\nSkipped: " + "; ".join(
                    f"{s['query']} ({s['reason']})" for s in d["skipped_queries"]) + "\n")
    parts += ["\n## Cold `jobgraph query` processes (median wall time, peak memory)\n",
              cold_table(results), "\n## Growth\n", growth(results)]
    if has_plot:
        parts.append("\n![growth](growth.png)\n")
    (out / "results.md").write_text("".join(parts), encoding="utf-8")
    (out / "figures.md").write_text(figures(results), encoding="utf-8")
    rows = growth_rows(results)
    if rows:
        keys = list(rows[-1])
        lines = [",".join(keys)] + [",".join("" if r.get(k) is None else str(r.get(k))
                                            for k in keys) for r in rows]
        (out / "growth.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def figures(results: dict[str, Any]) -> str:
    """The compact table for the main README's Performance section."""
    ds = results["datasets"]
    cols = [n for n in ("shipped", "x1", "x10", "x100", "x300") if n in ds]
    head = ["", *(ds[n]["label"] + f" ({ds[n].get('triples', 0) / 1e6:.2f} M triples)"
                  for n in cols)]

    def row(label: str, f: Any) -> list[str]:
        return [label, *(f(ds[n]) for n in cols)]

    rows = [
        row("build, warm (one referential edited)",
            lambda d: f"{_s(d['build_warm']['seconds'])}, {_mb(d['build_warm']['peak_mb'])}"),
        row("build, cold (empty store)",
            lambda d: f"{_s(d['build_cold']['seconds'])}, {_mb(d['build_cold']['peak_mb'])}"),
        row("validate --no-reason",
            lambda d: f"{_s(d['validate']['seconds'])}, {_mb(d['validate']['peak_mb'])}"),
        row("naive pyshacl, whole graph",
            lambda d: (d.get("naive_shacl", {}).get("skipped") and "not run (timed out below)")
            or (f"> {d['naive_shacl']['timeout']:g} s" if d.get("naive_shacl", {}).get("code")
                is None else _s(d["naive_shacl"].get("seconds")))),
        row("slowest stored query, cold process", lambda d: _s(_query_cold_max(d)[1])),
        row("slowest stored query's own SPARQL, warm", lambda d: _s(_query_warm_max(d)[1])),
        row("slowest answer, warm (queries, paths, search)", lambda d: _s(_answer_warm_max(d)[1])),
        row("queries: rdflib ÷ embedded (median)",
            lambda d: f"{statistics_median(_query_ratios(d)):.0f}×" if _query_ratios(d) else "–"),
    ]
    return ("<!-- written by python -m benchmarks; paste into README.md's Performance section -->\n"
            + _table(head, rows))


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    path = Path(args[0]) if args else Path(__file__).with_name("results") / "results.json"
    results = json.loads(path.read_text())
    write_all(results, path.parent)
    sys.stdout.write(f"written next to {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
