"""What changed between two sides, resource by resource: the triples added and removed in each
named graph, read as the changes a maintainer names (a job relabelled, re-levelled, re-scored,
moved between families, its ROME links; ROME fiches, appellations, mobility; the ESCO crosswalk).

Curated resources keep their IRI across releases (their ids never change), so a resource present
on both sides is the same resource, and what differs is what changed about it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..namespaces import JG, JGID, PROV, RDF, SKOS
from ..terms import nt
from .sides import DATASET_GRAPH, GRAPH_PREFIX, ROME_GRAPH, Snapshot, Triple

A = nt(RDF.type)
PREF = nt(SKOS.prefLabel)
BROADER = nt(SKOS.broader)
LOCATION = nt(JG.sourceLocation)
# predicates whose change is not a change of the resource: where it is written, and the link to
# the document (both move when lines are inserted above)
_WHERE = {nt(JG.sourceLocation), nt(JG.sourceLine), nt(PROV.wasDerivedFrom)}
MATCHES = {nt(p) for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch,
                           SKOS.relatedMatch)}
MOBILITY = {nt(JG.mobilityTo): "mobility", nt(JG.sidewaysTo): "v3 Proche",
            nt(JG.upwardTo): "v3 Evolution"}
_JOB_READ = {PREF, nt(JG.level), nt(JG.score), nt(JG.family), nt(JG.progressesTo), A,
             *MATCHES, *_WHERE}
_BASE = str(JGID)
_LIT_RE = re.compile(r'^"(.*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]+)>)?$', re.S)
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\r": "\r", "\\t": "\t"}


def iri_of(term: str) -> str:
    return term[1:-1] if term.startswith("<") else term


def short(term: str) -> str:
    """An IRI as jobgraph shows it: relative to jgid: (``cci-2015/job/juriste``)."""
    s = iri_of(term)
    return s[len(_BASE):] if s.startswith(_BASE) else s


def tail(term: str) -> str:
    return iri_of(term).rsplit("/", 1)[-1]


def value(term: str) -> str:
    """A literal's text (an IRI's short form)."""
    m = _LIT_RE.match(term)
    if not m:
        return short(term)
    return re.sub(r'\\[\\"nrt]', lambda x: _UNESCAPE[x.group()], m.group(1))


def lang(term: str) -> str | None:
    m = _LIT_RE.match(term)
    return m.group(2).lower() if m and m.group(2) else None


def pname(term: str) -> str:
    """A predicate or class as a CURIE where jobgraph has a prefix for it."""
    from ..terms import compact

    return compact(iri_of(term)) or iri_of(term)


@dataclass
class Change:
    """One change of one resource, with where to look (file:line, new side first)."""

    kind: str
    scope: str  # the referential's id, "rome", "esco" or "ontology"
    id: str
    label: str | None = None
    old: str | None = None
    new: str | None = None
    source: str | None = None
    note: str | None = None


@dataclass
class Index:
    """The triples of one graph by subject, then predicate."""

    by: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, triples: Iterable[Triple], predicates: set[str] | None = None) -> Index:
        by: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for s, p, o in triples:
            if predicates is None or p in predicates:
                by[s][p].add(o)
        return cls(by)

    def get(self, s: str, p: str) -> set[str]:
        return self.by.get(s, {}).get(p, set())

    def one(self, s: str, p: str) -> str | None:
        values = sorted(self.get(s, p))
        return values[0] if values else None

    def typed(self, cls: str) -> set[str]:
        return {s for s, ps in self.by.items() if cls in ps.get(A, ())}

    def label(self, s: str) -> str | None:
        fr = sorted(value(o) for o in self.get(s, PREF) if lang(o) == "fr")
        anyl = sorted(value(o) for o in self.get(s, PREF))
        return fr[0] if fr else anyl[0] if anyl else None

    def where(self, s: str) -> str | None:
        loc = self.one(s, LOCATION)
        return value(loc) if loc else None


# --- referentials ---------------------------------------------------------------------------------

def _notation(ix: Index, level: str) -> str:
    n = ix.one(level, nt(SKOS.notation))
    return value(n) if n else tail(level)


def _scores(ix: Index, job: str) -> dict[str, str]:
    out = {}
    for s in ix.get(job, nt(JG.score)):
        crit = ix.one(s, nt(JG.criterion))
        val = ix.one(s, nt(JG.value))
        if crit and val:
            out[tail(crit)] = value(val)
    return out


def _levels(ix: Index, job: str) -> str:
    return ", ".join(sorted(_notation(ix, lv) for lv in ix.get(job, nt(JG.level)))) or "none"


def _families(ix: Index, job: str) -> str:
    return ", ".join(sorted(tail(f) for f in ix.get(job, nt(JG.family)))) or "none"


def _total(scores: dict[str, str]) -> str:
    try:
        return str(sum(int(v) for v in scores.values())) if scores else "none"
    except ValueError:
        return "?"


def _props(old: dict[str, set[str]], new: dict[str, set[str]], skip: set[str]) -> str:
    """The predicates whose values differ, with what was added and removed."""
    parts = []
    for p in sorted(set(old) | set(new)):
        if p in skip:
            continue
        before, after = old.get(p, set()), new.get(p, set())
        added, removed = after - before, before - after
        if added or removed:
            if len(added) == 1 and len(removed) == 1:
                parts.append(f"{pname(p)}: {value(next(iter(removed)))!r} → "
                             f"{value(next(iter(added)))!r}")
            else:
                parts.append(f"{pname(p)} +{len(added)} −{len(removed)}")
    return "; ".join(parts)


def referential_changes(ref: str, old: Index, new: Index, o_all: Index,
                        n_all: Index) -> list[Change]:
    """The changes of one referential's graph."""
    out: list[Change] = []
    job_cls, link_cls, prog_cls = nt(JG.Job), nt(JG.RomeMapping), nt(JG.Progression)
    score_cls = nt(JG.CriterionScore)
    o_jobs, n_jobs = old.typed(job_cls), new.typed(job_cls)
    for j in sorted(n_jobs - o_jobs):
        out.append(Change("job-added", ref, tail(j), new.label(j), source=new.where(j),
                          new=f"level {_levels(n_all, j)}"))
    for j in sorted(o_jobs - n_jobs):
        out.append(Change("job-removed", ref, tail(j), old.label(j), source=old.where(j),
                          note="the source location is the old side's"))
    for j in sorted(o_jobs & n_jobs):
        label, where = new.label(j), new.where(j)
        if old.label(j) != label:
            out.append(Change("job-relabelled", ref, tail(j), label, old.label(j), label, where))
        lo, ln = _levels(o_all, j), _levels(n_all, j)
        if lo != ln:
            out.append(Change("job-relevelled", ref, tail(j), label, lo, ln, where))
        so, sn = _scores(old, j), _scores(new, j)
        if so != sn:
            moved = sorted(k for k in set(so) | set(sn) if so.get(k) != sn.get(k))
            out.append(Change("job-rescored", ref, tail(j), label,
                              ", ".join(f"{k} {so.get(k, '–')}" for k in moved),
                              ", ".join(f"{k} {sn.get(k, '–')}" for k in moved), where,
                              f"total {_total(so)} → {_total(sn)}"))
        fo, fn = _families(old, j), _families(new, j)
        if fo != fn:
            out.append(Change("job-moved-family", ref, tail(j), label, fo, fn, where))
        other = _props(old.by.get(j, {}), new.by.get(j, {}), _JOB_READ)
        if other:
            out.append(Change("job-changed", ref, tail(j), label, source=where, note=other))
    # links to ROME (jg:RomeMapping, one per job and fiche)
    o_links, n_links = old.typed(link_cls), new.typed(link_cls)

    def link_id(ix: Index, m: str) -> tuple[str, str]:
        job = ix.one(m, nt(JG.mappedJob)) or m
        fiche = ix.one(m, nt(JG.mappedTo)) or m
        return tail(job), tail(fiche)

    def strength(ix: Index, m: str) -> str:
        rel = ix.one(m, nt(JG.matchType))
        basis = ix.one(m, nt(JG.basis))
        return f"{tail(rel).split('#')[-1] if rel else '?'} ({value(basis) if basis else '?'})"

    for m in sorted(n_links - o_links):
        job, fiche = link_id(new, m)
        out.append(Change("rome-link-added", ref, f"{job} → {fiche}",
                          new.label(f"<{_BASE}{ref}/job/{job}>"),
                          new=strength(new, m), source=new.where(m)))
    for m in sorted(o_links - n_links):
        job, fiche = link_id(old, m)
        out.append(Change("rome-link-removed", ref, f"{job} → {fiche}",
                          old.label(f"<{_BASE}{ref}/job/{job}>"),
                          old=strength(old, m), source=old.where(m),
                          note="the source location is the old side's"))
    for m in sorted(o_links & n_links):
        before, after = strength(old, m), strength(new, m)
        note_o, note_n = old.one(m, nt(SKOS.note)), new.one(m, nt(SKOS.note))
        if before != after or note_o != note_n:
            job, fiche = link_id(new, m)
            out.append(Change("rome-link-changed", ref, f"{job} → {fiche}",
                              new.label(f"<{_BASE}{ref}/job/{job}>"), before, after,
                              new.where(m),
                              None if note_o == note_n else "rationale changed"))
    # progressions
    o_prog, n_prog = old.typed(prog_cls), new.typed(prog_cls)

    def edge(ix: Index, p: str) -> str:
        return f"{tail(ix.one(p, nt(JG.fromJob)) or p)} → {tail(ix.one(p, nt(JG.toJob)) or p)}"

    for p in sorted(n_prog - o_prog):
        out.append(Change("progression-added", ref, edge(new, p), source=new.where(p)))
    for p in sorted(o_prog - n_prog):
        out.append(Change("progression-removed", ref, edge(old, p), source=old.where(p),
                          note="the source location is the old side's"))
    # every other resource (levels, criteria, families, competences, certifications …)
    read = o_jobs | n_jobs | o_links | n_links | o_prog | n_prog | \
        old.typed(score_cls) | new.typed(score_cls)
    for s in sorted((set(old.by) | set(new.by)) - read):
        classes = old.get(s, A) | new.get(s, A)
        kind = ", ".join(sorted(pname(c) for c in classes)) or "resource"
        if s not in old.by:
            out.append(Change("resource-added", ref, short(s), new.label(s), source=new.where(s),
                              note=kind))
        elif s not in new.by:
            out.append(Change("resource-removed", ref, short(s), old.label(s),
                              source=old.where(s), note=kind))
        else:
            diff = _props(old.by[s], new.by[s], _WHERE)
            if diff:
                out.append(Change("resource-changed", ref, short(s), new.label(s),
                                  source=new.where(s), note=f"{kind}: {diff}"))
    return out


