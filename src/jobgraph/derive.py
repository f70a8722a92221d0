"""The derived graph (``jgid:graph/derived``): what the answers need that is costly to compute at
question time and stable between builds, made at build time from the other graphs, again only
for the referentials that changed (``derivation``: the build's side), and checked by validation
to equal a recomputation (``stale``, below).

What it holds (terms of ``JGD``; docs/derived.md says why each is there, with the measurements):

- each job's card (``card``: one JSON literal with what the career answers read of it, by the
  rules of ``queries/internal/job-facts.rq``: referential, sector, labels, level, national
  range, families, ROME links) and the national level the stored queries compare
  (``nationalLevel``: the rank of the level's exact alignment, or of a framework level);
- each referential's counts (``referential-counts.rq``) and its jobs without ROME link;
- each competence's number of jobs requiring it and of their referentials (directly, or for ROME
  items through the jobs' fiches);
- each ROME fiche's card (``card``: code, title, domaine and items) and each ROME item's number
  of fiches (``ficheCount``);
- the key of the job-title index made with it (``titleIndex``; the index itself, a sparse
  matrix, is a file of the store's cache folder: ``careers.titles``).

The derivation reads the other graphs through SPARQL (any ``Backend``), so the same code derives
at build time, recomputes for the validation check, and gives the answers' compute path on a
server pushed from an older build (no derived graph) the same values.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from .backends import Backend
from .catalogue import internal
from .namespaces import GRAPH, JGD, JGID, XSD
from .sparql import with_rows
from .terms import display

FORMAT = "3"  # the layout below; a reader finding another value computes instead

Triple = tuple[URIRef, URIRef, Node]

# the predicates of each part, so that an update replaces one part and keeps the others
REFERENTIAL_COUNTS = ("jobs", "levels", "jobsWithLevel", "jobsOnNationalFramework", "families",
                      "competences", "jobsLinkedToRome", "romeLinks", "progressions",
                      "proximities")
JOB_PREDICATES = frozenset({JGD.card, JGD.nationalLevel})
REFERENTIAL_PREDICATES = frozenset({JGD[c] for c in REFERENTIAL_COUNTS} | {JGD.unmappedJob})
COUNT_PREDICATES = frozenset({JGD.requiredByJobs, JGD.requiredInReferentials})
ROME_PREDICATES = frozenset({JGD.card, JGD.ficheCount})
META_PREDICATES = frozenset({JGD.formatVersion, JGD.titleIndex})
SECTOR_PREDICATES = frozenset({JGD.sectorLabel})

_ROME_BASE = f"{JGID}rome/"


def _int(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def referential_id_of(iri: str) -> str | None:
    """``cci-2015`` for a job of cci-2015 (``jgid:cci-2015/job/…``) or the referential itself."""
    if not iri.startswith(str(JGID)):
        return None
    rest = iri[len(str(JGID)):]
    return rest.split("/", 1)[0] or None


# --- reading what is derived from ------------------------------------------------------------

def _select(backend: Backend, name: str, rows_of: tuple[str, list[URIRef]] | None = None,
            bindings: Mapping[str, Node] | None = None) -> list[tuple[Node | None, ...]]:
    text = internal(name).text
    if rows_of is not None:
        var, values = rows_of
        if not values:
            return []
        text = with_rows(text, var, values, nested=backend.name == "oxigraph")
    return backend.select(text, bindings or {}).rows


def referentials(backend: Backend) -> list[URIRef]:
    """Every referential of the graph (jg:Referential), sorted."""
    return sorted(URIRef(str(r[0])) for r in _select(backend, "derive-referentials")
                  if r[0] is not None)


def jobs_of(backend: Backend, refs: list[URIRef]) -> list[URIRef]:
    """The jobs of the referentials ``refs``."""
    return sorted({URIRef(str(r[0])) for r in _select(backend, "derive-referential-jobs",
                                                      ("referential", refs))})


@dataclass
class Rome:
    """What the derived graph keeps of ROME: each fiche's card (code, title, domaine, items) and
    each item's number of fiches."""

    cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # fiche IRI -> card

    @cached_property
    def items(self) -> dict[str, list[str]]:
        return {f: read_item_list(c.get("items", "")) for f, c in self.cards.items()}

    @cached_property
    def spread(self) -> dict[str, int]:
        n: dict[str, int] = defaultdict(int)
        for items in self.items.values():
            for item in items:
                n[item] += 1
        return dict(n)


