"""Measure `jobgraph search`: accuracy on evaluation/search-titles.csv of the engine, of its
lexical side alone (the engine before the meaning signal), of its meaning side alone
(embeddings) and of a plain TF-IDF baseline, all in the same run; `jobgraph rome suggest` on the
shipped jobs (each job left out of the index); speed (warm search, cold process, batch,
imports); and the index build (time and memory of a fresh process making it).

    .venv/bin/python -m benchmarks.search [--store DIR] [--runs N] [--misses] [--no-speed]
                                          [--no-build]
    .venv/bin/python -m benchmarks --steps search      # the same, from the harness

Writes benchmarks/results/search.json and prints the tables of README.md's Search section.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from jobgraph.backends import OxigraphBackend
from jobgraph.build import ensure_store
from jobgraph.namespaces import iri
from jobgraph.search import manifest_key, open_engine
from jobgraph.search.engine import Engine, spread
from jobgraph.suggest import WEIGHTS, curated_links, evaluate, job_texts
from jobgraph.terms import short_id
from jobgraph.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
TITLES = ROOT / "evaluation" / "search-titles.csv"
RESULTS = ROOT / "benchmarks" / "results" / "search.json"


def kind(source: str) -> str:
    return "esco" if source.startswith("http") else "hand" if source == "hand" else "referential"


def read_titles(path: Path = TITLES) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def left_out(row: dict[str, str]) -> list[str]:
    """The IRIs of the jobs the row leaves out (``<referential>/<id>`` in its leave_out)."""
    out = []
    for spec in row["leave_out"].split():
        ref, ident = spec.split("/", 1)
        out.append(str(iri(ref, "job", ident)))
    return out


class Baseline:
    """Plain TF-IDF: scikit-learn's character 3- to 5-grams within words over ROME's titles and
    appellations as printed (lower case, accents stripped), a fiche scored by its best title."""

    def __init__(self, engine: Engine) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        idx = engine.index
        rome = idx.entry_fiche >= 0
        self.codes = idx.codes
        self.fiche_of = idx.entry_fiche[rome]
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5),
                                          strip_accents="unicode", sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([e for e, r in zip(idx.entries, rome,
                                                                       strict=True) if r])

    def rank(self, title: str, top: int = 5) -> list[str]:
        sims = (self.matrix @ self.vectorizer.transform([title]).T).toarray().ravel()
        best = np.zeros(len(self.codes))
        np.maximum.at(best, self.fiche_of, sims)
        order = np.lexsort((np.arange(len(best)), -best))[:top]
        return [self.codes[i] for i in order if best[i] > 0]


def meaning_alone(engine: Engine, vector: Any, exclude: list[str]) -> list[str]:
    """The engine's meaning side alone: the fiches ranked by their meaning score (best title,
    second, jobs' links; title with domaine), the lexical signals left out."""
    skip = [k for k, j in enumerate(engine.index.jobs) if j.iri in exclude]
    _, fiche, _ = engine.meaning_scores(vector, skip)
    order = np.lexsort((np.arange(len(fiche)), -fiche))[:5]
    return [engine.index.codes[i] for i in order if fiche[i] > 0]


def nearest_title(engine: Engine, vector: Any) -> list[str]:
    """Embeddings at their plainest: the fiches of the ROME titles nearest the text."""
    n = int((engine.index.entry_fiche >= 0).sum())
    sims = engine.index.vectors[:n].astype(np.float32) @ vector
    best = np.full(len(engine.index.codes), -1.0)
    np.maximum.at(best, engine.index.entry_fiche[:n], spread(sims))
    order = np.lexsort((np.arange(len(best)), -best))[:5]
    return [engine.index.codes[i] for i in order]


