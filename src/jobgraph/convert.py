"""Records to RDF: one list of triples per named graph, no I/O and no side effects."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .model import Alignment, Competence, Dataset, Job, Loc, Referential
from .namespaces import (
    DCTERMS,
    JG,
    PROV,
    RDF,
    SKOS,
    XSD,
    graph_iri,
    iri,
    referential_iri,
    rome_iri,
    sector_iri,
)

Triple = tuple[Node, Node, Node]

SCALE_CLASSES = {
    "grade": JG.GradeScale,
    "coefficient": JG.CoefficientScale,
    "cotation": JG.CotationScale,
    "qualification": JG.QualificationFramework,
}
COMPETENCE_CLASSES = {
    "domain": JG.CompetenceDomain,
    "competence": JG.Competence,
    "skill": JG.Skill,
    "knowledge": JG.Knowledge,
    "attitude": JG.Attitude,
}
MATCH = {
    "exactMatch": SKOS.exactMatch,
    "closeMatch": SKOS.closeMatch,
    "broadMatch": SKOS.broadMatch,
    "narrowMatch": SKOS.narrowMatch,
    "relatedMatch": SKOS.relatedMatch,
}


def fr(text: str) -> Literal:
    return Literal(text, lang="fr")


def en(text: str) -> Literal:
    return Literal(text, lang="en")


def integer(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def string(value: str) -> Literal:
    return Literal(value)


class _Emitter:
    """Collects the triples of one referential's graph."""

    def __init__(self, ref: Referential) -> None:
        self.ref = ref
        self.triples: list[Triple] = []
        self.document = iri(ref.id, "document", "source")

    def add(self, s: Node, p: Node, o: Node | None) -> None:
        if o is not None:
            self.triples.append((s, p, o))

    def many(self, s: Node, p: Node, objects: list[Node]) -> None:
        for o in objects:
            self.triples.append((s, p, o))

    def provenance(self, s: Node, loc: Loc, doc_line: int | None) -> None:
        self.add(s, PROV.wasDerivedFrom, self.document)
        self.add(s, JG.sourceLocation, string(str(loc)))
        if doc_line is not None:
            self.add(s, JG.sourceLine, integer(doc_line))

    def node(self, kind: str, ident: str) -> URIRef:
        return iri(self.ref.id, kind, ident)

    def ref_node(self, kind: str, qualified: str) -> URIRef:
        """A reference written ``id`` (this referential) or ``<referential>/<id>``."""
        if "/" in qualified:
            rid, ident = qualified.split("/", 1)
            return iri(rid, kind, ident)
        return self.node(kind, qualified)