# --- ROME -----------------------------------------------------------------------------------------

_ROME_READ = {A, PREF, BROADER, nt(JG.romeV3Parent), *MOBILITY, *MATCHES}


@dataclass
class RomeView:
    """What a diff reads of a ROME graph: fiches and appellations with labels and parents,
    mobility edges, ESCO links."""

    fiches: dict[str, str]  # code -> title
    fiche_domain: dict[str, str]
    fiche_parent: dict[str, str]  # v4 code -> the v3 fiche it descends from
    appellations: dict[str, str]  # ogr -> label
    appellation_fiche: dict[str, str]
    appellation_v3: dict[str, str]  # ogr -> its ROME v3 fiche, as the side states it
    mobility: dict[tuple[str, str], set[str]]  # (from, to) -> kinds
    esco: set[tuple[str, str, str]]  # (occupation, relation, ogr)
    esco_labels: dict[str, str]
    other: dict[str, int]  # other classes (competences, savoirs …) -> resources

    @classmethod
    def of(cls, triples: Iterable[Triple]) -> RomeView:
        ix = Index.of(triples, _ROME_READ)
        fiche, app = nt(JG.RomeOccupation), nt(JG.RomeAppellation)
        esco_cls = nt(JG.EscoOccupation)
        v = cls({}, {}, {}, {}, {}, {}, defaultdict(set), set(), {}, defaultdict(int))
        for s, ps in ix.by.items():
            types = ps.get(A, set())
            if fiche in types:
                code = tail(s)
                v.fiches[code] = ix.label(s) or ""
                for b in ps.get(BROADER, ()):
                    v.fiche_domain[code] = tail(b)
                for p in ps.get(nt(JG.romeV3Parent), ()):
                    v.fiche_parent[code] = value(p)
            elif app in types:
                ogr = tail(s)
                v.appellations[ogr] = ix.label(s) or ""
                for b in ps.get(BROADER, ()):
                    v.appellation_fiche[ogr] = tail(b)
                for p in ps.get(nt(JG.romeV3Parent), ()):
                    v.appellation_v3[ogr] = value(p)
            elif esco_cls in types:
                v.esco_labels[s] = ix.label(s) or iri_of(s)
                for p in MATCHES:
                    for o in ps.get(p, ()):
                        if "/rome/appellation/" in o:
                            v.esco.add((s, pname(p), tail(o)))
            else:
                # mobility resources are counted as edges below; the others (savoir-faire,
                # savoirs, domaines …) only by number
                for t in types - {nt(JG.Mobility)}:
                    v.other[pname(t)] += 1
            for p, kind in MOBILITY.items():
                for o in ps.get(p, ()):
                    v.mobility[(tail(s), tail(o))].add(kind)
        return v


