"""What changed between two releases of the data or of ROME (``jobgraph diff OLD NEW``): the
changes resource by resource and their impact on the curated data, returned as data (cli.py
prints them; ``render`` writes text, Markdown, JSON, a TriG change set and a CSV code map)."""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from .changes import (
    Change,
    Index,
    RomeView,
    graph_delta,
    ref_of,
    referential_changes,
    rome_changes,
    rome_map,
)
from .impact import (
    JOB_QUERIES,
    MAX_JOBS,
    REFERENTIAL_QUERIES,
    Impact,
    Link,
    curated_links,
    equivalence_impacts,
    link_impacts,
    progression_impacts,
)
from .sides import ROME_GRAPH, Snapshot, Triple, at_revision, read_side


@dataclass
class SideInfo:
    label: str
    kind: str
    referentials: list[str]
    rome_version: str | None
    rome_parts: dict[str, str]


@dataclass
class DiffResult:
    """Everything ``jobgraph diff`` reports."""

    old: SideInfo
    new: SideInfo
    changes: list[Change] = field(default_factory=list)
    impacts: list[Impact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    code_map: list[tuple[str, ...]] = field(default_factory=list)
    # triples added and removed per named graph (for the RDF change set), graph IRI -> sets
    delta: dict[str, tuple[frozenset[Triple], frozenset[Triple]]] = field(default_factory=dict)
    seconds: float = 0.0

    def counts(self) -> dict[str, dict[str, int]]:
        """Changes by scope (referential, rome, esco) and kind."""
        out: dict[str, dict[str, int]] = {}
        for c in self.changes:
            scope = out.setdefault(c.scope, {})
            scope[c.kind] = scope.get(c.kind, 0) + 1
        return out


def _info(s: Snapshot) -> SideInfo:
    return SideInfo(s.label, s.kind, s.referentials, s.rome_version, s.rome_parts)


def comparable(old: Snapshot, new: Snapshot) -> None:
    """Two sides are comparable when they hold a referential, or ROME, in common."""
    shared = set(old.graphs) & set(new.graphs)
    ours = {g for g in shared if ref_of(g) is not None or g == ROME_GRAPH}
    if ours:
        return
    def holds(s: Snapshot) -> str:
        what = [f"referential(s) {', '.join(s.referentials)}"] if s.referentials else []
        if ROME_GRAPH in s.graphs:
            what.append("ROME")
        return " and ".join(what) or "no jobgraph graph"

    raise UsageError(f"OLD and NEW are not comparable: OLD ({old.label}) holds {holds(old)}, "
                     f"NEW ({new.label}) holds {holds(new)}; nothing in common to compare")


def _small_index(s: Snapshot) -> tuple[Index, dict[str, Index]]:
    every: list[Triple] = []
    per: dict[str, Index] = {}
    for g, lg in s.graphs.items():
        if g == ROME_GRAPH:
            continue
        triples = lg.triples()
        every.extend(triples)
        ref = ref_of(g)
        if ref is not None:
            per[ref] = Index.of(triples)
    return Index.of(every), per


def compare(old: Snapshot, new: Snapshot, *, queries: bool = True) -> DiffResult:
    """The changes from ``old`` to ``new`` and their impact."""
    start = time.perf_counter()
    comparable(old, new)
    result = DiffResult(_info(old), _info(new))
    result.delta = graph_delta(old, new)
    o_all, o_refs = _small_index(old)
    n_all, n_refs = _small_index(new)
    for ref in sorted(set(o_refs) - set(n_refs)):
        result.changes.append(Change("referential-removed", ref, ref))
    for ref in sorted(set(n_refs) - set(o_refs)):
        result.changes.append(Change("referential-added", ref, ref))
    for ref in sorted(set(o_refs) & set(n_refs)):
        if any(ref_of(g) == ref for g in result.delta):
            result.changes += referential_changes(ref, o_refs[ref], n_refs[ref], o_all, n_all)
    rome_old = rome_new = None
    if ROME_GRAPH in old.graphs and ROME_GRAPH in new.graphs:
        if old.graphs[ROME_GRAPH].key == new.graphs[ROME_GRAPH].key:
            result.notes.append("ROME: the same files on both sides, unchanged")
        else:
            rome_old = RomeView.of(old.graphs[ROME_GRAPH].triples())
            rome_new = RomeView.of(new.graphs[ROME_GRAPH].triples())
            v3 = (old.rome_version or "").startswith(("v3", "V3"))
            rc = rome_changes(rome_old, rome_new, old.rome_parts, new.rome_parts, v3,
                              result.notes)
            result.changes += rc
            result.code_map += rome_map(rome_old, rome_new, rc)
    elif ROME_GRAPH in old.graphs or ROME_GRAPH in new.graphs:
        result.notes.append("ROME: held by one side only, not compared")
    for c in result.changes:
        if c.kind == "job-moved-family":
            result.code_map.append(("job-family", f"{c.scope}/{c.id}", f"{c.scope}/{c.id}",
                                    c.old or "", c.new or "", "families"))
    old_links, new_links = curated_links(o_all), curated_links(n_all)
    result.impacts += link_impacts(new_links, result.changes, rome_old, rome_new, new.rome_parts)
    result.impacts += progression_impacts(n_all, result.changes)
    result.impacts += equivalence_impacts(old_links, new_links)
    if queries:
        result.impacts += query_impacts(old, new, result, new_links)
    result.seconds = time.perf_counter() - start
    return result


def affected_jobs(result: DiffResult, links: list[Link]) -> list[tuple[str, str]]:
    """(referential, job) whose answers may change: jobs changed themselves, and jobs linked to a
    fiche the ROME changes touch."""
    jobs: set[tuple[str, str]] = set()
    for c in result.changes:
        if c.kind.startswith(("job-", "rome-link-")) and c.kind not in ("job-added",
                                                                        "job-removed"):
            jobs.add((c.scope, c.id.split(" → ")[0]))
    touched = {i.subject.split(" → ")[-1] for i in result.impacts if i.what == "rome-link"}
    for x in links:
        if x.fiche in touched:
            jobs.add((x.ref, x.job))
    return sorted(jobs)


def query_impacts(old: Snapshot, new: Snapshot, result: DiffResult,
                  links: list[Link]) -> list[Impact]:
    """Re-ask the stored questions of the affected jobs and referentials on both sides (each in
    a store in memory) and report the answers that differ."""
    if old.nquads is None or new.nquads is None:
        if result.changes and (old.referentials or new.referentials):
            result.notes.append("stored-query answers: not compared (a side is not a data "
                                "folder or a built graph)")
        return []
    jobs = [j for j in affected_jobs(result, links)
            if j[0] in old.referentials and j[0] in new.referentials]
    refs = sorted({c.scope for c in result.changes if c.scope in old.referentials
                   and c.scope in new.referentials})
    if not jobs and not refs:
        return []
    from ..backends import OxigraphBackend
    from ..errors import JobgraphError
    from ..queries import run
    from ..terms import canonical_rows

    if len(jobs) > MAX_JOBS:
        result.notes.append(f"stored-query answers: re-asked for the first {MAX_JOBS} of "
                            f"{len(jobs)} affected jobs")
        jobs = jobs[:MAX_JOBS]
    stores = (OxigraphBackend.from_nquads(old.nquads()), OxigraphBackend.from_nquads(new.nquads()))
    out = []
    from ..namespaces import iri, referential_iri

    def ask(name: str, params: dict[str, str]) -> tuple[list[tuple[str, ...]], ...] | None:
        answers = []
        for backend in stores:
            try:
                a = run(backend, name, params)
            except JobgraphError:
                return None
            answers.append(canonical_rows(a.variables, a.rows, a.query.lists))
        return tuple(answers)

    n_all, _ = _small_index(new)
    for ref, job in jobs:
        job_iri = str(iri(ref, "job", job))
        where = n_all.where(f"<{job_iri}>")
        for name in JOB_QUERIES:
            got = ask(name, {"job": job_iri})
            if got is not None and got[0] != got[1]:
                before, after = set(got[0]), set(got[1])
                out.append(Impact("changes", "query", ref, f"{ref}/{job}",
                                  f"{name}: {len(got[0])} → {len(got[1])} rows "
                                  f"(+{len(after - before)} −{len(before - after)})", where))
    for ref in refs:
        for name in REFERENTIAL_QUERIES:
            got = ask(name, {"referential": str(referential_iri(ref))})
            if got is not None and got[0] != got[1]:
                before, after = set(got[0]), set(got[1])
                out.append(Impact("changes", "query", ref, ref,
                                  f"{name}: {len(got[0])} → {len(got[1])} rows "
                                  f"(+{len(after - before)} −{len(before - after)})"))
    return out


def diff(old: str | Path, new: str | Path, *, git: list[str] | None = None,
         cache_dirs: list[Path] | None = None, queries: bool = True) -> DiffResult:
    """Compare ``old`` with ``new``. ``git``: one revision (OLD read at it) or two (OLD and NEW
    read at them), from the git working tree the paths are in."""
    revs = list(git or [])
    if len(revs) == 1 and ".." in revs[0]:
        revs = revs[0].split("..", 1)
    if len(revs) > 2 or any(not r for r in revs):
        raise UsageError("--git takes one revision (OLD read at it) or two (OLD..NEW, or "
                         "--git OLD --git NEW)")
    with ExitStack() as stack:
        paths, labels = [Path(old), Path(new)], [str(old), str(new)]
        for i, rev in enumerate(revs):
            paths[i] = stack.enter_context(at_revision(Path([old, new][i]), rev))
            labels[i] = f"{[old, new][i]}@{rev}"
        a = read_side(paths[0], labels[0], cache_dirs=cache_dirs)
        b = read_side(paths[1], labels[1], cache_dirs=cache_dirs)
        return compare(a, b, queries=queries)


__all__ = ["Change", "DiffResult", "Impact", "SideInfo", "compare", "diff"]