def convert_referential(ref: Referential, ds: Dataset | None = None) -> list[Triple]:
    """The triples of one referential's named graph."""
    e = _Emitter(ref)
    r = referential_iri(ref.id)
    e.add(r, RDF.type, JG.Referential)
    e.add(r, DCTERMS.title, fr(ref.title))
    e.add(r, SKOS.prefLabel, fr(ref.title))
    if ref.title_en:
        e.add(r, DCTERMS.title, en(ref.title_en))
        e.add(r, SKOS.prefLabel, en(ref.title_en))
    if ref.issued:
        e.add(r, DCTERMS.issued, Literal(ref.issued.isoformat(), datatype=XSD.date))
    if ref.publisher:
        e.add(r, DCTERMS.publisher, string(ref.publisher))
    if ref.idcc:
        e.add(r, JG.idcc, string(ref.idcc))
    for name in ref.employers:
        e.add(r, JG.signatoryEmployer, string(name))
    for name in ref.employees:
        e.add(r, JG.signatoryEmployee, string(name))
    if ref.note:
        e.add(r, SKOS.note, fr(ref.note))
    e.add(r, DCTERMS.source, e.document)
    e.add(e.document, RDF.type, PROV.Entity)
    if ref.source_title:
        e.add(e.document, DCTERMS.title, fr(ref.source_title))
    if ref.source_file:
        folder = ref.loc.file.rsplit("/", 1)[0]
        e.add(e.document, JG.sourceLocation, string(f"{folder}/{ref.source_file}"))
    e.provenance(r, ref.loc, None)

    if ref.sector:
        s = sector_iri(ref.sector.id)
        e.add(r, JG.sector, s)
        e.add(s, RDF.type, JG.Sector)
        e.add(s, SKOS.prefLabel, fr(ref.sector.label))
        if ref.sector.label_en:
            e.add(s, SKOS.prefLabel, en(ref.sector.label_en))

    if ref.scale:
        sc = e.node("scale", ref.scale.id)
        e.add(r, JG.levelScale, sc)
        e.add(sc, RDF.type, JG.LevelScale)
        e.add(sc, RDF.type, SCALE_CLASSES[ref.scale.kind])
        e.add(sc, SKOS.prefLabel, fr(ref.scale.label))
        if ref.scale.band_basis:
            e.add(sc, JG.bandBasis, fr(ref.scale.band_basis))
        e.provenance(sc, ref.scale.loc, None)
        for lv in ref.scale.levels:
            n = e.node("level", lv.id)
            e.add(n, RDF.type, JG.Level)
            e.add(n, JG.inScale, sc)
            e.add(n, SKOS.inScheme, r)
            e.add(n, SKOS.notation, string(lv.notation))
            e.add(n, JG.rank, integer(lv.rank))
            e.add(n, SKOS.prefLabel, fr(lv.label or lv.notation))
            if lv.definition:
                e.add(n, SKOS.definition, fr(lv.definition))
            if lv.min_total is not None:
                e.add(n, JG.minTotalScore, integer(lv.min_total))
            if lv.max_total is not None:
                e.add(n, JG.maxTotalScore, integer(lv.max_total))
            if lv.aligned_to:
                _alignment(e, n, lv.aligned_to)
            e.provenance(n, lv.loc, lv.doc_line)
    elif ref.scale_ref and ds and ref.scale_ref in ds.referentials:
        owner = ds.referentials[ref.scale_ref]
        if owner.scale:
            e.add(r, JG.levelScale, iri(owner.id, "scale", owner.scale.id))

    for c in ref.criteria:
        n = e.node("criterion", c.id)
        e.add(n, RDF.type, JG.Criterion)
        e.add(n, SKOS.inScheme, r)
        e.add(n, SKOS.prefLabel, fr(c.label))
        e.add(n, JG.minValue, integer(c.min))
        e.add(n, JG.maxValue, integer(c.max))
        e.add(n, JG.rank, integer(c.rank))
        e.provenance(n, c.loc, c.doc_line)

    for f in ref.families:
        n = e.node("family", f.id)
        e.add(n, RDF.type, JG.JobFamily)
        e.add(n, SKOS.inScheme, r)
        e.add(n, SKOS.prefLabel, fr(f.label))
        if f.kind:
            e.add(n, DCTERMS.type, fr(f.kind))
        if f.broader:
            e.add(n, SKOS.broader, e.node("family", f.broader))
        e.provenance(n, f.loc, f.doc_line)

    for fw in ref.frameworks:
        n = e.node("framework", fw.id)
        e.add(n, RDF.type, JG.CompetenceFramework)
        e.add(n, DCTERMS.title, fr(fw.title))
        e.add(n, SKOS.prefLabel, fr(fw.title))
        e.add(n, DCTERMS.isPartOf, r)
        if fw.notation_pattern:
            e.add(n, JG.notationPattern, string(fw.notation_pattern))
        e.provenance(n, fw.loc, None)

    for comp in ref.competences:
        _competence(e, comp)

    for a in ref.activities:
        n = e.node("activity", a.id)
        e.add(n, RDF.type, JG.ActivityType)
        e.add(n, SKOS.inScheme, r)
        e.add(n, SKOS.prefLabel, fr(a.label))
        if a.notation:
            e.add(n, SKOS.notation, string(a.notation))
        if a.description:
            e.add(n, SKOS.definition, fr(a.description))
        e.many(n, JG.hasCompetence, [e.node("competence", c) for c in a.competences])
        e.provenance(n, a.loc, a.doc_line)

    for job in ref.jobs:
        _job(e, r, job)

    for cert in ref.certifications:
        n = e.node("certification", cert.id)
        e.add(n, RDF.type, JG.Certification)
        e.add(n, SKOS.prefLabel, fr(cert.label))
        e.add(n, SKOS.inScheme, r)
        if cert.level:
            e.add(n, JG.level, e.ref_node("level", cert.level))
        if cert.level_basis:
            e.add(n, JG.alignmentBasis, string(cert.level_basis))
        e.many(n, JG.nsfCode, [string(c) for c in cert.nsf])
        e.many(n, JG.romeCode, [string(c) for c in cert.rome])
        e.many(n, JG.certifies, [e.node("competence", c) for c in cert.certifies])
        e.many(n, JG.givesAccessTo, [e.node("job", j) for j in cert.gives_access_to])
        e.many(n, JG.accessibleTitle, [fr(t) for t in cert.accessible_titles])
        e.provenance(n, cert.loc, cert.doc_line)

    for link in ref.rome_links:
        job_node = e.node("job", link.job)
        target = rome_iri("metier", link.rome)
        e.add(job_node, MATCH[link.relation], target)
        m = e.node("rome-link", f"{link.job}.{link.rome}")
        e.add(m, RDF.type, JG.RomeMapping)
        e.add(m, JG.mappedJob, job_node)
        e.add(m, JG.mappedTo, target)
        e.add(m, JG.matchType, MATCH[link.relation])
        e.add(m, JG.basis, string(link.basis))
        if link.rationale:
            e.add(m, SKOS.note, string(link.rationale))
        e.provenance(m, link.loc, None)
    return e.triples


def _alignment(e: _Emitter, n: URIRef, al: Alignment) -> None:
    """A level's or a job's place on the national framework. Every alignment has jg:alignedToMin
    and jg:alignedToMax, so one pattern reads exact ones and ranges; an exact one also keeps
    jg:alignedTo (DESIGN.md)."""
    if al.level is not None:
        e.add(n, JG.alignedTo, e.ref_node("level", al.level))
    e.add(n, JG.alignedToMin, e.ref_node("level", al.lowest))
    e.add(n, JG.alignedToMax, e.ref_node("level", al.highest))
    e.add(n, JG.alignmentBasis, string(al.basis))
    if al.note:
        e.add(n, JG.alignmentNote, fr(al.note))


