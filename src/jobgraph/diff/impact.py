"""The impact of a diff on the curated data: which ROME links, progressions, equivalences and
stored-query answers change or break, each with the curated file and line to edit (the
resource's jg:sourceLocation on the new side)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..namespaces import JG, SKOS
from ..terms import nt
from .changes import Change, Index, RomeView, tail, value

BREAKS, CHANGES = "breaks", "changes"
# stored questions re-asked for each affected job, and for each referential
JOB_QUERIES = ("job-profile", "next-steps", "equivalent-jobs")
REFERENTIAL_QUERIES = ("level-ladder",)
MAX_JOBS = 40  # affected jobs whose answers are re-asked (the others are counted in a note)


@dataclass
class Impact:
    """A curated thing (link, progression, equivalence, answer) a change breaks or changes."""

    level: str  # breaks | changes
    what: str  # rome-link | progression | equivalence | query
    scope: str  # the referential
    subject: str  # the job, link or pair it is about
    message: str
    source: str | None = None  # the curated file and line to edit


@dataclass(frozen=True)
class Link:
    ref: str
    job: str
    fiche: str
    relation: str
    source: str | None


def curated_links(ix: Index) -> list[Link]:
    """The curated links to ROME fiches of every referential of a side."""
    out = []
    for m in ix.typed(nt(JG.RomeMapping)):
        job, fiche = ix.one(m, nt(JG.mappedJob)), ix.one(m, nt(JG.mappedTo))
        if not job or not fiche:
            continue
        ref = job.strip("<>").split("/id/", 1)[-1].split("/", 1)[0]
        rel = ix.one(m, nt(JG.matchType))
        out.append(Link(ref, tail(job), tail(fiche), tail(rel).split("#")[-1] if rel else "?",
                        ix.where(m)))
    return sorted(out, key=lambda x: (x.ref, x.job, x.fiche))


def _esco_by_fiche(v: RomeView) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for occ, _, ogr in v.esco:
        fiche = v.appellation_fiche.get(ogr)
        if fiche:
            out[fiche].add(occ)
    return out


def link_impacts(links: list[Link], changes: list[Change], old: RomeView | None,
                 new: RomeView | None, parts_new: dict[str, str]) -> list[Impact]:
    """What the ROME changes do to the curated links of the new side."""
    if new is None or old is None:
        return []
    by_kind: dict[str, dict[str, list[Change]]] = defaultdict(lambda: defaultdict(list))
    for c in changes:
        if c.scope != "rome":
            continue
        if c.kind.startswith("mobility-"):
            for code in c.id.split(" → "):
                by_kind["mobility"][code].append(c)
        elif c.kind.startswith("appellation-"):
            for code in {x for x in (c.old, c.new) if x}:
                by_kind["appellations"][code].append(c)
        else:
            by_kind[c.kind][c.id].append(c)
    esco_old, esco_new = _esco_by_fiche(old), _esco_by_fiche(new)
    out = []
    for x in links:
        who = f"{x.ref}/{x.job} → {x.fiche}"
        if "fiches" in parts_new and x.fiche not in new.fiches:
            out.append(Impact(BREAKS, "rome-link", x.ref, who,
                              f"the link points to fiche {x.fiche}, which NEW's ROME no longer "
                              "has: choose another fiche (jobgraph rome suggest)", x.source))
            continue
        for c in by_kind["fiche-retitled"].get(x.fiche, []):
            out.append(Impact(CHANGES, "rome-link", x.ref, who,
                              f"fiche {x.fiche} is retitled « {c.old} » → « {c.new} »: check the "
                              f"link ({x.relation}) and its rationale", x.source))
        for c in by_kind["fiche-moved-domain"].get(x.fiche, []):
            out.append(Impact(CHANGES, "rome-link", x.ref, who,
                              f"fiche {x.fiche} moved from domaine {c.old} to {c.new}: "
                              "equivalences by domaine change", x.source))
        apps = by_kind["appellations"].get(x.fiche, [])
        if apps:
            gained = sum(1 for c in apps if c.new == x.fiche)
            lost = sum(1 for c in apps if c.old == x.fiche and c.kind != "appellation-relabelled")
            relabelled = sum(1 for c in apps if c.kind == "appellation-relabelled")
            bits = [f"{n} {w}" for n, w in ((gained, "gained"), (lost, "lost"),
                                             (relabelled, "relabelled")) if n]
            if bits:
                out.append(Impact(CHANGES, "rome-link", x.ref, who,
                                  f"appellations of fiche {x.fiche}: {', '.join(bits)}: check the "
                                  "link still fits the job", x.source))
        moves = by_kind["mobility"].get(x.fiche, [])
        if moves:
            added = sum(1 for c in moves if c.kind == "mobility-added")
            out.append(Impact(CHANGES, "rome-link", x.ref, who,
                              f"mobility of fiche {x.fiche}: {added} edge(s) added, "
                              f"{len(moves) - added} removed: next steps and paths through it "
                              "change", x.source))
        eo, en = esco_old.get(x.fiche, set()), esco_new.get(x.fiche, set())
        if eo != en and (eo or en):
            out.append(Impact(CHANGES, "rome-link", x.ref, who,
                              f"ESCO occupations reached through fiche {x.fiche}: "
                              f"+{len(en - eo)} −{len(eo - en)} (equivalent jobs by ESCO "
                              "change)", x.source))
    return out


def _rank(ix: Index, job: str) -> tuple[int | None, str | None]:
    for lv in sorted(ix.get(job, nt(JG.level))):
        r = ix.one(lv, nt(JG.rank))
        n = ix.one(lv, nt(SKOS.notation))
        return (int(value(r)) if r else None), (value(n) if n else tail(lv))
    return None, None


def progression_impacts(n_all: Index, changes: list[Change]) -> list[Impact]:
    """Progressions of the new side whose jobs were re-levelled: still upward?"""
    moved = {(c.scope, c.id) for c in changes if c.kind == "job-relevelled"}
    out = []
    for p in sorted(n_all.typed(nt(JG.Progression))):
        a, b = n_all.one(p, nt(JG.fromJob)), n_all.one(p, nt(JG.toJob))
        if not a or not b:
            continue
        ref = a.strip("<>").split("/id/", 1)[-1].split("/", 1)[0]
        if (ref, tail(a)) not in moved and (ref, tail(b)) not in moved:
            continue
        (ra, na), (rb, nb) = _rank(n_all, a), _rank(n_all, b)
        who = f"{ref}/{tail(a)} → {tail(b)}"
        if ra is not None and rb is not None and rb < ra:
            out.append(Impact(BREAKS, "progression", ref, who,
                              f"after the re-levelling it goes down, from level {na} to {nb}: "
                              "fix or remove it in progresses_to", n_all.where(p)))
        elif ra is not None and ra == rb:
            out.append(Impact(CHANGES, "progression", ref, who,
                              f"after the re-levelling both jobs are at level {na}",
                              n_all.where(p)))
        else:
            out.append(Impact(CHANGES, "progression", ref, who,
                              f"a job was re-levelled; it now goes from level {na} to {nb}",
                              n_all.where(p)))
    return out


def equivalence_impacts(old_links: list[Link], new_links: list[Link]) -> list[Impact]:
    """Pairs of jobs of different referentials that share a fiche, gained or lost."""
    def pairs(links: list[Link]) -> dict[tuple[str, str, str], tuple[str | None, str | None]]:
        by_fiche: dict[str, list[Link]] = defaultdict(list)
        for x in links:
            by_fiche[x.fiche].append(x)
        out = {}
        for fiche, xs in by_fiche.items():
            for a in xs:
                for b in xs:
                    if a.ref < b.ref:
                        out[(f"{a.ref}/{a.job}", f"{b.ref}/{b.job}", fiche)] = (a.source, b.source)
        return out

    po, pn = pairs(old_links), pairs(new_links)
    out = []
    for key in sorted(set(pn) - set(po)):
        a, b, fiche = key
        out.append(Impact(CHANGES, "equivalence", a.split("/")[0], f"{a} ≡ {b}",
                          f"now share fiche {fiche} (equivalent jobs gain this pair); the other "
                          f"link: {pn[key][1] or '?'}", pn[key][0]))
    for key in sorted(set(po) - set(pn)):
        a, b, fiche = key
        out.append(Impact(CHANGES, "equivalence", a.split("/")[0], f"{a} ≡ {b}",
                          f"no longer share fiche {fiche} (equivalent jobs lose this pair)",
                          po[key][0]))
    return out


__all__ = ["BREAKS", "CHANGES", "JOB_QUERIES", "MAX_JOBS", "REFERENTIAL_QUERIES", "Impact",
           "Link", "curated_links", "equivalence_impacts", "link_impacts", "progression_impacts"]
