"""What each screen shows, as JSON-ready data made from the library's answers (the pages render
it, the API and the pages' JSON twins return it as it is): no answer is computed here."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..catalogue import internal
from ..errors import UsageError
from ..findings import SEVERITIES, Finding
from ..names import Candidate, resolve_job
from ..namespaces import JGID, iri, referential_iri
from ..queries import run
from ..results import Cell, Table, labelled, term_names, value_cell
from ..terms import cell, referential_of, short_id
from .i18n import WORDS
from .site import Site

JSON = dict[str, Any]
_BASE = str(JGID)
ROME_CODE = re.compile(r"^[A-Z](\d{2}(\d{2})?)?$")  # a fiche (M1607), domaine (M16), grand domaine
MAX_RESULTS = 30


# --- IRIs and the pages that show them -----------------------------------------------------------

def page_of(target: str) -> str | None:
    """The page that shows the resource ``target`` (a job, a ROME fiche, a referential), if any."""
    if not target.startswith(_BASE):
        return None
    parts = target[len(_BASE):].split("/")
    if len(parts) == 3 and parts[1] == "job":
        return f"/job/{parts[0]}/{parts[2]}"
    if len(parts) == 3 and parts[0] == "rome" and parts[1] in ("metier", "domaine",
                                                               "grand-domaine"):
        return f"/rome/{parts[2]}"
    if len(parts) == 1 and parts[0]:
        return f"/referential/{parts[0]}"
    return None


def names(site: Site) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = site.memo("names", lambda: term_names(site.backend))
    return result


def table_json(t: Table) -> JSON:
    """A labelled table: its columns (variable, header, which column names which) and its rows
    (per variable: the text, and the IRI, the page and the language when there are)."""
    columns = [{"name": h.name, "header": h.header, "names": h.names, "namedBy": h.named_by,
                "detail": h.detail} for h in t.columns]
    rows = []
    for row in t.rows:
        out: JSON = {}
        for h, c in zip(t.columns, row, strict=True):
            out[h.name] = dict(_cell_json(c))
        rows.append(out)
    return {"columns": columns, "rows": rows, "fallbacks": t.fallbacks}


@lru_cache(maxsize=200_000)
def _cell_json(c: Cell) -> JSON:
    """A cell as the API gives it: its text, and its IRI, page and language when it has them
    (kept: the same cells come back in answer after answer; callers get a copy)."""
    value: JSON = {"text": c.text}
    if c.iri:
        value["iri"] = c.iri
        page = page_of(c.iri)
        if page:
            value["page"] = page
    if c.lang:
        value["lang"] = c.lang
    if c.fallback:
        value["fallback"] = True
    return value


def answer(site: Site, name: str, params: Mapping[str, str | Node], lang: str) -> JSON:
    """A stored question's answer, labelled (see ``results.labelled``), with its question."""
    found = run(site.backend, name, params, lang=lang)
    t = labelled(found.query, found.result, lang=lang, names=names(site))
    return {"question": name, "summary": found.query.summary_in(lang), "note": found.note,
            "parameters": {k: str(v) for k, v in found.bindings.items()}, **table_json(t)}


# --- jobs ----------------------------------------------------------------------------------------

def candidate_json(c: Candidate) -> JSON:
    return {"iri": c.iri, "id": c.short, "label": c.label, "page": page_of(c.iri)}


def job_by_id(site: Site, rid: str, jid: str) -> URIRef:
    """The job ``<rid>/<jid>``; UnknownJob with candidates (a 404) when there is none."""
    return resolve_job(site.backend, f"{rid}/{jid}")


def job_by_name(site: Site, spec: str) -> URIRef:
    """The job named ``spec`` (IRI, ``<referential>/<id>`` or label); UnknownJob otherwise."""
    return resolve_job(site.backend, spec[:300])


def job_summary(site: Site, job: str, lang: str) -> JSON:
    """What every page about a job shows of it: label, referential, level, national level."""
    from ..careers.answers import facts_for
    from ..paths import job_info

    info = job_info(facts_for(site.backend, lang)[0], [job]).get(job)
    ref = referential_of(job) or ""
    ref_iri = f"{_BASE}{ref}"
    named = value_cell(URIRef(ref_iri), lang=lang, names=names(site))
    return {"iri": job, "id": short_id(job), "page": page_of(job),
            "label": info.label if info else short_id(job),
            "referential": {"iri": ref_iri, "id": ref, "name": named.text,
                            "page": page_of(ref_iri)},
            "level": info.level if info else None, "national": info.national if info else None}


