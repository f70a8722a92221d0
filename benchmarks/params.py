"""Parameter sets for the stored queries, read from each query's header and filled from the data.

The queries are discovered at run time (``jobgraph.queries.list_queries``), so a query added
later is measured too. Each ``# param:`` gets a value of its declared type and class, taken from
the graph being measured: a job with a level, a ROME link and a progression (scores too, where
the data has them), a second job reachable from it for a second job parameter, the referential
with most jobs, a ROME code (M1607, and its domaine and grand domaine where the query's summary
says it takes them). Parameters with a default keep it. A required parameter of a kind not
foreseen here makes the query skipped, with the reason, rather than measured with a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jobgraph.catalogue import StoredQuery
from jobgraph.namespaces import sparql_prefixes
from jobgraph.terms import expand

PREFIXES = sparql_prefixes("jg", "skos")

# a job of rich shape: a level, a progression up, a ROME link to a fiche that a job of another
# referential links to too (so that the cross-referential queries have something to find),
# scores where the data has them; the first such job by IRI
JOB_QUERY = PREFIXES + """
SELECT ?job (COUNT(DISTINCT ?peer) AS ?peers) (COUNT(DISTINCT ?score) AS ?scores) WHERE {
  ?job a jg:Job ; jg:level ?level ; skos:inScheme ?ref ; jg:progressesTo ?next .
  ?link jg:mappedJob ?job ; jg:mappedTo ?fiche .
  OPTIONAL {
    ?peerLink jg:mappedTo ?fiche ; jg:mappedJob ?peer .
    ?peer skos:inScheme ?peerRef .
    FILTER(?peerRef != ?ref)
  }
  OPTIONAL { ?job jg:score ?score }
}
GROUP BY ?job
ORDER BY DESC(?peers > 0) DESC(?scores > 0) ?job
LIMIT 1"""

# the last job of the ladder that starts at ?job (or any job sharing a fiche)
TARGET_QUERY = PREFIXES + """
SELECT ?target (COUNT(DISTINCT ?beyond) AS ?rest) WHERE {
  ?job jg:progressesTo ?first .
  ?first jg:progressesTo* ?target .
  OPTIONAL { ?target jg:progressesTo ?beyond }
}
GROUP BY ?target
ORDER BY ?rest ?target
LIMIT 1"""

REFERENTIAL_QUERY = PREFIXES + """
SELECT ?referential (COUNT(?job) AS ?jobs) WHERE {
  ?job a jg:Job ; skos:inScheme ?referential .
}
GROUP BY ?referential
ORDER BY DESC(?jobs) ?referential
LIMIT 1"""

CODE_QUERY = PREFIXES + """
SELECT ?code ?domain ?grand WHERE {
  ?fiche skos:notation ?code ; skos:broader ?d .
  ?d skos:notation ?domain ; skos:broader ?g .
  ?g skos:notation ?grand .
}"""

INSTANCE_QUERY = """
SELECT ?x WHERE { ?x a ?class } ORDER BY ?x LIMIT 1"""

PREFERRED_CODE = "M1607"


@dataclass
class Plan:
    """One run of a stored query: its name, a label of the set and the bound values."""

    query: str
    set: str
    bindings: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (kind, value)

    def cli_params(self) -> list[str]:
        return [f"--param={k}={v}" for k, (_kind, v) in sorted(self.bindings.items())]

    def as_json(self) -> dict[str, Any]:
        return {"query": self.query, "set": self.set, "bindings": self.bindings}


@dataclass
class Skipped:
    query: str
    reason: str


@dataclass
class Picks:
    """Values taken from the graph once, for every query."""

    job: str | None = None
    target: str | None = None
    referential: str | None = None
    codes: tuple[str, str, str] | None = None  # fiche, domaine, grand domaine


def pick(backend: Any) -> Picks:
    """Values of the right shape from the graph behind ``backend`` (a jobgraph backend)."""
    from rdflib import URIRef

    p = Picks()
    rows = backend.select(JOB_QUERY).rows
    if rows:
        p.job = str(rows[0][0])
        target = backend.select(TARGET_QUERY, {"job": URIRef(p.job)}).rows
        p.target = str(target[0][0]) if target else None
    rows = backend.select(REFERENTIAL_QUERY).rows
    p.referential = str(rows[0][0]) if rows else None
    codes = {str(r[0]): (str(r[0]), str(r[1]), str(r[2])) for r in backend.select(CODE_QUERY).rows}
    if PREFERRED_CODE in codes:
        p.codes = codes[PREFERRED_CODE]
    elif codes:
        p.codes = codes[sorted(codes)[0]]
    return p


def plans(queries: list[StoredQuery], picks: Picks,
          backend: Any) -> tuple[list[Plan], list[Skipped]]:
    """The parameter sets of every query (one or more each), and the queries left out."""
    from rdflib import URIRef

    out: list[Plan] = []
    skipped: list[Skipped] = []
    for q in queries:
        sets: list[dict[str, tuple[str, str]]] = [{}]
        labels = [""]
        reason = None
        jobs_bound = 0
        for p in q.params:
            if not p.required:
                continue  # the default is what a user gets
            cls = expand(p.cls) if p.cls else ""
            value: tuple[str, str] | None = None
            if p.type == "IRI" and cls.endswith("#Job"):
                job = picks.job if jobs_bound == 0 else picks.target
                jobs_bound += 1
                value = ("iri", job) if job else None
            elif p.type == "IRI" and cls.endswith("#Referential"):
                value = ("iri", picks.referential) if picks.referential else None
            elif p.type == "IRI" and cls:
                rows = backend.select(INSTANCE_QUERY, {"class": URIRef(cls)}).rows
                value = ("iri", str(rows[0][0])) if rows else None
            elif p.type in ("xsd:string", "string") and "code" in p.name.lower() and picks.codes:
                fiche, domain, grand = picks.codes
                # a query that takes a domaine or grand domaine code shows one in its summary,
                # as jobs-by-rome's "a domaine professionnel (M16) or a grand domaine (M)"
                variants = [fiche]
                if re.search(r"domaine[^,;()]*\([A-N][0-9]{2}\)", q.summary):
                    variants.append(domain)
                if re.search(r"grand domaine\s*\([A-N]\)", q.summary):
                    variants.append(grand)
                sets = [dict(s, **{p.name: ("string", v)}) for s in sets for v in variants]
                labels = [f"{lab} {p.name}={v}".strip() for lab in labels for v in variants]
                continue
            if value is None:
                reason = f"no value for required parameter ?{p.name} ({p.type} {p.cls or ''})"
                break
            sets = [dict(s, **{p.name: value}) for s in sets]
            short = value[1].rsplit("/id/", 1)[-1]
            labels = [f"{lab} {p.name}={short}".strip() for lab in labels]
        if reason:
            skipped.append(Skipped(q.name, reason))
            continue
        for s, lab in zip(sets, labels, strict=True):
            out.append(Plan(q.name, lab or "defaults", s))
    return out, skipped
