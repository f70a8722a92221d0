"""The ROME graph: RomeData (romefiles) to the triples of the ROME named graph, with the v3
mobility carried over to ROME 4.0 fiches and the ESCO occupations of the crosswalk."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rdflib import Literal, URIRef

from .convert import Triple, fr, integer, string
from .namespaces import DCTERMS, JG, JGID, PROV, RDF, SKOS, XSD, rome_iri
from .romefiles import RomeData

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


def _concept(iri: URIRef, cls: URIRef, code: str, label: str,
             scheme: URIRef) -> list[Triple]:
    """A concept of the ROME tree or of its competences: its class, code, label and scheme."""
    return [(iri, RDF.type, cls), (iri, SKOS.notation, string(code)),
            (iri, SKOS.prefLabel, fr(label)), (iri, SKOS.inScheme, scheme)]


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
        t += _concept(rome_iri("grand-domaine", code), JG.RomeGrandDomain, code, label,
                      ROME_REFERENTIAL)
        n.grands_domaines += 1
    for code, label in sorted(d.domaines.items()):
        dom = rome_iri("domaine", code)
        t += _concept(dom, JG.RomeDomain, code, label, ROME_REFERENTIAL)
        add((dom, SKOS.broader, rome_iri("grand-domaine", code[0])))
        n.domaines += 1
    for code, row in sorted(d.fiches.items()):
        f = rome_iri("metier", code)
        t += _concept(f, JG.RomeOccupation, code, row["libelle_rome"], ROME_REFERENTIAL)
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
        t += _concept(c, JG.Attitude if attitude else JG.Skill, ogr, row["libelle_competence"],
                      ROME_FRAMEWORK)
        if row.get("sous_cat_comp"):
            add((c, JG.category, fr(f"{row['cat_comp']} : {row['sous_cat_comp']}")))
        n.competences += 1
    for ogr, row in sorted(d.savoirs.items()):
        s = rome_iri("savoir", ogr)
        t += _concept(s, JG.Knowledge, ogr, row["libelle_savoir"], ROME_FRAMEWORK)
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
