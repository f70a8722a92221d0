"""The career answers as stored questions' rows: ``jobgraph query equivalent-jobs|next-steps|
competence-gap`` (and the web application) get these, computed from the facts any backend gives,
in the columns the query's ``# answer:`` header declares."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..backends import Backend, Result
from ..namespaces import XSD, iri, referential_iri, sector_iri
from .equivalence import TitleIndex, equivalents
from .facts import Facts, load_facts, range_text
from .gaps import GapAnswer, competence_gap
from .reader import Reader
from .steps import next_steps

_CACHE: weakref.WeakKeyDictionary[Any, dict[str, tuple[Facts, TitleIndex]]] = \
    weakref.WeakKeyDictionary()


def facts_for(backend: Backend, lang: str = "fr") -> tuple[Facts, TitleIndex]:
    """The facts of ``backend`` and their title index, read once per backend and language."""
    try:
        per = _CACHE.setdefault(backend, {})
    except TypeError:  # an object that cannot be weakly referenced: no cache
        per = {}
    if lang not in per:
        facts = load_facts(backend, lang)
        per[lang] = (facts, TitleIndex(facts))
    return per[lang]


@dataclass
class Computed:
    """A computed answer: its rows, and a sentence for people when there is something to say
    (an empty answer, a coverage figure)."""

    result: Result
    note: str = ""


def _lit(value: object) -> Node | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    if isinstance(value, float):
        return Literal(Decimal(str(round(value, 3))), datatype=XSD.decimal)
    return Literal(str(value))


def _ref(short: str) -> URIRef:
    return referential_iri(short)


def _sector(short: str) -> URIRef | None:
    return sector_iri(short) if short else None


def _job_param(bindings: Mapping[str, Node], name: str) -> str:
    return str(bindings[name])


def read_for(backend: Backend, lang: str) -> Reader:
    """A reader of the facts one question needs (``careers.reader``): each answer reads what it
    needs of the graph, from the derived graph when there, instead of every job's facts."""
    return Reader(backend, lang)


