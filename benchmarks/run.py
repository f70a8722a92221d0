"""The benchmark: build, validate and every stored query on the shipped and synthetic data.

    .venv/bin/python -m benchmarks [--scales 1,10,100] [--runs N] [--quick] [--work DIR]

Every figure is the median of whole-process runs (``jobgraph …`` as a user runs it), with peak
memory; each comparison with a naive stack is taken run by run, in the same run of the benchmark,
because the machine is shared and noisy. Results go to ``benchmarks/results/`` (JSON, Markdown,
a growth plot); data and stores to a work folder (not committed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .generate import SHIPPED_DATA, generate
from .procs import Measure, measure, median, summary

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_WORK = Path(os.environ.get("TMPDIR", "/tmp")) / "jobgraph-bench"
LONG = 3600.0  # seconds: a jobgraph command that takes longer is reported as failed


def _jobgraph() -> list[str]:
    exe = Path(sys.executable).with_name("jobgraph")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jobgraph.cli"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(ROOT), env.get("PYTHONPATH", "")) if x)
    env.pop("JOBGRAPH_STORE", None)
    return env


def _log(text: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {text}\n")
    sys.stderr.flush()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@dataclass
class Settings:
    runs: int
    runs_large: int
    query_runs: int
    warm_runs: int
    warm_runs_large: int
    rdflib_timeout: float
    rdflib_timeout_large: float
    naive_timeout: float
    query_timeout: float
    warm_budget: float
    owl_max_scale: float
    rdflib_max_scale: float
    work: Path


class Dataset:
    """One data folder under measurement, with its stores and its graph file."""

    def __init__(self, name: str, label: str, scale: float | None, work: Path) -> None:
        self.name, self.label, self.scale = name, label, scale
        self.root = work / name
        self.data = self.root / "data"
        self.store = self.root / "store"          # the maintainer's store, kept between runs
        self.cold = self.root / "store-cold"      # emptied before each cold build
        self.graph = self.root / "graph.nq"       # what `jobgraph build -o` writes
        self.result: dict[str, Any] = {"label": label, "scale": scale}

    @property
    def large(self) -> bool:
        return (self.scale or 1) >= 100


def prepare(ds: Dataset, *, seed: int, regenerate: bool) -> None:
    marker = ds.root / "generated.json"
    wanted = {"scale": ds.scale, "seed": seed}
    if ds.scale is None:
        if ds.data.exists():
            shutil.rmtree(ds.data)
        shutil.copytree(SHIPPED_DATA, ds.data, symlinks=True)
    elif regenerate or not marker.exists() or json.loads(marker.read_text()) != wanted:
        t = time.perf_counter()
        s = generate(ds.root, scale=ds.scale, seed=seed)
        ds.result["generated_seconds"] = round(time.perf_counter() - t, 2)
        marker.write_text(json.dumps(wanted))
        _log(f"{ds.name}: generated {s.referentials} referentials, {s.jobs} jobs")
    for d in (ds.store, ds.cold):
        shutil.rmtree(d, ignore_errors=True)


def _jg(ds: Dataset, *args: str, timeout: float = LONG) -> Measure:
    cmd = [*_jobgraph(), args[0], "--data", str(ds.data), *args[1:]]
    m = measure(cmd, timeout=timeout, cwd=ds.root, env=_env())
    if m.code != 0 and not (args[0] == "validate" and m.code == 1):
        _log(f"  {' '.join(args[:1])} exited {m.code}: {m.stderr.strip()[-500:]}")
    return m


def _worker(ds: Dataset, *args: str, timeout: float) -> Measure:
    return measure([sys.executable, "-m", "benchmarks.workers", *args], timeout=timeout,
                   cwd=ROOT, env=_env())


_TOGGLE = " (bis)"


def toggle_label(ds: Dataset) -> str:
    """Change one job label of the first referential (add or remove a suffix): the edit a
    maintainer makes before a rebuild."""
    for jobs in sorted(ds.data.glob("*/jobs.yaml")):
        text = jobs.read_text(encoding="utf-8")
        m = re.search(r"^(\s*-?\s*label:\s*)([\"']?)(.*?)\2[ \t]*$", text, re.MULTILINE)
        if not m:
            continue
        label = m.group(3)
        new = label[: -len(_TOGGLE)] if label.endswith(_TOGGLE) else label + _TOGGLE
        text = text[: m.start(3)] + new + text[m.end(3):]
        jobs.write_text(text, encoding="utf-8")
        return f"{jobs.relative_to(ds.data)}: {label!r} -> {new!r}"
    raise RuntimeError(f"no job label to change under {ds.data}")


def _toggled(ds: Dataset) -> bool:
    for jobs in sorted(ds.data.glob("*/jobs.yaml")):
        m = re.search(r"^\s*-?\s*label:\s*([\"']?)(.*?)\1[ \t]*$", jobs.read_text(encoding="utf-8"),
                      re.MULTILINE)
        if m:
            return m.group(2).endswith(_TOGGLE)
    return False


def _counts(build_stdout: str) -> dict[str, int]:
    graphs = {m.group(1): int(m.group(2))
              for m in re.finditer(r"^(\S+): (\d+) triples", build_stdout, re.MULTILINE)}
    total = re.search(r"built (\d+) triples", build_stdout)
    derived = graphs.pop("derived", 0)  # "derived: N triples, …": made from the others
    return {"triples": int(total.group(1)) if total else sum(graphs.values()),
            "rome_triples": graphs.get("rome", 0), "ontology_triples": graphs.get("ontology", 0),
            "curated_triples": sum(v for k, v in graphs.items() if k not in ("rome", "ontology")),
            "derived_triples": derived, "graphs": len(graphs)}


def _ratios(slow: list[Measure], fast: list[Measure]) -> float | None:
    pairs = [a.seconds / b.seconds for a, b in zip(slow, fast, strict=False)
             if not a.timed_out and not b.timed_out and a.code == 0 and b.seconds > 0]
    return round(statistics.median(pairs), 2) if pairs else None


def _runs(ds: Dataset, st: Settings) -> int:
    """Runs of each command: all on the shipped data, at most 3 on synthetic data, fewer at ×100."""
    if ds.large:
        return st.runs_large
    return st.runs if ds.scale is None else min(st.runs, 3)


# --- the steps -----------------------------------------------------------------------------------

def bench_build(ds: Dataset, st: Settings) -> None:
    runs = _runs(ds, st)
    first = _jg(ds, "build", "--store", str(ds.store), "-o", str(ds.graph))
    if first.code != 0:
        raise RuntimeError(f"{ds.name}: build failed: {first.stderr[-2000:]}")
    ds.result.update(_counts(first.stdout))
    ds.result["graph_file_mb"] = round(ds.graph.stat().st_size / 2**20, 1)
    _log(f"{ds.name}: {ds.result['triples']} triples ({ds.result['curated_triples']} curated)")
    cold, bulk = [], []
    for i in range(runs):
        shutil.rmtree(ds.cold, ignore_errors=True)
        cold.append(_jg(ds, "build", "--store", str(ds.cold)))
        target = ds.root / "bulk"
        shutil.rmtree(target, ignore_errors=True)
        bulk.append(_worker(ds, "bulkload", str(ds.graph), str(target), timeout=LONG))
        shutil.rmtree(target, ignore_errors=True)
        _log(f"  build run {i + 1}/{runs}: cold {cold[-1].seconds:.1f} s, bulk load "
             f"{bulk[-1].seconds:.1f} s")
    shutil.rmtree(ds.cold, ignore_errors=True)
    ds.result["build_cold"] = summary(cold)
    ds.result["bulkload"] = summary(bulk)
    ds.result["build_cold_vs_bulkload"] = _ratios(cold, bulk)
    bench_rebuild(ds, st)
    ds.result["build_warm_vs_bulkload"] = _ratios(ds.result.pop("_warm_runs"), bulk)


def bench_rebuild(ds: Dataset, st: Settings) -> None:
    """A maintainer's rebuild: the store and its caches are there (an untimed build first makes
    sure of it), one job label of one referential is changed, `jobgraph build` again."""
    _jg(ds, "build", "--store", str(ds.store))
    warm = []
    for i in range(_runs(ds, st)):
        edit = toggle_label(ds)
        warm.append(_jg(ds, "build", "--store", str(ds.store)))
        _log(f"  rebuild {i + 1}: {warm[-1].seconds:.1f} s, {warm[-1].peak_mb:.0f} MB ({edit})")
    if _toggled(ds):  # back to the data of the graph file, for the queries' comparison
        toggle_label(ds)
        _jg(ds, "build", "--store", str(ds.store))
    ds.result["build_warm"] = summary(warm)
    ds.result["_warm_runs"] = warm


def bench_validate(ds: Dataset, st: Settings, naive_skip: str | None) -> bool:
    """Validation (no OWL check) against naive pyshacl; True when the naive run timed out."""
    runs = _runs(ds, st)
    report = ds.root / "validate.json"
    ours: list[Measure] = []
    for _ in range(runs):
        ours.append(_jg(ds, "validate", "--no-reason", "--store", str(ds.store),
                        "--format", "json", "-o", str(report)))
        _log(f"  validate: {ours[-1].seconds:.1f} s, {ours[-1].peak_mb:.0f} MB")
    ds.result["validate"] = summary(ours)
    if report.exists():
        rep = json.loads(report.read_text())
        ds.result["validate_phases"] = rep["summary"]["seconds"]
        ds.result["validate_counts"] = rep["summary"]["counts"]
    timed_out = False
    if naive_skip:
        ds.result["naive_shacl"] = {"skipped": naive_skip, "timeout": st.naive_timeout}
    else:
        naive = _worker(ds, "pyshacl", str(ds.graph), timeout=st.naive_timeout)
        timed_out = naive.timed_out
        entry: dict[str, Any] = {"timeout": st.naive_timeout, **naive.brief()}
        if naive.code == 0:
            entry.update(json.loads(naive.stdout))
        elif not timed_out:
            entry["error"] = naive.stderr.strip()[-800:]
        ds.result["naive_shacl"] = entry
        mine = median([m.seconds for m in ours if m.code in (0, 1)])
        if mine:
            ratio = (st.naive_timeout if timed_out else naive.seconds) / mine
            ds.result["validate_vs_naive"] = {"ratio": round(ratio, 1), "lower_bound": timed_out}
        _log(f"  naive pyshacl: {'> ' if timed_out else ''}{naive.seconds:.0f} s, "
             f"{naive.peak_mb:.0f} MB")
    if (ds.scale or 1) <= st.owl_max_scale:
        owl: list[Measure] = []
        for _ in range(1 if ds.scale else runs):
            for cached in (ds.store / "cache").glob("owl-*.json"):
                cached.unlink()  # the reasoner runs, as after an edit of the data
            owl.append(_jg(ds, "validate", "--store", str(ds.store), "--format", "json",
                           "-o", str(ds.root / "validate-owl.json"), timeout=900))
        ds.result["validate_owl"] = summary(owl)
        _log(f"  validate with OWL check: {owl[-1].seconds:.1f} s")
    return timed_out


def bench_queries(ds: Dataset, st: Settings) -> None:
    from jobgraph.backends import OxigraphBackend
    from jobgraph.catalogue import list_queries

    from .params import pick, plans

    db = ds.store / "store" / "db"
    backend = OxigraphBackend.open(db)
    t = time.perf_counter()
    picks = pick(backend)
    found, skipped = plans(list_queries(), picks, backend)
    del backend
    ds.result["picks"] = {"job": picks.job, "target": picks.target,
                          "referential": picks.referential, "codes": picks.codes,
                          "seconds": round(time.perf_counter() - t, 2)}
    ds.result["skipped_queries"] = [s.__dict__ for s in skipped]
    runs = max(2, st.query_runs if not ds.large else min(st.query_runs, 3))
    cold: dict[str, Any] = {}
    for plan in found:
        ms: list[Measure] = []
        for _ in range(runs):
            ms.append(_jg(ds, "query", plan.query, *plan.cli_params(), "--store", str(ds.store),
                          "--format", "json", timeout=st.query_timeout))
            if ms[-1].timed_out:
                break  # one run past the limit says enough
        key = f"{plan.query} [{plan.set}]"
        cold[key] = summary(ms)
        cold[key]["timeout"] = st.query_timeout if ms[-1].timed_out else None
        done = [m for m in ms if m.code == 0]
        if done:
            cold[key]["rows"] = len(json.loads(done[-1].stdout)["results"]["bindings"])
        shown = (f"> {st.query_timeout:g} s" if ms[-1].timed_out
                 else f"{cold[key]['seconds'] or float('nan'):.2f} s")
        _log(f"  query {key}: cold process {shown}")
    ds.result["query_cold"] = cold
    plan_file = ds.root / "plan.json"
    items = []
    for p in found:
        item = p.as_json()
        c = cold.get(f"{p.query} [{p.set}]", {})
        if c.get("timeout"):
            item["skip"] = f"its cold process passed {c['timeout']:g} s"
        items.append(item)
    plan_file.write_text(json.dumps(items, indent=1))
    warm_runs = (st.warm_runs_large if ds.large else st.warm_runs if ds.scale is None
                 else max(1, st.warm_runs // 2))
    timeout = st.rdflib_timeout_large if ds.large else st.rdflib_timeout
    naive = [] if (ds.scale or 1) <= st.rdflib_max_scale else ["--no-rdflib"]
    w = _worker(ds, "queries", str(db), str(ds.graph), str(plan_file), "--runs", str(warm_runs),
                "--timeout", str(timeout), "--budget", str(st.warm_budget), *naive, timeout=LONG)
    entry: dict[str, Any] = {"runs": warm_runs, "rdflib_timeout": timeout, **w.brief()}
    if w.code == 0:
        entry.update(json.loads(w.stdout))
    else:
        entry["error"] = w.stderr.strip()[-1500:]
    ds.result["query_warm"] = entry


def bench_answers(ds: Dataset, st: Settings) -> None:
    """Every answer warm in one process, as the web application gives them
    (``benchmarks/answers.py``): the stored questions of the plan that ``bench_queries`` wrote,
    `jobgraph path` between the picked jobs, free-text search."""
    plan_file = ds.root / "plan.json"
    if not plan_file.exists():
        raise SystemExit(f"{plan_file}: no plan; measure the queries step first")
    picks = ds.result.get("picks", {})
    args = ["--runs", str(st.warm_runs_large if ds.large else st.warm_runs // 2)]
    if picks.get("job") and picks.get("target"):
        args += ["--job", picks["job"], "--target", picks["target"]]
    m = measure([sys.executable, "-m", "benchmarks.answers", str(ds.store), str(plan_file),
                 *args], timeout=LONG, cwd=ROOT, env=_env())
    entry: dict[str, Any] = m.brief()
    if m.code == 0:
        entry.update(json.loads(m.stdout))
        slow = max(entry["answers"], key=lambda a: a["warm"], default=None)
        if slow:
            _log(f"  answers: slowest warm {slow['kind']} {slow['name']} {slow['warm']:.3f} s, "
                 f"process {m.peak_mb:.0f} MB")
    else:
        entry["error"] = m.stderr.strip()[-1500:]
        _log(f"  answers failed: {entry['error'][-300:]}")
    ds.result["answers"] = entry


# --- the whole run -------------------------------------------------------------------------------

def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("jobgraph", "pyoxigraph", "rdflib", "pyshacl", "owlready2"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "?"
    return out


def _machine() -> dict[str, Any]:
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "memory_mb": mem, "platform": platform.platform(),
            "peak_memory_from": "/usr/bin/time -v" if Path("/usr/bin/time").exists()
            else "getrusage(RUSAGE_CHILDREN)", **_versions()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="1,10,100",
                    help="synthetic scales, multiples of the shipped referentials "
                    "(default 1,10,100)")
    ap.add_argument("--runs", type=int, default=5, help="runs of each command (default 5)")
    ap.add_argument("--runs-large", type=int, default=2,
                    help="runs of each command at ×100 and above (default 2)")
    ap.add_argument("--quick", action="store_true", help="×1 and ×10, one run: to try it out")
    ap.add_argument("--no-shipped", action="store_true", help="leave out the shipped data")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK,
                    help=f"folder for data and stores (default {DEFAULT_WORK})")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where results go")
    ap.add_argument("--naive-timeout", type=float, default=300.0,
                    help="seconds before naive pyshacl is stopped (default 300)")
    ap.add_argument("--query-timeout", type=float, default=60.0,
                    help="seconds before a `jobgraph query` process is stopped (default 60)")
    ap.add_argument("--naive-all", action="store_true",
                    help="run naive pyshacl at every scale, even above one where it timed out")
    ap.add_argument("--steps", default="build,validate,queries,answers",
                    help="steps to measure (default build,validate,queries,answers); the others "
                    "keep "
                    "the figures of the previous results.json and need the work folder of that "
                    "run; 'search' measures `jobgraph search` on the shipped data "
                    "(benchmarks/search.py, written to results/search.json); 'rebuild' measures "
                    "a maintainer's rebuild again, the rest of the build step kept")
    ap.add_argument("--rdflib-max-scale", type=float, default=100,
                    help="largest scale where the warm queries run on rdflib too (default 100: "
                    "at ×300 parsing the graph into rdflib alone takes minutes and GBs)")
    ap.add_argument("--merge", action="store_true",
                    help="keep the data sets of the previous results.json that this run does not "
                    "measure (to add ×300 to a run of the others, say)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--regenerate", action="store_true", help="write the synthetic data again")
    args = ap.parse_args(argv)

    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    st = Settings(runs=args.runs, runs_large=min(args.runs, args.runs_large), query_runs=3,
                  warm_runs=20, warm_runs_large=5, rdflib_timeout=60.0,
                  rdflib_timeout_large=30.0, naive_timeout=args.naive_timeout,
                  query_timeout=args.query_timeout, warm_budget=15.0, owl_max_scale=10,
                  rdflib_max_scale=args.rdflib_max_scale,
                  work=args.work)
    if args.quick:
        scales = [1, 10]
        st.runs = st.runs_large = 1
        st.query_runs = 2
        st.warm_runs = st.warm_runs_large = 3
        st.naive_timeout = min(st.naive_timeout, 120.0)
        st.owl_max_scale = 1
    args.work.mkdir(parents=True, exist_ok=True)
    datasets: list[Dataset] = []
    if not args.no_shipped:
        datasets.append(Dataset("shipped", "shipped data", None, args.work))
    for s in scales:
        name = f"x{s:g}"
        datasets.append(Dataset(name, f"synthetic ×{s:g}", s, args.work))

    started = time.time()
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": _machine(), "load_start": _load(),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in st.__dict__.items()},
        "datasets": {},
    }
    naive_timed_out: tuple[str, int] | None = None  # (data, triples) where pyshacl was stopped
    steps = {s.strip() for s in args.steps.split(",") if s.strip()}
    previous: dict[str, Any] = {}
    if steps != {"build", "validate", "queries", "answers"} or args.merge:
        old = args.out / "results.json"
        previous = json.loads(old.read_text()) if old.exists() else {}
        results["steps"] = sorted(steps)
        results["previous_run"] = previous.get("started")
    if args.merge:  # the other data sets as they were measured, each with its own conditions
        measured = {ds.name for ds in datasets}
        results["datasets"] = {k: v for k, v in previous.get("datasets", {}).items()
                               if k not in measured}
    if "search" in steps:
        from .search import RESULTS as SEARCH_RESULTS
        from .search import measure as measure_search
        from .search import report as search_report

        _log(f"== search (load {_load()})")
        found = measure_search(args.work / "search-store", runs=st.runs)
        SEARCH_RESULTS.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n",
                                  encoding="utf-8")
        _log(search_report(found))
        results["search"] = {"results": str(SEARCH_RESULTS.relative_to(ROOT))}
        steps.discard("search")
        if not steps:
            return 0
    for ds in datasets:
        _log(f"== {ds.label} (load {_load()})")
        ds.result = {**previous.get("datasets", {}).get(ds.name, {}), **ds.result}
        ds.result["load_start"] = _load()
        if "build" in steps:
            prepare(ds, seed=args.seed, regenerate=args.regenerate)
            bench_build(ds, st)
        elif "rebuild" in steps:
            bench_rebuild(ds, st)
            ds.result.pop("_warm_runs")
        elif not (ds.store / "store" / "db").exists() or not ds.graph.exists():
            raise SystemExit(f"{ds.root}: no store or graph file of a previous run; "
                             "measure the build step first")
        skip = None
        if naive_timed_out and not args.naive_all and ds.result["triples"] >= naive_timed_out[1]:
            skip = (f"not run: it passed the {st.naive_timeout:g} s timeout on "
                    f"{naive_timed_out[0]} ({naive_timed_out[1]:,} triples)")
        if "validate" in steps and bench_validate(ds, st, skip):
            naive_timed_out = (ds.label, ds.result["triples"])
        if "queries" in steps:
            bench_queries(ds, st)
        if "answers" in steps:
            bench_answers(ds, st)
        ds.result["load_end"] = _load()
        results["datasets"][ds.name] = ds.result
        _save(results, args.out, partial=True)
    results["load_end"] = _load()
    results["minutes"] = round((time.time() - started) / 60, 1)
    _save(results, args.out, partial=False)
    _log(f"done in {results['minutes']} min; results in {args.out}")
    return 0


def _save(results: dict[str, Any], out: Path, *, partial: bool) -> None:
    from .report import write_all

    out.mkdir(parents=True, exist_ok=True)
    results["datasets"] = dict(sorted(results["datasets"].items(),  # shipped, then by scale
                                      key=lambda kv: kv[1].get("scale") or 0))
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    if not partial:
        write_all(results, out)