def accuracy(rank: Any, rows: list[dict[str, str]], *, misses: list[str] | None = None
             ) -> dict[str, dict[str, Any]]:
    """Top-1 and top-5 per split and per source kind (and all kinds)."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        codes = rank(r)
        wanted = set(r["expected"].split())
        for key in ((r["split"], "all"), (r["split"], kind(r["source"]))):
            c = counts[key]
            c[0] += 1
            c[1] += bool(codes) and codes[0] in wanted
            c[2] += bool(wanted & set(codes[:5]))
        if misses is not None and not wanted & set(codes[:5]):
            misses.append(f"{r['split']} {kind(r['source'])}: {r['title']} | expected "
                          f"{r['expected']} | got {' '.join(codes[:5])}")
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for (split, k), (n, first, five) in sorted(counts.items()):
        out[split][k] = {"titles": n, "top1": round(first / n, 3), "top5": round(five / n, 3)}
    return dict(out)


def suggest_figures(engine: Engine, backend: OxigraphBackend) -> dict[str, Any]:
    """`rome suggest` on the shipped jobs: the curated code in the top 5, each job left out;
    per referential; and the weights chosen again without each referential in turn."""
    import itertools

    texts = job_texts(backend)
    links = curated_links(backend)
    (result,) = evaluate(engine, texts, links, top=5)
    missed = {m[0] for m in result.misses}
    by_ref: dict[str, list[bool]] = defaultdict(list)
    for job in sorted({x.job for x in links}):
        by_ref[short_id(job).split("/")[0]].append(job not in missed)
    grid = [dict(WEIGHTS, text=a, context=b, missions=c) for a, b, c in
            itertools.product([0.0, 0.25, 0.5, 1.0], [0.0, 0.25, 0.5, 1.0], [0.0, 0.2, 0.4])]
    refs = sorted(by_ref)
    hits_of: dict[int, dict[str, int]] = defaultdict(dict)
    for ref in refs:
        sub = [x for x in links if short_id(x.job).startswith(ref + "/")]
        for i, r in enumerate(evaluate(engine, texts, sub, weights=grid)):
            hits_of[i][ref] = r.hits
    held_out = 0
    for ref in refs:
        best = max(range(len(grid)),
                   key=lambda i: sum(v for r, v in hits_of[i].items() if r != ref))
        held_out += hits_of[best][ref]
    return {"jobs": result.jobs, "top5": result.hits, "share": round(result.share, 3),
            "first": result.first, "ms_per_job": round(result.seconds_per_job * 1000, 1),
            "by_referential": {r: [sum(v), len(v)] for r, v in sorted(by_ref.items())},
            "leave_one_referential_out": [held_out, result.jobs],
            "misses": [f"{short_id(j)}: curated {' '.join(g)}; top 5 {' '.join(t)}"
                       for j, g, t in result.misses]}


def _jobgraph() -> str:
    return str(Path(sys.executable).with_name("jobgraph"))


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    c0, t0 = _cpu_children(), time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0, _cpu_children() - c0


def speed(engine: Engine, store: Path, rows: list[dict[str, str]], runs: int,
          tmp: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "JOBGRAPH_STORE"}
    titles = [r["title"] for r in rows]
    # warm: every title once as a warm-up, then each timed
    for t in titles[:50]:
        engine.search(t)
    warm = []
    for t in titles:
        t0 = time.perf_counter()
        engine.search(t)
        warm.append(time.perf_counter() - t0)
    warm.sort()
    lexical = Engine(engine.index, meaning_weight=0, fiche_meaning_weight=0)
    warm_lexical = []
    for t in titles:
        t0 = time.perf_counter()
        lexical.search(t)
        warm_lexical.append(time.perf_counter() - t0)
    warm_lexical.sort()
    embed_one = []
    for t in titles[:200]:
        t0 = time.perf_counter()
        engine.embed([t])
        embed_one.append(time.perf_counter() - t0)
    embed_one.sort()
    t0 = time.perf_counter()
    engine.embed(titles)
    embed_batch = time.perf_counter() - t0
    data = ["--data", str(ROOT / "data"), "--store", str(store)]
    cold = [_timed([_jobgraph(), "search", "hôtesse d'acceuil", *data], env)
            for _ in range(runs)]
    imports = [_timed([sys.executable, "-c", "import jobgraph.cli, jobgraph.backends, "
                       "jobgraph.search.engine, bm25s, rapidfuzz"], env) for _ in range(runs)]
    python = [_timed([sys.executable, "-c", "pass"], env) for _ in range(runs)]
    batch_file = tmp / "titles.csv"
    batch_file.write_text(TITLES.read_text(encoding="utf-8"), encoding="utf-8")
    batch = [_timed([_jobgraph(), "search", "--input", str(batch_file), "--column", "title",
                     "--format", "csv", "-o", str(tmp / "out.csv"), *data], env)
             for _ in range(max(1, runs // 2))]

    def med(xs: list[tuple[float, float]], i: int) -> float:
        return round(statistics.median(x[i] for x in xs), 3)

    n = len(titles)
    return {
        "warm_ms": {"median": round(warm[len(warm) // 2] * 1000, 2),
                    "p95": round(warm[int(len(warm) * 0.95)] * 1000, 2),
                    "max": round(warm[-1] * 1000, 2), "titles": n},
        "warm_lexical_ms": {"median": round(warm_lexical[len(warm) // 2] * 1000, 2),
                            "p95": round(warm_lexical[int(len(warm) * 0.95)] * 1000, 2)},
        "embed_ms": {"one_median": round(embed_one[len(embed_one) // 2] * 1000, 2),
                     "one_p95": round(embed_one[int(len(embed_one) * 0.95)] * 1000, 2),
                     "batch_per_title": round(embed_batch / n * 1000, 2)},
        "cold_process_s": {"wall": med(cold, 0), "cpu": med(cold, 1), "min_wall":
                           round(min(x[0] for x in cold), 3), "runs": runs},
        "imports_s": {"wall": med(imports, 0), "cpu": med(imports, 1)},
        "python_startup_s": {"wall": med(python, 0), "cpu": med(python, 1)},
        "batch": {"titles": n, "wall_s": med(batch, 0), "cpu_s": med(batch, 1),
                  "titles_per_s": round(n / med(batch, 0), 1),
                  "in_process_titles_per_s": round(n / sum(warm), 1)},
    }


BUILD = """
import json, resource, sys, time
from pathlib import Path
from jobgraph.backends import OxigraphBackend
from jobgraph.search import index as ix
from jobgraph.workspace import Workspace
from jobgraph.search import manifest_key
spent = {}
embed_titles = ix.embed_titles
def timed(*a, **k):
    c, t = time.process_time(), time.perf_counter()
    out = embed_titles(*a, **k)
    spent.setdefault("embed_s", time.perf_counter() - t)  # the first build's
    spent.setdefault("embed_cpu_s", time.process_time() - c)
    return out
