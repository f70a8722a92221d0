"""Measure `jobgraph search`: accuracy on evaluation/search-titles.csv of the engine, of its
lexical side alone (the engine before the meaning signal), of its meaning side alone
(embeddings) and of a plain TF-IDF baseline, all in the same run; `jobgraph rome suggest` on the
shipped jobs (each job left out of the index); speed (warm search, cold process, batch,
imports, memory); and the index build (time and memory of a fresh process making it, with an
empty and a filled cache of embeddings; with --unshipped also without the shipped ROME vectors).

    .venv/bin/python -m benchmarks.search [--store DIR] [--runs N] [--misses] [--no-speed]
                                          [--no-build] [--unshipped]
    .venv/bin/python -m benchmarks --steps search      # the same, from the harness

Writes benchmarks/results/search.json and prints the tables of README.md's Search section.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
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
from jobgraph.search import manifest_key, meaning, open_engine
from jobgraph.search.engine import Engine, spread
from jobgraph.suggest import WEIGHTS, curated_links, evaluate, job_texts
from jobgraph.terms import short_id
from jobgraph.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TITLES = ROOT / "evaluation" / "search-titles.csv"
RESULTS = ROOT / "benchmarks" / "results" / "search.json"


def kind(source: str) -> str:
    return "esco" if source.startswith("http") else "hand" if source == "hand" else "referential"


def batch(row: dict[str, str]) -> str | None:
    """The batch of a hand-written row written later than the first ones: its note begins with
    the date it was written (``2026-12-08h: …``); None for the others."""
    m = re.match(r"(\d{4}-\d{2}-\d{2}[a-z]?): ", row["note"])
    return m.group(1) if m and row["source"] == "hand" else None


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
    sims = engine._floats()[0][:n] @ vector
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
        keys = [(r["split"], "all"), (r["split"], kind(r["source"]))]
        if batch(r):
            keys.append((r["split"], f"hand {batch(r)}"))
        for key in keys:
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


# a command in a process that says its own peak memory: VmHWM (getrusage's maxrss of a child
# started by fork counts the parent's memory at the fork, this benchmark's hundreds of MB)
PEAK = """
import sys
from jobgraph.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as fh:
    kb = next(int(x.split()[1]) for x in fh if x.startswith("VmHWM:"))