def rome_changes(old: RomeView, new: RomeView, parts_old: dict[str, str],
                 parts_new: dict[str, str], v3_old: bool, notes: list[str]) -> list[Change]:
    """The changes of ROME between two sides, part by part; a part one side does not hold is
    not compared (said in ``notes``)."""
    out: list[Change] = []

    def both(part: str) -> bool:
        ok = part in parts_old and part in parts_new
        if not ok:
            missing = [n for n, p in (("OLD", parts_old), ("NEW", parts_new)) if part not in p]
            who = " and ".join(missing)
            notes.append(f"ROME {part}: not compared ({who} "
                         f"{'do' if len(missing) > 1 else 'does'} not hold them)")
        return ok

    if both("fiches"):
        for code in sorted(set(new.fiches) - set(old.fiches)):
            parent = new.fiche_parent.get(code)
            out.append(Change("fiche-added", "rome", code, new.fiches[code],
                              note=f"descends from v3 fiche {parent}"
                              if parent and parent != code else None))
        for code in sorted(set(old.fiches) - set(new.fiches)):
            out.append(Change("fiche-removed", "rome", code, old.fiches[code]))
        for code in sorted(set(old.fiches) & set(new.fiches)):
            if old.fiches[code] != new.fiches[code]:
                out.append(Change("fiche-retitled", "rome", code, new.fiches[code],
                                  old.fiches[code], new.fiches[code]))
            do, dn = old.fiche_domain.get(code), new.fiche_domain.get(code)
            if do and dn and do != dn:
                out.append(Change("fiche-moved-domain", "rome", code, new.fiches[code], do, dn))
    partial_old = parts_old.get("appellations") == "partial"
    if both("appellations"):
        if partial_old:
            notes.append("ROME appellations: OLD names only the appellations its crosswalk maps; "
                         "appellations of NEW it does not name are not counted as added")
        else:
            for ogr in sorted(set(new.appellations) - set(old.appellations), key=int):
                out.append(Change("appellation-added", "rome", ogr, new.appellations[ogr],
                                  new=new.appellation_fiche.get(ogr)))
        for ogr in sorted(set(old.appellations) - set(new.appellations), key=int):
            out.append(Change("appellation-removed", "rome", ogr, old.appellations[ogr],
                              old=old.appellation_fiche.get(ogr)))
        stated = 0
        for ogr in sorted(set(old.appellations) & set(new.appellations), key=int):
            if old.appellations[ogr] != new.appellations[ogr]:
                out.append(Change("appellation-relabelled", "rome", ogr, new.appellations[ogr],
                                  old.appellations[ogr], new.appellations[ogr]))
            fo, fn = old.appellation_fiche.get(ogr), new.appellation_fiche.get(ogr)
            note = None
            if fo is None and v3_old and ogr in new.appellation_v3:
                # OLD does not say under which fiche; NEW states the appellation's v3 fiche
                fo, note = new.appellation_v3[ogr], "v3 fiche as NEW states it (code_rome_parent)"
                stated += 1
            if fo and fn and fo != fn:
                parent = new.fiche_parent.get(fn)
                how = ("its v3 fiche was split" if parent == fo else
                       f"to a fiche descending from v3 fiche {parent}" if parent else None)
                out.append(Change("appellation-moved", "rome", ogr, new.appellations[ogr], fo, fn,
                                  note="; ".join(x for x in (note, how) if x) or None))
        if stated:
            notes.append(f"ROME appellations: OLD names no fiche for its appellations; for "
                         f"{stated} of them the v3 fiche is the one NEW states "
                         "(appellation file, code_rome_parent)")
    if both("mobility"):
        for (a, b) in sorted(set(new.mobility) - set(old.mobility)):
            out.append(Change("mobility-added", "rome", f"{a} → {b}",
                              new=", ".join(sorted(new.mobility[(a, b)]))))
        children: dict[str, set[str]] = defaultdict(set)
        for code, parent in new.fiche_parent.items():
            children[parent].add(code)
        for (a, b) in sorted(set(old.mobility) - set(new.mobility)):
            gone = [c for c in (a, b) if c not in new.fiches] if "fiches" in parts_new else []
            note = f"fiche {', '.join(gone)} no longer exists" if gone else None
            if v3_old and not gone:
                # the v3 edge may live on between fiches that descend from its two ends
                heirs = sorted((x, y) for x in children[a] | {a} for y in children[b] | {b}
                               if (x, y) in new.mobility)
                if heirs:
                    note = "NEW links fiches descending from its ends: " + ", ".join(
                        f"{x} → {y}" for x, y in heirs[:3]) + (" …" if len(heirs) > 3 else "")
            out.append(Change("mobility-removed", "rome", f"{a} → {b}",
                              old=", ".join(sorted(old.mobility[(a, b)])), note=note))
        retyped = sum(1 for e in set(old.mobility) & set(new.mobility)
                      if old.mobility[e] != new.mobility[e])
        kept = len(set(old.mobility) & set(new.mobility))
        notes.append(f"ROME mobility: {kept} edges between the same two fiches on both sides"
                     + (f", {retyped} of them with another kind" if retyped else ""))
    if "esco" in parts_old and ("appellations" in parts_new):
        # the crosswalk's rows whose ROME side NEW does not have
        reach = sum(1 for _, _, ogr in old.esco if ogr in new.appellations)
        notes.append(f"ESCO crosswalk: {reach} of OLD's {len(old.esco)} links reach an "
                     "appellation NEW's ROME has")
        for occ, rel, ogr in sorted(old.esco):
            if ogr not in new.appellations:
                out.append(Change("esco-link-orphaned", "esco", f"{tail(occ)} {rel} {ogr}",
                                  old.esco_labels.get(occ),
                                  note="the appellation is not in NEW's ROME"))
    if "esco" in parts_new and "appellations" in parts_new:
        for occ, rel, ogr in sorted(new.esco - old.esco if "esco" in parts_old else set()):
            if ogr not in new.appellations:
                out.append(Change("esco-link-orphaned", "esco", f"{tail(occ)} {rel} {ogr}",
                                  new.esco_labels.get(occ),
                                  note="NEW's crosswalk names an appellation its ROME lacks"))
    if both("esco") and parts_old.get("esco") == parts_new.get("esco"):
        added, removed = new.esco - old.esco, old.esco - new.esco
        for occ, rel, ogr in sorted(added):
            out.append(Change("esco-link-added", "esco", f"{tail(occ)} {rel} {ogr}",
                              new.esco_labels.get(occ)))
        for occ, rel, ogr in sorted(removed):
            out.append(Change("esco-link-removed", "esco", f"{tail(occ)} {rel} {ogr}",
                              old.esco_labels.get(occ)))
    if "competences" in parts_old and "competences" in parts_new:
        for cls_name in sorted(set(old.other) | set(new.other)):
            n_old, n_new = old.other.get(cls_name, 0), new.other.get(cls_name, 0)
            if n_old != n_new:
                out.append(Change("rome-resources-count", "rome", cls_name, old=str(n_old),
                                  new=str(n_new)))
    return out


