"""The graph describes itself: a VoID and DCAT description of a build (its sources with their
versions, dates and licences, the triples of each named graph, the jobgraph that made it), kept in
its own named graph (``jgid:graph/dataset``).

Everything here comes from the data: dates from the referentials and the ROME files, versions from
the ROME files' names, ``version.txt`` and the crosswalk's header; the dataset's own version is a
digest of the other graphs' content. No build time: same data, same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef

from . import __version__
from .convert import Triple, en, fr, integer, string
from .errors import DataError, Problem
from .model import Dataset
from .namespaces import (
    DCAT,
    DCAT3,
    DCTERMS,
    ESCO_LICENCE,
    GRAPH,
    JGID,
    LICENCE_OUVERTE,
    OWL,
    PROV,
    RDF,
    RDFS,
    VOID,
    XSD,
    iri,
)

DATASET = URIRef(f"{JGID}dataset")
BUILD = URIRef(f"{JGID}dataset/build")
SOFTWARE = URIRef(f"{JGID}software/jobgraph")
# ids a referential folder may not take: they name the description's own resources and graph,
# and the derived graph (jgid:graph/derived, made by derive.py)
RESERVED_IDS = ("dataset", "derived")
VOCABULARIES = ("https://w3id.org/jobgraph/ontology#", "http://www.w3.org/2004/02/skos/core#",
                "http://purl.org/dc/terms/", "http://www.w3.org/ns/prov#")


@dataclass(frozen=True)
class Source:
    """A source document or data set the graph is made from."""

    iri: URIRef
    title: str
    graph: URIRef  # the named graph it feeds
    version: str | None = None
    issued: dt.date | None = None
    publisher: str | None = None
    licence: URIRef | None = None
    licence_name: str | None = None
    rights: str | None = None  # reuse terms in words, where no licence IRI can be named
    derived_from: tuple[URIRef, ...] = ()


@dataclass(frozen=True)
class GraphPart:
    """One named graph of the build: its IRI, name, title and size."""

    iri: URIRef
    name: str
    title_fr: str
    title_en: str | None
    triples: int


@dataclass
class Description:
    """What ``jobgraph build`` says about the graph it made, and writes into the dataset graph."""

    version: str
    issued: dt.date | None
    builder: str
    graphs: list[GraphPart] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    @property
    def triples(self) -> int:
        """Triples of the described graphs (the description's own not counted)."""
        return sum(g.triples for g in self.graphs)

    def source(self, graph: URIRef) -> list[Source]:
        return [s for s in self.sources if s.graph == graph]

    def rdf(self) -> list[Triple]:
        """The description as triples (VoID, DCAT, Dublin Core, PROV), sorted."""
        t: list[Triple] = []
        add = t.append
        d = DATASET
        add((d, RDF.type, VOID.Dataset))
        add((d, RDF.type, DCAT.Dataset))
        add((d, DCTERMS.title, fr("jobgraph : référentiels d'emplois français reliés au ROME et "
                                  "à ESCO")))
        add((d, DCTERMS.title, en("jobgraph: French job referentials linked to ROME and ESCO")))
        add((d, DCAT3.version, string(self.version)))
        if self.issued:
            add((d, DCTERMS.issued, Literal(self.issued.isoformat(), datatype=XSD.date)))
        add((d, VOID.triples, integer(self.triples)))
        for v in VOCABULARIES:
            add((d, VOID.vocabulary, URIRef(v)))
        add((d, PROV.wasGeneratedBy, BUILD))
        add((BUILD, RDF.type, PROV.Activity))
        add((BUILD, PROV.wasAssociatedWith, SOFTWARE))
        add((SOFTWARE, RDF.type, PROV.SoftwareAgent))
        add((SOFTWARE, RDFS.label, string("jobgraph")))
        add((SOFTWARE, OWL.versionInfo, string(__version__)))
        for g in self.graphs:
            add((d, VOID.subset, g.iri))
            add((g.iri, RDF.type, VOID.Dataset))
            add((g.iri, DCTERMS.title, fr(g.title_fr)))
            if g.title_en:
                add((g.iri, DCTERMS.title, en(g.title_en)))
            add((g.iri, VOID.triples, integer(g.triples)))
        for s in self.sources:
            add((d, DCTERMS.source, s.iri))
            add((s.graph, DCTERMS.source, s.iri))
            add((s.iri, RDF.type, DCAT.Resource))
            add((s.iri, DCTERMS.title, fr(s.title)))
            if s.version:
                add((s.iri, DCAT3.version, string(s.version)))
            if s.issued:
                add((s.iri, DCTERMS.issued, Literal(s.issued.isoformat(), datatype=XSD.date)))
            if s.publisher:
                add((s.iri, DCTERMS.publisher, string(s.publisher)))
            if s.licence:
                add((s.iri, DCTERMS.license, s.licence))
                if s.licence_name:
                    add((s.licence, RDFS.label, string(s.licence_name)))
            if s.rights:
                add((s.iri, DCTERMS.rights, fr(s.rights)))
            for other in s.derived_from:
                add((s.iri, PROV.wasDerivedFrom, other))
        return sorted(dict.fromkeys(t), key=lambda x: (str(x[0]), str(x[1]), str(x[2])))


def digest(texts: Iterable[str]) -> str:
    """The version of a graph's content: a digest of its N-Quads, in the order given."""
    h = hashlib.sha256()
    for text in texts:
        h.update(text.encode("utf-8"))
    return f"sha256:{h.hexdigest()[:16]}"


def check_ids(ds: Dataset) -> None:
    """A referential may not take an id the description uses for itself."""
    bad = [r for r in ds.referentials.values() if r.id in RESERVED_IDS]
    if bad:
        raise DataError([Problem(r.loc.file, r.loc.line, f"referential id '{r.id}' is reserved "
                                 "(it names one of jobgraph's own graphs)",
                                 "rename the folder and its 'id'") for r in bad])


def referential_sources(ds: Dataset) -> list[Source]:
    out = []
    for ref in ds.referentials.values():
        out.append(Source(iri(ref.id, "document", "source"),
                          ref.source_title or ref.title, URIRef(f"{JGID}graph/{ref.id}"),
                          issued=ref.issued, publisher=ref.publisher))
    return out


_VERSION_RE = re.compile(r"Numero de version\s*:\s*(\S+)")
_PUBLISHED_RE = re.compile(r"Date de publication\s*:\s*(\d{2})/(\d{2})/(\d{4})")


def _french_date(text: str) -> dt.date | None:
    m = re.fullmatch(r"\s*(\d{2})/(\d{2})/(\d{4})\s*", text)
    return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else None


def rome_sources(rome_dir: Path) -> list[Source]:
    """ROME 4.0 (its version.txt), ROME v3 (the folder's version), the ESCO–ROME crosswalk and
    ESCO (the crosswalk's header), as far as the files are there."""
    from .rome import ROME_DOCUMENT
    from .romefiles import ESCO_FILE, V347, V460

    out: list[Source] = []
    version_txt = rome_dir / V460 / "version.txt"
    if (rome_dir / V460).is_dir():
        text = version_txt.read_text(encoding="utf-8") if version_txt.exists() else ""
        number = _VERSION_RE.search(text)
        published = _PUBLISHED_RE.search(text)
        # the title the ROME graph gives the export (rome.py), from the export's own version.txt
        title = (f"RefRomeCsv ROME 4.0 version {number.group(1)} ({published.group(1)}/"
                 f"{published.group(2)}/{published.group(3)})") if number and published \
            else f"RefRomeCsv ROME 4.0 {V460}"
        out.append(Source(
            ROME_DOCUMENT, title, GRAPH.ROME,
            version=V460 + (f" (version {number.group(1)})" if number else ""),
            issued=dt.date(int(published.group(3)), int(published.group(2)),
                           int(published.group(1))) if published else None,
            publisher="France Travail", licence=LICENCE_OUVERTE,
            licence_name="Licence Ouverte / Open Licence 2.0 (Etalab)"))
    if (rome_dir / V347).is_dir():
        out.append(Source(URIRef(f"{JGID}rome/document/{V347}"),
                          f"ROME v3 ({V347}) : arbre et mobilités", GRAPH.ROME,
                          version=V347, publisher="Pôle emploi (France Travail depuis 2024)",
                          licence=LICENCE_OUVERTE,
                          licence_name="Licence Ouverte / Open Licence 2.0 (Etalab)"))
    crosswalk = rome_dir / ESCO_FILE
    if crosswalk.exists():
        with crosswalk.open(encoding="utf-8", newline="") as fh:
            head = {row[0].strip(): row[1].strip() for row in csv.reader(
                [fh.readline() for _ in range(15)]) if len(row) >= 2}
        esco = URIRef(head.get("Classification 1 Landing page")
                      or "https://esco.ec.europa.eu/")
        esco_version = head.get("Classification 1 Version")
        out.append(Source(
            URIRef(f"{JGID}rome/document/esco-rome-crosswalk"),
            f"Table de correspondance {head.get('Mapping project name', 'ESCO - ROME')} "
            f"(ESCO {esco_version or '?'} ↔ ROME {head.get('Classification 2 Version', '?')})",
            GRAPH.ROME, version=head.get("Mapping project version"),
            issued=_french_date(head.get("Mapping project version date", "")),
            publisher=head.get("Mapping project author"),
            rights="publiée avec les données ouvertes du ROME, réutilisation avec attribution",
            derived_from=(esco,)))
        out.append(Source(esco, "ESCO, classification européenne des aptitudes, compétences, "
                          "certifications et professions (professions)", GRAPH.ROME,
                          version=esco_version, publisher="Commission européenne",
                          licence=ESCO_LICENCE,
                          licence_name="Décision 2011/833/UE de la Commission (réutilisation "
                                       "libre)"))
    return out


def describe(ds: Dataset, parts: list[GraphPart], contents: Iterable[str]) -> Description:
    """The description of a build: ``parts`` its named graphs, ``contents`` their N-Quads (for the
    version digest)."""
    check_ids(ds)
    sources = referential_sources(ds)
    if ds.rome_dir is not None:
        sources += rome_sources(ds.rome_dir)
    wanted = {p.iri for p in parts}
    sources = [s for s in sources if s.graph in wanted]
    dates = [s.issued for s in sources if s.issued]
    return Description(version=digest(contents), issued=max(dates) if dates else None,
                       builder=f"jobgraph {__version__}", graphs=parts, sources=sources)


__all__ = ["BUILD", "DATASET", "RESERVED_IDS", "SOFTWARE", "Description", "GraphPart", "Source",
           "describe", "digest"]
