"""``python -m benchmarks.web``: load on ``jobgraph serve`` over the shipped data.

N concurrent clients (aiohttp's asynchronous client, one connection each) ask pages and API
calls drawn at random, seeded, from every screen of the application, for a bounded time, on
127.0.0.1 only. The clients share the machine with the server: aiohttp spends 0.25 ms of CPU on
a request where httpx's asynchronous client spent 1.5 ms, more than the server on most pages.
Each kind of request gets its count, errors, median, 95th percentile and maximum; the figures
go to ``benchmarks/results/web.json`` and ``web.md``.

The jobs, pairs of jobs and ROME codes asked are those of the shipped data (read from the
application's own API before the run), so most answers are not in the cache the first time:
the run measures a server that meets new questions, not only a warm one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
TARGET_MEDIAN, TARGET_P95 = 0.150, 0.300  # seconds, issue #17
WORDS = ["assistant", "juriste", "boulanger", "photographe", "comptable", "chargé d'accueil",
         "directeur", "M16", "M1607", "informatique", "technicien", "secrétaire", "chef de projet",
         "conseiller", "animateur", "développeur", "retoucheur", "K19"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _json(session: Any, url: str) -> Any:
    async with session.get(url) as r:
        r.raise_for_status()
        return await r.json()


async def _inventory(session: Any) -> tuple[list[str], list[str], list[str]]:
    """The shipped data's referentials, jobs and ROME codes, read through the API."""
    refs = [r["referential"]["text"]
            for r in (await _json(session, "/api/referentials"))["answer"]["rows"]]
    jobs: list[str] = []
    for ref in refs:
        ladder = (await _json(session, f"/api/referential/{ref}"))["ladder"]["rows"]
        jobs += [row["job"]["text"] for row in ladder]
    codes = sorted({r["code"] for j in jobs[::7]
                    for r in (await _json(session, f"/api/job/{j}"))["rome"]})
    return refs, sorted(set(jobs)), codes


def _request(kind: str, rng: random.Random, refs: list[str], jobs: list[str],
             codes: list[str]) -> str:
    job, other = rng.choice(jobs), rng.choice(jobs)
    pair = f"from={quote(job)}&to={quote(other)}"
    lang = "&lang=en" if rng.random() < 0.2 else ""
    return {
        "search page": f"/search?q={quote(rng.choice(WORDS))}{lang}",
        "search API": f"/api/search?q={quote(rng.choice(WORDS))}",
        "job page": f"/job/{job}?{lang[1:]}",
        "job API": f"/api/job/{job}",
        "equivalents page": f"/job/{job}/equivalents?{lang[1:]}",
        "equivalents API": f"/api/job/{job}/equivalents",
        "next-steps page": f"/job/{job}/next-steps?{lang[1:]}",
        "gap page": f"/gap?{pair}{lang}",
        "gap API": f"/api/gap?{pair}",
        "path page": f"/path?{pair}{lang}",
        "path API": f"/api/path?{pair}",
        "ROME page": f"/rome/{rng.choice(codes)}?{lang[1:]}",
        "referential page": f"/referential/{rng.choice(refs)}?{lang[1:]}",
        "validation page": f"/referential/{rng.choice(refs)}/validation?severity="
                           f"{rng.choice(['', 'violation', 'warning', 'info'])}",
        "referentials page": "/referentials",
    }[kind]


KINDS = ["search page", "search API", "job page", "job API", "equivalents page",
         "equivalents API", "next-steps page", "gap page", "gap API", "path page", "path API",
         "ROME page", "referential page", "validation page", "referentials page"]


