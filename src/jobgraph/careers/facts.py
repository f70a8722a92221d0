"""What the career answers know of jobs and ROME fiches, read once from any backend."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal

from ..backends import Backend
from ..catalogue import bindings_for, get_query, internal
from ..names import fold
from ..terms import display, short_id

# how much a curated link says the job is the fiche's occupation (SKOS mapping property)
LINK_WEIGHT = {"exactMatch": 1.0, "closeMatch": 0.8, "broadMatch": 0.6, "narrowMatch": 0.6,
               "relatedMatch": 0.4}


@dataclass(frozen=True)
class NationalRange:
    """A job's place on the national framework (cnc-2019 = EQF numbers): one level or a range."""

    low: int
    high: int
    basis: str  # official | estimate

    def distance(self, other: NationalRange) -> int:
        """Levels between the two ranges; 0 when they overlap."""
        return max(0, other.low - self.high, self.low - other.high)

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


def range_text(r: NationalRange | None, lang: str = "fr") -> str:
    """"4", "2–3", or "unknown" in the answer's language."""
    if r is None:
        return "inconnu" if lang == "fr" else "unknown"
    return str(r)


@dataclass(frozen=True)
class Link:
    """A curated link of a job to a ROME fiche."""

    fiche: str
    relation: str  # exactMatch … relatedMatch
    basis: str

    @property
    def weight(self) -> float:
        return LINK_WEIGHT.get(self.relation, 0.4)


@dataclass(frozen=True)
class Item:
    """A ROME competence item (savoir-faire, savoir-être, savoir)."""

    iri: str
    label: str
    kind: str  # skill | knowledge | attitude | competence
    category: str


@dataclass
class Fiche:
    """A ROME 4.0 fiche some job is linked to."""

    iri: str
    code: str
    title: str
    domain: str
    items: dict[str, Item] = field(default_factory=dict)


@dataclass
class JobFacts:
    """One job as the answers see it."""

    iri: str
    referential: str  # id: cci-2015
    sector: str  # id: reseau-consulaire ("" when the referential names none)
    label: str
    label_lang: str  # the label's language tag ("fr", or "en" when asked and known)
    level: str | None  # notation as printed: "IV", "155"
    level_rank: int | None  # order in its own scale
    national: NationalRange | None
    families: tuple[str, ...]
    links: list[Link] = field(default_factory=list)
    missions: list[str] = field(default_factory=list)  # missions, definition (French)

    @property
    def short(self) -> str:
        return short_id(self.iri)


@dataclass(frozen=True)
class OwnCompetence:
    """A competence of a referential's own framework that a job requires."""

    iri: str
    label: str
    notation: str
    framework: str
    kind: str
    key: bool  # one of the job's highest-rated (jg:requiresKey)
    new: bool  # new compared with the previous job (jg:requiresNew)
    place: tuple[str, int] = ("", 0)  # file and line where the source defines it


def place_of(location: object) -> tuple[str, int]:
    """``("data/x/competences.yaml", 95)`` of a jg:sourceLocation ``data/x/competences.yaml:95``
    (lines compared as numbers)."""
    text = str(location or "")
    file, _, line = text.rpartition(":")
    return (file, int(line)) if line.isdigit() else (text, 0)


@dataclass(frozen=True)
class Certification:
    """A certification of the graph: what it certifies, what it opens."""

    iri: str
    label: str
    level: str | None
    rome_codes: frozenset[str]
    certifies: frozenset[str]
    gives_access_to: frozenset[str]


