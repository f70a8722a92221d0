"""Facts read a part at a time: what one question needs (a job, the jobs that could be its
equivalents, the jobs its fiches' mobility leads to, one or two referentials), read from any
backend, from the derived graph when it is there (``derive``), else computed from the others.

The answers' rules (``equivalence``, ``steps``, ``gaps``, ``paths``) then run on these facts as
on facts read whole (``facts.load_facts``), with the same results: each load here reads every fact
those rules can touch for the question (tests/test_derive.py compares the answers of every
shipped job both ways).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..backends import Backend, OxigraphBackend
from ..catalogue import internal
from ..derive import available, item_list, job_cards, read_item_list
from ..sparql import with_rows
from .equivalence import TITLE_CANDIDATE, EquivalentsAnswer, TitleIndex
from .facts import (
    Certification,
    Facts,
    Fiche,
    Item,
    JobFacts,
    Link,
    NationalRange,
    OwnCompetence,
    place_of,
)
from .titles import index_for


def job_of(iri: str, card: dict[str, Any], lang: str) -> JobFacts:
    """A job's facts from its card (``derive.job_cards``), its label in ``lang``."""
    label, tag = card["labels"].get(lang) or card["labels"]["fr"]
    national = NationalRange(*card["national"]) if card.get("national") else None
    level = card.get("level")
    links = [Link(fiche, relation, basis) for fiche, relation, basis in card["links"]]
    # the order facts.load_facts gives them (strongest first, then by fiche)
    links.sort(key=lambda x: (-x.weight, x.fiche, x.relation))
    return JobFacts(iri=iri, referential=card["referential"], sector=card["sector"],
                    label=label, label_lang=tag or "fr",
                    level=level[0] if level else None, level_rank=level[1] if level else None,
                    national=national, families=tuple(card["families"]), links=links)


# how many values one query binds at most (a VALUES block of a few thousand IRIs is parsed in
# milliseconds; larger ones are split so that a server's request stays reasonable)
CHUNK = 2000