def _pick(values: list[Literal], lang: str) -> tuple[str, bool]:
    """The text in ``lang``, else the French one: (text, shown in French for want of ``lang``)."""
    by_lang: dict[str, list[str]] = defaultdict(list)
    for v in values:
        by_lang[(v.language or "").lower()].append(str(v))
    for tag in (lang, "fr", ""):
        if by_lang.get(tag):
            return sorted(by_lang[tag])[0], tag != lang
    return (sorted(str(v) for v in values)[0], True) if values else ("", False)


def _text(term: Node | None) -> str | None:
    return None if term is None else cell(term)


def job(site: Site, rid: str, jid: str, lang: str) -> JSON:
    """The job page: who it is, its level and scores against the band, its texts, competences,
    ROME links, certifications, neighbours, and where each fact comes from."""
    target = job_by_id(site, rid, jid)
    facts = site.backend.select(internal("job-page").text, {"job": target})
    cols = facts.variables
    rows = [dict(zip(cols, r, strict=True)) for r in facts.rows]
    by_kind: dict[str, list[dict[str, Node | None]]] = defaultdict(list)
    for r in rows:
        by_kind[str(r["kind"])].append(r)

    def labels_of(kind: str) -> dict[str, tuple[str, bool]]:
        """Per item, its name in ``lang`` (else French)."""
        grouped: dict[str, list[Literal]] = defaultdict(list)
        for r in by_kind.get(kind, []):
            if isinstance(r["value"], Literal):
                grouped[str(r["item"])].append(r["value"])
        return {k: _pick(v, lang) for k, v in grouped.items()}

    label, label_fallback = _pick([r["value"] for r in by_kind["label"]
                                   if isinstance(r["value"], Literal)]
                                  + [r["value"] for r in by_kind["alt"]
                                     if isinstance(r["value"], Literal)
                                     and (r["value"].language or "") == lang], lang)
    out: JSON = {"iri": str(target), "id": short_id(target), "label": label,
                 "labelFallback": label_fallback,
                 "otherNames": sorted({str(r["value"]) for r in by_kind["alt"]} - {label})}
    for kind in ("referential", "sector"):
        named = labels_of(kind)
        out[kind] = [{"iri": k, "id": short_id(k), "name": v[0], "fallback": v[1],
                      "page": page_of(k)} for k, v in sorted(named.items())]
    family_names = labels_of("family")
    out["families"] = sorted(
        ({"iri": str(r["item"]), "name": family_names[str(r["item"])][0],
          "kind": _text(r["detail"]), "direct": str(r["code"]) == "direct"}
         for r in by_kind["family"]), key=lambda f: (not f["direct"], f["name"]))
    out["families"] = list({f["iri"]: f for f in out["families"]}.values())
    texts: dict[str, list[str]] = {}
    for kind in ("definition", "mission", "accessory-mission", "requirement", "prerequisite",
                 "condition", "incomplete"):
        if by_kind.get(kind):
            texts[kind] = [str(r["value"]) for r in by_kind[kind]]
    out["texts"] = texts
    level = by_kind["level"][0] if by_kind["level"] else None
    national = by_kind["national"][0] if by_kind["national"] else None
    out["level"] = None if level is None else {
        "iri": str(level["item"]), "notation": _text(level["code"]),
        "label": _text(level["value"]), "definition": _text(level["detail"]),
        "scale": _text(level["note"]), "documentLine": _text(level["line"])}
    out["national"] = None if national is None else {
        "iri": str(national["item"]), "rank": _text(national["code"]),
        "label": _text(national["value"]), "basis": _text(national["basis"]),
        "note": _text(national["note"])}
    profile = run(site.backend, "job-profile", {"job": target}, lang=lang)
    scores = []
    total = band_min = band_max = None
    for r in profile.result.dicts():
        total, band_min, band_max = r["total"], r["minTotal"], r["maxTotal"]
        if r["criterion"] is not None:
            scores.append({"criterion": str(r["criterion"]), "label": _text(r["criterionLabel"]),
                           "score": _text(r["score"])})
    values = [int(str(x)) for x in (total, band_min, band_max) if x is not None]
    out["scores"] = {
        "criteria": scores, "total": _text(total), "min": _text(band_min), "max": _text(band_max),
        "inBand": (band_min is not None and band_max is not None and total is not None
                   and values[1] <= values[0] <= values[2]) or None}
    competences = []
    comp_names = labels_of("competence")
    for r in by_kind["competence"]:
        k = str(r["item"])
        competences.append({"iri": k, "label": comp_names.get(k, ("", False))[0],
                            "fallback": comp_names.get(k, ("", False))[1],
                            "notation": _text(r["code"]), "kind": _text(r["detail"]),
                            "marks": (_text(r["basis"]) or "").split()})
    out["competences"] = sorted({c["iri"]: c for c in competences}.values(),
                                key=lambda c: (c["notation"] or "~", c["label"]))
    out["rome"] = sorted(({"iri": str(r["item"]), "code": _text(r["code"]),
                           "title": _text(r["value"]), "relation": _text(r["detail"]),
                           "basis": _text(r["basis"]), "rationale": _text(r["note"]),
                           "source": _text(r["loc"]), "page": page_of(str(r["item"]))}
                          for r in by_kind["rome"]), key=lambda x: x["code"] or "")
    out["certifications"] = [{"iri": str(r["item"]), "label": _text(r["value"]),
                              "level": _text(r["code"]), "basis": _text(r["basis"]),
                              "source": _text(r["loc"]), "documentLine": _text(r["line"])}
                             for r in by_kind["certification"]]
    for kind in ("progresses-to", "progresses-from", "close-to"):
        named = labels_of(kind)
        out[kind] = [{"iri": k, "id": short_id(k), "label": v[0], "page": page_of(k)}
                     for k, v in sorted(named.items(), key=lambda x: x[1])]
    source = by_kind["source"][0] if by_kind["source"] else None
    out["source"] = None if source is None else {
        "document": _text(source["value"]), "documentFile": _text(source["code"]),
        "documentLine": _text(source["line"]), "record": _text(source["loc"])}
    return out