def _competence(e: _Emitter, comp: Competence) -> None:
    n = e.node("competence", comp.id)
    e.add(n, RDF.type, COMPETENCE_CLASSES[comp.kind])
    e.add(n, SKOS.inScheme, e.node("framework", comp.framework))
    if comp.label:
        e.add(n, SKOS.prefLabel, fr(comp.label))
    if comp.notation:
        e.add(n, SKOS.notation, string(comp.notation))
    if comp.broader:
        e.add(n, SKOS.broader, e.node("competence", comp.broader))
    if comp.transversal is not None:
        e.add(n, JG.transversal, Literal(comp.transversal, datatype=XSD.boolean))
    if comp.description:
        e.add(n, SKOS.definition, fr(comp.description))
    if comp.context:
        e.add(n, JG.context, fr(comp.context))
    e.many(n, JG.performanceCriterion, [fr(t) for t in comp.performance_criteria])
    if comp.category:
        e.add(n, JG.category, fr(comp.category))
    e.provenance(n, comp.loc, comp.doc_line)


def _job(e: _Emitter, r: URIRef, job: Job) -> None:
    n = e.node("job", job.id)
    e.add(n, RDF.type, JG.Job)
    e.add(n, SKOS.inScheme, r)
    e.add(n, SKOS.prefLabel, fr(job.label))
    e.many(n, SKOS.altLabel, [fr(t) for t in job.alt_labels])
    e.many(n, SKOS.altLabel, [en(t) for t in job.alt_labels_en])
    if job.definition:
        e.add(n, SKOS.definition, fr(job.definition))
    e.many(n, JG.mission, [fr(t) for t in job.missions])
    e.many(n, JG.accessoryMission, [fr(t) for t in job.accessory_missions])
    e.many(n, JG.requirement, [fr(t) for t in job.requirements])
    e.many(n, JG.prerequisite, [fr(t) for t in job.prerequisites])
    e.many(n, JG.context, [fr(t) for t in job.conditions])
    e.many(n, JG.family, [e.node("family", f) for f in job.families])
    if job.level:
        e.add(n, JG.level, e.ref_node("level", job.level))
    if job.national_level:
        _alignment(e, n, job.national_level)
    for crit, value in job.scores.items():
        s = e.node("score", f"{job.id}.{crit}")
        e.add(n, JG.score, s)
        e.add(s, RDF.type, JG.CriterionScore)
        e.add(s, JG.criterion, e.node("criterion", crit))
        e.add(s, JG.value, integer(value))
        e.add(s, JG.sourceLocation, string(str(job.loc)))
        e.add(s, PROV.wasDerivedFrom, e.document)
    e.many(n, JG.requires, [e.node("competence", c) for c in job.requires])
    e.many(n, JG.requiresKey, [e.node("competence", c) for c in job.requires_key])
    e.many(n, JG.requiresNew, [e.node("competence", c) for c in job.requires_new])
    for p in job.progresses_to:
        target = e.node("job", p.job)
        e.add(n, JG.progressesTo, target)
        pn = e.node("progression", f"{job.id}.{p.job}")
        e.add(pn, RDF.type, JG.Progression)
        e.add(pn, JG.fromJob, n)
        e.add(pn, JG.toJob, target)
        e.add(pn, JG.basis, string(p.basis))
        if p.note:
            e.add(pn, SKOS.note, fr(p.note))
        e.provenance(pn, p.loc, None)
    for other in job.close_to:
        # jg:closeTo is symmetric: both directions are written so no reasoner is needed to query it
        e.add(n, JG.closeTo, e.node("job", other))
        e.add(e.node("job", other), JG.closeTo, n)
    e.many(n, JG.legacyRomeCode, [string(c) for c in job.legacy_rome])
    if job.maximum_tenure:
        e.add(n, JG.maximumTenure, Literal(job.maximum_tenure, datatype=XSD.duration))
    if job.incomplete:
        e.add(n, SKOS.editorialNote, fr(job.incomplete))
    e.provenance(n, job.loc, job.doc_line)


def convert(ds: Dataset) -> dict[URIRef, list[Triple]]:
    """Every referential's triples by named graph IRI (ROME and ontology are added by build)."""
    return {graph_iri(ref.id): _dedupe(convert_referential(ref, ds))
            for ref in ds.referentials.values()}


def _dedupe(triples: list[Triple]) -> list[Triple]:
    return list(dict.fromkeys(triples))


def iter_quads(graphs: dict[URIRef, list[Triple]]) -> Iterator[tuple[Node, Node, Node, URIRef]]:
    for g, triples in graphs.items():
        for s, p, o in triples:
            yield s, p, o, g


__all__ = ["BNode", "Triple", "convert", "convert_referential", "iter_quads"]