class SharedReaders:
    """Readers kept from one question to the next while the data does not change (the web
    application serves a read-only store): a language's reader holds what earlier questions
    read, so the next question reads only what is new to it. The facts a reader holds only grow,
    and the rules give the same answer on more facts than a question needs (tests/test_derive.py
    compares the answers read a part at a time with those on every fact); one question at a time
    uses a reader, and one that holds more than ``max_jobs`` jobs is started afresh."""

    def __init__(self, backend: Backend, version: Callable[[], str], *,
                 max_jobs: int = 20_000) -> None:
        self.backend = backend
        self.version = version
        self.max_jobs = max_jobs
        self._readers: dict[tuple[str, str], tuple[Reader, threading.Lock]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def reading(self, lang: str) -> Iterator[Reader]:
        key = (self.version(), lang)
        with self._lock:
            held = self._readers.get(key)
            if held is None or len(held[0].facts.jobs) > self.max_jobs:
                # a new version of the data: the readers of the old one are dropped
                self._readers = {k: v for k, v in self._readers.items() if k[0] == key[0]}
                held = self._readers[key] = (Reader(self.backend, lang), threading.Lock())
        reader, lock = held
        with lock:
            yield reader


@contextmanager
def reading(backend: Backend, lang: str) -> Iterator[Reader]:
    """The reader one question uses: the backend's shared one when it keeps them
    (``SharedReaders`` as its ``readers``), else a new one."""
    shared = getattr(backend, "readers", None)
    if isinstance(shared, SharedReaders):
        with shared.reading(lang) as reader:
            yield reader
    else:
        yield read_for(backend, lang)


def equivalent_jobs(backend: Backend, bindings: Mapping[str, Node], lang: str,
                    columns: list[str]) -> Computed:
    with reading(backend, lang) as reader:
        return _equivalent_jobs(reader, backend, bindings, lang, columns)


def _equivalent_jobs(reader: Reader, backend: Backend, bindings: Mapping[str, Node],
                     lang: str, columns: list[str]) -> Computed:
    job = _job_param(bindings, "job")
    reader.for_equivalents(job)
    facts, titles = reader.facts, reader.titles
    answer = equivalents(facts, titles, job, lang=lang)
    me = facts.jobs[job]
    rows = []
    for e in answer.shown:
        p = e.pair
        fiches = " ".join(sorted({facts.fiches[f].code for f, _ in p.fiches if f in facts.fiches}))
        esco = " ".join(sorted({f"{facts.fiches[a].code}~{facts.fiches[b].code}"
                                for a, b, *_ in p.esco if a in facts.fiches and b in facts.fiches}))
        domains = " ".join(sorted({d for d, _ in p.domains}))
        via = "fiche" if fiches else ("esco" if esco else ("domaine" if domains else "title"))
        values = {
            "other": URIRef(e.job.iri), "otherLabel": Literal(e.job.label, lang=e.job.label_lang),
            "referential": _ref(e.job.referential), "sector": _sector(e.job.sector),
            "score": _lit(e.score), "why": Literal(e.why), "via": Literal(via),
            "sharedFiches": Literal(fiches), "escoLinks": Literal(esco),
            "sharedDomains": Literal(domains), "titleSimilarity": _lit(p.title),
            "sharedCompetences": _lit(p.shared_items), "competenceOverlap": _lit(p.overlap),
            "level": _lit(range_text(me.national, lang) if me.national else None),
            "otherLevel": _lit(range_text(e.job.national, lang) if e.job.national else None),
            "levelDistance": _lit(p.level_gap),
        }
        rows.append(tuple(values.get(c) for c in columns))
    note = answer.empty_note(lang) if not answer.rows else ""
    return Computed(Result(columns, rows), note)


def next_steps_answer(backend: Backend, bindings: Mapping[str, Node], lang: str,
                      columns: list[str]) -> Computed:
    with reading(backend, lang) as reader:
        return _next_steps_answer(reader, backend, bindings, lang, columns)


def _next_steps_answer(reader: Reader, backend: Backend, bindings: Mapping[str, Node],
                       lang: str, columns: list[str]) -> Computed:
    job = _job_param(bindings, "job")
    reader.for_next_steps(job)
    facts, titles = reader.facts, reader.titles
    me = facts.jobs[job]
    max_steps = int(str(bindings.get("maxSteps", 3)))
    rows = []
    for s in next_steps(facts, titles, job, max_steps=max_steps, lang=lang,
                        equivalent=reader.equivalent.get(job)):
        values = {
            "kind": Literal(s.kind), "next": URIRef(s.job.iri),
            "nextLabel": Literal(s.job.label, lang=s.job.label_lang),
            "referential": _ref(s.job.referential), "steps": _lit(s.steps), "via": _lit(s.via),
            "level": _lit(range_text(me.national, lang) if me.national else None),
            "nextLevel": _lit(range_text(s.job.national, lang) if s.job.national else None),
            "nextGrade": _lit(s.job.level), "why": Literal(s.why),
        }
        rows.append(tuple(values.get(c) for c in columns))
    return Computed(Result(columns, rows))


@lru_cache(maxsize=100_000)
def _rome_gap_row(item: str, kind: str, label: str, category: str, required_by: str, spread: int,
                  columns: tuple[str, ...]) -> tuple[Node | None, ...]:
    """The row of a ROME item missing for a target: the same for every source that misses it,
    so kept (a server answers gaps to the same targets again and again)."""
    values = {"basis": Literal("rome"), "kind": Literal(kind), "competence": URIRef(item),
              "competenceLabel": Literal(label), "notation": _lit(item.rsplit("/", 1)[-1]),
              "framework": URIRef(str(iri("rome", "framework", "competences"))),
              "requiredBy": Literal(required_by), "marks": Literal(""),
              "group": Literal(category), "specificity": _lit(spread)}
    return tuple(values.get(col) for col in columns)


def gap_rows(answer: GapAnswer, columns: list[str], lang: str) -> list[tuple[Node | None, ...]]:
    rows = []
    for g in answer.own:
        c = g.competence
        marks = " ".join(m for m, on in (("key", c.key), ("new", c.new)) if on)
        values = {"basis": Literal("framework"), "kind": Literal(c.kind),
                  "competence": URIRef(c.iri), "competenceLabel": Literal(c.label),
                  "notation": _lit(c.notation), "framework": URIRef(c.framework),
                  "requiredBy": Literal(""), "marks": Literal(marks), "group": _lit(None),
                  "specificity": _lit(None)}
        rows.append(tuple(values.get(col) for col in columns))
    kept = tuple(columns)
    for group in answer.groups:
        rows += [_rome_gap_row(g.item.iri, g.item.kind, g.item.label, group.category,
                               " ".join(g.required_by), g.spread, kept) for g in group.gaps]
    for cert, reason in answer.certifications:
        values = {"basis": Literal("certification"), "kind": Literal(reason),
                  "competence": URIRef(cert.iri), "competenceLabel": Literal(cert.label),
                  "notation": _lit(cert.level), "requiredBy": Literal(" ".join(
                      sorted(cert.rome_codes))), "marks": Literal(""), "group": _lit(None)}
        rows.append(tuple(values.get(col) for col in columns))
    return rows


def competence_gap_answer(backend: Backend, bindings: Mapping[str, Node], lang: str,
                          columns: list[str]) -> Computed:
    with reading(backend, lang) as reader:
        return _competence_gap_answer(reader, backend, bindings, lang, columns)


def _competence_gap_answer(reader: Reader, backend: Backend, bindings: Mapping[str, Node],
                           lang: str, columns: list[str]) -> Computed:
    source, target = str(bindings["from"]), str(bindings["to"])
    reader.for_gap(source, target)
    facts = reader.facts
    items = {i for link in facts.jobs[target].links if link.fiche in facts.fiches
             for i in facts.fiches[link.fiche].items}
    answer = competence_gap(facts, backend, source, target, spread=reader.spread(items, target))
    return Computed(Result(columns, gap_rows(answer, columns, lang)), answer.coverage_text(lang))


Answerer = Callable[[Backend, Mapping[str, Node], str, list[str]], Computed]
ANSWERS: dict[str, Answerer] = {
    "equivalent-jobs": equivalent_jobs,
    "next-steps": next_steps_answer,
    "competence-gap": competence_gap_answer,
}

__all__ = ["ANSWERS", "Computed", "SharedReaders", "facts_for", "gap_rows", "read_for", "reading"]