def job_answer(site: Site, rid: str, jid: str, name: str, lang: str) -> JSON:
    """A stored question about one job (equivalent jobs, next steps), with the job."""
    target = job_by_id(site, rid, jid)
    return {"job": job_summary(site, str(target), lang),
            "answer": answer(site, name, {"job": target}, lang)}


def gap(site: Site, source: str, target: str, lang: str) -> JSON:
    """What ``target`` requires that ``source`` does not (stored question competence-gap)."""
    a, b = job_by_name(site, source), job_by_name(site, target)
    return {"from": job_summary(site, str(a), lang), "to": job_summary(site, str(b), lang),
            "answer": answer(site, "competence-gap", {"from": a, "to": b}, lang)}


def career_graph(site: Site, lang: str) -> Any:
    """The steps between jobs (``paths.Graph``), made once per version of the data and language,
    each job's steps when first asked for."""
    from ..careers.answers import facts_for
    from ..paths import Graph

    facts, titles = facts_for(site.backend, lang)
    return site.memo(f"career-graph-{lang}", lambda: Graph.from_facts(facts, titles, lang))


def career_path(site: Site, source: str, target: str, lang: str) -> tuple[JSON, Any]:
    """The best paths from ``source`` to ``target``, and the answer (``paths.find_paths``'s,
    with the graph of steps made once per version of the data instead of once per request)."""
    from ..paths import find_paths

    a, b = job_by_name(site, source), job_by_name(site, target)
    found = find_paths(site.backend, str(a), str(b), lang=lang, graph=career_graph(site, lang))
    w = WORDS[lang]

    def person(j: str) -> JSON:
        info = found.jobs.get(j)
        return {"iri": j, "id": short_id(j), "label": info.label if info else short_id(j),
                "referential": info.referential if info else referential_of(j),
                "level": info.level if info else None,
                "national": info.national if info else None, "page": page_of(j)}

    paths = []
    for p in found.paths:
        steps = []
        for s in p.steps:
            others = sorted({(o.kind, o.evidence) for o in found.graph.between(s.source, s.target)
                             if (o.kind, o.evidence) != (s.kind, s.evidence)})
            steps.append({"from": person(s.source), "to": person(s.target), "kind": s.kind,
                          "kindLabel": w[f"kind_{s.kind}"], "evidence": s.evidence,
                          "why": s.why,
                          "also": [{"kind": k, "kindLabel": w[f"kind_{k}"], "evidence": e}
                                   for k, e in others]})
        paths.append({"steps": steps, "length": len(p.steps), "cost": round(p.cost, 3)})
    return {"from": person(str(a)), "to": person(str(b)), "scope": found.scope,
            "paths": paths}, found