class Reader:
    """Reads facts into ``self.facts`` as the questions ask for them, never the same twice."""

    def __init__(self, backend: Backend, lang: str = "fr") -> None:
        self.backend = backend
        self.lang = lang
        self.derived = available(backend)
        self.facts = Facts({}, {}, {})
        self._titles: TitleIndex | None = None
        self._linked: set[str] = set()  # fiches whose jobs are all held
        self._esco: set[str] = set()  # fiches whose ESCO joins are held
        self._domains: set[str] = set()  # fiches whose domaine's fiches are held
        self._moves: set[str] = set()  # fiches whose mobility edges are held
        self._steps: set[str] = set()  # jobs whose progressions and proximities are held
        self._full: set[str] = set()  # fiches held with their items' labels
        self._missions: set[str] = set()
        self._competences: set[str] = set()
        self._referentials: set[str] = set()
        self._certifications = False
        self._missing: set[str] = set()  # jobs asked for that the graph does not hold
        self._cards: dict[str, dict[str, Any]] = {}  # fiche -> its card (derived graph)
        self._spread: dict[str, int | None] = {}  # item -> how many fiches list it
        # the equivalents computed on the way (next steps start from them)
        self.equivalent: dict[str, EquivalentsAnswer] = {}

    # --- running queries ---------------------------------------------------------------------

    def _rows(self, name: str, var: str, values: Iterable[str],
              bindings: dict[str, Node] | None = None) -> list[tuple[Node | None, ...]]:
        todo = sorted(set(values))
        out: list[tuple[Node | None, ...]] = []
        text = internal(name).text
        nested = self.backend.name == "oxigraph"
        for i in range(0, len(todo), CHUNK):
            chunk = [URIRef(v) for v in todo[i:i + CHUNK]]
            out += self.backend.select(with_rows(text, var, chunk, nested=nested),
                                       bindings or {}).rows
        return out

    def _texts(self, name: str, var: str, values: Iterable[str]) -> list[tuple[str | None, ...]]:
        """``_rows`` as plain text (IRIs and literals' lexical forms): on the embedded store,
        read without making rdflib terms (a third of the time of a question at ×100 went into
        making them for the cards, only to read their text)."""
        if not isinstance(self.backend, OxigraphBackend):
            return [tuple(None if t is None else str(t) for t in row)
                    for row in self._rows(name, var, values)]
        todo = sorted(set(values))
        out: list[tuple[str | None, ...]] = []
        text = internal(name).text
        for i in range(0, len(todo), CHUNK):
            chunk = [URIRef(v) for v in todo[i:i + CHUNK]]
            out += self.backend.select_text(with_rows(text, var, chunk))
        return out

    @property
    def titles(self) -> TitleIndex:
        if self._titles is None:
            self._titles = index_for(self.backend, self.lang)
        return self._titles

    # --- jobs and fiches -----------------------------------------------------------------------

    def jobs(self, iris: Iterable[str]) -> None:
        """Hold the facts of the jobs ``iris`` (label, referential, level, links) and the fiches
        they are linked to (code, title, domaine, items)."""
        f = self.facts
        todo = {j for j in iris if j not in f.jobs and j not in self._missing}
        if not todo:
            return
        if self.derived:
            cards = {str(j): json.loads(c) for j, c in self._texts("derived-cards", "subject",
                                                                   todo)
                     if c is not None}
        else:
            cards = job_cards(self.backend, [URIRef(j) for j in sorted(todo)], (self.lang,))
        self._missing |= todo - set(cards)
        for iri, card in cards.items():
            f.add_job(job_of(iri, card, self.lang))
        self.fiches({x[0] for card in cards.values() for x in card["links"]})

    def fiches(self, iris: Iterable[str], *, full: bool = False) -> None:
        """Hold the fiches ``iris``: code, title, domaine and the IRIs of their items (``full``:
        each item with its label, kind and category, as a competence gap shows them)."""
        f = self.facts
        wanted = set(iris)
        if full:
            todo = wanted - self._full
            if not todo:
                return
            for row in self._rows("linked-fiches", "fiche", todo):
                fiche, code, title, domain, item, kind, item_label, category = row
                key = str(fiche)
                held = f.fiches.get(key)
                if held is None or key not in self._full:
                    held = Fiche(key, str(code), str(title), str(domain))
                    f.add_fiche(held)
                    self._full.add(key)
                if item is not None:
                    held.items[str(item)] = Item(str(item), str(item_label),
                                                 str(kind or "competence"), str(category or ""))
            return
        todo = wanted - set(f.fiches)
        if not todo:
            return
        cards: dict[str, dict[str, Any]] = {}
        if self.derived:
            for subject, text in self._texts("derived-cards", "subject", todo):
                if text is not None:
                    cards[str(subject)] = json.loads(text)
        else:
            for fiche, code, title, domain in self._rows("fiche-cards", "fiche", todo):
                cards.setdefault(str(fiche), {"code": str(code), "title": str(title),
                                              "domain": str(domain), "items": ""})
            items: dict[str, list[str]] = defaultdict(list)
            for fiche, item in self._rows("fiche-items", "fiche", cards):
                if item is not None:
                    items[str(fiche)].append(str(item))
            for key, made in cards.items():
                made["items"] = item_list(sorted(items.get(key, ())))
        for key, card in cards.items():
            if self.derived:
                self._cards[key] = card
            held = Fiche(key, card["code"], card["title"], card["domain"])
            for i in read_item_list(card["items"]):
                held.items[i] = Item(i, "", "competence", "")
            f.add_fiche(held)

    def linked(self, fiches: Iterable[str]) -> set[str]:
        """Hold every job linked to the fiches ``fiches``; their IRIs."""
        wanted = set(fiches)
        todo = wanted - self._linked
        if todo:
            self.jobs({job for _, job in self._texts("jobs-on-fiches", "fiche", todo)
                       if job is not None})
            self._linked |= todo
        return {j for fiche in wanted for j in self.facts.by_fiche.get(fiche, ())}

    def esco(self, fiches: Iterable[str]) -> None:
        """Hold the ESCO joins from the fiches ``fiches`` to fiches some job is linked to."""
        todo = set(fiches) - self._esco
        if not todo:
            return
        pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
        if self.derived:  # in the fiches' cards (every join, to fiches without jobs too)
            self.fiches(todo)
            for one in todo:
                for other, name in self._cards.get(one, {}).get("esco", []):
                    pairs[(one, other)].append(name)
        else:
            for f1, f2, _, label in self._rows("esco-fiche-pairs", "fiche1", todo):
                pairs[(str(f1), str(f2))].append(str(label or ""))
        self.facts.add_esco(dict(pairs))
        self._esco |= todo

    def domain_mates(self, fiches: Iterable[str]) -> set[str]:
        """The fiches of the domaines of ``fiches`` (held, with their jobs)."""
        todo = set(fiches) - self._domains
        mates: set[str] = set()
        if todo:
            mates = {str(m) for _, m in self._rows("domain-fiches", "fiche", todo)}
            self.fiches(mates)
            self._domains |= todo
        domains = {self.facts.fiches[x].domain for x in fiches if x in self.facts.fiches}
        return {m for d in domains for m in self.facts.fiches_in(d)}

    def moves(self, fiches: Iterable[str]) -> None:
        """Hold ROME's mobility edges from ``fiches`` to fiches some job is linked to."""
        todo = set(fiches) - self._moves
        if not todo:
            return
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        if self.derived:  # in the fiches' cards (every edge, to fiches without jobs too)
            self.fiches(todo)
            for start in todo:
                for end, how in self._cards.get(start, {}).get("moves", []):
                    found[start].append((end, how))
        else:
            for source, target, prop in self._rows("fiche-moves", "source", todo):
                found[str(source)].append((str(target), str(prop).rsplit("#", 1)[-1]))
        for key in todo:
            self.facts.mobility[key] = sorted(found.get(key, []))
        self._moves |= todo

    def steps(self, jobs: Iterable[str]) -> None:
        """Hold the progressions from ``jobs`` and the proximities they take part in."""
        todo = set(jobs) - self._steps
        if not todo:
            return
        f = self.facts
        for source, target, kind, basis in self._rows("job-steps", "source", todo):
            a, b = str(source), str(target)
            if str(kind) == "progression":
                targets = f.progressions.setdefault(a, [])
                if (b, str(basis or "explicit")) not in targets:
                    targets.append((b, str(basis) or "explicit"))
                    targets.sort()
            else:
                f.proximity.setdefault(a, set()).add(b)
                f.proximity.setdefault(b, set()).add(a)
        self._steps |= todo

    def referentials(self, refs: Iterable[str]) -> set[str]:
        """Hold every job of the referentials ``refs`` (ids), with their steps; their IRIs."""
        from ..namespaces import referential_iri

        todo = set(refs) - self._referentials
        if todo:
            jobs = {str(j) for (j,) in self._rows("derive-referential-jobs", "referential",
                                                  [str(referential_iri(r)) for r in todo])}
            self.jobs(jobs)
            self.steps(jobs)
            self._referentials |= todo
        return {j.iri for j in self.facts.jobs.values() if j.referential in set(refs)}

    # --- what each answer needs ------------------------------------------------------------------

    def for_equivalents(self, job: str) -> bool:
        """Hold what ``equivalence.equivalents`` reads for ``job``: the jobs linked to its fiches,
        to the fiches an ESCO occupation joins to them, to the fiches of their domaines, and the
        jobs with a similar title. False when ``job`` is not a job of the graph."""
        self.jobs([job])
        me = self.facts.jobs.get(job)
        if me is None:
            return False
        own = {link.fiche for link in me.links}
        self.esco(own)
        related = set(own) | {f2 for f1 in own for f2 in self.facts.esco_from(f1)}
        related |= self.domain_mates(own)
        found = set(self.linked(related))
        titles = self.titles
        if job in titles.pos:
            sims = titles.similarities(job)
            similar = [titles.jobs[i] for i, s in enumerate(sims) if s >= TITLE_CANDIDATE]
            self.jobs(similar)
            found |= set(similar)
        # the candidates' progressions: one rung of a ladder is shown (one_rung_per_ladder)
        self.steps(found)
        return True

    def for_next_steps(self, job: str) -> bool:
        """Hold what ``steps.next_steps`` reads: the equivalents' facts, the job's referential
        with its steps, the jobs ROME's mobility leads to, the equivalents' progressions."""
        from .equivalence import equivalents

        if not self.for_equivalents(job):
            return False
        me = self.facts.jobs[job]
        self.referentials([me.referential])
        own = [link.fiche for link in me.links]
        self.moves(own)
        self.linked({to for fiche in own for to, _ in self.facts.mobility.get(fiche, [])})
        self.equivalent[job] = equivalents(self.facts, self.titles, job, lang=self.lang)
        eq = [e.job.iri for e in self.equivalent[job].rows]
        self.steps(eq)
        self.jobs(t for e in eq for t, _ in self.facts.progressions.get(e, []))
        return True

    def for_scope(self, refs: Iterable[str]) -> set[str]:
        """Hold what the steps between the jobs of the referentials ``refs`` are made of (a path
        search kept inside them): their jobs and steps, ESCO joins and mobility between their
        fiches; the jobs' IRIs."""
        jobs = self.referentials(refs)
        fiches = {link.fiche for j in jobs for link in self.facts.jobs[j].links}
        self.esco(fiches)
        self.moves(fiches)
        return jobs

    def for_steps_from(self, job: str) -> None:
        """Hold what every step from ``job`` is made of (a path search anywhere): its
        equivalents' candidates, its progressions and proximities, the jobs ROME's mobility
        leads to."""
        if not self.for_equivalents(job):
            return
        me = self.facts.jobs[job]
        if me.level is None and me.families:
            # the métiers of its family, neighbours when neither has a printed level
            # (``paths._family``): its referential's jobs
            self.referentials([me.referential])
        self.steps([job])
        self.jobs(t for t, _ in self.facts.progressions.get(job, []))
        self.jobs(self.facts.proximity.get(job, set()))
        own = [link.fiche for link in self.facts.jobs[job].links]
        self.moves(own)
        # with their progressions: a move enters a ladder at its lowest rung on the fiche
        # (``paths._above_entry``)
        self.steps(self.linked({to for fiche in own
                                for to, _ in self.facts.mobility.get(fiche, [])}))

    def for_gap(self, source: str, target: str) -> bool:
        """Hold what ``gaps.competence_gap`` reads of the two jobs."""
        self.for_gaps([source, target])
        return source in self.facts.jobs and target in self.facts.jobs

    def for_gaps(self, jobs: Iterable[str]) -> None:
        """Hold what ``gaps.competence_gap`` reads of any pair of the jobs ``jobs`` (a few
        queries for all of them: the web application reads every job's once)."""
        wanted = set(jobs)
        self.jobs(wanted)
        held = [j for j in sorted(wanted) if j in self.facts.jobs]
        self.fiches({link.fiche for j in held for link in self.facts.jobs[j].links}, full=True)
        self.competences(held)
        self.missions(held)
        self.certifications()

    def competences(self, jobs: Iterable[str]) -> None:
        todo = set(jobs) - self._competences
        if not todo:
            return
        for row in self._rows("job-competences", "job", todo, {"lang": Literal(self.lang)}):
            job, comp, label, notation, framework, kind, key, new, location = row
            self.facts.competences.setdefault(str(job), {})[str(comp)] = OwnCompetence(
                str(comp), str(label or ""), str(notation or ""), str(framework), str(kind),
                key is not None, new is not None, place_of(location))
        self._competences |= todo

    def missions(self, jobs: Iterable[str]) -> None:
        todo = {j for j in jobs if j in self.facts.jobs} - self._missions
        if not todo:
            return
        for subject, kind, text in self._rows("job-text", "job", todo):
            if str(subject) in todo and str(kind) == "mission":
                self.facts.jobs[str(subject)].missions.append(str(text))
        for j in todo:
            self.facts.jobs[j].missions.sort()
        self._missions |= todo

    def certifications(self) -> None:
        if self._certifications:
            return
        certs: dict[str, dict[str, Any]] = {}
        for cert, label, level, code, certifies, access in self.backend.select(
                internal("certifications").text).rows:
            c = certs.setdefault(str(cert), {"label": str(label), "level": level, "codes": set(),
                                             "certifies": set(), "access": set()})
            for name, value in (("codes", code), ("certifies", certifies), ("access", access)):
                if value is not None:
                    c[name].add(str(value))
        self.facts.certifications = [
            Certification(iri, c["label"], str(c["level"]) if c["level"] is not None else None,
                          frozenset(c["codes"]), frozenset(c["certifies"]),
                          frozenset(c["access"])) for iri, c in sorted(certs.items())]
        self._certifications = True

    def spread(self, items: Iterable[str], target: str) -> dict[str, int] | None:
        """How many ROME fiches list each of ``items`` (the derived graph's counts); None when
        there is no derived graph (``gaps`` then asks the graph with item-spread)."""
        if not self.derived:
            return None
        wanted = set(items)
        todo = wanted - set(self._spread)
        if todo:
            counts = {str(i): int(str(n)) for i, n in self._rows("item-counts", "item", todo)
                      if n is not None}
            for i in todo:
                self._spread[i] = counts.get(i)
        return {i: n for i in wanted if (n := self._spread[i]) is not None}


__all__ = ["CHUNK", "Reader"]
