"""The only place where jobgraph spells IRIs: namespaces, closed term lists and IRI builders."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    OWL,
    PROV,
    RDF,
    RDFS,
    SH,
    SKOS,
    VOID,
    XSD,
    DefinedNamespace,
)

__all__ = [
    "DCAT",
    "DCAT3",
    "DCTERMS",
    "ESCO_LICENCE",
    "ESCO_OCCUPATION_PREFIX",
    "GRAPH",
    "JG",
    "JGD",
    "JGID",
    "JGSH",
    "LICENCE_OUVERTE",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SD",
    "SH",
    "SKOS",
    "SKOSHIST",
    "VOID",
    "XSD",
    "graph_iri",
    "iri",
    "referential_iri",
    "rome_iri",
    "sector_iri",
    "sparql_prefixes",
]

JGID = Namespace("https://w3id.org/jobgraph/id/")
ESCO_OCCUPATION_PREFIX = "http://data.europa.eu/esco/occupation/"
# licences of the reference data, named by the dataset description
LICENCE_OUVERTE = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
ESCO_LICENCE = URIRef("https://eur-lex.europa.eu/eli/dec/2011/833/oj")


class JG(DefinedNamespace):
    """The jobgraph ontology. Closed: a misspelt term fails at import time."""

    _NS = Namespace("https://w3id.org/jobgraph/ontology#")
    _fail = True

    # classes
    Referential: URIRef
    Sector: URIRef
    Job: URIRef
    JobFamily: URIRef
    LevelScale: URIRef
    GradeScale: URIRef
    CoefficientScale: URIRef
    CotationScale: URIRef
    QualificationFramework: URIRef
    Level: URIRef
    Criterion: URIRef
    CriterionScore: URIRef
    CompetenceFramework: URIRef
    Competence: URIRef
    Skill: URIRef
    Knowledge: URIRef
    Attitude: URIRef
    CompetenceDomain: URIRef
    ActivityType: URIRef
    Certification: URIRef
    Progression: URIRef
    RomeMapping: URIRef
    RomeOccupation: URIRef
    RomeDomain: URIRef
    RomeGrandDomain: URIRef
    RomeAppellation: URIRef
    Mobility: URIRef
    EscoOccupation: URIRef

    # object properties
    sector: URIRef
    levelScale: URIRef
    family: URIRef
    level: URIRef
    score: URIRef
    criterion: URIRef
    inScale: URIRef
    alignedTo: URIRef
    alignedToMin: URIRef
    alignedToMax: URIRef
    requires: URIRef
    requiresKey: URIRef
    requiresNew: URIRef
    hasCompetence: URIRef
    certifies: URIRef
    givesAccessTo: URIRef
    progressesTo: URIRef
    closeTo: URIRef
    fromJob: URIRef
    toJob: URIRef
    mappedJob: URIRef
    mappedTo: URIRef
    matchType: URIRef
    mobilityTo: URIRef
    sidewaysTo: URIRef
    upwardTo: URIRef
    fromOccupation: URIRef
    toOccupation: URIRef

    # datatype properties
    idcc: URIRef
    signatoryEmployer: URIRef
    signatoryEmployee: URIRef
    sourceLocation: URIRef
    sourceLine: URIRef
    mission: URIRef
    accessoryMission: URIRef
    requirement: URIRef
    prerequisite: URIRef
    context: URIRef
    maximumTenure: URIRef
    rank: URIRef
    minTotalScore: URIRef
    maxTotalScore: URIRef
    bandBasis: URIRef
    alignmentBasis: URIRef
    alignmentNote: URIRef
    minValue: URIRef
    maxValue: URIRef
    value: URIRef
    transversal: URIRef
    performanceCriterion: URIRef
    category: URIRef
    notationPattern: URIRef
    nsfCode: URIRef
    romeCode: URIRef
    accessibleTitle: URIRef
    legacyRomeCode: URIRef
    basis: URIRef
    mainAppellation: URIRef
    romeV3Parent: URIRef


class JGD(DefinedNamespace):
    """Terms of the derived graph (``jgid:graph/derived``, made by ``derive`` at build time from
    the other graphs): what the answers read instead of recomputing it. Closed."""

    _NS = Namespace("https://w3id.org/jobgraph/derived#")
    _fail = True

    # the graph itself
    formatVersion: URIRef  # the derived graph's layout, so a reader knows it can use it
    titleIndex: URIRef  # key of the job-title index made with it (cache folder)
    # a job or a ROME fiche: what the answers read of it, in one JSON literal (derive.py)
    card: URIRef
    # a job: the national level the stored queries compare (an exact alignment's rank)
    nationalLevel: URIRef
    # a referential: the counts of referential-overview, its jobs without ROME link
    jobs: URIRef
    levels: URIRef
    jobsWithLevel: URIRef
    jobsOnNationalFramework: URIRef
    families: URIRef
    competences: URIRef
    jobsLinkedToRome: URIRef
    romeLinks: URIRef
    progressions: URIRef
    proximities: URIRef
    unmappedJob: URIRef
    # a sector: its labels, each once (the referentials' graphs each state them)
    sectorLabel: URIRef
    # a competence (a referential's own or a ROME item): jobs requiring it, their referentials
    requiredByJobs: URIRef
    requiredInReferentials: URIRef
    # ROME: how many fiches list an item
    ficheCount: URIRef


class JGSH(DefinedNamespace):
    """Namespace of jobgraph's SHACL shapes; open, since shapes are named per class and property."""

    _NS = Namespace("https://w3id.org/jobgraph/shapes#")
    _fail = False

    expected: URIRef  # annotation on a shape: the expected value, in words, for reports