# --- search --------------------------------------------------------------------------------------

def search(site: Site, q: str, lang: str) -> JSON:
    """What the words ``q`` name (``jobgraph search``'s engine): the jobs of the referentials,
    by their labels and through their ROME links, and the ROME fiches, best first; a job named
    exactly (IRI, ``<referential>/<id>``, a label) comes first."""
    q = " ".join(q.split())[:200]
    out: JSON = {"query": q, "jobs": [], "fiches": [], "engine": "jobgraph search",
                 "readAs": [], "reason": None}
    if not q:
        return out
    jobs: list[JSON] = []
    try:
        exact = str(resolve_job(site.backend, q))
        jobs.append({**job_summary(site, exact, lang), "match": "name"})
    except UsageError:  # no job of that name, or several: the engine says which
        exact = None
    answer = site.engine().search(q, top=MAX_RESULTS, jobs=MAX_RESULTS)
    for hit in answer.jobs:
        if hit.job.iri != exact:
            jobs.append({**job_summary(site, hit.job.iri, lang), "match": hit.matched or None,
                         "score": round(hit.score, 3),
                         "via": [{"code": c, "relation": r} for c, r in hit.via]})
    out["jobs"] = jobs[:MAX_RESULTS]
    out["fiches"] = [{"iri": f"{_BASE}rome/metier/{f.code}", "code": f.code, "title": f.title,
                      "matched": f.matched[0] if f.matched else f.title,
                      "score": round(f.score, 3), "page": f"/rome/{f.code}"}
                     for f in answer.fiches]
    out["readAs"] = [{"typed": a, "readAs": b} for a, b in answer.repaired]
    out["reason"] = answer.reason or None
    return out


# --- ROME ----------------------------------------------------------------------------------------

def rome(site: Site, code: str, lang: str) -> JSON:
    """A ROME fiche (stored questions rome-profile and jobs-by-rome); a domaine or grand domaine
    shows the jobs under it."""
    profile = run(site.backend, "rome-profile", {"code": Literal(code)}, lang=lang)
    items: dict[str, list[JSON]] = defaultdict(list)
    for r in profile.result.dicts():
        item = str(r["item"]) if r["item"] is not None else ""
        items[str(r["kind"])].append({
            "iri": item, "code": _text(r["itemCode"]), "label": _text(r["itemLabel"]),
            "detail": _text(r["detail"]), "rank": _text(r["rank"]),
            "page": f"/rome/{_text(r['itemCode'])}" if page_of(item) else None})
    fiche = items.pop("fiche", [None])[0]
    tree = [*items.pop("grand-domaine", []), *items.pop("domaine", [])]
    jobs = answer(site, "jobs-by-rome", {"code": Literal(code)}, lang)
    if fiche is None and not jobs["rows"]:
        raise LookupError(code)
    return {"code": code, "fiche": fiche, "tree": tree, "sections": dict(items), "jobs": jobs}


# --- referentials --------------------------------------------------------------------------------

def referentials(site: Site, lang: str) -> JSON:
    return {"answer": answer(site, "referential-overview", {}, lang)}


def _referential_iri(site: Site, rid: str) -> URIRef:
    if not re.fullmatch(r"[a-z0-9-]{1,80}", rid) or rid == "rome":
        raise LookupError(rid)
    target = referential_iri(rid)
    if str(target) not in names(site):
        raise LookupError(rid)
    return target


