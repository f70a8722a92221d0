"""The derived graph at build time: what a build makes again of it (all of it, or the parts of the
referentials that changed and of those naming them), and the ``Maker`` that keeps a store's
derived graph up to date while ``build._write_store`` fills the store. What the graph holds and
how it is computed from any backend is ``derive``'s; this module writes it into a pyoxigraph
store."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from .backends import Backend
from .catalogue import internal
from .derive import (
    COUNT_PREDICATES,
    FORMAT,
    JOB_PREDICATES,
    LANGS,
    REFERENTIAL_PREDICATES,
    SECTOR_PREDICATES,
    Contribution,
    Rome,
    Totals,
    Triple,
    contributions,
    derive,
    forget,
    job_part,
    job_titles,
    jobs_of,
    referential_id_of,
    referential_triples,
    referentials,
    sector_triples,
    title_triples,
    titles_key,
    titles_of,
)
from .namespaces import GRAPH, JGD, JGID, referential_iri
from .sparql import with_rows


def code_digest() -> str:
    """What the derived graph is made by: this module, what it imports, the derivation queries."""
    from .resources import resource_dir
    from .workspace import content_hash, module_closure

    here = Path(__file__)
    return content_hash([*module_closure(here),
                         *sorted(resource_dir("queries").glob("internal/derive-*.rq"))])


def dependencies(graphs: Mapping[URIRef, Iterable[tuple[Node, Node, Node]]]
                 ) -> dict[str, list[str]]:
    """For each referential graph, the other referentials its triples name (a scale it shares, the
    national framework its levels are aligned to): their change changes its derived part."""
    base = str(JGID)
    out: dict[str, list[str]] = {}
    for g, triples in graphs.items():
        name = str(g).rsplit("/", 1)[-1]
        if str(g) in _NOT_REFERENTIALS:
            continue
        found: set[str] = set()
        for _, _, o in triples:
            if isinstance(o, URIRef):
                text = str(o)
                if text.startswith(base):
                    first = text[len(base):].split("/", 1)[0]
                    if first and first != name:
                        found.add(first)
        out[name] = sorted(found - {"rome", "sector", "graph"})
    return out


# named graphs that are not referentials: the ontology, ROME, the description, the derived graph
_NOT_REFERENTIALS = frozenset(str(g) for g in (GRAPH.ONTOLOGY, GRAPH.ROME, GRAPH.DATASET,
                                               GRAPH.DERIVED))


@dataclass
class Plan:
    """What a build makes again of the derived graph: all of it, or the parts of ``refs``."""

    full: bool
    refs: set[str] = field(default_factory=set)  # referential ids
    reason: str = ""


def plan(previous: Mapping[str, Any] | None, *, changed: set[str], removed: set[str],
         deps: Mapping[str, list[str]], code: str) -> Plan:
    """The parts to make again when the graphs ``changed`` (IRIs, new ones included) and
    ``removed`` were replaced in a store whose derived graph was described by ``previous``."""
    special = {str(GRAPH.ONTOLOGY), str(GRAPH.ROME)}
    if not previous or previous.get("format") != FORMAT:
        return Plan(True, reason="no derived graph of this format in the previous store")
    if previous.get("code") != code:
        return Plan(True, reason="the derivation's code or queries changed")
    if (changed | removed) & special:
        return Plan(True, reason="ROME or the ontology changed")
    # the dataset description changes with every build and no derived fact reads it
    changed = changed - _NOT_REFERENTIALS
    removed = removed - _NOT_REFERENTIALS
    touched = {g.rsplit("/", 1)[-1] for g in changed | removed}
    refs = set(touched)
    # a referential naming a changed one (its scale, its levels' alignments) is made again too;
    # and again for those naming them
    grew = True
    while grew:
        grew = False
        for ref, uses in deps.items():
            if ref not in refs and refs & set(uses):
                refs.add(ref)
                grew = True
    return Plan(False, refs)


def _ox_nquads(triples: Iterable[Triple]) -> bytes:
    from .terms import nt

    g = f"<{GRAPH.DERIVED}>"
    return "".join(f"{nt(s)} {nt(p)} {nt(o)} {g} .\n" for s, p, o in triples).encode("utf-8")


def _remove(store: Any, predicates: Iterable[URIRef], keep: Any) -> int:
    """Remove the derived quads of ``predicates`` whose subject ``keep`` refuses."""
    import pyoxigraph as ox

    graph = ox.NamedNode(str(GRAPH.DERIVED))
    gone = 0
    for p in predicates:
        for q in list(store.quads_for_pattern(None, ox.NamedNode(str(p)), None, graph)):
            if not keep(q.subject.value):
                store.remove(q)
                gone += 1
    return gone


def stored_totals(backend: Backend, competences: Iterable[str]) -> Totals:
    """The counts the derived graph holds for ``competences``."""
    wanted = [URIRef(c) for c in competences]
    t = Totals()
    if not wanted:
        return t
    text = with_rows(internal("derived-counts").text, "competence", wanted,
                     nested=backend.name == "oxigraph")
    for comp, jobs, refs in backend.select(text).rows:
        if comp is not None and jobs is not None:
            t.jobs[str(comp)] = int(str(jobs))
            t.referentials[str(comp)] = int(str(refs or 0))
    return t


def stored_rome(backend: Backend) -> Rome:
    """The fiches' cards as the derived graph holds them (no ROME query)."""
    rows = backend.select(internal("derived-fiche-cards").text).rows
    return Rome({str(f): json.loads(str(t)) for f, t in rows if f is not None and t is not None})