ix.embed_titles = timed
store, cache = Path(sys.argv[1]), Path(sys.argv[2])
ws = Workspace(store)
backend = OxigraphBackend.open(ws.db)
c, t = time.process_time(), time.perf_counter()
index = ix.open_index(backend, cache, data_key=manifest_key(ws.read_manifest()))
wall, cpu = time.perf_counter() - t, time.process_time() - c
size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
# the data changed (another key): the new index takes the embeddings of the old one by text
c, t = time.process_time(), time.perf_counter()
ix.open_index(backend, cache, data_key=str(manifest_key(ws.read_manifest())) + "-changed")
again_wall, again_cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({"wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                  "rebuild_wall_s": round(again_wall, 1), "rebuild_cpu_s": round(again_cpu, 1),
                  "embed_wall_s": round(spent["embed_s"], 1),
                  "embed_cpu_s": round(spent["embed_cpu_s"], 1),
                  "titles_embedded": len(index.entries) + len(index.codes),
                  "max_rss_mb": round(peak),
                  "cache_mb": round(size / 1e6, 1)}))
"""


def build_figures(store: Path, tmp: Path) -> dict[str, Any]:
    """The index made in a fresh process, into an empty cache folder: time, of which the
    embeddings, and the process's peak memory."""
    env = {k: v for k, v in os.environ.items() if k != "JOBGRAPH_STORE"}
    done = subprocess.run([sys.executable, "-c", BUILD, str(store), str(tmp / "cache")],
                          check=True, capture_output=True, text=True, env=env)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def measure(store: Path, *, runs: int = 5, with_speed: bool = True, with_build: bool = True,
            misses: bool = False) -> dict[str, Any]:
    db, _ = ensure_store(ROOT / "data", store)
    backend = OxigraphBackend.open(db)
    ws = Workspace(store)
    t0 = time.perf_counter()
    engine = open_engine(backend, ws.cache, data_key=manifest_key(ws.read_manifest()))
    opened = time.perf_counter() - t0
    rows = read_titles()
    miss_list: list[str] = []
    vectors = dict(zip((r["title"] for r in rows), engine.embed([r["title"] for r in rows]),
                       strict=True))
    ours = accuracy(lambda r: [f.code for f in engine.search(
        r["title"], top=5, jobs=0, exclude=left_out(r), vector=vectors[r["title"]]).fiches],
        rows, misses=miss_list if misses else None)
    lexical = Engine(engine.index, meaning_weight=0, fiche_meaning_weight=0)
    words_only = accuracy(lambda r: [f.code for f in lexical.search(
        r["title"], top=5, jobs=0, exclude=left_out(r)).fiches], rows)
    by_meaning = accuracy(lambda r: meaning_alone(engine, vectors[r["title"]], left_out(r)),
                          rows)
    nearest = accuracy(lambda r: nearest_title(engine, vectors[r["title"]]), rows)
    base = Baseline(engine)
    plain = accuracy(lambda r: base.rank(r["title"]), rows)
    out: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load": [round(x, 2) for x in os.getloadavg()],
        "index": {"titles": len(engine.index.entries), "fiches": len(engine.index.codes),
                  "jobs": len(engine.index.jobs), "items": len(engine.index.items),
                  "open_s": round(opened, 2)},
        "accuracy": {"engine": ours, "lexical": words_only, "meaning": by_meaning,
                     "nearest_title": nearest, "baseline_tfidf": plain},
        "rome_suggest": suggest_figures(engine, backend),
    }
    if misses:
        out["misses"] = miss_list
    if with_speed:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            out["speed"] = speed(engine, store, rows, runs, Path(tmp))
    if with_build:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            out["build"] = build_figures(store, Path(tmp))
    return out