@dataclass
class Facts:
    """Every job, the fiches they are linked to with their items, the ESCO joins between linked
    fiches, the steps between jobs (progressions, proximities) and ROME mobility between linked
    fiches, the referentials' own competences and the certifications: what equivalences, next
    steps, paths and gaps are computed from."""

    jobs: dict[str, JobFacts]
    fiches: dict[str, Fiche]
    esco: dict[tuple[str, str], list[str]]  # (fiche, fiche) -> ESCO occupation labels
    progressions: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # -> (to, basis)
    proximity: dict[str, set[str]] = field(default_factory=dict)
    mobility: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # fiche -> (fiche,
    # mobilityTo | upwardTo | sidewaysTo)
    competences: dict[str, dict[str, OwnCompetence]] = field(default_factory=dict)
    certifications: list[Certification] = field(default_factory=list)
    by_fiche: dict[str, set[str]] = field(default_factory=dict)  # fiche -> linked jobs

    def __post_init__(self) -> None:
        if not self.by_fiche:
            for job in self.jobs.values():
                for link in job.links:
                    self.by_fiche.setdefault(link.fiche, set()).add(job.iri)
        self._items: dict[str, frozenset[str]] = {}
        self._domains: dict[str, set[str]] | None = None
        self._esco_from: dict[str, list[str]] | None = None
        self._families: dict[tuple[str, str], list[str]] | None = None

    def add_job(self, job: JobFacts) -> None:
        """Hold ``job`` too (facts read a part at a time: ``careers.reader``)."""
        self.jobs[job.iri] = job
        self._families = None
        for link in job.links:
            self.by_fiche.setdefault(link.fiche, set()).add(job.iri)
        self._items.pop(job.iri, None)

    def family_members(self, referential: str, family: str) -> list[str]:
        """The jobs of ``referential`` in ``family``, sorted (indexed once: a path search asks
        it for every job of a family, and a national graph has tens of thousands of jobs)."""
        if self._families is None:
            self._families = {}
            for j in self.jobs.values():
                for fam in j.families:
                    self._families.setdefault((j.referential, fam), []).append(j.iri)
            for members in self._families.values():
                members.sort()
        return self._families.get((referential, family), [])

    def add_fiche(self, fiche: Fiche) -> None:
        self.fiches[fiche.iri] = fiche
        self._items.clear()
        self._domains = None

    def add_esco(self, pairs: dict[tuple[str, str], list[str]]) -> None:
        for key, labels in pairs.items():
            self.esco[key] = sorted(labels)
        self._esco_from = None

    def items_of(self, job: str) -> frozenset[str]:
        """The ROME items the job's fiches list (IRIs)."""
        found = self._items.get(job)
        if found is None:
            found = frozenset(i for link in self.jobs[job].links
                              if link.fiche in self.fiches
                              for i in self.fiches[link.fiche].items)
            self._items[job] = found
        return found

    def fiches_in(self, domain: str) -> set[str]:
        """The fiches held of the domaine ``domain`` (a code: M16)."""
        if self._domains is None:
            self._domains = {}
            for f in self.fiches.values():
                self._domains.setdefault(f.domain, set()).add(f.iri)
        return self._domains.get(domain, set())

    def esco_from(self, fiche: str) -> list[str]:
        """The fiches an ESCO occupation joins to ``fiche``."""
        if self._esco_from is None:
            self._esco_from = {}
            for f1, f2 in self.esco:
                self._esco_from.setdefault(f1, []).append(f2)
        return self._esco_from.get(fiche, [])

    def item(self, iri: str) -> Item | None:
        for fiche in self.fiches.values():
            if iri in fiche.items:
                return fiche.items[iri]
        return None


def _int(term: Any) -> int | None:
    return int(str(term)) if term is not None else None