def rome_map(old: RomeView, new: RomeView, changes: list[Change]) -> list[tuple[str, ...]]:
    """Rows of the CSV map from old codes to new ones: fiches that descend from a v3 fiche of
    another code, appellations under another fiche, jobs in other families."""
    rows: list[tuple[str, ...]] = []
    for c in changes:
        parent = new.fiche_parent.get(c.id)
        if c.kind == "fiche-added" and parent and parent != c.id:
            rows.append(("fiche", parent, c.id, old.fiches.get(parent, ""), c.label or "",
                         "NEW's code_rome_parent"))
        elif c.kind == "appellation-moved":
            rows.append(("appellation", f"{c.old}/{c.id}", f"{c.new}/{c.id}",
                         old.appellations.get(c.id, ""), c.label or "",
                         c.note or "both sides name the fiche"))
    return rows


def graph_delta(old: Snapshot, new: Snapshot) -> dict[str, tuple[frozenset[Triple],
                                                                   frozenset[Triple]]]:
    """Triples added and removed in each named graph both sides hold (the dataset graph, which
    describes a build, left out); graphs of one side only are added or removed whole."""
    out = {}
    for g in sorted(set(old.graphs) | set(new.graphs)):
        if g == DATASET_GRAPH:
            continue
        o, n = old.graphs.get(g), new.graphs.get(g)
        if o is not None and n is not None and o.key == n.key:
            continue
        before = o.triples() if o is not None else frozenset()
        after = n.triples() if n is not None else frozenset()
        out[g] = (after - before, before - after)
    return out


def ref_of(graph: str) -> str | None:
    if graph.startswith(GRAPH_PREFIX) and graph not in (ROME_GRAPH, DATASET_GRAPH) and \
            not graph.endswith("/ontology"):
        return graph[len(GRAPH_PREFIX):]
    return None


__all__ = ["Change", "Index", "RomeView", "graph_delta", "ref_of", "referential_changes",
           "rome_changes", "rome_map", "short", "tail", "value"]