ENGINES = (("engine", "engine"), ("lexical", "words alone"), ("meaning", "meaning alone"),
           ("nearest_title", "nearest ROME title"), ("baseline_tfidf", "plain TF-IDF"))


def report(res: dict[str, Any]) -> str:
    acc = res["accuracy"]
    names = [(k, label) for k, label in ENGINES if k in acc]
    lines = ["| split | titles | " + " | ".join(f"{label} top-1 | {label} top-5"
                                             for _, label in names) + " |",
             "| --- | ---: |" + " ---: | ---: |" * len(names)]
    for split in ("dev", "test"):
        for k in ("all", "esco", "referential", "hand"):
            e = acc["engine"][split].get(k)
            if e is None:
                continue
            label = f"{split}" if k == "all" else f"{split}, {k}"
            cells = " | ".join(f"{acc[n][split][k]['top1']:.3f} | {acc[n][split][k]['top5']:.3f}"
                               for n, _ in names)
            lines.append(f"| {label} | {e['titles']} | {cells} |")
    s = res["rome_suggest"]
    lines.append("")
    lines.append(f"rome suggest, shipped jobs (each left out): curated code in the top 5 for "
                 f"{s['top5']}/{s['jobs']} = {s['share']:.1%}, first {s['first']}; "
                 f"leave-one-referential-out weights: {s['leave_one_referential_out'][0]}/"
                 f"{s['leave_one_referential_out'][1]}; by referential "
                 + ", ".join(f"{r} {h}/{n}" for r, (h, n) in s["by_referential"].items()))
    sp = res.get("speed")
    if sp:
        lines.append(f"warm search: median {sp['warm_ms']['median']} ms, p95 "
                     f"{sp['warm_ms']['p95']} ms over {sp['warm_ms']['titles']} titles; cold "
                     f"`jobgraph search`: {sp['cold_process_s']['wall']} s wall, "
                     f"{sp['cold_process_s']['cpu']} s CPU (imports {sp['imports_s']['wall']} s "
                     f"wall, {sp['imports_s']['cpu']} s CPU; python alone "
                     f"{sp['python_startup_s']['wall']} s); batch: "
                     f"{sp['batch']['titles_per_s']} titles/s whole process "
                     f"({sp['batch']['in_process_titles_per_s']} in process, one by one)")
        if "warm_lexical_ms" in sp:
            lines.append(f"words alone: warm median {sp['warm_lexical_ms']['median']} ms, p95 "
                         f"{sp['warm_lexical_ms']['p95']} ms; embedding a title: median "
                         f"{sp['embed_ms']['one_median']} ms, p95 {sp['embed_ms']['one_p95']} "
                         f"ms alone, {sp['embed_ms']['batch_per_title']} ms a title in a batch")
    b = res.get("build")
    if b:
        lines.append(f"index build (fresh process): {b['wall_s']} s wall, {b['cpu_s']} s CPU, "
                     f"of which embedding {b['titles_embedded']} texts {b['embed_wall_s']} s "
                     f"wall, {b['embed_cpu_s']} s CPU; peak memory {b['max_rss_mb']} MB; "
                     f"cache {b['cache_mb']} MB; made again for changed data (the "
                     f"embeddings taken from the previous index): {b['rebuild_wall_s']} s wall, "
                     f"{b['rebuild_cpu_s']} s CPU")
    lines.append(f"load average {res['load']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, default=ROOT / ".jobgraph")
    ap.add_argument("--runs", type=int, default=5, help="runs of each timed process")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-build", action="store_true", help="do not time an index build")
    ap.add_argument("--misses", action="store_true", help="list the titles missed in the top 5")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    res = measure(args.store, runs=args.runs, with_speed=not args.no_speed,
                  with_build=not args.no_build, misses=args.misses)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report(res))
    if args.misses:
        print("\n".join(res["misses"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
