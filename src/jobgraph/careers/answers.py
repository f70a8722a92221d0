"""The career answers as stored questions' rows: ``jobgraph query equivalent-jobs|next-steps|
competence-gap`` (and the web application) get these, computed from the facts any backend gives,
in the columns the query's ``# answer:`` header declares."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
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


def equivalent_jobs(backend: Backend, bindings: Mapping[str, Node], lang: str,
                    columns: list[str]) -> Computed:
    job = _job_param(bindings, "job")
    reader = read_for(backend, lang)
    reader.for_equivalents(job)
    facts, titles = reader.facts, reader.titles
    answer = equivalents(facts, titles, job, lang=lang)
    me = facts.jobs[job]
    rows = []
    for e in answer.rows:
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
    job = _job_param(bindings, "job")
    reader = read_for(backend, lang)
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
    for group in answer.groups:
        for gap in group.gaps:
            values = {"basis": Literal("rome"), "kind": Literal(gap.item.kind),
                      "competence": URIRef(gap.item.iri),
                      "competenceLabel": Literal(gap.item.label),
                      "notation": _lit(gap.item.iri.rsplit("/", 1)[-1]),
                      "framework": URIRef(str(iri("rome", "framework", "competences"))),
                      "requiredBy": Literal(" ".join(gap.required_by)), "marks": Literal(""),
                      "group": Literal(group.category), "specificity": _lit(gap.spread)}
            rows.append(tuple(values.get(col) for col in columns))
    for cert, reason in answer.certifications:
        values = {"basis": Literal("certification"), "kind": Literal(reason),
                  "competence": URIRef(cert.iri), "competenceLabel": Literal(cert.label),
                  "notation": _lit(cert.level), "requiredBy": Literal(" ".join(
                      sorted(cert.rome_codes))), "marks": Literal(""), "group": _lit(None)}
        rows.append(tuple(values.get(col) for col in columns))
    return rows


def competence_gap_answer(backend: Backend, bindings: Mapping[str, Node], lang: str,
                          columns: list[str]) -> Computed:
    source, target = str(bindings["from"]), str(bindings["to"])
    reader = read_for(backend, lang)
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

__all__ = ["ANSWERS", "Computed", "facts_for", "gap_rows", "read_for"]