def rome_facts(backend: Backend) -> Rome:
    """Every ROME fiche's code, title, domaine and items (jg:requires)."""
    found: dict[str, set[str]] = defaultdict(set)
    for fiche, item in _select(backend, "derive-fiche-items"):
        if fiche is not None and item is not None:
            found[str(fiche)].add(str(item))
    cards: dict[str, dict[str, Any]] = {}
    for fiche, code, title, domain in _select(backend, "derive-fiche-cards"):
        key = str(fiche)
        card: dict[str, Any] = {"code": str(code), "title": str(title), "domain": str(domain)}
        if key not in cards or _smaller(card, cards[key]):  # one of each, whatever the rows
            cards[key] = card
    joins = esco_joins(backend)
    moves: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for source, target, prop in _select(backend, "derive-fiche-moves"):
        if source is not None and target is not None:
            moves[str(source)].add((str(target), str(prop).rsplit("#", 1)[-1]))
    for key, card in cards.items():
        card["items"] = item_list(sorted(found.get(key, ())))
        # one label per joining occupation (two occupations of one label: it is there twice)
        card["esco"] = [[f2, label] for f2, _, label in sorted(joins.get(key, ()),
                                                                key=lambda x: (x[0], x[2], x[1]))]
        card["moves"] = sorted(list(m) for m in moves.get(key, ()))
    return Rome(dict(sorted(cards.items())))


def esco_joins(backend: Backend) -> dict[str, set[tuple[str, str, str]]]:
    """For each fiche, the (other fiche, ESCO occupation, its label) one ESCO occupation joins
    it to: the occupation matches an appellation of each (esco-fiche-pairs' rule)."""
    fiches_of: dict[str, set[str]] = defaultdict(set)  # appellation -> fiches
    matched: dict[str, set[str]] = defaultdict(set)  # occupation -> appellations
    labels: dict[str, set[str]] = defaultdict(set)
    for appellation, fiche, esco, label in _select(backend, "derive-esco-matches"):
        if appellation is None:
            continue
        if fiche is not None:
            fiches_of[str(appellation)].add(str(fiche))
        elif esco is not None:
            matched[str(esco)].add(str(appellation))
            labels[str(esco)].add(str(label or ""))
    joins: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for occupation, appellations in matched.items():
        fiches = {f for a in appellations for f in fiches_of.get(a, ())}
        for one in fiches:
            for other in fiches:
                if one != other:
                    for name in labels[occupation]:
                        joins[one].add((other, occupation, name))
    return joins


def _smaller(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a["code"], a["title"], a["domain"]) < (b["code"], b["title"], b["domain"])


def item_list(items: Iterable[str]) -> str:
    """A fiche's items as one literal: the IRIs after ``jgid:rome/``, space-separated."""
    return " ".join(i[len(_ROME_BASE):] if i.startswith(_ROME_BASE) else i for i in items)


def read_item_list(text: str) -> list[str]:
    """The item IRIs of a fiche card's ``items`` (``item_list``'s inverse)."""
    return [t if ":" in t else _ROME_BASE + t for t in text.split()]


