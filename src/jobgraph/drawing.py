"""Career paths drawn for people: text for a terminal, Graphviz DOT, and SVG drawn by Graphviz."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence

from .errors import ExternalError
from .paths import KINDS, CareerPath, Graph, Job, PathAnswer

FORMATS = ("text", "dot", "svg", "json")

# Graphviz attributes of each kind of step (also the legend of the drawing)
EDGE_STYLE = {
    "progression": 'style="bold", color="#1b7837"',
    "proximity": 'style="dashed", color="#762a83", arrowhead="none"',
    "equivalence": 'style="dotted", color="#2166ac", penwidth="2", arrowhead="none"',
    "mobility": 'style="solid", color="#b35806", arrowhead="open"',
}
KIND_LABEL = {
    "fr": {"progression": "progression", "proximity": "proximité",
           "equivalence": "équivalence", "mobility": "mobilité ROME"},
    "en": {"progression": "progression", "proximity": "proximity",
           "equivalence": "equivalence", "mobility": "ROME mobility"},
}
WORDS = {
    "fr": {"from": "de", "to": "à", "path": "Chemin", "steps": "étapes", "step": "étape",
           "none": "aucun chemin", "same": "même emploi", "level": "niveau",
           "national": "CNC", "legend": "Types d'étape"},
    "en": {"from": "from", "to": "to", "path": "Path", "steps": "steps", "step": "step",
           "none": "no path", "same": "same job", "level": "level",
           "national": "national level", "legend": "Kinds of step"},
}


def _job(info: dict[str, Job], iri: str) -> Job:
    return info.get(iri) or Job(iri, iri)


def _level(job: Job, lang: str) -> str:
    w = WORDS[lang]
    parts = []
    if job.level is not None:
        parts.append(f"{w['level']} {job.level}")
    if job.national is not None:
        parts.append(f"{w['national']} {job.national}")
    return ", ".join(parts)


def _describe(job: Job, lang: str) -> str:
    level = _level(job, lang)
    return f"{job.label} [{job.short}{'; ' + level if level else ''}]"


def render_text(paths: Sequence[CareerPath], info: dict[str, Job], source: str, target: str,
                graph: Graph | None = None, *, lang: str = "fr") -> str:
    """The paths for a terminal: one block per path, one line per job, the step between them."""
    w = WORDS[lang]
    kinds = KIND_LABEL[lang]
    head = f"{_describe(_job(info, source), lang)}\n  → {_describe(_job(info, target), lang)}\n"
    if not paths:
        return head + f"\n{w['none']}\n"
    lines = [head]
    for n, path in enumerate(paths, 1):
        count = len(path.steps)
        lines.append(f"{w['path']} {n} ({count} {w['step'] if count == 1 else w['steps']})")
        if not path.steps:
            lines.append(f"  {w['same']}")
        for i, job in enumerate(path.jobs()):
            lines.append(f"  {i}. {_describe(_job(info, job), lang)}")
            if i < count:
                step = path.steps[i]
                others = []
                if graph is not None:
                    others = [s for s in graph.between(step.source, step.target)
                              if (s.kind, s.evidence) != (step.kind, step.evidence)]
                evidence = f" ({step.evidence})" if step.evidence else ""
                also = ""
                if others:
                    also = "; " + ", ".join(sorted({kinds[s.kind] + (f" ({s.evidence})"
                                                                      if s.evidence else "")
                                                    for s in others}))
                lines.append(f"       ↓ {kinds[step.kind]}{evidence}{also}")
                if step.why:
                    lines.append(f"         {step.why}")
        lines.append("")
    return "\n".join(lines)


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_dot(paths: Sequence[CareerPath], info: dict[str, Job], source: str, target: str, *,
               lang: str = "fr") -> str:
    """A Graphviz digraph of the paths: jobs with their referential and levels, one edge style per
    kind of step, and a legend."""
    kinds = KIND_LABEL[lang]
    w = WORDS[lang]
    jobs: list[str] = []
    for p in paths:
        for j in p.jobs():
            if j not in jobs:
                jobs.append(j)
    for j in (source, target):
        if j not in jobs:
            jobs.append(j)
    ids = {j: f"j{i}" for i, j in enumerate(jobs)}
    out = ["digraph career_path {",
           '  graph [rankdir="LR", fontname="Helvetica", fontsize="11", nodesep="0.4"];',
           '  node [shape="box", style="rounded,filled", fillcolor="#f7f7f7", '
           'fontname="Helvetica", fontsize="10"];',
           '  edge [fontname="Helvetica", fontsize="9"];']
    for j in jobs:
        job = _job(info, j)
        level = _level(job, lang)
        label = job.label + "\n" + job.referential + (f"\n{level}" if level else "")
        extra = ', penwidth="2", fillcolor="#fee8c8"' if j in (source, target) else ""
        out.append(f"  {ids[j]} [label={_dot_string(label)}, tooltip={_dot_string(job.short)}"
                   f"{extra}];")
    seen: set[tuple[str, str]] = set()
    for p in paths:
        for s in p.steps:
            if (s.source, s.target) in seen:
                continue
            seen.add((s.source, s.target))
            label = kinds[s.kind] + (f"\n{s.evidence}" if s.evidence else "")
            out.append(f"  {ids[s.source]} -> {ids[s.target]} "
                       f"[label={_dot_string(label)}, {EDGE_STYLE[s.kind]}];")
    out.append("  subgraph cluster_legend {")
    out.append(f"    label={_dot_string(w['legend'])}; fontsize=\"10\"; color=\"#bbbbbb\";")
    for i, kind in enumerate(KINDS):
        out.append(f'    legend_a{i} [label="", shape="point", width="0.05"];')
        out.append(f'    legend_b{i} [label="", shape="point", width="0.05"];')
        out.append(f"    legend_a{i} -> legend_b{i} [label={_dot_string(kinds[kind])}, "
                   f"{EDGE_STYLE[kind]}];")
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def render_svg(dot: str, *, executable: str = "dot") -> str:
    """SVG drawn by Graphviz's ``dot`` from DOT text; ExternalError when dot is missing or fails."""
    found = shutil.which(executable)
    if found is None:
        raise ExternalError(
            "Graphviz's 'dot' program was not found on PATH, so no SVG can be drawn: install "
            "Graphviz (Debian: apt-get install graphviz; https://graphviz.org/download/) or use "
            "--format dot and draw it elsewhere")
    try:
        done = subprocess.run([found, "-Tsvg"], input=dot.encode("utf-8"), capture_output=True,
                              timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExternalError(f"Graphviz's dot failed to run: {exc}") from None
    if done.returncode != 0:
        raise ExternalError("Graphviz's dot failed: "
                            + done.stderr.decode("utf-8", "replace").strip())
    return done.stdout.decode("utf-8")


class Dot:
    """One Graphviz ``dot`` process kept for many drawings (a server's): dot reads graph after
    graph on its standard input and writes each SVG as soon as it has read it, so a drawing costs
    under a millisecond instead of a process start (20 ms). A drawing that fails, or takes longer
    than ``timeout`` seconds, ends the process (the next drawing starts another) and is drawn
    again by ``render_svg`` alone, which says what failed."""

    def __init__(self, executable: str = "dot", *, timeout: float = 10.0) -> None:
        self.executable = executable
        self.timeout = timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def svg(self, dot: str) -> str:
        if os.name == "posix":
            with self._lock:
                try:
                    return self._draw(dot)
                except (OSError, ValueError, TimeoutError):
                    self._stop()
        return render_svg(dot, executable=self.executable)

    def _draw(self, dot: str) -> str:
        p = self._process
        if p is None or p.poll() is not None:
            found = shutil.which(self.executable)
            if found is None:
                raise OSError("no dot")
            p = self._process = subprocess.Popen(
                [found, "-Tsvg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL)
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write(dot.encode("utf-8") + b"\n")
        p.stdin.flush()
        out = bytearray()
        deadline = time.monotonic() + self.timeout
        # labels are escaped in SVG: the closing tag appears once, at the drawing's end
        while not out.rstrip().endswith(b"</svg>"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([p.stdout], [], [], left)[0]:
                raise TimeoutError("dot gave no drawing")
            chunk = os.read(p.stdout.fileno(), 1 << 16)
            if not chunk:
                raise ValueError("dot stopped")
            out += chunk
        # dot may write a drawing's last newline apart from it: that byte is read at the start
        # of the next drawing, where it is no part of the SVG (an XML declaration comes first)
        return out.decode("utf-8").strip() + "\n"

    def _stop(self) -> None:
        p, self._process = self._process, None
        if p is not None:
            p.kill()
            p.wait()

    def close(self) -> None:
        with self._lock:
            self._stop()


def as_json(answer: PathAnswer) -> str:
    """The paths best first, each a list of steps with the jobs' IRIs, labels and national
    levels, the kind of move, its evidence, its reason and its cost."""
    def job(iri: str) -> dict[str, object]:
        j = answer.jobs.get(iri)
        return {"iri": iri, "label": j.label if j else iri,
                "referential": j.referential if j else None,
                "level": j.level if j else None, "nationalLevel": j.national if j else None}

    paths = [{"cost": p.cost, "jobs": [job(x) for x in p.jobs()],
              "steps": [{"from": s.source, "to": s.target, "kind": s.kind, "detail": s.detail,
                         "evidence": s.evidence, "why": s.why, "cost": round(s.cost, 3)}
                        for s in p.steps]} for p in answer.paths]
    doc = {"from": job(answer.source), "to": job(answer.target), "scope": answer.scope,
           "paths": paths}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def render(answer: PathAnswer, fmt: str, *, lang: str = "fr", drawer: Dot | None = None) -> str:
    """The paths of ``answer`` as ``text``, ``dot``, ``svg`` or ``json`` (``drawer``: a kept
    ``dot`` process for the SVG, else one is started for it)."""
    if fmt == "json":
        return as_json(answer)
    if fmt == "text":
        return render_text(answer.paths, answer.jobs, answer.source, answer.target, answer.graph,
                           lang=lang)
    dot = render_dot(answer.paths, answer.jobs, answer.source, answer.target, lang=lang)
    if fmt != "svg":
        return dot
    return drawer.svg(dot) if drawer is not None else render_svg(dot)


__all__ = ["FORMATS", "Dot", "as_json", "render", "render_dot", "render_svg", "render_text"]