def referential(site: Site, rid: str, lang: str) -> JSON:
    """A referential: who issued it, its scale and levels, criteria, families, counts, and its
    jobs by level (stored question level-ladder)."""
    target = _referential_iri(site, rid)
    facts = site.backend.select(internal("referential-facts").text, {"referential": target})
    rows = [dict(zip(facts.variables, r, strict=True)) for r in facts.rows]
    by_kind: dict[str, list[dict[str, Node | None]]] = defaultdict(list)
    for r in rows:
        by_kind[str(r["kind"])].append(r)
    title, fallback = _pick([r["value"] for r in by_kind["title"]
                             if isinstance(r["value"], Literal)], lang)
    sector = value_cell(by_kind["sector"][0]["item"], lang=lang, names=names(site)) \
        if by_kind["sector"] else None
    out: JSON = {"iri": str(target), "id": rid, "title": title, "titleFallback": fallback,
                 "sector": None if sector is None else {"iri": sector.iri, "name": sector.text,
                                                        "fallback": sector.fallback}}
    for kind in ("issued", "publisher", "idcc"):
        out[kind] = _text(by_kind[kind][0]["value"]) if by_kind[kind] else None
    doc = by_kind["document"][0] if by_kind["document"] else None
    out["document"] = None if doc is None else {"title": _text(doc["value"]),
                                                "file": _text(doc["code"])}
    scale = by_kind["scale"][0] if by_kind["scale"] else None
    out["scale"] = None if scale is None else {"iri": str(scale["item"]),
                                               "label": _text(scale["value"]),
                                               "bandBasis": _text(scale["note"])}
    out["levels"] = [{"iri": str(r["item"]), "notation": _text(r["code"]),
                      "rank": _text(r["rank"]), "label": _text(r["value"]),
                      "min": _text(r["min"]), "max": _text(r["max"]),
                      "national": _text(r["detail"]), "basis": _text(r["basis"]),
                      "note": _text(r["note"]), "jobs": _text(r["count"]) or "0"}
                     for r in sorted(by_kind["level"], key=lambda r: int(str(r["rank"])))]
    out["criteria"] = [{"iri": str(r["item"]), "label": _text(r["value"]),
                        "min": _text(r["min"]), "max": _text(r["max"])}
                       for r in sorted(by_kind["criterion"], key=lambda r: int(str(r["rank"])))]
    family_rows = {str(r["item"]): r for r in by_kind["family"]}
    out["families"] = sorted(({"iri": k, "label": _text(r["value"]), "kind": _text(r["detail"]),
                               "broader": _text(r["code"]) and str(r["code"]),
                               "jobs": _text(r["count"]) or "0"}
                              for k, r in family_rows.items()), key=lambda f: f["label"] or "")
    overview = answer(site, "referential-overview", {}, lang)
    counts = next((r for r in overview["rows"] if r["referential"].get("iri") == str(target)),
                  None)
    out["counts"] = None if counts is None else [
        {"name": c["name"], "header": c["header"], "value": counts[c["name"]]["text"]}
        for c in overview["columns"] if c["name"] not in ("referential", "title", "sector")]
    out["ladder"] = answer(site, "level-ladder", {"referential": target}, lang)
    return out


def _finding_json(f: Finding, lang: str) -> JSON:
    return {"severity": f.severity, "rule": f.rule, "ruleName": f.rule_name,
            "message": f.text(lang), "focus": f.focus, "label": f.label,
            "page": page_of(f.focus) if f.focus else None, "path": f.path, "value": f.value,
            "expected": f.expected, "source": f.source, "kind": f.kind, "accepted": f.accepted}


def validation(site: Site, rid: str, lang: str, *, severity: str | None = None,
               rule: str | None = None, accepted: bool | None = None) -> JSON:
    """The validation findings of a referential, filtered by severity, rule and acceptance."""
    target = _referential_iri(site, rid)
    report = site.memo("validation", site.validation)
    mine = [f for f in report.findings if f.referential == rid]
    shown = [f for f in mine
             if (severity is None or f.severity == severity)
             and (rule is None or f.rule == rule)
             and (accepted is None or bool(f.accepted) == accepted)]
    counts = {s: sum(1 for f in mine if f.severity == s and not f.accepted) for s in SEVERITIES}
    counts["accepted"] = sum(1 for f in mine if f.accepted)
    return {"referential": {"iri": str(target), "id": rid},
            "filters": {"severity": severity, "rule": rule, "accepted": accepted},
            "counts": counts, "rules": sorted({f.rule for f in mine}),
            "total": len(mine), "shown": len(shown), "notes": report.notes,
            "findings": [_finding_json(f, lang) for f in shown]}


