"""Tests of ontology/jobgraph.ttl and ontology/alignments.ttl against the closed JG namespace."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from jobgraph import namespaces as ns
from jobgraph.namespaces import DCTERMS, JG, OWL, PROV, RDF, RDFS, SKOS
from jobgraph.reason import java_available, reason

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "jobgraph.ttl"
ALIGNMENTS = ROOT / "ontology" / "alignments.ttl"
ONTOLOGY_IRI = URIRef("https://w3id.org/jobgraph/ontology")

needs_java = pytest.mark.skipif(not java_available(), reason="the OWL reasoner needs Java")


def _jg_sections() -> dict[str, set[str]]:
    """The terms of JG grouped by the section comments of namespaces.py (the contract)."""
    sections: dict[str, set[str]] = {}
    current = None
    for line in inspect.getsource(JG).splitlines():
        stripped = line.strip()
        if stripped.startswith("# "):
            current = stripped[2:]
            sections[current] = set()
        elif (match := re.fullmatch(r"(\w+): URIRef", stripped)) and current is not None:
            sections[current].add(match.group(1))
    return sections


SECTIONS = _jg_sections()
KIND = {
    "classes": OWL.Class,
    "object properties": OWL.ObjectProperty,
    "datatype properties": OWL.DatatypeProperty,
}
TERMS = {name: KIND[section] for section, names in SECTIONS.items() for name in names}
PROPERTIES = sorted(name for name, kind in TERMS.items() if kind != OWL.Class)


def _term(name: str) -> URIRef:
    return URIRef(f"{JG}{name}")


def _languages(graph: Graph, subject: URIRef, prop: URIRef) -> list[str | None]:
    """Language tags of the literal values of ``prop``, sorted (a value without tag is None)."""
    values = [v for v in graph.objects(subject, prop) if isinstance(v, Literal)]
    return sorted((v.language for v in values), key=lambda lang: lang or "")


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(ONTOLOGY)


@pytest.fixture(scope="module")
def alignments() -> Graph:
    return Graph().parse(ALIGNMENTS)


def test_sections_of_namespaces_cover_every_jg_term() -> None:
    assert set(SECTIONS) == set(KIND)
    names = {n for n in JG.__annotations__ if not n.startswith("_")}
    assert set(TERMS) == names


def test_ontology_header(onto: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    assert onto.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef(
        "https://w3id.org/jobgraph/ontology/0.1.0"
    )
    assert onto.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")
    assert onto.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert onto.value(ONTOLOGY_IRI, DCTERMS.creator) == Literal("jobgraph")
    for prop in (DCTERMS.title, DCTERMS.description):
        assert _languages(onto, ONTOLOGY_IRI, prop) == ["en", "fr"]
    assert not list(onto.objects(None, OWL.imports))


@pytest.mark.parametrize("name", sorted(TERMS))
def test_every_jg_term_is_declared_with_its_kind(onto: Graph, name: str) -> None:
    term = _term(name)
    declared = set(onto.objects(term, RDF.type)) & {
        OWL.Class,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
    }
    assert declared == {TERMS[name]}
    assert onto.value(term, RDFS.isDefinedBy) == ONTOLOGY_IRI


@pytest.mark.parametrize("name", sorted(TERMS))
def test_every_jg_term_has_labels_and_comment(onto: Graph, name: str) -> None:
    term = _term(name)
    assert _languages(onto, term, RDFS.label) == ["en", "fr"]
    assert "en" in _languages(onto, term, RDFS.comment)
    pattern = r"[A-Z][A-Za-z0-9]*" if TERMS[name] == OWL.Class else r"[a-z][A-Za-z0-9]*"
    assert re.fullmatch(pattern, name)


def test_the_ontology_declares_no_jg_term_outside_jg(onto: Graph, alignments: Graph) -> None:
    for graph in (onto, alignments):
        used = {
            t
            for triple in graph
            for t in triple
            if isinstance(t, URIRef) and str(t).startswith(str(JG))
        }
        assert {str(t)[len(str(JG)) :] for t in used} <= set(TERMS)


@pytest.mark.parametrize("name", PROPERTIES)
def test_every_jg_property_has_domain_and_range(onto: Graph, name: str) -> None:
    assert len(list(onto.objects(_term(name), RDFS.domain))) == 1
    assert len(list(onto.objects(_term(name), RDFS.range))) == 1


def test_every_reused_term_is_declared(onto: Graph, alignments: Graph) -> None:
    """OWL 2 DL: a predicate or class from outside rdf/rdfs/owl/xsd must be declared."""
    builtin = (str(RDF), str(RDFS), str(OWL), str(ns.XSD))
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
    for graph in (onto, alignments):
        declared = {s for s, _, o in graph.triples((None, RDF.type, None)) if o in kinds}
        used = {p for p in graph.predicates()} | {o for o in graph.objects(None, RDF.type)}
        used |= {o for o in graph.objects(None, RDFS.subClassOf) if isinstance(o, URIRef)}
        missing = {t for t in used if not str(t).startswith(builtin)} - declared
        assert not missing


SUBCLASSES = [
    (JG.Referential, SKOS.ConceptScheme),
    (JG.Sector, SKOS.Concept),
    (JG.Job, SKOS.Concept),
    (JG.JobFamily, SKOS.Concept),
    (JG.Level, SKOS.Concept),
    (JG.Criterion, SKOS.Concept),
    (JG.CompetenceFramework, SKOS.ConceptScheme),
    (JG.Competence, SKOS.Concept),
    (JG.Skill, JG.Competence),
    (JG.Knowledge, JG.Competence),
    (JG.Attitude, JG.Competence),
    (JG.CompetenceDomain, JG.Competence),
    (JG.ActivityType, SKOS.Concept),
    (JG.GradeScale, JG.LevelScale),
    (JG.CoefficientScale, JG.LevelScale),
    (JG.CotationScale, JG.LevelScale),
    (JG.QualificationFramework, JG.LevelScale),
    (JG.RomeOccupation, SKOS.Concept),
    (JG.RomeDomain, SKOS.Concept),
    (JG.RomeGrandDomain, SKOS.Concept),
    (JG.RomeAppellation, SKOS.Concept),
    (JG.EscoOccupation, SKOS.Concept),
]


@pytest.mark.parametrize(("sub", "sup"), SUBCLASSES)
def test_subclass_axioms_of_design(onto: Graph, sub: URIRef, sup: URIRef) -> None:
    assert (sub, RDFS.subClassOf, sup) in onto


def test_property_characteristics(onto: Graph) -> None:
    assert (JG.closeTo, RDF.type, OWL.SymmetricProperty) in onto
    assert (JG.progressesTo, RDF.type, OWL.IrreflexiveProperty) in onto
    assert (JG.requiresKey, RDFS.subPropertyOf, JG.requires) in onto
    assert (JG.requiresNew, RDFS.subPropertyOf, JG.requires) in onto
    for name in ("inScale", "criterion", "value"):
        assert (_term(name), RDF.type, OWL.FunctionalProperty) in onto
    # a job and a certification may be placed on several scales
    assert (JG.level, RDF.type, OWL.FunctionalProperty) not in onto
    # OWL 2 DL: nothing is transitive, so cardinality and functionality stay legal
    assert not list(onto.subjects(RDF.type, OWL.TransitiveProperty))


@pytest.mark.parametrize(
    ("name", "datatype"),
    [
        *[
            (n, ns.XSD.integer)
            for n in (
                "rank",
                "minValue",
                "maxValue",
                "value",
                "sourceLine",
                "minTotalScore",
                "maxTotalScore",
            )
        ],
        ("maximumTenure", ns.XSD.duration),
        ("transversal", ns.XSD.boolean),
        ("mainAppellation", ns.XSD.boolean),
        # French sentences carry @fr: the range must accept language-tagged strings
        *[
            (n, RDF.PlainLiteral)
            for n in (
                "mission",
                "accessoryMission",
                "requirement",
                "prerequisite",
                "context",
                "performanceCriterion",
            )
        ],
        *[(n, ns.XSD.string) for n in ("idcc", "nsfCode", "legacyRomeCode", "sourceLocation")],
    ],
)
def test_datatype_ranges(onto: Graph, name: str, datatype: URIRef) -> None:
    assert onto.value(_term(name), RDFS.range) == datatype


def _named_members(graph: Graph, node: Node) -> set[URIRef]:
    return {m for m in Collection(graph, node) if isinstance(m, URIRef)}


def test_disjointness(onto: Graph) -> None:
    groups = [
        _named_members(onto, m)
        for n in onto.subjects(RDF.type, OWL.AllDisjointClasses)
        for m in onto.objects(n, OWL.members)
    ]

    def disjoint(a: URIRef, b: URIRef) -> bool:
        return (
            any({a, b} <= g for g in groups)
            or (a, OWL.disjointWith, b) in onto
            or (b, OWL.disjointWith, a) in onto
        )

    kinds = [
        JG.Job,
        JG.JobFamily,
        JG.Level,
        JG.Criterion,
        JG.CriterionScore,
        JG.Competence,
        JG.Certification,
    ]
    for i, a in enumerate(kinds):
        for b in kinds[i + 1 :]:
            assert disjoint(a, b), (a, b)
    for a, b in [(JG.Skill, JG.Knowledge), (JG.Skill, JG.Attitude), (JG.Knowledge, JG.Attitude)]:
        assert disjoint(a, b)
    assert disjoint(SKOS.Concept, SKOS.ConceptScheme)
    assert disjoint(JG.Certification, SKOS.ConceptScheme)


def test_alignments(alignments: Graph) -> None:
    header = URIRef("https://w3id.org/jobgraph/ontology/alignments")
    assert (header, RDF.type, OWL.Ontology) in alignments
    assert alignments.value(header, OWL.versionIRI) is not None
    assert not list(alignments.objects(None, OWL.imports))
    assert (JG.Job, RDFS.subClassOf, URIRef("http://schema.org/Occupation")) in alignments
    assert (
        JG.Certification,
        RDFS.subClassOf,
        URIRef("http://schema.org/EducationalOccupationalCredential"),
    ) in alignments
    assert (
        JG.Competence,
        RDFS.seeAlso,
        URIRef("http://data.europa.eu/esco/model#Skill"),
    ) in alignments
    assert (
        JG.RomeOccupation,
        RDFS.seeAlso,
        URIRef("http://data.europa.eu/esco/model#Occupation"),
    ) in alignments
    # every see-also correspondence says why in an axiom annotation
    for s, o in alignments.subject_objects(RDFS.seeAlso):
        if s == header:
            continue
        axioms = [
            a
            for a in alignments.subjects(OWL.annotatedSource, s)
            if (a, OWL.annotatedProperty, RDFS.seeAlso) in alignments
            and (a, OWL.annotatedTarget, o) in alignments
        ]
        assert len(axioms) == 1 and alignments.value(axioms[0], RDFS.comment) is not None, (s, o)


# Every class and every property of JG on well-formed individuals, and some incomplete ones (a
# score without value, a progression without its target, a level without scale): open-world
# reasoning must find no contradiction in any of them.
INDIVIDUALS = """
@prefix jg: <https://w3id.org/jobgraph/ontology#> .
@base <https://w3id.org/jobgraph/id/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<demo> a jg:Referential ;
    dcterms:title "Classification de démonstration"@fr ; dcterms:issued "2015-04-20"^^xsd:date ;
    dcterms:publisher "CCI France" ; dcterms:source <demo/source> ;
    jg:sector <sector/demo> ; jg:idcc "3168" ; jg:levelScale <demo/scale/grades> ;
    jg:signatoryEmployer "FNP" ; jg:signatoryEmployee "FS CFDT" ;
    prov:wasDerivedFrom <demo/source> ; jg:sourceLocation "data/demo/referential.yaml:1" .