def card_literal(card: Mapping[str, Any]) -> Literal:
    """A card as the derived graph holds it: one JSON literal, keys sorted (same card, same
    bytes)."""
    return Literal(json.dumps(card, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def rome_triples(rome: Rome) -> list[Triple]:
    out: list[Triple] = []
    for fiche, card in rome.cards.items():
        out.append((URIRef(fiche), JGD.card, card_literal(card)))
    for item, n in sorted(rome.spread.items()):
        out.append((URIRef(item), JGD.ficheCount, _int(n)))
    return out


# --- job cards ------------------------------------------------------------------------------

def _lang_matches(tag: str | None, lang: str) -> bool:
    t = (tag or "").lower()
    return t == lang or t.startswith(lang + "-")


def _pick(labels: list[tuple[str, str]]) -> tuple[str, str]:
    text, tag = min(labels)
    return text, tag


def job_cards(backend: Backend, jobs: list[URIRef] | None,
              langs: Iterable[str] = ("fr", "en")) -> dict[str, dict[str, Any]]:
    """What the career answers read of each job (all jobs when ``jobs`` is None), by the rules
    of ``queries/internal/job-facts.rq``, from a few simple queries: referential, sector, label
    in each language of ``langs`` (and its language tag), level notation and rank, national range,
    families, ROME links. A job without a French preferred label has no card (job-facts leaves
    it out too)."""
    rows_of = ("job", jobs) if jobs is not None else None
    if jobs is not None and not jobs:
        return {}
    refs: dict[str, set[str]] = defaultdict(set)
    prefs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    alts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for job, ref, kind, label in _select(backend, "derive-job-labels", rows_of):
        if job is None or ref is None or not isinstance(label, Literal):
            continue
        j = str(job)
        refs[j].add(display(ref))
        (prefs if str(kind) == "pref" else alts)[j].append((str(label), label.language or ""))
    sectors: dict[str, set[str]] = defaultdict(set)
    levels: dict[str, set[tuple[str, int]]] = defaultdict(set)
    families: dict[str, set[str]] = defaultdict(set)
    for job, what, a, b in _select(backend, "derive-job-details", rows_of):
        if job is None or a is None:
            continue
        j = str(job)
        if str(what) == "sector":
            sectors[j].add(display(a).removeprefix("sector/"))
        elif str(what) == "level" and b is not None:
            levels[j].add((str(a), int(str(b))))
        elif str(what) == "family":
            families[j].add(str(a).rsplit("/", 1)[-1])
    national: dict[str, list[Any]] = {}
    for job, lo, hi, basis in _select(backend, "derive-national-ranges", rows_of):
        if job is not None and lo is not None and hi is not None:
            national[str(job)] = [int(str(lo)), int(str(hi)), str(basis or "estimate")]
    links: dict[str, list[list[str]]] = defaultdict(list)
    for job, target, relation, basis, _ in _select(backend, "rome-links", rows_of):
        if job is not None and target is not None:
            links[str(job)].append([str(target), str(relation).rsplit("#", 1)[-1],
                                    str(basis or "")])
    cards: dict[str, dict[str, Any]] = {}
    for j in sorted(refs):
        french = [x for x in prefs[j] if _lang_matches(x[1], "fr")]
        if not french:
            continue
        labels: dict[str, list[str]] = {}
        for lang in langs:
            own = [x for x in prefs[j] if _lang_matches(x[1], lang)]
            alt = [x for x in alts[j] if _lang_matches(x[1], lang)]
            labels[lang] = list(_pick(own or alt or french))
        cards[j] = {
            "referential": min(refs[j]),
            "sector": min(sectors[j]) if sectors[j] else "",
            "labels": labels,
            "level": list(min(levels[j])) if levels[j] else None,
            "national": national.get(j),
            "families": sorted(families[j]),
            "links": sorted(list(x) for x in {tuple(x) for x in links[j]}),
        }
    return cards


def job_part(backend: Backend, jobs: list[URIRef] | None
             ) -> tuple[list[Triple], dict[str, dict[str, Any]]]:
    """The cards and national levels of ``jobs`` (all jobs when None), and the cards."""
    out: list[Triple] = []
    rows_of = ("job", jobs) if jobs is not None else None
    if jobs is not None and not jobs:
        return out, {}
    cards = job_cards(backend, jobs)
    for iri, card in cards.items():
        out.append((URIRef(iri), JGD.card, card_literal(card)))
    for job, level in _select(backend, "derive-national-levels", rows_of):
        if job is not None and level is not None:
            out.append((URIRef(str(job)), JGD.nationalLevel, _int(int(str(level)))))
    return out, cards


def titles_of(cards: Mapping[str, Mapping[str, Any]], lang: str) -> list[tuple[str, str]]:
    """(job, title) of the jobs of ``cards``, the title their label in ``lang`` (the rule of
    derive-job-titles: the title index is made of these)."""
    return sorted((job, str(card["labels"][lang][0])) for job, card in cards.items())


def referential_triples(backend: Backend, refs: list[URIRef] | None) -> list[Triple]:
    """The counts and the jobs without ROME link of ``refs`` (all referentials when None)."""
    out: list[Triple] = []
    rows_of = ("referential", refs) if refs is not None else None
    if refs is not None and not refs:
        return out
    known = set(refs) if refs is not None else set(referentials(backend))
    for row in _select(backend, "derive-referential-counts", rows_of):
        counted = URIRef(str(row[0]))
        if counted not in known:
            continue  # a sub-query row of something that is not a referential
        for name, value in zip(REFERENTIAL_COUNTS, row[1:], strict=True):
            out.append((counted, JGD[name], _int(int(str(value or 0)))))
    for ref, job in _select(backend, "derive-unmapped-jobs", rows_of):
        if ref is not None and job is not None and URIRef(str(ref)) in known:
            out.append((URIRef(str(ref)), JGD.unmappedJob, URIRef(str(job))))
    return out


def sector_triples(backend: Backend) -> list[Triple]:
    """Each sector's labels, once (a global part: made again at every build, a few rows)."""
    return sorted((URIRef(str(s)), JGD.sectorLabel, label)
                  for s, label in _select(backend, "derive-sector-labels")
                  if s is not None and isinstance(label, Literal))


Contribution = dict[str, dict[str, int]]  # referential IRI -> competence IRI -> jobs


def contributions(backend: Backend, refs: list[URIRef] | None, rome: Rome) -> Contribution:
    """For each referential, the number of its jobs requiring each competence: directly (a
    referential's own), or through the ROME fiches they are linked to (ROME items)."""
    rows_of = ("referential", refs) if refs is not None else None
    if refs is not None and not refs:
        return {}
    needs: dict[tuple[str, str], set[str]] = defaultdict(set)  # (referential, job) -> competences
    for ref, job, comp in _select(backend, "derive-job-competences", rows_of):
        if ref is not None and job is not None and comp is not None:
            needs[(str(ref), str(job))].add(str(comp))
    for ref, job, fiche in _select(backend, "derive-job-fiches", rows_of):
        if ref is not None and job is not None and fiche is not None:
            needs[(str(ref), str(job))].update(rome.items.get(str(fiche), ()))
    out: Contribution = defaultdict(lambda: defaultdict(int))
    for (owner, _), comps in needs.items():
        per = out[owner]
        for c in comps:
            per[c] += 1
    return {r: dict(v) for r, v in out.items()}


@dataclass
class Totals:
    """Each competence's jobs and referentials, summed over the referentials' contributions."""

    jobs: dict[str, int] = field(default_factory=dict)
    referentials: dict[str, int] = field(default_factory=dict)

    def add(self, contribution: Contribution, sign: int = 1) -> None:
        for per in contribution.values():
            for comp, n in per.items():
                self.jobs[comp] = self.jobs.get(comp, 0) + sign * n
                if n > 0:
                    self.referentials[comp] = self.referentials.get(comp, 0) + sign
        for comp in [c for c, n in self.jobs.items() if n <= 0]:
            del self.jobs[comp]
            self.referentials.pop(comp, None)

    def triples(self) -> list[Triple]:
        out: list[Triple] = []
        for comp in sorted(self.jobs):
            c = URIRef(comp)
            out += [(c, JGD.requiredByJobs, _int(self.jobs[comp])),
                    (c, JGD.requiredInReferentials, _int(self.referentials.get(comp, 0)))]
        return out


# --- the job-title index's key ---------------------------------------------------------------

LANGS = ("fr", "en")


def job_titles(backend: Backend, lang: str) -> list[tuple[str, str]]:
    """(job, title) of every job, the title as the answers read it (``job-facts``' label in
    ``lang``, else French), sorted by job."""
    rows = _select(backend, "derive-job-titles", bindings={"lang": Literal(lang)})
    return sorted((str(j), str(t)) for j, t in rows if j is not None and t is not None)


def titles_key(titles: list[tuple[str, str]]) -> str:
    """What identifies a title index: a digest of the (job, title) pairs it is made of."""
    h = hashlib.sha256()
    for job, title in titles:
        h.update(f"{job}\t{title}\n".encode())
    return h.hexdigest()[:24]


def title_triples(keys: Mapping[str, str]) -> list[Triple]:
    return [(GRAPH.DERIVED, JGD.titleIndex, Literal(f"{lang}:{key}"))
            for lang, key in sorted(keys.items())]


# --- everything, or one part ------------------------------------------------------------------

@dataclass
class Derived:
    """The derived graph's triples, by part, and what an update needs to continue from it."""

    rome: list[Triple]
    jobs: list[Triple]
    referentials: list[Triple]
    sectors: list[Triple]
    totals: Totals
    titles: dict[str, list[tuple[str, str]]]  # lang -> (job, title)

    def keys(self) -> dict[str, str]:
        return {lang: titles_key(t) for lang, t in self.titles.items()}

    def triples(self) -> list[Triple]:
        meta: list[Triple] = [(GRAPH.DERIVED, JGD.formatVersion, Literal(FORMAT))]
        return (meta + title_triples(self.keys()) + self.rome + self.jobs + self.referentials
                + self.sectors + self.totals.triples())


def derive(backend: Backend, *, rome: Rome | None = None) -> Derived:
    """The whole derived graph, recomputed from the other graphs of ``backend``."""
    rome = rome or rome_facts(backend)
    totals = Totals()
    totals.add(contributions(backend, None, rome))
    jobs, cards = job_part(backend, None)
    return Derived(rome=rome_triples(rome), jobs=jobs,
                   referentials=referential_triples(backend, None),
                   sectors=sector_triples(backend), totals=totals,
                   titles={lang: titles_of(cards, lang) for lang in LANGS})


def stored(backend: Backend) -> set[Triple]:
    """The triples of the derived graph as ``backend`` holds it."""
    rows = backend.select(internal("derived-triples").text).rows
    return {(URIRef(str(s)), URIRef(str(p)), o) for s, p, o in rows
            if s is not None and p is not None and o is not None}


# --- is it there? ---------------------------------------------------------------------------------

_AVAILABLE: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


def marker(backend: Backend) -> dict[str, str]:
    """The derived graph's format and title-index keys (``{"format": "1", "title:fr": key}``),
    read once per backend; empty when the backend holds no derived graph."""
    try:
        found = _AVAILABLE.get(backend)
    except TypeError:
        found = None
    if found is not None:
        return found
    out: dict[str, str] = {}
    for p, o in backend.select(internal("derived-marker").text).rows:
        if p == JGD.formatVersion:
            out["format"] = str(o)
        elif p == JGD.titleIndex and ":" in str(o):
            lang, key = str(o).split(":", 1)
            out[f"title:{lang}"] = key
    with contextlib.suppress(TypeError):  # an object that cannot be weakly referenced
        _AVAILABLE[backend] = out
    return out


def available(backend: Backend) -> bool:
    """Whether ``backend`` holds a derived graph of this layout (else answers compute)."""
    return marker(backend).get("format") == FORMAT


def forget(backend: Backend) -> None:
    """Read the marker again next time (the store behind ``backend`` was changed)."""
    with contextlib.suppress(TypeError):
        _AVAILABLE.pop(backend, None)


# --- the validation check ---------------------------------------------------------------------

CHECK_RULE = "qc:derived-graph"
SHOWN = 20  # subjects named one by one; the others counted in one more finding


def stale(backend: Backend) -> tuple[list[Any], str]:
    """The validation check (``validate``): the derived graph of ``backend`` against a
    recomputation from its other graphs. One finding per subject whose derived triples differ
    (the first ``SHOWN``, then one finding counting the others); a note saying what was
    compared."""
    from .findings import Finding, Note

    found = marker(backend)
    if found.get("format") != FORMAT:
        note = Note("no derived graph of format " + FORMAT + " (pushed from another build?): "
                    "the answers compute what it would hold",
                    "pas de graphe dérivé au format " + FORMAT + " (chargé depuis une autre "
                    "construction ?) : les réponses calculent ce qu'il contiendrait")
        return [], note
    have = stored(backend)
    want = set(derive(backend).triples())
    missing, extra = want - have, have - want
    by_subject: dict[str, list[tuple[str, Triple]]] = defaultdict(list)
    for t in missing:
        by_subject[str(t[0])].append(("missing", t))
    for t in extra:
        by_subject[str(t[0])].append(("extra", t))
    out: list[Any] = []
    for subject in sorted(by_subject)[:SHOWN]:
        diffs = by_subject[subject]
        preds = sorted({str(t[1]).rsplit("#", 1)[-1] for _, t in diffs})
        n_missing = sum(1 for k, _ in diffs if k == "missing")
        n_extra = len(diffs) - n_missing
        out.append(Finding(
            severity="violation", rule=CHECK_RULE, rule_name="derived graph equals a recomputation",
            message=(f"Le graphe dérivé ne correspond plus aux données pour {subject} "
                     f"({', '.join(preds)} : {n_missing} triplet(s) manquant(s), {n_extra} en "
                     "trop) : reconstruire le store (jobgraph build)"),
            message_en=(f"The derived graph no longer matches the data for {subject} "
                        f"({', '.join(preds)}: {n_missing} triple(s) missing, {n_extra} extra): "
                        "rebuild the store (jobgraph build)"),
            focus=subject, path=" ".join(f"jgd:{p}" for p in preds),
            value=f"{n_missing} missing, {n_extra} extra",
            expected="le graphe dérivé recalculé", expected_en="the derived graph recomputed",
            referential=referential_id_of(subject) if subject.startswith(str(JGID)) else None,
            kind="qc"))
    rest = sorted(by_subject)[SHOWN:]
    if rest:
        out.append(Finding(
            severity="violation", rule=CHECK_RULE, rule_name="derived graph equals a recomputation",
            message=(f"Le graphe dérivé diffère aussi pour {len(rest)} autre(s) ressource(s) : "
                     "reconstruire le store (jobgraph build)"),
            message_en=(f"The derived graph differs for {len(rest)} other resource(s) too: "
                        "rebuild the store (jobgraph build)"),
            value=f"{len(rest)} more", expected="le graphe dérivé recalculé",
            expected_en="the derived graph recomputed", kind="qc"))
    note = Note(f"derived graph compared with a recomputation: {len(have)} triples, "
                f"{len(missing)} missing, {len(extra)} extra",
                f"graphe dérivé comparé à un recalcul : {len(have)} triplets, "
                f"{len(missing)} manquant(s), {len(extra)} en trop")
    return out, note


__all__ = [
    "CHECK_RULE",
    "FORMAT",
    "Derived",
    "Rome",
    "Totals",
    "available",
    "card_literal",
    "contributions",
    "derive",
    "esco_joins",
    "forget",
    "item_list",
    "job_cards",
    "job_part",
    "job_titles",
    "jobs_of",
    "marker",
    "read_item_list",
    "referential_id_of",
    "referential_triples",
    "referentials",
    "rome_facts",
    "rome_triples",
    "stale",
    "stored",
    "title_triples",
    "titles_key",
    "titles_of",
]