class Maker:
    """Keeps the derived graph of a store being built up to date (``build._write_store``).

    ``before`` runs on the previous store's copy, before the changed graphs are replaced: it
    reads what the referentials to make again contributed to the competence counts; ``after``
    replaces their parts, and the counts by difference. A full plan rewrites the whole graph.
    """

    def __init__(self, store: Any, the_plan: Plan, *, cache_dir: Path | None,
                 previous: Mapping[str, Any] | None = None) -> None:
        from .backends import OxigraphBackend

        self.store = store
        self.plan = the_plan
        self.backend = OxigraphBackend(store)
        self.cache_dir = cache_dir
        found = (previous or {}).get("titles")
        self.previous_keys: dict[str, str] = dict(found) if isinstance(found, dict) else {}
        self.old: Contribution = {}
        self.rome: Rome | None = None
        self.seconds: dict[str, float] = {}

    def before(self) -> None:
        if self.plan.full:
            return
        self.rome = stored_rome(self.backend)
        refs = [referential_iri(r) for r in sorted(self.plan.refs)]
        self.old = contributions(self.backend, refs, self.rome)

    def after(self) -> dict[str, Any]:
        """Bring the derived graph up to date; the state the manifest keeps of it."""
        import time

        t = time.perf_counter()
        forget(self.backend)
        if self.plan.full:
            derived = derive(self.backend)
            import pyoxigraph as ox

            graph = ox.NamedNode(str(GRAPH.DERIVED))
            if self.store.contains_named_graph(graph):
                self.store.remove_graph(graph)
            triples = derived.triples()
            self.store.bulk_load(input=_ox_nquads(triples), format=ox.RdfFormat.N_QUADS)
            titles = derived.titles
        else:
            titles = self._update()
        keys = self._titles(titles)
        self.seconds["derive"] = time.perf_counter() - t
        return {"format": FORMAT, "code": code_digest(), "titles": keys}

    def _update(self) -> dict[str, list[tuple[str, str]]]:
        import pyoxigraph as ox

        assert self.rome is not None
        present = set(str(r) for r in referentials(self.backend))
        refs = [referential_iri(r) for r in sorted(self.plan.refs)
                if str(referential_iri(r)) in present]
        ids = set(self.plan.refs)

        def outside(subject: str) -> bool:
            return referential_id_of(subject) not in ids

        _remove(self.store, JOB_PREDICATES | REFERENTIAL_PREDICATES, outside)
        jobs = jobs_of(self.backend, refs)
        new, cards = job_part(self.backend, jobs)
        new += referential_triples(self.backend, refs)
        # the competence counts, by difference: what the referentials contributed before, out;
        # what they contribute now, in
        contribution = contributions(self.backend, refs, self.rome)
        touched = {c for per in (*self.old.values(), *contribution.values()) for c in per}
        totals = stored_totals(self.backend, touched)
        totals.add(self.old, -1)
        totals.add(contribution, +1)
        touched_set = set(touched)
        _remove(self.store, COUNT_PREDICATES, lambda s: s not in touched_set)
        new += totals.triples()
        _remove(self.store, SECTOR_PREDICATES, lambda s: False)
        new += sector_triples(self.backend)
        # the titles: the unchanged referentials' from the previous index, the others read again
        titles: dict[str, list[tuple[str, str]]] = {}
        from .careers.titles import read_titles

        for lang in LANGS:
            previous = read_titles(self.cache_dir, self.previous_keys.get(lang, ""))
            if previous is None:
                titles[lang] = job_titles(self.backend, lang)
                continue
            kept = [(j, t) for j, t in previous if referential_id_of(j) not in ids]
            titles[lang] = sorted(kept + titles_of(cards, lang))
        self.store.bulk_load(input=_ox_nquads(new), format=ox.RdfFormat.N_QUADS)
        return titles

    def _titles(self, titles: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
        import pyoxigraph as ox

        from .careers.titles import save_titles

        keys = {lang: titles_key(t) for lang, t in titles.items()}
        graph = ox.NamedNode(str(GRAPH.DERIVED))
        for q in list(self.store.quads_for_pattern(None, ox.NamedNode(str(JGD.titleIndex)), None,
                                                   graph)):
            self.store.remove(q)
        self.store.bulk_load(input=_ox_nquads(title_triples(keys)), format=ox.RdfFormat.N_QUADS)
        if self.cache_dir is not None:
            for lang, t in titles.items():
                save_titles(self.cache_dir, keys[lang], t)
        return keys


def fill(store: Any, *, cache_dir: Path | None = None) -> dict[str, Any]:
    """Make the whole derived graph of an open pyoxigraph ``store`` (a store loaded from a TriG
    file, the tests' fixture); what a build's manifest would keep of it."""
    state = Maker(store, Plan(True, reason="filled"), cache_dir=cache_dir).after()
    return state


__all__ = ["Maker", "Plan", "code_digest", "dependencies", "fill", "plan", "stored_rome",
           "stored_totals"]