async def _load(base: str, clients: int, duration: float, seed: int) -> dict[str, Any]:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(base_url=base, timeout=timeout) as probe:
        refs, jobs, codes = await _inventory(probe)
        # each job's page, equivalents and next steps, as the server's own warm-up makes them
        # (views.warm): the load meets a server started a while ago, pairs of jobs still new
        for j in jobs:
            for suffix in ("", "/equivalents", "/next-steps"):
                await _json(probe, f"/api/job/{j}{suffix}")
    samples: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: dict[str, list[str]] = {k: [] for k in KINDS}
    end = time.monotonic() + duration

    async def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        async with aiohttp.ClientSession(
                base_url=base, timeout=aiohttp.ClientTimeout(total=60),
                connector=aiohttp.TCPConnector(limit=1)) as c:
            while time.monotonic() < end:
                kind = rng.choice(KINDS)
                url = _request(kind, rng, refs, jobs, codes)
                t = time.perf_counter()
                try:
                    async with c.get(url) as r:
                        await r.read()
                        status = r.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = 0
                    errors[kind].append(f"{url}: {exc!r}")
                took = time.perf_counter() - t
                samples[kind].append(took)
                # a pair of jobs with no path is answered 200 with no path; 404 is no error
                # only where the data has no such thing (never for names read from the API)
                if status != 200 and status != 0:
                    errors[kind].append(f"{url}: HTTP {status}")

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    rows = {}
    for kind in KINDS:
        values = samples[kind]
        if not values:
            continue
        rows[kind] = {"requests": len(values), "errors": len(errors[kind]),
                      "median_ms": round(1000 * statistics.median(values), 1),
                      "p95_ms": round(1000 * _percentile(values, 0.95), 1),
                      "max_ms": round(1000 * max(values), 1)}
    every = [v for vs in samples.values() for v in vs]
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": len(every),
            "per_second": round(len(every) / elapsed, 1),
            "median_ms": round(1000 * statistics.median(every), 1),
            "p95_ms": round(1000 * _percentile(every, 0.95), 1),
            "errors": sum(len(e) for e in errors.values()),
            "error_examples": [e for es in errors.values() for e in es][:10],
            "jobs": len(jobs), "codes": len(codes), "kinds": rows}


def _markdown(result: dict[str, Any]) -> str:
    lines = [f"Load on `jobgraph serve --workers {result.get('workers', 1)}` (shipped data): "
             f"{result['clients']} concurrent clients for "
             f"{result['seconds']} s on 127.0.0.1, {result['requests']} requests "
             f"({result['per_second']}/s), {result['errors']} errors; load average before "
             f"{result['load_before']}, after {result['load_after']}; {result['date']}; "
             f"load began {result['settle']:.0f} s after the server was up.", "",
             "| request | count | errors | median | p95 | max | ≤ 150 ms median, ≤ 300 ms p95 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for kind, r in result["kinds"].items():
        ok = r["median_ms"] <= 1000 * TARGET_MEDIAN and r["p95_ms"] <= 1000 * TARGET_P95 \
            and not r["errors"]
        lines.append(f"| {kind} | {r['requests']} | {r['errors']} | {r['median_ms']:.0f} ms | "
                     f"{r['p95_ms']:.0f} ms | {r['max_ms']:.0f} ms | {'met' if ok else 'MISSED'} |")
    lines.append(f"| all | {result['requests']} | {result['errors']} | "
                 f"{result['median_ms']:.0f} ms | {result['p95_ms']:.0f} ms | | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.web", description=__doc__)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="the server's worker processes (default: one per core)")
    p.add_argument("--settle", type=float, default=0.0,
                   help="seconds to wait after start-up before the load (the server's warm-up)")
    p.add_argument("--data", default=str(ROOT / "data"))
    p.add_argument("--store", default=str(ROOT / ".jobgraph"))
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    if not 0 < args.duration <= 600 or not 0 < args.clients <= 100:
        p.error("--duration must be in (0, 600] seconds and --clients in 1..100")
    import httpx

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "jobgraph.cli", "serve", "--host", "127.0.0.1", "--port",
         str(port), "--data", args.data, "--store", args.store, "--log-level", "warning",
         "--workers", str(args.workers)],
        cwd=ROOT)
    try:
        deadline = time.monotonic() + 300
        while True:  # up (the store may be built first), then warm (validation report read)
            assert server.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "the server did not answer in 300 s"
            try:
                httpx.get(base + "/referential/cci-2015/validation", timeout=300)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        # the server makes each job's pages in advance when it starts (views.warm): the run
        # begins when that is done, as a visitor would meet a server started a while ago
        time.sleep(args.settle)
        before = os.getloadavg()[0]
        result = asyncio.run(_load(base, args.clients, args.duration, args.seed))
        result["load_before"] = round(before, 2)
        result["settle"] = args.settle
        result["workers"] = args.workers
        result["load_after"] = round(os.getloadavg()[0], 2)
        result["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    finally:
        server.terminate()
        server.wait(timeout=30)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "web.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    (out / "web.md").write_text(_markdown(result))
    print(_markdown(result))
    missed = [k for k, r in result["kinds"].items()
              if r["median_ms"] > 1000 * TARGET_MEDIAN or r["p95_ms"] > 1000 * TARGET_P95]
    return 1 if result["errors"] or missed else 0


if __name__ == "__main__":
    sys.exit(main())