def load_facts(backend: Backend, lang: str = "fr") -> Facts:
    """Read the facts from ``backend`` (a few queries over the whole graph)."""
    jobs: dict[str, JobFacts] = {}
    for row in backend.select(internal("job-facts").text, {"lang": Literal(lang)}).rows:
        job, ref, sector, label, notation, rank, lo, hi, basis, families = row
        national = NationalRange(int(str(lo)), int(str(hi)), str(basis or "estimate")) \
            if lo is not None and hi is not None else None
        jobs[str(job)] = JobFacts(
            iri=str(job), referential=display(ref), sector=display(sector).removeprefix("sector/")
            if sector is not None else "", label=str(label), level=str(notation)
            if notation is not None else None, level_rank=_int(rank), national=national,
            families=tuple(sorted(str(families or "").split())),
            label_lang=getattr(label, "language", None) or "fr")
    for job, target, relation, basis, _ in backend.select(internal("rome-links").text).rows:
        if str(job) in jobs:
            jobs[str(job)].links.append(Link(str(target), str(relation).rsplit("#", 1)[-1],
                                             str(basis or "")))
    fiches: dict[str, Fiche] = {}
    for row in backend.select(internal("linked-fiches").text).rows:
        fiche, code, title, domain, item, kind, item_label, category = row
        f = fiches.setdefault(str(fiche), Fiche(str(fiche), str(code), str(title), str(domain)))
        if item is not None:
            f.items[str(item)] = Item(str(item), str(item_label), str(kind or "competence"),
                                      str(category or ""))
    esco: dict[tuple[str, str], list[str]] = defaultdict(list)
    for f1, f2, _, esco_label in backend.select(internal("esco-fiche-pairs").text).rows:
        esco[(str(f1), str(f2))].append(str(esco_label or ""))
    for facts_of_job in jobs.values():
        facts_of_job.links.sort(key=lambda x: (-x.weight, x.fiche, x.relation))
    for subject, kind, text in backend.select(internal("job-text").text).rows:
        if str(subject) in jobs and str(kind) == "mission":
            jobs[str(subject)].missions.append(str(text))
    for facts_of_job in jobs.values():
        facts_of_job.missions.sort()
    # lists in a set order (the engine's is none): the answers' ties are then the same whatever
    # the backend and whether the facts are read whole or a part at a time (careers.reader)
    facts = Facts(jobs, fiches, {k: sorted(v) for k, v in esco.items()})
    q = get_query("career-path")
    for source, target, kind, evidence, _ in backend.select(q.text, bindings_for(q, {})).rows:
        a, b, k, ev = str(source), str(target), str(kind), str(evidence or "")
        if k == "progression":
            facts.progressions.setdefault(a, []).append((b, ev or "explicit"))
        elif k == "proximity":
            facts.proximity.setdefault(a, set()).add(b)
            facts.proximity.setdefault(b, set()).add(a)  # jg:closeTo is symmetric
        elif k == "mobility":
            facts.mobility.setdefault(a, []).append((b, ev.rsplit(" ", 1)[-1]))
    for values in facts.progressions.values():
        values.sort()
    for moves in facts.mobility.values():
        moves.sort()
    for row in backend.select(internal("job-competences").text, {"lang": Literal(lang)}).rows:
        job, comp, label, notation, framework, kind, key, new, location = row
        facts.competences.setdefault(str(job), {})[str(comp)] = OwnCompetence(
            str(comp), str(label or ""), str(notation or ""), str(framework), str(kind),
            key is not None, new is not None, place_of(location))
    certs: dict[str, dict[str, Any]] = {}
    for cert, label, level, code, certifies, access in backend.select(
            internal("certifications").text).rows:
        c = certs.setdefault(str(cert), {"label": str(label), "level": level, "codes": set(),
                                         "certifies": set(), "access": set()})
        for field_name, value in (("codes", code), ("certifies", certifies),
                                  ("access", access)):
            if value is not None:
                c[field_name].add(str(value))
    facts.certifications = [Certification(iri, c["label"], str(c["level"]) if c["level"]
                                          is not None else None, frozenset(c["codes"]),
                                          frozenset(c["certifies"]), frozenset(c["access"]))
                            for iri, c in sorted(certs.items())]
    return facts


# --- titles --------------------------------------------------------------------------------------

_GENDER = re.compile(r"\((?:e|es|euse|euses|rice|rices|trice|ère|ere|ne|le|se|ve|fe|eresse)\)")
_SLASH_FORM = re.compile(r"(\w+)\s*/\s*\w+")
_GRADE = re.compile(r"\b(?:[ivx]+|\d+(?:er|re|e|eme|nd|nde)?)\b(?:\s+(?:niveau|echelon|degre))?")


def title_key(label: str) -> str:
    """A job title reduced to what names the occupation: folded, the feminine forms and grade
    marks (« (e) », « / Hôtesse », « I », « 2e niveau ») left out."""
    text = _GENDER.sub("", label.casefold())
    text = _SLASH_FORM.sub(r"\1", text)
    text = fold(re.sub(r"[^\w\s'/-]", " ", text))
    text = re.sub(r"\b(?:niveau|echelon|degre)\b", " ", text)
    text = _GRADE.sub(" ", text)
    return " ".join(text.replace("-", " ").split())


__all__ = ["LINK_WEIGHT", "Certification", "Facts", "Fiche", "Item", "JobFacts", "Link",
           "NationalRange", "OwnCompetence", "load_facts", "place_of", "range_text", "title_key"]