ANSWERS_KEPT = 4096  # screens kept per kind (the shipped data has 229 jobs, 5 referentials)
WARM_JOBS = 2000  # jobs whose pages are made in advance (all of them on the shipped data)


def cached(site: Site, view: Any, *args: Any) -> Any:
    """``view(site, *args)``, kept for this version of the data: a screen is made once, then
    only rendered (what it raises, an unknown name, is not kept)."""
    return site.kept(view.__name__, repr(args), lambda: view(site, *args), size=ANSWERS_KEPT)


def warm_gaps(site: Site, jobs: list[str]) -> None:
    """Read in advance what a competence gap between any two of ``jobs`` (``<referential>/<id>``)
    reads: their competences, missions and fiches with their items, and how many fiches list
    each item (a few queries for all of them, instead of several at each new pair)."""
    from ..careers.answers import SharedReaders

    readers = getattr(site.backend, "readers", None)
    if not isinstance(readers, SharedReaders):
        return
    iris = [str(iri(rid, "job", jid)) for rid, jid in (spec.split("/", 1) for spec in jobs)]
    for lang in ("fr", "en"):
        with readers.reading(lang) as reader:
            reader.for_gaps(iris)
            facts = reader.facts
            reader.spread({i for j in iris if j in facts.jobs for link in facts.jobs[j].links
                           if link.fiche in facts.fiches for i in facts.fiches[link.fiche].items},
                          "")


def warm(site: Site) -> None:
    """Make in advance, once per version of the data, what the pages need: names, ROME titles
    and the validation report (seconds), then each job's page, equivalent jobs and next steps
    (a fraction of a second each), so that visitors seldom wait for a stored question."""
    import logging

    log = logging.getLogger("jobgraph.web")
    try:
        names(site)
        site.engine()
        site.memo("validation", site.validation)
        overview = cached(site, referentials, "fr")["answer"]["rows"]
        jobs = [row["job"]["text"] for r in overview
                for row in cached(site, referential, r["referential"]["text"], "fr")["ladder"]
                ["rows"]]
        for spec in jobs[:WARM_JOBS]:
            rid, jid = spec.split("/", 1)
            cached(site, job, rid, jid, "fr")
            cached(site, job_answer, rid, jid, "equivalent-jobs", "fr")
            cached(site, job_answer, rid, jid, "next-steps", "fr")
        log.info("jobgraph: %d jobs' pages ready", min(len(jobs), WARM_JOBS))
        warm_gaps(site, jobs[:WARM_JOBS])
        # the ROME fiches the jobs are linked to (their pages read the fiche's whole profile)
        codes = sorted({link["code"] for spec in jobs[:WARM_JOBS]
                        for link in cached(site, job, *spec.split("/", 1), "fr")["rome"]})
        for code in codes:
            cached(site, rome, code, "fr")
        log.info("jobgraph: competence gaps and %d ROME fiches' pages ready", len(codes))
        # every job's steps (its equivalents, its ROME moves): a path's first question on a job
        # would otherwise make them (tens of milliseconds a job)
        for lang in ("fr", "en"):
            graph = career_graph(site, lang)
            for j in list(graph.facts.jobs)[:WARM_JOBS]:
                graph.weighted(j)
        log.info("jobgraph: career paths' steps ready")
    except Exception:  # the pages compute it again on demand, and say what fails
        log.exception("warming the caches failed")


__all__ = ["ANSWERS_KEPT", "WARM_JOBS", "answer", "cached", "career_graph", "career_path", "gap",
           "job", "job_answer", "job_summary", "page_of", "referential", "referentials", "rome",
           "search", "table_json", "validation", "warm", "warm_gaps"]