<sector/demo> a jg:Sector ; skos:prefLabel "Réseau consulaire"@fr , "Chambers of commerce"@en .

<demo/scale/grades> a jg:GradeScale ; jg:bandBasis "inferred from the scores of the jobs"@en .
<demo/scale/coef> a jg:CoefficientScale .
<demo/scale/cotation> a jg:CotationScale .
<demo/scale/unsaid> a jg:LevelScale .
<cnc-2019> a jg:Referential ; jg:levelScale <cnc-2019/scale/cnc> .
<cnc-2019/scale/cnc> a jg:QualificationFramework .
<cnc-2019/level/3> a jg:Level ; jg:inScale <cnc-2019/scale/cnc> ; skos:notation "3" ; jg:rank 3 .
<cnc-2019/level/4> a jg:Level ; jg:inScale <cnc-2019/scale/cnc> ; skos:notation "4" ; jg:rank 4 .
<demo/level/I> a jg:Level ; jg:inScale <demo/scale/grades> ; skos:notation "I" ; jg:rank 1 ;
    skos:definition "Sont classés dans ce niveau les emplois d'exécution."@fr ;
    jg:minTotalScore 6 ; jg:maxTotalScore 7 ; jg:alignedTo <cnc-2019/level/3> ;
    jg:alignedToMin <cnc-2019/level/3> ; jg:alignedToMax <cnc-2019/level/3> ;
    jg:alignmentBasis "estimate" ; jg:alignmentNote "same definition as level 3"@en ;
    jg:sourceLine 40 .
