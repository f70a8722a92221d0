"""ROME 4.0 open data, ROME v3 mobility and the ESCO–ROME crosswalk to the ROME graph."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef

from .convert import Triple, fr, integer, string
from .errors import DataError, Problem
from .namespaces import DCTERMS, JG, JGID, PROV, RDF, SKOS, XSD, rome_iri

V460 = "v460"
V347 = "v347"
ESCO_FILE = "esco/FR_20230607_mapping_esco_rome.csv"
ROME_REFERENTIAL = URIRef(f"{JGID}rome")
ROME_FRAMEWORK = URIRef(f"{JGID}rome/framework/competences")
ROME_DOCUMENT = URIRef(f"{JGID}rome/document/v460")
ESCO_RELATIONS = {
    "skos:exactMatch": SKOS.exactMatch,
    "skos:closeMatch": SKOS.closeMatch,
    "skos:broadMatch": SKOS.broadMatch,
    "skos:narrowMatch": SKOS.narrowMatch,
    "skos:relatedMatch": SKOS.relatedMatch,
}


def _rows(path: Path, skip: int = 0) -> list[dict[str, str]]:
    if not path.exists():
        raise DataError([Problem(path.as_posix(), None, "ROME file missing",
                                 "data/rome/README.md lists the files jobgraph reads")])
    with path.open(encoding="utf-8", newline="") as fh:
        for _ in range(skip):
            fh.readline()
        return list(csv.DictReader(fh))


@dataclass
class RomeData:
    """The parts of ROME jobgraph uses, read from the CSV files."""

    fiches: dict[str, dict[str, str]] = field(default_factory=dict)
    hierarchy: dict[str, dict[str, str]] = field(default_factory=dict)
    grands_domaines: dict[str, str] = field(default_factory=dict)
    domaines: dict[str, str] = field(default_factory=dict)
    appellations: dict[str, dict[str, str]] = field(default_factory=dict)
    competences: dict[str, dict[str, str]] = field(default_factory=dict)
    savoirs: dict[str, dict[str, str]] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    mobility: list[dict[str, str]] = field(default_factory=list)
    v3_titles: dict[str, str] = field(default_factory=dict)
    v3_mobility: list[dict[str, str]] = field(default_factory=list)
    esco: list[dict[str, str]] = field(default_factory=list)


def read_rome(rome_dir: Path) -> RomeData:
    """Read the ROME files of ``data/rome``."""
    d = RomeData()
    v = rome_dir / V460
    d.fiches = {r["code_rome"]: r for r in _rows(v / "unix_referentiel_code_rome_v460_utf8.csv")}
    d.hierarchy = {r["code_rome"]: r for r in _rows(v / "unix_cr_gd_dp_v460_utf8.csv")}
    d.grands_domaines = {r["code_grand_domaine"]: r["libelle_grand_domaine"]
                         for r in _rows(v / "unix_grand_domaine_v460_utf8.csv")}
    d.domaines = {r["code_domaine_professionnel"]: r["libelle_domaine_professionnel"]
                  for r in _rows(v / "unix_domaine_professionnel_v460_utf8.csv")}
    d.appellations = {r["code_ogr"]: r
                      for r in _rows(v / "unix_referentiel_appellation_v460_utf8.csv")}
    d.competences = {r["code_ogr"]: r
                     for r in _rows(v / "unix_referentiel_competence_v460_utf8.csv")}
    d.savoirs = {r["code_ogr_savoir"]: r
                 for r in _rows(v / "unix_referentiel_savoir_v460_utf8.csv")}
    d.links = _rows(v / "unix_liens_rome_referentiels_v460_utf8.csv")
    d.mobility = _rows(v / "unix_rubrique_mobilite_v460_utf8.csv")
    w = rome_dir / V347
    d.v3_titles = {r["code_rome"]: r["libelle_rome"]
                   for r in _rows(w / "unix_cr_gd_dp_v347_utf8.csv")}
    d.v3_mobility = _rows(w / "unix_rubrique_mobilite_v347_utf8.csv")
    esco = rome_dir / ESCO_FILE
    # the crosswalk opens with 15 lines of metadata before its header
    d.esco = _rows(esco, skip=15) if esco.exists() else []
    return d


def v3_to_v4(d: RomeData) -> dict[str, list[str]]:
    """ROME 4 fiches standing for each v3 code: the fiche of the same code where it survives,
    else every v4 fiche that descends from it (``code_rome_parent``)."""
    children: dict[str, list[str]] = defaultdict(list)
    for code, row in d.fiches.items():
        if row.get("code_rome_parent"):
            children[row["code_rome_parent"]].append(code)
    return {old: ([old] if old in d.fiches else sorted(children.get(old, [])))
            for old in set(d.v3_titles) | set(children)}


@dataclass
class RomeCounts:
    grands_domaines: int = 0
    domaines: int = 0
    fiches: int = 0
    appellations: int = 0
    competences: int = 0
    savoirs: int = 0
    requires: int = 0
    mobility: int = 0
    v3_sideways: int = 0
    v3_upward: int = 0
    esco_occupations: int = 0
    esco_links: int = 0
    esco_orphans: int = 0  # links to an appellation the ROME files do not hold

    def summary(self) -> str:
        return (f"{self.grands_domaines} grands domaines, {self.domaines} domaines, "
                f"{self.fiches} fiches, {self.appellations} appellations, "
                f"{self.competences} savoir-faire/savoir-être, {self.savoirs} savoirs, "
                f"{self.requires} fiche-competence links, "
                f"{self.mobility} mobility edges, {self.v3_sideways} v3 Proche, "
                f"{self.v3_upward} v3 Evolution, {self.esco_links} ESCO links to "
                f"{self.esco_occupations} ESCO occupations"
                + (f" ({self.esco_orphans} to appellations not in ROME)"
                   if self.esco_orphans else ""))


def convert_rome(d: RomeData) -> tuple[list[Triple], RomeCounts]:
    """Triples of the ROME named graph and what they count."""
    t: list[Triple] = []
    add = t.append
    n = RomeCounts()
    add((ROME_REFERENTIAL, RDF.type, JG.Referential))
    add((ROME_REFERENTIAL, DCTERMS.title,
         fr("Répertoire opérationnel des métiers et des emplois (ROME 4.0)")))
    add((ROME_REFERENTIAL, SKOS.prefLabel, fr("ROME 4.0")))
    add((ROME_REFERENTIAL, DCTERMS.publisher, string("France Travail")))
    add((ROME_REFERENTIAL, DCTERMS.source, ROME_DOCUMENT))
    add((ROME_DOCUMENT, RDF.type, PROV.Entity))
    add((ROME_DOCUMENT, DCTERMS.title, fr("RefRomeCsv ROME 4.0 version 60 (18/09/2025)")))
    add((ROME_DOCUMENT, DCTERMS.license, URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")))
    add((ROME_FRAMEWORK, RDF.type, JG.CompetenceFramework))
    add((ROME_FRAMEWORK, DCTERMS.title, fr("Compétences et savoirs du ROME 4.0")))
    add((ROME_FRAMEWORK, SKOS.prefLabel, fr("Compétences et savoirs du ROME 4.0")))

    for code, label in sorted(d.grands_domaines.items()):
        g = rome_iri("grand-domaine", code)
        add((g, RDF.type, JG.RomeGrandDomain))
        add((g, SKOS.notation, string(code)))
        add((g, SKOS.prefLabel, fr(label)))
        add((g, SKOS.inScheme, ROME_REFERENTIAL))
        n.grands_domaines += 1
    for code, label in sorted(d.domaines.items()):
        dom = rome_iri("domaine", code)
        add((dom, RDF.type, JG.RomeDomain))
        add((dom, SKOS.notation, string(code)))
        add((dom, SKOS.prefLabel, fr(label)))
        add((dom, SKOS.inScheme, ROME_REFERENTIAL))
        add((dom, SKOS.broader, rome_iri("grand-domaine", code[0])))
        n.domaines += 1
    for code, row in sorted(d.fiches.items()):
        f = rome_iri("metier", code)
        add((f, RDF.type, JG.RomeOccupation))
        add((f, SKOS.notation, string(code)))
        add((f, SKOS.prefLabel, fr(row["libelle_rome"])))
        add((f, SKOS.inScheme, ROME_REFERENTIAL))
        h = d.hierarchy.get(code)
        dom_code = h["code_domaine_professionel"] if h else code[:3]
        add((f, SKOS.broader, rome_iri("domaine", dom_code)))
        if row.get("code_rome_parent"):
            add((f, JG.romeV3Parent, string(row["code_rome_parent"])))
        if row.get("emploi_cadre"):
            add((f, SKOS.note, fr(f"emploi cadre : {row['emploi_cadre']}")))
        n.fiches += 1
    for ogr, row in sorted(d.appellations.items()):
        if row["code_rome"] not in d.fiches:
            continue
        a = rome_iri("appellation", ogr)
        add((a, RDF.type, JG.RomeAppellation))
        add((a, SKOS.notation, string(ogr)))
        add((a, SKOS.prefLabel, fr(row["libelle_appellation_long"])))
        short = row["libelle_appellation_court"]
        if short and short != row["libelle_appellation_long"]:
            add((a, SKOS.altLabel, fr(short)))
        add((a, SKOS.broader, rome_iri("metier", row["code_rome"])))
        add((a, SKOS.inScheme, ROME_REFERENTIAL))
        main = row["classification"] == "PRINCIPALE"
        add((a, JG.mainAppellation, Literal(main, datatype=XSD.boolean)))
        n.appellations += 1

    for ogr, row in sorted(d.competences.items()):
        c = rome_iri("competence", ogr)
        # cat_comp reads "Savoir-être professionnel" (singular) in v460, the rubrique label plural
        attitude = row["cat_comp"].startswith("Savoir-être")
        add((c, RDF.type, JG.Attitude if attitude else JG.Skill))
        add((c, SKOS.notation, string(ogr)))
        add((c, SKOS.prefLabel, fr(row["libelle_competence"])))
        add((c, SKOS.inScheme, ROME_FRAMEWORK))
        if row.get("sous_cat_comp"):
            add((c, JG.category, fr(f"{row['cat_comp']} : {row['sous_cat_comp']}")))
        n.competences += 1
    for ogr, row in sorted(d.savoirs.items()):
        s = rome_iri("savoir", ogr)
        add((s, RDF.type, JG.Knowledge))
        add((s, SKOS.notation, string(ogr)))
        add((s, SKOS.prefLabel, fr(row["libelle_savoir"])))
        add((s, SKOS.inScheme, ROME_FRAMEWORK))
        if row.get("categorie_savoir"):
            add((s, JG.category, fr(f"{row['categorie_savoir']} : {row['sous_categorie_savoir']}")))
        n.savoirs += 1
    for link in d.links:
        if link["code_compo_bloc"] != "5" or link["code_rome"] not in d.fiches:
            continue
        ogr = link["code_ogr"]
        if link["code_rubrique"] in ("1", "2") and ogr in d.competences:
            target = rome_iri("competence", ogr)
        elif link["code_rubrique"] == "3" and ogr in d.savoirs:
            target = rome_iri("savoir", ogr)
        else:
            continue
        add((rome_iri("metier", link["code_rome"]), JG.requires, target))
        n.requires += 1

    for row in d.mobility:
        src, dst = row["code_rome"], row["code_rome_cible"]
        if src not in d.fiches or dst not in d.fiches:
            continue
        a, b = rome_iri("metier", src), rome_iri("metier", dst)
        add((a, JG.mobilityTo, b))
        m = URIRef(f"{JGID}rome/mobility/{src}.{dst}")
        add((m, RDF.type, JG.Mobility))
        add((m, JG.fromOccupation, a))
        add((m, JG.toOccupation, b))
        add((m, JG.rank, integer(int(row["numero_ordre"]))))
        n.mobility += 1

    mapping = v3_to_v4(d)
    seen: set[tuple[str, str, str]] = set()
    for row in d.v3_mobility:
        kind = row["libelle_type_mobilite"]
        prop = JG.sidewaysTo if kind == "Proche" else JG.upwardTo if kind == "Evolution" else None
        if prop is None:
            continue
        for src in mapping.get(row["code_rome"], []):
            for dst in mapping.get(row["code_rome_cible"], []):
                if src == dst or (src, dst, kind) in seen:
                    continue
                seen.add((src, dst, kind))
                add((rome_iri("metier", src), prop, rome_iri("metier", dst)))
                if prop == JG.sidewaysTo:
                    n.v3_sideways += 1
                else:
                    n.v3_upward += 1

    esco_seen: set[str] = set()
    for row in d.esco:
        uri = row.get("classification 1 ID", "")
        ogr = row.get("classification 2 ID", "")
        rel = ESCO_RELATIONS.get(row.get("mapping relation", ""))
        if not uri.startswith("http") or rel is None or not ogr.isdigit():
            continue
        # a link to an appellation that left ROME is kept: validation reports it
        # (queries/qc/esco-appellation-in-rome.rq) instead of it vanishing here
        if ogr not in d.appellations:
            n.esco_orphans += 1
        e = URIRef(uri)
        if uri not in esco_seen:
            esco_seen.add(uri)
            add((e, RDF.type, JG.EscoOccupation))
            add((e, SKOS.prefLabel, fr(row["classification 1 prefered label"])))
            n.esco_occupations += 1
        add((e, rel, rome_iri("appellation", ogr)))
        n.esco_links += 1
    return list(dict.fromkeys(t)), n