print(kb // 1024, file=sys.stderr)
"""


def _peak_mb(args: list[str], env: dict[str, str]) -> int:
    done = subprocess.run([sys.executable, "-c", PEAK, *args], check=True, capture_output=True,
                          text=True, env=env)
    return int(done.stderr.strip().splitlines()[-1])


def _ms(xs: list[float], q: float) -> float:
    return round(sorted(xs)[min(len(xs) - 1, int(len(xs) * q))] * 1000, 2)


def speed(engine: Engine, store: Path, rows: list[dict[str, str]], runs: int,
          tmp: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "JOBGRAPH_STORE"}
    titles = [r["title"] for r in rows]
    # warm: a warm-up on other texts, then each title once, its embedding not kept from before
    for t in ("comptable", "agent de sécurité", "je répare des voitures", "developpeur web"):
        engine.search(t)
    meaning.forget()
    warm, asked = [], 0
    for t in titles:
        t0 = time.perf_counter()
        answer = engine.search(t)
        warm.append(time.perf_counter() - t0)
        asked += answer.meaning
    lexical = Engine(engine.index, words_only=True)
    warm_lexical = []
    for t in titles:
        t0 = time.perf_counter()
        lexical.search(t)
        warm_lexical.append(time.perf_counter() - t0)
    embed_one = []
    for t in titles[:200]:
        t0 = time.perf_counter()
        meaning.embed([engine.meaning_text(t)])
        embed_one.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    engine.embed(titles)
    embed_batch = time.perf_counter() - t0
    data = ["--data", str(DATA), "--store", str(store)]
    cold = [_timed([_jobgraph(), "search", "compta fournisseurs", *data], env)
            for _ in range(runs)]
    cold_exact = [_timed([_jobgraph(), "search", "hôtesse d'acceuil", *data], env)
                  for _ in range(runs)]
    imports = [_timed([sys.executable, "-c", "import jobgraph.cli, jobgraph.backends, "
                       "jobgraph.search.engine, bm25s, rapidfuzz"], env) for _ in range(runs)]
    python = [_timed([sys.executable, "-c", "pass"], env) for _ in range(runs)]
    batch_file = tmp / "titles.csv"
    batch_file.write_text(TITLES.read_text(encoding="utf-8"), encoding="utf-8")
    batch_args = ["search", "--input", str(batch_file), "--column", "title", "--format", "csv",
                  "-o", str(tmp / "out.csv"), *data]
    batch = [_timed([_jobgraph(), *batch_args], env) for _ in range(max(1, runs // 2))]
    batch_words = [_timed([_jobgraph(), *batch_args, "--words-only"], env)
                   for _ in range(max(1, runs // 2))]
    memory = {"search_mb": _peak_mb(["search", "compta fournisseurs", *data], env),
              "search_words_only_mb": _peak_mb(["search", "compta fournisseurs", "--words-only",
                                                *data], env),
              "batch_mb": _peak_mb(batch_args, env)}

    def med(xs: list[tuple[float, float]], i: int) -> float:
        return round(statistics.median(x[i] for x in xs), 3)

    n = len(titles)
    return {
        "warm_ms": {"median": _ms(warm, 0.5), "p95": _ms(warm, 0.95), "max": _ms(warm, 1),
                    "titles": n, "meaning_asked": asked},
        "warm_lexical_ms": {"median": _ms(warm_lexical, 0.5), "p95": _ms(warm_lexical, 0.95)},
        "embed_ms": {"one_median": _ms(embed_one, 0.5), "one_p95": _ms(embed_one, 0.95),
                     "batch_per_title": round(embed_batch / n * 1000, 2)},
        "cold_process_s": {"wall": med(cold, 0), "cpu": med(cold, 1), "min_wall":
                           round(min(x[0] for x in cold), 3), "runs": runs,
                           "text": "compta fournisseurs"},
        "cold_process_exact_s": {"wall": med(cold_exact, 0), "cpu": med(cold_exact, 1),
                                 "text": "hôtesse d'acceuil"},
        "imports_s": {"wall": med(imports, 0), "cpu": med(imports, 1)},
        "python_startup_s": {"wall": med(python, 0), "cpu": med(python, 1)},
        "batch": {"titles": n, "wall_s": med(batch, 0), "cpu_s": med(batch, 1),
                  "titles_per_s": round(n / med(batch, 0), 1),
                  "words_only_wall_s": med(batch_words, 0),
                  "words_only_titles_per_s": round(n / med(batch_words, 0), 1),
                  "in_process_titles_per_s": round(n / sum(warm), 1)},
        "memory": memory,
    }


BUILD = """
import json, os, sys, time
from pathlib import Path
from jobgraph.backends import OxigraphBackend
from jobgraph.search import index as ix, manifest_key, meaning
from jobgraph.search.vectors import Vectors
from jobgraph.workspace import Workspace
spent = {"embedded": 0}
embed = meaning.embed
def counted(texts):
    c, t = time.process_time(), time.perf_counter()
    out = embed(texts)
    spent["embed_s"] = spent.get("embed_s", 0) + time.perf_counter() - t
    spent["embedded"] += len(texts)
    return out
meaning.embed = counted
store, cache, data = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
ws = Workspace(store)
backend = OxigraphBackend.open(ws.db)
c, t = time.process_time(), time.perf_counter()
index = ix.open_index(backend, cache, data_key=manifest_key(ws.read_manifest()),
                      vectors=Vectors.for_data(Path(data) if data else None))
wall, cpu = time.perf_counter() - t, time.process_time() - c
size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
with open("/proc/self/status") as fh:  # VmHWM: getrusage would count the parent's at the fork
    peak = next(int(x.split()[1]) for x in fh if x.startswith("VmHWM:")) / 1024
print(json.dumps({"wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                  "embed_wall_s": round(spent.get("embed_s", 0), 1),
                  "texts_embedded": spent["embedded"],
                  "texts": len(index.entries) + len(index.codes),
                  "max_rss_mb": round(peak), "index_mb": round(size / 1e6, 1)}))
"""


def build_figures(store: Path, tmp: Path, *, unshipped: bool = False) -> dict[str, Any]:
    """The index made in a fresh process into an empty index folder: with an empty cache of
    embeddings (a new machine: ROME's shipped, the referentials' labels embedded), then again
    with that cache filled (another store on the same machine, as the tests make); with
    ``unshipped`` also without the shipped ROME vectors (another ROME version: all embedded)."""
    env = {k: v for k, v in os.environ.items() if k != "JOBGRAPH_STORE"}
    env["JOBGRAPH_VECTOR_CACHE"] = str(tmp / "vectors")

    def one(name: str, data: Path | None) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-c", BUILD, str(store), str(tmp / name),
                               str(data or "")], check=True, capture_output=True, text=True,
                              env=env)
        found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return found

    out = {"cold_cache": one("a", DATA), "warm_cache": one("b", DATA)}
    if unshipped:
        env["JOBGRAPH_VECTOR_CACHE"] = str(tmp / "vectors-unshipped")
        out["unshipped"] = one("c", None)
    size = sum(p.stat().st_size for p in (tmp / "vectors").rglob("*") if p.is_file())
    out["vector_cache_mb"] = round(size / 1e6, 2)
    return out


def measure(store: Path, *, runs: int = 5, with_speed: bool = True, with_build: bool = True,
            misses: bool = False, unshipped: bool = False) -> dict[str, Any]:
    db, _ = ensure_store(DATA, store)
    backend = OxigraphBackend.open(db)
    ws = Workspace(store)
    t0 = time.perf_counter()
    engine = open_engine(backend, ws.cache, data_key=manifest_key(ws.read_manifest()),
                         data_dir=DATA)
    opened = time.perf_counter() - t0
    rows = read_titles()
    miss_list: list[str] = []
    vectors = dict(zip((r["title"] for r in rows), engine.embed([r["title"] for r in rows]),
                       strict=True))
    ours = accuracy(lambda r: [f.code for f in engine.search(
        r["title"], top=5, jobs=0, exclude=left_out(r), vector=vectors[r["title"]]).fiches],
        rows, misses=miss_list if misses else None)
    lexical = Engine(engine.index, words_only=True)
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
            out["build"] = build_figures(store, Path(tmp), unshipped=unshipped)
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
        batches = sorted(k for k in acc["engine"].get(split, {}) if k.startswith("hand "))
        for k in ("all", "esco", "referential", "hand", *batches):
            e = acc["engine"].get(split, {}).get(k)
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
        w, c, ce = sp["warm_ms"], sp["cold_process_s"], sp["cold_process_exact_s"]
        lines.append(f"warm search: median {w['median']} ms, p95 {w['p95']} ms over "
                     f"{w['titles']} titles (meaning asked for {w['meaning_asked']}); words "
                     f"alone: median {sp['warm_lexical_ms']['median']} ms, p95 "
                     f"{sp['warm_lexical_ms']['p95']} ms; embedding a title: median "
                     f"{sp['embed_ms']['one_median']} ms, p95 {sp['embed_ms']['one_p95']} ms "
                     f"alone, {sp['embed_ms']['batch_per_title']} ms a title in a batch")
        lines.append(f"cold `jobgraph search`: « {c['text']} » {c['wall']} s wall, {c['cpu']} s "
                     f"CPU; « {ce['text']} » (words say it) {ce['wall']} s wall, {ce['cpu']} s "
                     f"CPU; imports {sp['imports_s']['wall']} s wall, {sp['imports_s']['cpu']} s "
                     f"CPU; python alone {sp['python_startup_s']['wall']} s")
        bt, m = sp["batch"], sp["memory"]
        lines.append(f"batch, whole process: {bt['titles_per_s']} titles/s ({bt['wall_s']} s "
                     f"wall, {bt['cpu_s']} s CPU for {bt['titles']}); --words-only "
                     f"{bt['words_only_titles_per_s']} titles/s; in process one by one "
                     f"{bt['in_process_titles_per_s']}/s")
        lines.append(f"peak memory: a search {m['search_mb']} MB, --words-only "
                     f"{m['search_words_only_mb']} MB, the batch {m['batch_mb']} MB")
    b = res.get("build")
    if b:
        for name, label in (("cold_cache", "empty cache of embeddings"),
                            ("warm_cache", "filled cache of embeddings"),
                            ("unshipped", "no shipped ROME vectors, empty cache")):
            x = b.get(name)
            if x:
                lines.append(f"index build, fresh process, {label}: {x['wall_s']} s wall, "
                             f"{x['cpu_s']} s CPU, {x['texts_embedded']} of {x['texts']} texts "
                             f"embedded ({x['embed_wall_s']} s); peak memory {x['max_rss_mb']} "
                             f"MB; index {x['index_mb']} MB")
        lines.append(f"cache of embeddings after the first build: {b['vector_cache_mb']} MB")
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
    ap.add_argument("--unshipped", action="store_true", help="time a build without the shipped "
                    "ROME vectors too (minutes)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    res = measure(args.store, runs=args.runs, with_speed=not args.no_speed,
                  with_build=not args.no_build, misses=args.misses, unshipped=args.unshipped)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report(res))
    if args.misses:
        print("\n".join(res["misses"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