<demo/level/II> a jg:Level ; skos:notation "II" .
<demo/level/III> a jg:Level ; jg:inScale <demo/scale/grades> ; skos:notation "III" ; jg:rank 3 ;
    jg:alignedToMin <cnc-2019/level/3> ; jg:alignedToMax <cnc-2019/level/4> ;
    jg:alignmentBasis "estimate" ; jg:alignmentNote "between the CAP floor and the technicians"@en .

<demo/criterion/connaissances> a jg:Criterion ; skos:prefLabel "Connaissances"@fr ;
    jg:minValue 1 ; jg:maxValue 8 ; jg:rank 1 .

<demo/family/support> a jg:JobFamily ; jg:category "filière"@fr .
<demo/family/admin> a jg:JobFamily ; skos:broader <demo/family/support> ; jg:category "famille" .

<demo/job/agent> a jg:Job ; skos:inScheme <demo> ;
    skos:prefLabel "Agent administratif"@fr ; skos:altLabel "Standardiste"@fr , "Clerk"@en ;
    skos:definition "Assure les tâches administratives courantes."@fr ;
    jg:mission "Accueillir le public."@fr ; jg:accessoryMission "Tenir le standard."@fr ;
    jg:requirement "Rigueur."@fr ; jg:prerequisite "CAP ou expérience équivalente."@fr ;
    jg:context "Travail en bureau."@fr ;
    jg:family <demo/family/admin> ; jg:level <demo/level/I> , <cnc-2019/level/3> ;
    jg:score <demo/job/agent/score/connaissances> ;
    jg:requires <demo/competence/d2.1> ; jg:requiresKey <demo/competence/d2.1> ;
    jg:requiresNew <demo/competence/k1> ;
    jg:progressesTo <demo/job/assistant> ; jg:closeTo <demo/job/assistant> ;
    jg:maximumTenure "P6M"^^xsd:duration ; jg:legacyRomeCode "32321" ;
    skos:closeMatch <rome/metier/M1602> ; skos:broadMatch <rome/metier/M1607> ;
    prov:wasDerivedFrom <demo/source> ; jg:sourceLocation "data/demo/jobs.yaml:1" ;
    jg:sourceLine 120 .