class SKOSHIST(DefinedNamespace):
    """skos-history (github.com/jneubert/skos-history): deltas between versions of a scheme, the
    vocabulary of the change sets of jobgraph diff."""

    _NS = Namespace("http://purl.org/skos-history/")
    _fail = True

    SchemeDelta: URIRef
    SchemeDeltaInsertions: URIRef
    SchemeDeltaDeletions: URIRef
    deltaFrom: URIRef
    deltaTo: URIRef
    usingNamedGraph: URIRef


class SD(DefinedNamespace):
    """SPARQL 1.1 Service Description: the name of a named graph."""

    _NS = Namespace("http://www.w3.org/ns/sparql-service-description#")
    _fail = True

    name: URIRef


class DCAT3(DefinedNamespace):
    """DCAT 3 terms that rdflib's DCAT (version 2) lacks."""

    _NS = Namespace("http://www.w3.org/ns/dcat#")
    _fail = True

    version: URIRef  # the version of a dataset or resource (DCAT 3)


PREFIXES: dict[str, str] = {
    "jg": str(JG),
    "jgsh": str(JGSH),
    "jgid": str(JGID),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "void": str(VOID),
    "prov": str(PROV),
    "xsd": str(XSD),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "sh": str(SH),
}


def sparql_prefixes(*names: str) -> str:
    """``PREFIX`` lines for SPARQL text made in code: the named prefixes, or all of jobgraph's."""
    chosen = names or tuple(sorted(PREFIXES))
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in chosen)


def referential_iri(referential: str) -> URIRef:
    """IRI of a referential: the root of its own id space."""
    return URIRef(f"{JGID}{referential}")


def iri(referential: str, kind: str, ident: str) -> URIRef:
    """Instance IRI ``jgid:<referential>/<kind>/<id>`` (DESIGN.md)."""
    return URIRef(f"{JGID}{referential}/{kind}/{ident}")


def sector_iri(ident: str) -> URIRef:
    """Sectors are shared by referentials: same id, same sector."""
    return URIRef(f"{JGID}sector/{ident}")


def graph_iri(name: str) -> URIRef:
    """Named graph of a referential, of ROME (``rome``) or of the ontology (``ontology``)."""
    return URIRef(f"{JGID}graph/{name}")


def rome_iri(kind: str, code: str) -> URIRef:
    """ROME resources: ``metier``, ``domaine``, ``grand-domaine``, ``appellation``,
    ``competence``, ``savoir``."""
    return URIRef(f"{JGID}rome/{kind}/{code}")


class GRAPH:
    """Named graphs that are not referentials."""

    ONTOLOGY = graph_iri("ontology")
    ROME = graph_iri("rome")
    DATASET = graph_iri("dataset")  # the description of the whole graph (VoID and DCAT)
    DERIVED = graph_iri("derived")  # made at build time from the others (``derive``)