<demo/job/assistant> a jg:Job ; skos:prefLabel "Assistant"@fr .
<it> a jg:Referential .
<it/job/dev> a jg:Job ; skos:inScheme <it> ; skos:prefLabel "Développeur"@fr ;
    jg:alignedToMin <cnc-2019/level/3> ; jg:alignedToMax <cnc-2019/level/4> ;
    jg:alignmentBasis "estimate" ; jg:alignmentNote "Bac or Bac+2 asked"@en .
<it/job/tech> a jg:Job ; skos:inScheme <it> ; skos:prefLabel "Technicien"@fr ;
    jg:alignedTo <cnc-2019/level/4> ;
    jg:alignedToMin <cnc-2019/level/4> ; jg:alignedToMax <cnc-2019/level/4> ;
    jg:alignmentBasis "official" .
<demo/job/incomplete> a jg:Job ; skos:prefLabel "Emploi incomplet"@fr ;
    jg:score <demo/job/incomplete/score/connaissances> .

<demo/job/agent/score/connaissances> a jg:CriterionScore ;
    jg:criterion <demo/criterion/connaissances> ; jg:value 2 .
<demo/job/incomplete/score/connaissances> a jg:CriterionScore .

<demo/progression/agent-assistant> a jg:Progression ;
    jg:fromJob <demo/job/agent> ; jg:toJob <demo/job/assistant> ;
    jg:basis "explicit" ; skos:note "Progression possible entre les deux emplois."@fr .
<demo/progression/incomplete> a jg:Progression ; jg:fromJob <demo/job/assistant> .

<demo/rome-mapping/agent-M1602> a jg:RomeMapping ;
    jg:mappedJob <demo/job/agent> ; jg:mappedTo <rome/metier/M1602> ;
    jg:matchType skos:closeMatch ; jg:basis "curation" ; rdfs:comment "data entry and filing"@en .

<demo/framework/domaines> a jg:CompetenceFramework ; jg:notationPattern "^[1-9](\\\\.[0-9]+)?$" .
<demo/competence/d2> a jg:CompetenceDomain ; skos:inScheme <demo/framework/domaines> ;
    skos:notation "2" .
<demo/competence/d2.1> a jg:Skill ; skos:inScheme <demo/framework/domaines> ;
    skos:notation "2.1" ; skos:broader <demo/competence/d2> ; jg:transversal false ;
    jg:context "En face à face ou au téléphone."@fr ;
    jg:performanceCriterion "L'accueil est courtois."@fr ; jg:category "Savoir-faire"@fr .
<demo/competence/k1> a jg:Knowledge ; jg:transversal true .
<demo/competence/a1> a jg:Attitude ; jg:category "Savoir-être : Relationnel"@fr .
<demo/competence/cp1> a jg:Competence ; skos:prefLabel "Accueillir et orienter"@fr .
<demo/activity/at1> a jg:ActivityType ; skos:notation "1" ; jg:hasCompetence <demo/competence/cp1> .

<demo/certification/tp> a jg:Certification ;
    jg:level <cnc-2019/level/4> ; jg:alignmentBasis "official" ;
    jg:alignmentNote "stated by the decree"@en ;
    jg:nsfCode "324t" ; jg:romeCode "M1607" ; jg:accessibleTitle "Agent d'accueil"@fr ;
    jg:certifies <demo/competence/cp1> , <demo/activity/at1> ;
    jg:givesAccessTo <demo/job/agent> , <rome/appellation/10200> , <rome/metier/M1607> .

<rome/grand-domaine/M> a jg:RomeGrandDomain ; skos:notation "M" .
<rome/domaine/M16> a jg:RomeDomain ; skos:notation "M16" ; skos:broader <rome/grand-domaine/M> .
<rome/metier/M1602> a jg:RomeOccupation ; skos:notation "M1602" ; skos:broader <rome/domaine/M16> ;
    jg:romeV3Parent "M1602" ; jg:mobilityTo <rome/metier/M1607> ;
    jg:sidewaysTo <rome/metier/M1607> ; jg:upwardTo <rome/metier/M1607> .
<rome/metier/M1607> a jg:RomeOccupation ; skos:notation "M1607" ; skos:broader <rome/domaine/M16> .
<rome/appellation/10200> a jg:RomeAppellation ; skos:broader <rome/metier/M1602> ;
    jg:mainAppellation true ; jg:romeV3Parent "M1602" ;
    skos:closeMatch <http://data.europa.eu/esco/occupation/00000000-0000-0000-0000-000000000000> ;
    jg:sidewaysTo <rome/appellation/10201> .
<rome/appellation/10201> a jg:RomeAppellation ; jg:mainAppellation false .
<http://data.europa.eu/esco/occupation/00000000-0000-0000-0000-000000000000> a jg:EscoOccupation .
<rome/mobility/M1602-M1607> a jg:Mobility ;
    jg:fromOccupation <rome/metier/M1602> ; jg:toOccupation <rome/metier/M1607> ; jg:rank 1 .
"""


def test_individuals_fixture_uses_every_jg_term() -> None:
    graph = Graph().parse(data=INDIVIDUALS, format="turtle")
    used = {
        t
        for triple in graph
        for t in triple
        if isinstance(t, URIRef) and str(t).startswith(str(JG))
    }
    assert {str(t)[len(str(JG)) :] for t in used} == set(TERMS)


@needs_java
def test_ontology_is_consistent_and_every_class_satisfiable(onto: Graph, alignments: Graph) -> None:
    result = reason(onto + alignments)
    assert result.consistent
    assert result.unsatisfiable == ()
    assert result.findings == ()


@needs_java
def test_well_formed_and_incomplete_individuals_are_consistent(
    onto: Graph, alignments: Graph
) -> None:
    graph = onto + alignments
    graph.parse(data=INDIVIDUALS, format="turtle")
    result = reason(graph)
    assert result.findings == ()
    assert result.consistent


def test_reused_vocabularies_are_not_redefined(onto: Graph) -> None:
    """SKOS, Dublin Core and PROV terms are declared only: no domain, range or superclass."""
    for prefix in (SKOS, DCTERMS, PROV):
        for term in {
            s for s in onto.subjects() if isinstance(s, URIRef) and str(s).startswith(str(prefix))
        }:
            assert not list(onto.objects(term, RDFS.domain))
            assert not list(onto.objects(term, RDFS.range))
            assert not list(onto.objects(term, RDFS.subClassOf))
